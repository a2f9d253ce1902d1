-- Merging the index's segments changed nothing it answers: nothing to undo.
SELECT 1;
