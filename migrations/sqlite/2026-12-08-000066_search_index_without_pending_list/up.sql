-- PostgreSQL's search index stops deferring new patients to a pending list in this
-- version. FTS5 keeps no such list; its segments are merged once here, as after a rebuild.
INSERT INTO patient_search (patient_search) VALUES ('optimize');
