-- A patient's "yes" to a stop symptom in the portal: which ones, with the pain score it
-- came with. It raises red flags on the case until a therapist records an action after it.
CREATE TABLE stop_reports (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    pain_score_id INTEGER REFERENCES pain_scores(id),
    symptoms TEXT NOT NULL CHECK (symptoms <> ''),
    reported_by INTEGER NOT NULL REFERENCES users(id),
    reported_at TIMESTAMP NOT NULL
);
CREATE INDEX stop_reports_case ON stop_reports(case_id, reported_at);

-- What a patient reported is on record as reported.
CREATE TRIGGER stop_reports_are_final_update BEFORE UPDATE ON stop_reports
BEGIN SELECT RAISE(ABORT, 'a stop report cannot be changed'); END;
CREATE TRIGGER stop_reports_are_final_delete BEFORE DELETE ON stop_reports
BEGIN SELECT RAISE(ABORT, 'a stop report cannot be deleted'); END;

-- How soon a referred patient is to be seen; older actions have none.
ALTER TABLE red_flag_actions ADD COLUMN urgency TEXT
    CHECK (urgency IS NULL OR urgency IN ('emergency', 'urgent', 'soon', 'routine'));

-- The number a patient calls first for chest pain or difficulty breathing.
ALTER TABLE clinic_settings ADD COLUMN emergency_number TEXT NOT NULL DEFAULT '112';
