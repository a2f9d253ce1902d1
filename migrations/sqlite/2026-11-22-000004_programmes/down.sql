DROP TABLE programme_template_items;
DROP TABLE programme_templates;
DROP TABLE programme_items;
DROP TABLE programme_versions;
