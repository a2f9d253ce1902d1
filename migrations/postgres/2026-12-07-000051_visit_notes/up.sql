-- One note per contact on a case. A draft until its author signs it; a signed note never
-- changes (corrections are addenda).
CREATE TABLE visit_notes (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'signed')),
    visited_at TIMESTAMP NOT NULL,
    attendance TEXT NOT NULL CHECK (attendance IN ('attended', 'did-not-attend', 'cancelled-late', 'cancelled')),
    duration_minutes INTEGER CHECK (duration_minutes BETWEEN 1 AND 480),
    subjective TEXT NOT NULL,
    pain_today INTEGER CHECK (pain_today BETWEEN 0 AND 10),
    objective TEXT NOT NULL,
    treatments TEXT NOT NULL,
    treatment_note TEXT NOT NULL,
    response TEXT NOT NULL,
    plan TEXT NOT NULL,
    note TEXT NOT NULL,
    programme_version INTEGER,
    signed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX visit_notes_case ON visit_notes(case_id, visited_at);
CREATE INDEX visit_notes_author ON visit_notes(author_id, visited_at);
-- The progress review counts signed visits in a period, per author, from this index alone.
CREATE INDEX visit_notes_signed_in_period ON visit_notes(status, visited_at, author_id, attendance);

CREATE FUNCTION visit_notes_signed_are_final() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'signed' THEN
        RAISE EXCEPTION 'a signed visit note cannot be changed';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER visit_notes_signed_are_final BEFORE UPDATE OR DELETE ON visit_notes
FOR EACH ROW EXECUTE FUNCTION visit_notes_signed_are_final();

CREATE TABLE visit_addenda (
    id BIGSERIAL PRIMARY KEY,
    visit_id BIGINT NOT NULL REFERENCES visit_notes(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX visit_addenda_visit ON visit_addenda(visit_id, created_at);
