DROP TABLE outcome_measurements;
DROP TABLE psfs_activities;
DROP FUNCTION outcome_measurements_final();
DROP FUNCTION psfs_activities_never_renamed();
ALTER TABLE visit_notes DROP COLUMN outcomes;
