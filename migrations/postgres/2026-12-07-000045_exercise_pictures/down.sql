ALTER TABLE exercises DROP COLUMN picture_choice;
DROP TABLE exercise_pictures;
