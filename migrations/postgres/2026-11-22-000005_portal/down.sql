DROP INDEX cases_therapist_open;
ALTER TABLE cases DROP COLUMN review_date;
ALTER TABLE cases DROP COLUMN last_pain_at;
ALTER TABLE cases DROP COLUMN pain_trend;
ALTER TABLE cases DROP COLUMN pain_latest;
ALTER TABLE cases DROP COLUMN pain_baseline;
DROP TABLE adherence_ticks;
DROP INDEX users_patient;
ALTER TABLE users DROP COLUMN patient_id;
