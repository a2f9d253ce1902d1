ALTER TABLE clinic_settings DROP COLUMN emergency_number;
ALTER TABLE red_flag_actions DROP COLUMN urgency;
DROP TRIGGER stop_reports_are_final ON stop_reports;
DROP FUNCTION stop_reports_are_final();
DROP TABLE stop_reports;
