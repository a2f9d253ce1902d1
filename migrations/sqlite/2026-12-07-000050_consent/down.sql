DROP TRIGGER consent_events_never_removed;
DROP TRIGGER consent_events_never_change;
DROP TABLE consent_events;
