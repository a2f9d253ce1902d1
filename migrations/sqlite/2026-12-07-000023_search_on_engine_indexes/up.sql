-- Patient search on SQLite's own full-text index. Each patient carries the folded words of
-- their names and clinic reference (written by the app, which folds with Unicode tables);
-- an FTS5 table over that column answers prefix queries ("kowa"*), kept in step by
-- triggers. The hand-kept prefix rows, pair rows and prefix counts go.
ALTER TABLE patients ADD COLUMN search_words TEXT NOT NULL DEFAULT '';
-- Patients the app never gave a sort name keep a plain lower-case one until their next
-- edit; everyone else's names are taken folded from their sort name.
UPDATE patients SET sort_name = lower(trim(family_name)) || char(1) || lower(trim(given_name))
 WHERE sort_name = '';
UPDATE patients SET search_words =
    replace(sort_name, char(1), ' ') || ' ' || coalesce(clinic_reference, '');

-- The tokenizer folds case and accents too, for references filled here unfolded; the
-- one- and two-letter prefix indexes answer the shortest prefixes from one entry.
CREATE VIRTUAL TABLE patient_search USING fts5(
    search_words,
    content = 'patients',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2'
);
INSERT INTO patient_search (patient_search) VALUES ('rebuild');
-- A search puts its matches in list order by their sort names: this narrow index gives a
-- match's sort name by id from a few pages, where the table's rows would need one each.
CREATE INDEX patients_sort_name_by_id ON patients(id, sort_name);

CREATE TRIGGER patient_search_insert AFTER INSERT ON patients BEGIN
    INSERT INTO patient_search (rowid, search_words) VALUES (new.id, new.search_words);
END;
CREATE TRIGGER patient_search_update AFTER UPDATE OF search_words ON patients BEGIN
    INSERT INTO patient_search (patient_search, rowid, search_words)
        VALUES ('delete', old.id, old.search_words);
    INSERT INTO patient_search (rowid, search_words) VALUES (new.id, new.search_words);
END;
CREATE TRIGGER patient_search_delete AFTER DELETE ON patients BEGIN
    INSERT INTO patient_search (patient_search, rowid, search_words)
        VALUES ('delete', old.id, old.search_words);
END;

DROP TABLE patient_search_pairs;
DROP TABLE patient_search_prefix_counts;
DROP TABLE patient_search_prefixes;
