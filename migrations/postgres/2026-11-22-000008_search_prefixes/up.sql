-- Patient search as ordered index scans. Every prefix of every folded word of a patient's
-- names and reference is a row, keyed with the patient's folded sort name, so a search
-- word is one equality lookup whose rows already come in list order: the first page costs
-- the same at any clinic size. Rows are written by the app (folding needs Unicode tables),
-- which also fills them for patients stored before this migration (empty sort_name).
ALTER TABLE patients ADD COLUMN sort_name TEXT NOT NULL DEFAULT '';
CREATE INDEX patients_sort_name ON patients(sort_name, id);
DROP INDEX patients_name;

CREATE TABLE patient_search_prefixes (
    prefix TEXT NOT NULL,
    sort_name TEXT NOT NULL,
    patient_id BIGINT NOT NULL REFERENCES patients(id),
    PRIMARY KEY (prefix, sort_name, patient_id)
);
-- Probes for a search's other words, and rewriting one patient's rows.
CREATE INDEX patient_search_prefixes_patient ON patient_search_prefixes(patient_id, prefix);

DROP TABLE patient_search_tokens;
