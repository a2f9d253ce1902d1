-- The Patient-Specific Functional Scale's activities of a case: chosen at the initial
-- assessment, carried forward to every later record, added or retired, never renamed.
CREATE TABLE psfs_activities (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    activity TEXT NOT NULL,
    added_at TIMESTAMP NOT NULL,
    added_by BIGINT NOT NULL REFERENCES users(id),
    retired_at TIMESTAMP,
    retired_by BIGINT REFERENCES users(id)
);
CREATE INDEX psfs_activities_case ON psfs_activities(case_id, id);
CREATE FUNCTION psfs_activities_never_renamed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'a PSFS activity is retired, never removed';
    END IF;
    IF NEW.activity IS DISTINCT FROM OLD.activity OR NEW.case_id IS DISTINCT FROM OLD.case_id
       OR NEW.added_at IS DISTINCT FROM OLD.added_at OR OLD.retired_at IS NOT NULL THEN
        RAISE EXCEPTION 'a PSFS activity is never renamed and is retired once';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER psfs_activities_never_renamed BEFORE UPDATE OR DELETE ON psfs_activities
FOR EACH ROW EXECUTE FUNCTION psfs_activities_never_renamed();

-- Every outcome measure of a signed assessment or visit note, written when it is signed:
-- like the record it came from, it never changes.
CREATE TABLE outcome_measurements (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    measured_at TIMESTAMP NOT NULL,
    measure TEXT NOT NULL CHECK (measure IN ('psfs', 'movement', 'global-change')),
    psfs_activity_id BIGINT REFERENCES psfs_activities(id),
    movement TEXT,
    value INTEGER NOT NULL,
    assessment_id BIGINT REFERENCES assessments(id),
    visit_id BIGINT REFERENCES visit_notes(id),
    recorded_by BIGINT NOT NULL REFERENCES users(id),
    recorded_at TIMESTAMP NOT NULL,
    CHECK ((measure = 'psfs') = (psfs_activity_id IS NOT NULL)),
    CHECK ((measure = 'movement') = (movement IS NOT NULL)),
    CHECK ((assessment_id IS NULL) <> (visit_id IS NULL)),
    CHECK (measure <> 'psfs' OR value BETWEEN 0 AND 10),
    CHECK (measure <> 'global-change' OR value BETWEEN -7 AND 7)
);
CREATE INDEX outcome_measurements_case ON outcome_measurements(case_id, measured_at);
-- The exports and the progress review read measurements of a period.
CREATE INDEX outcome_measurements_period ON outcome_measurements(measured_at);
CREATE FUNCTION outcome_measurements_final() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'an outcome measurement of a signed record cannot be changed or removed';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER outcome_measurements_final BEFORE UPDATE OR DELETE ON outcome_measurements
FOR EACH ROW EXECUTE FUNCTION outcome_measurements_final();

-- A visit note's outcome measures while it is a draft (JSON, as an assessment's content).
ALTER TABLE visit_notes ADD COLUMN outcomes TEXT NOT NULL DEFAULT '{}';

-- Signed assessments from before this upgrade: each case's typed PSFS activities (one per
-- wording, added by the first assessment naming it), their scores and thoracic movements.
INSERT INTO psfs_activities (case_id, activity, added_at, added_by)
SELECT DISTINCT ON (a.case_id, btrim(p.value ->> 'activity'))
       a.case_id, btrim(p.value ->> 'activity'), a.assessed_at, a.author_id
FROM assessments a, jsonb_array_elements(COALESCE(a.content::jsonb -> 'psfs', '[]'::jsonb)) p(value)
WHERE a.status = 'signed' AND btrim(p.value ->> 'activity') <> ''
ORDER BY a.case_id, btrim(p.value ->> 'activity'), a.assessed_at;

INSERT INTO outcome_measurements
    (case_id, measured_at, measure, psfs_activity_id, value, assessment_id, recorded_by, recorded_at)
SELECT a.case_id, a.assessed_at, 'psfs', act.id, (p.value ->> 'score')::integer, a.id,
       a.author_id, COALESCE(a.signed_at, a.updated_at)
FROM assessments a
CROSS JOIN jsonb_array_elements(COALESCE(a.content::jsonb -> 'psfs', '[]'::jsonb)) p(value)
JOIN psfs_activities act
  ON act.case_id = a.case_id AND act.activity = btrim(p.value ->> 'activity')
WHERE a.status = 'signed' AND (p.value ->> 'score')::integer BETWEEN 0 AND 10;

INSERT INTO outcome_measurements
    (case_id, measured_at, measure, movement, value, assessment_id, recorded_by, recorded_at)
SELECT a.case_id, a.assessed_at, 'movement', m.movement, (a.content::jsonb ->> m.field)::integer,
       a.id, a.author_id, COALESCE(a.signed_at, a.updated_at)
FROM assessments a
CROSS JOIN (VALUES ('thoracic-rotation-left', 'rotation_left'),
                   ('thoracic-rotation-right', 'rotation_right'),
                   ('thoracic-flexion', 'flexion'),
                   ('thoracic-extension', 'extension')) m(movement, field)
WHERE a.status = 'signed' AND a.content::jsonb ->> m.field IS NOT NULL;
