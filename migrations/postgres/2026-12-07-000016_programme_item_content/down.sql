ALTER TABLE programme_items DROP COLUMN cautions, DROP COLUMN steps;
