-- How many patients each search prefix has, kept by the app beside the prefix rows (in
-- the same transaction). A search looks its words up here instead of counting their rows:
-- it knows which word is narrowest, and a one-word search knows its total, in one probe
-- per word, where counting read up to 251 rows per word and grew with the clinic.
CREATE TABLE patient_search_prefix_counts (
    prefix TEXT PRIMARY KEY,
    patients INTEGER NOT NULL CHECK (patients > 0)
) WITHOUT ROWID;
INSERT INTO patient_search_prefix_counts (prefix, patients)
SELECT prefix, count(*) FROM patient_search_prefixes GROUP BY prefix;
