-- Patient search on PostgreSQL's own full-text index. Each patient carries the folded words
-- of their names and clinic reference (written by the app, which folds with Unicode
-- tables); a GIN index over their 'simple' tsvector answers prefix queries ('kowa':*).
-- The hand-kept prefix rows, pair rows and prefix counts go.
ALTER TABLE patients ADD COLUMN search_words TEXT NOT NULL DEFAULT '';
-- Patients the app never gave a sort name keep a plain lower-case one until their next
-- edit; everyone else's names are taken folded from their sort name.
UPDATE patients SET sort_name = lower(trim(family_name)) || chr(1) || lower(trim(given_name))
 WHERE sort_name = '';
-- References are folded by lower() alone here (accents stay until the patient is next
-- saved). Punctuation becomes a space, as the app writes them: the parser would read "old-77" as
-- "old" and the number "-77", which a search for "77" does not begin.
UPDATE patients SET search_words = trim(regexp_replace(
    replace(sort_name, chr(1), ' ') || ' ' || lower(coalesce(clinic_reference, '')),
    '[[:punct:][:space:]‘’]+', ' ', 'g'));
CREATE INDEX patients_search ON patients USING gin (to_tsvector('simple', search_words));

DROP TABLE patient_search_pairs;
DROP TABLE patient_search_prefix_counts;
DROP TABLE patient_search_prefixes;
