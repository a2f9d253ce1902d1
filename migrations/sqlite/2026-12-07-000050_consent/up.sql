-- Consent on a case as a list of events: the latest event of a kind is where that
-- consent stands. A withdrawal is a new event; no event is ever changed or removed.
-- Cases recorded before this list existed get none here: their consent is recorded
-- before the next signature.
CREATE TABLE consent_events (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL CHECK (kind IN ('treatment', 'portal', 'gp-sharing')),
    decision TEXT NOT NULL CHECK (decision IN ('given', 'withdrawn')),
    method TEXT NOT NULL CHECK (method IN ('verbal', 'written')),
    given_by TEXT NOT NULL CHECK (given_by IN ('patient', 'representative')),
    representative_name TEXT NOT NULL DEFAULT '',
    representative_relationship TEXT NOT NULL DEFAULT '',
    occurred_at TIMESTAMP NOT NULL,
    recorded_by INTEGER NOT NULL REFERENCES users(id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX consent_events_case ON consent_events(case_id, kind, occurred_at);

CREATE TRIGGER consent_events_never_change BEFORE UPDATE ON consent_events
BEGIN SELECT RAISE(ABORT, 'a consent record cannot be changed'); END;
CREATE TRIGGER consent_events_never_removed BEFORE DELETE ON consent_events
BEGIN SELECT RAISE(ABORT, 'a consent record cannot be removed'); END;
