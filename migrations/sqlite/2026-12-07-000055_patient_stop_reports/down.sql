ALTER TABLE clinic_settings DROP COLUMN emergency_number;
ALTER TABLE red_flag_actions DROP COLUMN urgency;
DROP TRIGGER stop_reports_are_final_delete;
DROP TRIGGER stop_reports_are_final_update;
DROP TABLE stop_reports;
