CREATE TABLE patients (
    id INTEGER PRIMARY KEY,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    date_of_birth DATE NOT NULL,
    sex TEXT,
    phone TEXT NOT NULL,
    email TEXT NOT NULL,
    clinic_reference TEXT UNIQUE,
    primary_therapist_id INTEGER REFERENCES users(id),
    notes TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX patients_name ON patients(family_name, given_name, id);
CREATE INDEX patients_dob ON patients(date_of_birth);
CREATE INDEX patients_therapist ON patients(primary_therapist_id);

-- Folded (lower-case, accent-free) words of each patient's names and reference, so that
-- search is a prefix range scan on an index, whatever the number of patients.
CREATE TABLE patient_search_tokens (
    token TEXT NOT NULL,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    PRIMARY KEY (token, patient_id)
);
CREATE INDEX patient_search_tokens_patient ON patient_search_tokens(patient_id);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    title TEXT NOT NULL,
    body_region TEXT NOT NULL,
    onset_date DATE,
    mechanism TEXT NOT NULL,
    referral_source TEXT NOT NULL,
    goals TEXT NOT NULL,
    therapist_id INTEGER NOT NULL REFERENCES users(id),
    status TEXT NOT NULL CHECK (status IN ('open', 'discharged', 'entered-in-error')),
    discharge_outcome TEXT,
    discharged_at TIMESTAMP,
    error_reason TEXT,
    red_flags_pending TEXT NOT NULL DEFAULT '',
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX cases_patient ON cases(patient_id, created_at);
CREATE INDEX cases_therapist_status ON cases(therapist_id, status);
CREATE INDEX cases_status ON cases(status, created_at);

CREATE TABLE assessments (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL CHECK (kind IN ('initial', 'review', 'discharge')),
    status TEXT NOT NULL CHECK (status IN ('draft', 'signed', 'entered-in-error')),
    author_id INTEGER NOT NULL REFERENCES users(id),
    assessed_at TIMESTAMP NOT NULL,
    content TEXT NOT NULL,
    signed_at TIMESTAMP,
    error_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX assessments_case ON assessments(case_id, assessed_at);

-- A signed assessment never changes: the database refuses edits to its content.
CREATE TRIGGER assessments_signed_are_final BEFORE UPDATE OF content, kind, assessed_at, author_id, case_id ON assessments
WHEN OLD.status = 'signed'
BEGIN SELECT RAISE(ABORT, 'a signed assessment cannot be changed'); END;

CREATE TABLE addenda (
    id INTEGER PRIMARY KEY,
    assessment_id INTEGER NOT NULL REFERENCES assessments(id),
    author_id INTEGER NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX addenda_assessment ON addenda(assessment_id, created_at);

CREATE TABLE red_flag_actions (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    flags TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('referred', 'cleared')),
    reason TEXT NOT NULL,
    recorded_by INTEGER NOT NULL REFERENCES users(id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX red_flag_actions_case ON red_flag_actions(case_id, recorded_at);

CREATE TABLE pain_scores (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
    context TEXT NOT NULL CHECK (context IN ('now', 'rest', 'activity', 'worst-24h', 'best')),
    recorded_at TIMESTAMP NOT NULL,
    recorded_by INTEGER NOT NULL REFERENCES users(id),
    recorder_role TEXT NOT NULL,
    assessment_id INTEGER REFERENCES assessments(id),
    note TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX pain_scores_case ON pain_scores(case_id, recorded_at);
CREATE INDEX pain_scores_assessment ON pain_scores(assessment_id);
