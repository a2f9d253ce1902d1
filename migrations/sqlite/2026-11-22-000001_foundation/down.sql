DROP TABLE clinic_settings;
DROP TABLE audit_chain_head;
DROP TABLE audit_events;
DROP TABLE setup_tokens;
DROP TABLE sessions;
DROP TABLE users;
