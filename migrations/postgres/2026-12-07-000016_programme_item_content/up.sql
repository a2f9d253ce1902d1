-- Each item keeps what its patient reads (steps and cautions, as JSON arrays like the
-- library's), so a saved version prints as it was issued after its exercise is edited.
-- Versions saved before this change take the library's text as it is now.
ALTER TABLE programme_items
    ADD COLUMN steps TEXT NOT NULL DEFAULT '[]',
    ADD COLUMN cautions TEXT NOT NULL DEFAULT '[]';
ALTER TABLE programme_items DISABLE TRIGGER programme_items_are_final;
UPDATE programme_items SET steps = e.steps, cautions = e.cautions
FROM exercises e WHERE e.id = programme_items.exercise_id;
ALTER TABLE programme_items ENABLE TRIGGER programme_items_are_final;
-- Every new item names its own content.
ALTER TABLE programme_items ALTER COLUMN steps DROP DEFAULT, ALTER COLUMN cautions DROP DEFAULT;
