-- An issued programme version is as final as a signed record: its rows are never
-- deleted either (updates were already refused).
CREATE TRIGGER programme_items_never_deleted BEFORE DELETE ON programme_items
BEGIN SELECT RAISE(ABORT, 'a saved programme version cannot be changed'); END;
CREATE TRIGGER programme_versions_never_deleted BEFORE DELETE ON programme_versions
BEGIN SELECT RAISE(ABORT, 'a saved programme version cannot be changed'); END;
