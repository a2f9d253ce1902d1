-- A patient's portal account points at their record.
ALTER TABLE users ADD COLUMN patient_id BIGINT REFERENCES patients(id);
CREATE INDEX users_patient ON users(patient_id);

-- "Done today": one row per exercise per day, so a double tick never counts twice.
CREATE TABLE adherence_ticks (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    exercise_id BIGINT NOT NULL REFERENCES exercises(id),
    day DATE NOT NULL,
    recorded_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (case_id, exercise_id, day)
);
CREATE INDEX adherence_ticks_case_day ON adherence_ticks(case_id, day);

-- Each case's pain summary and review date, kept current in the transaction that changes
-- them, so dashboards and outcome figures read one row per case.
ALTER TABLE cases ADD COLUMN pain_baseline INTEGER;
ALTER TABLE cases ADD COLUMN pain_latest INTEGER;
ALTER TABLE cases ADD COLUMN pain_trend TEXT NOT NULL DEFAULT 'not-enough';
ALTER TABLE cases ADD COLUMN last_pain_at TIMESTAMP;
ALTER TABLE cases ADD COLUMN review_date DATE;
CREATE INDEX cases_therapist_open ON cases(therapist_id, status, last_pain_at);
