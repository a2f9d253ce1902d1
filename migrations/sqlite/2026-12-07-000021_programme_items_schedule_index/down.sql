DROP INDEX programme_items_version;
CREATE INDEX programme_items_version ON programme_items(version_id, position);
