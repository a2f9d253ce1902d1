-- Each programme item now carries its exercise's steps and cautions, so a version's ten
-- items fill several pages of the table. The case page reads only which exercises a
-- version holds and their days a week (adherence, the programme line): from this index
-- alone, without touching the item rows.
DROP INDEX programme_items_version;
CREATE INDEX programme_items_version
    ON programme_items(version_id, position, exercise_id, days_per_week);
