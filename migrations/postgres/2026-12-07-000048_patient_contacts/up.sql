-- What letters and a clinic's everyday contact need: the patient's address, their GP,
-- whom to call in an emergency, the language they prefer and how they want to be reached.
-- All optional (empty when not known).
ALTER TABLE patients ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN preferred_language TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN contact_by TEXT NOT NULL DEFAULT 'no-preference';
ALTER TABLE patients ADD COLUMN gp_name TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN gp_practice TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN gp_address TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN gp_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN gp_email TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN emergency_name TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN emergency_relationship TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN emergency_phone TEXT NOT NULL DEFAULT '';
