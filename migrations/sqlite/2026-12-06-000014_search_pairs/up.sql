-- Two-word patient search as one ordered index range. For each whole word of a patient's
-- names, a row per prefix of each of the patient's other words (names and reference), keyed
-- with the sort name: "kowalski anna" reads only the Kowalskis called Ann..., in list
-- order, where reading one word's rows and checking the other grew with the clinic. Like
-- the prefix rows, each carries all of its patient's words for a third word's check.
-- pair_patients counts the patients with pair rows for a whole word; where it equals
-- `patients`, every patient with a word beginning so has that whole word, and its pair
-- rows hold every match. Rows are written by the app; emptying the sort names makes it
-- write them again (with the pairs) for every patient at the next start.
CREATE TABLE patient_search_pairs (
    word TEXT NOT NULL,
    prefix TEXT NOT NULL,
    sort_name TEXT NOT NULL,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    words TEXT NOT NULL,
    PRIMARY KEY (word, prefix, sort_name, patient_id)
) WITHOUT ROWID;
-- Rewriting one patient's rows.
CREATE INDEX patient_search_pairs_patient ON patient_search_pairs(patient_id);
ALTER TABLE patient_search_prefix_counts
    ADD COLUMN pair_patients INTEGER NOT NULL DEFAULT 0 CHECK (pair_patients >= 0);
UPDATE patients SET sort_name = '';
