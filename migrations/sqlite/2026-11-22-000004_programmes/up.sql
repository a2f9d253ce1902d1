-- A programme is the list of versions of one case; a version is never changed once saved.
CREATE TABLE programme_versions (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    version INTEGER NOT NULL,
    author_id INTEGER NOT NULL REFERENCES users(id),
    notes TEXT NOT NULL,
    review_date DATE,
    template_id INTEGER,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (case_id, version)
);

-- Each item keeps the exercise's name as it was, so old versions read as they were issued.
CREATE TABLE programme_items (
    id INTEGER PRIMARY KEY,
    version_id INTEGER NOT NULL REFERENCES programme_versions(id),
    position INTEGER NOT NULL,
    exercise_id INTEGER NOT NULL REFERENCES exercises(id),
    exercise_name TEXT NOT NULL,
    sets INTEGER NOT NULL,
    reps INTEGER NOT NULL,
    hold_seconds INTEGER NOT NULL,
    rest_seconds INTEGER NOT NULL,
    side TEXT NOT NULL,
    times_per_day INTEGER NOT NULL,
    days_per_week INTEGER NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX programme_items_version ON programme_items(version_id, position);

CREATE TRIGGER programme_items_are_final BEFORE UPDATE ON programme_items
BEGIN SELECT RAISE(ABORT, 'a saved programme version cannot be changed'); END;
CREATE TRIGGER programme_versions_are_final BEFORE UPDATE ON programme_versions
BEGIN SELECT RAISE(ABORT, 'a saved programme version cannot be changed'); END;

CREATE TABLE programme_templates (
    id INTEGER PRIMARY KEY,
    slug TEXT UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    archived BOOLEAN NOT NULL DEFAULT 0,
    created_by INTEGER REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE programme_template_items (
    id INTEGER PRIMARY KEY,
    template_id INTEGER NOT NULL REFERENCES programme_templates(id),
    position INTEGER NOT NULL,
    exercise_id INTEGER NOT NULL REFERENCES exercises(id),
    sets INTEGER NOT NULL,
    reps INTEGER NOT NULL,
    hold_seconds INTEGER NOT NULL,
    rest_seconds INTEGER NOT NULL,
    side TEXT NOT NULL,
    times_per_day INTEGER NOT NULL,
    days_per_week INTEGER NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX programme_template_items_template ON programme_template_items(template_id, position);
