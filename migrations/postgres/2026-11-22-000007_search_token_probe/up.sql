-- A multi-word patient search lists the patients of its narrowest word and probes each
-- for the other words: (patient_id, token) answers that probe from the index alone.
CREATE INDEX patient_search_tokens_patient_token ON patient_search_tokens(patient_id, token);
DROP INDEX patient_search_tokens_patient;
