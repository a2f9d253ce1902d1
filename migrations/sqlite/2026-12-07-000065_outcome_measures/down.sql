DROP TABLE outcome_measurements;
DROP TABLE psfs_activities;
ALTER TABLE visit_notes DROP COLUMN outcomes;
