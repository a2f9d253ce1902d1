-- The clinic's own photos or drawings of an exercise (at most three each), kept in the
-- database so backups carry them. Each is stored re-encoded, never as uploaded (no camera
-- or GPS metadata), in three renditions: screen (longest side 800 px, JPEG or PNG),
-- print (JPEG sized for the sheet's picture box at about 200 dpi) and a thumbnail.
CREATE TABLE exercise_pictures (
    id INTEGER PRIMARY KEY,
    exercise_id INTEGER NOT NULL REFERENCES exercises(id),
    position INTEGER NOT NULL,
    caption TEXT NOT NULL,
    screen_type TEXT NOT NULL,
    screen BLOB NOT NULL,
    screen_width INTEGER NOT NULL,
    screen_height INTEGER NOT NULL,
    print_jpeg BLOB NOT NULL,
    print_width INTEGER NOT NULL,
    print_height INTEGER NOT NULL,
    thumb BLOB NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX exercise_pictures_exercise ON exercise_pictures(exercise_id, position);
-- Which pictures an exercise shows: 'drawn' (the library's figures) or 'clinic'.
ALTER TABLE exercises ADD COLUMN picture_choice TEXT NOT NULL DEFAULT 'drawn';
