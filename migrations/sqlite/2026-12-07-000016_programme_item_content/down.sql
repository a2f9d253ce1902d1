ALTER TABLE programme_items DROP COLUMN cautions;
ALTER TABLE programme_items DROP COLUMN steps;
