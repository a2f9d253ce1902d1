-- Consent on a case as a list of events: the latest event of a kind is where that
-- consent stands. A withdrawal is a new event; no event is ever changed or removed.
-- Cases recorded before this list existed get none here: their consent is recorded
-- before the next signature.
CREATE TABLE consent_events (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL CHECK (kind IN ('treatment', 'portal', 'gp-sharing')),
    decision TEXT NOT NULL CHECK (decision IN ('given', 'withdrawn')),
    method TEXT NOT NULL CHECK (method IN ('verbal', 'written')),
    given_by TEXT NOT NULL CHECK (given_by IN ('patient', 'representative')),
    representative_name TEXT NOT NULL DEFAULT '',
    representative_relationship TEXT NOT NULL DEFAULT '',
    occurred_at TIMESTAMP NOT NULL,
    recorded_by BIGINT NOT NULL REFERENCES users(id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX consent_events_case ON consent_events(case_id, kind, occurred_at);

CREATE FUNCTION consent_events_never_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a consent record cannot be changed or removed';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER consent_events_never_change BEFORE UPDATE OR DELETE ON consent_events
FOR EACH ROW EXECUTE FUNCTION consent_events_never_change();
