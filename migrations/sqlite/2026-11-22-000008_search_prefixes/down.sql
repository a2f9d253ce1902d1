CREATE TABLE patient_search_tokens (
    token TEXT NOT NULL,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    PRIMARY KEY (token, patient_id)
);
CREATE INDEX patient_search_tokens_patient_token ON patient_search_tokens(patient_id, token);
DROP TABLE patient_search_prefixes;
CREATE INDEX patients_name ON patients(family_name, given_name, id);
DROP INDEX patients_sort_name;
ALTER TABLE patients DROP COLUMN sort_name;
