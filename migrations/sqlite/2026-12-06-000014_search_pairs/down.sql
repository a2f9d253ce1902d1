DROP TABLE patient_search_pairs;
ALTER TABLE patient_search_prefix_counts DROP COLUMN pair_patients;
