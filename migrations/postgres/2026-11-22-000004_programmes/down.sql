DROP TABLE programme_template_items;
DROP TABLE programme_templates;
DROP TABLE programme_items;
DROP TABLE programme_versions;
DROP FUNCTION IF EXISTS programme_versions_are_final();
