-- The exercise library. Lists (aliases, steps, cautions, mistakes, regions, equipment)
-- are stored as JSON arrays in text; search_text holds name, aliases and steps folded
-- to lower case without accents.
CREATE TABLE exercises (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    aliases TEXT NOT NULL,
    category TEXT NOT NULL,
    regions TEXT NOT NULL,
    position TEXT NOT NULL,
    equipment TEXT NOT NULL,
    difficulty TEXT NOT NULL,
    summary TEXT NOT NULL,
    steps TEXT NOT NULL,
    cautions TEXT NOT NULL,
    common_mistakes TEXT NOT NULL,
    source TEXT NOT NULL,
    variant_of TEXT,
    relation TEXT,
    sets INTEGER NOT NULL,
    reps INTEGER NOT NULL,
    hold_seconds INTEGER NOT NULL,
    rest_seconds INTEGER NOT NULL,
    side TEXT NOT NULL,
    times_per_day INTEGER NOT NULL,
    days_per_week INTEGER NOT NULL,
    built_in BOOLEAN NOT NULL,
    changed_by_clinic BOOLEAN NOT NULL DEFAULT 0,
    archived BOOLEAN NOT NULL DEFAULT 0,
    search_text TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX exercises_archived_name ON exercises(archived, name);
