-- Each item keeps what its patient reads (steps and cautions, as JSON arrays like the
-- library's), so a saved version prints as it was issued after its exercise is edited.
-- Versions saved before this change take the library's text as it is now.
ALTER TABLE programme_items ADD COLUMN steps TEXT NOT NULL DEFAULT '[]';
ALTER TABLE programme_items ADD COLUMN cautions TEXT NOT NULL DEFAULT '[]';
DROP TRIGGER programme_items_are_final;
UPDATE programme_items SET
    steps = (SELECT e.steps FROM exercises e WHERE e.id = programme_items.exercise_id),
    cautions = (SELECT e.cautions FROM exercises e WHERE e.id = programme_items.exercise_id);
CREATE TRIGGER programme_items_are_final BEFORE UPDATE ON programme_items
BEGIN SELECT RAISE(ABORT, 'a saved programme version cannot be changed'); END;
