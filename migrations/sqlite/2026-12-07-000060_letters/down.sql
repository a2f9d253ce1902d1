DROP TABLE letters;
ALTER TABLE users DROP COLUMN registration_number;
ALTER TABLE users DROP COLUMN profession;
