-- Each search row carries all of its patient's folded words, so a search's other words
-- are checked on the rows its narrowest word found instead of by one index probe per
-- patient: where a family name is shared by a hundred patients, "family given" read a
-- hundred probes. The rows are rewritten by the app at the next start (folding needs
-- Unicode tables): an empty sort name marks a patient whose rows are missing.
DELETE FROM patient_search_prefixes;
ALTER TABLE patient_search_prefixes ADD COLUMN words TEXT NOT NULL DEFAULT '';
UPDATE patients SET sort_name = '';
