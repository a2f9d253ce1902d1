-- An issued programme version is as final as a signed record: its rows are never
-- deleted either (updates were already refused).
CREATE TRIGGER programme_items_never_deleted BEFORE DELETE ON programme_items
FOR EACH ROW EXECUTE FUNCTION programme_versions_are_final();
CREATE TRIGGER programme_versions_never_deleted BEFORE DELETE ON programme_versions
FOR EACH ROW EXECUTE FUNCTION programme_versions_are_final();
