-- The hand-kept tables come back empty; an empty sort name makes the previous release
-- write every patient's rows again at its next start.
CREATE TABLE patient_search_prefixes (
    prefix TEXT NOT NULL,
    sort_name TEXT NOT NULL,
    patient_id BIGINT NOT NULL REFERENCES patients(id),
    words TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (prefix, sort_name, patient_id)
);
CREATE INDEX patient_search_prefixes_patient ON patient_search_prefixes(patient_id, prefix);
CREATE TABLE patient_search_prefix_counts (
    prefix TEXT PRIMARY KEY,
    patients BIGINT NOT NULL CHECK (patients > 0),
    pair_patients BIGINT NOT NULL DEFAULT 0 CHECK (pair_patients >= 0)
);
CREATE TABLE patient_search_pairs (
    word TEXT NOT NULL,
    prefix TEXT NOT NULL,
    sort_name TEXT NOT NULL,
    patient_id BIGINT NOT NULL REFERENCES patients(id),
    words TEXT NOT NULL,
    PRIMARY KEY (word, prefix, sort_name, patient_id)
);
CREATE INDEX patient_search_pairs_patient ON patient_search_pairs(patient_id);

DROP INDEX patients_search;
ALTER TABLE patients DROP COLUMN search_words;
UPDATE patients SET sort_name = '';
