ALTER TABLE patient_search_prefixes DROP COLUMN words;
