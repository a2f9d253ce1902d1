DROP TABLE consent_events;
DROP FUNCTION consent_events_never_change();
