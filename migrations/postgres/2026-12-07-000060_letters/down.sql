DROP TABLE letters;
DROP FUNCTION letters_signed_are_final();
ALTER TABLE users DROP COLUMN registration_number;
ALTER TABLE users DROP COLUMN profession;
