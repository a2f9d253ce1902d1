-- A patient's "yes" to a stop symptom in the portal: which ones, with the pain score it
-- came with. It raises red flags on the case until a therapist records an action after it.
CREATE TABLE stop_reports (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    pain_score_id BIGINT REFERENCES pain_scores(id),
    symptoms TEXT NOT NULL CHECK (symptoms <> ''),
    reported_by BIGINT NOT NULL REFERENCES users(id),
    reported_at TIMESTAMP NOT NULL
);
CREATE INDEX stop_reports_case ON stop_reports(case_id, reported_at);

-- What a patient reported is on record as reported.
CREATE FUNCTION stop_reports_are_final() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a stop report cannot be changed or deleted';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER stop_reports_are_final BEFORE UPDATE OR DELETE ON stop_reports
FOR EACH ROW EXECUTE FUNCTION stop_reports_are_final();

-- How soon a referred patient is to be seen; older actions have none.
ALTER TABLE red_flag_actions ADD COLUMN urgency TEXT
    CHECK (urgency IS NULL OR urgency IN ('emergency', 'urgent', 'soon', 'routine'));

-- The number a patient calls first for chest pain or difficulty breathing.
ALTER TABLE clinic_settings ADD COLUMN emergency_number TEXT NOT NULL DEFAULT '112';
