ALTER TABLE clinic_settings DROP COLUMN time_zone;
