-- The clinic's IANA time zone. Empty until the server first starts on this database, which
-- fills it from --time-zone, else the server's own zone, else UTC.
ALTER TABLE clinic_settings ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
