-- A patient's own IANA time zone, for when they live away from the clinic; empty means
-- the clinic's. Only the portal reads it: staff see every time in the clinic's zone.
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
