-- The Patient-Specific Functional Scale's activities of a case: chosen at the initial
-- assessment, carried forward to every later record, added or retired, never renamed.
CREATE TABLE psfs_activities (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    activity TEXT NOT NULL,
    added_at TIMESTAMP NOT NULL,
    added_by INTEGER NOT NULL REFERENCES users(id),
    retired_at TIMESTAMP,
    retired_by INTEGER REFERENCES users(id)
);
CREATE INDEX psfs_activities_case ON psfs_activities(case_id, id);
CREATE TRIGGER psfs_activities_never_renamed BEFORE UPDATE ON psfs_activities
WHEN NEW.activity IS NOT OLD.activity OR NEW.case_id IS NOT OLD.case_id
    OR NEW.added_at IS NOT OLD.added_at OR OLD.retired_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a PSFS activity is never renamed and is retired once'); END;
CREATE TRIGGER psfs_activities_kept BEFORE DELETE ON psfs_activities
BEGIN SELECT RAISE(ABORT, 'a PSFS activity is retired, never removed'); END;

-- Every outcome measure of a signed assessment or visit note, written when it is signed:
-- like the record it came from, it never changes.
CREATE TABLE outcome_measurements (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    measured_at TIMESTAMP NOT NULL,
    measure TEXT NOT NULL CHECK (measure IN ('psfs', 'movement', 'global-change')),
    psfs_activity_id INTEGER REFERENCES psfs_activities(id),
    movement TEXT,
    value INTEGER NOT NULL,
    assessment_id INTEGER REFERENCES assessments(id),
    visit_id INTEGER REFERENCES visit_notes(id),
    recorded_by INTEGER NOT NULL REFERENCES users(id),
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
CREATE TRIGGER outcome_measurements_final BEFORE UPDATE ON outcome_measurements
BEGIN SELECT RAISE(ABORT, 'an outcome measurement of a signed record cannot be changed'); END;
CREATE TRIGGER outcome_measurements_kept BEFORE DELETE ON outcome_measurements
BEGIN SELECT RAISE(ABORT, 'an outcome measurement of a signed record cannot be removed'); END;

-- A visit note's outcome measures while it is a draft (JSON, as an assessment's content).
ALTER TABLE visit_notes ADD COLUMN outcomes TEXT NOT NULL DEFAULT '{}';

-- Signed assessments from before this upgrade: each case's typed PSFS activities (one per
-- wording, added by the first assessment naming it), their scores and thoracic movements.
INSERT INTO psfs_activities (case_id, activity, added_at, added_by)
SELECT a.case_id, trim(json_extract(p.value, '$.activity')), MIN(a.assessed_at), a.author_id
FROM assessments a, json_each(a.content, '$.psfs') p
WHERE a.status = 'signed' AND trim(json_extract(p.value, '$.activity')) <> ''
GROUP BY a.case_id, trim(json_extract(p.value, '$.activity'))
ORDER BY a.case_id, MIN(a.assessed_at);

INSERT INTO outcome_measurements
    (case_id, measured_at, measure, psfs_activity_id, value, assessment_id, recorded_by, recorded_at)
SELECT a.case_id, a.assessed_at, 'psfs', act.id, json_extract(p.value, '$.score'), a.id,
       a.author_id, COALESCE(a.signed_at, a.updated_at)
FROM assessments a, json_each(a.content, '$.psfs') p
JOIN psfs_activities act
  ON act.case_id = a.case_id AND act.activity = trim(json_extract(p.value, '$.activity'))
WHERE a.status = 'signed' AND json_extract(p.value, '$.score') BETWEEN 0 AND 10;

INSERT INTO outcome_measurements
    (case_id, measured_at, measure, movement, value, assessment_id, recorded_by, recorded_at)
SELECT a.case_id, a.assessed_at, 'movement', m.movement, json_extract(a.content, m.path), a.id,
       a.author_id, COALESCE(a.signed_at, a.updated_at)
FROM assessments a, (
    SELECT 'thoracic-rotation-left' AS movement, '$.rotation_left' AS path
    UNION ALL SELECT 'thoracic-rotation-right', '$.rotation_right'
    UNION ALL SELECT 'thoracic-flexion', '$.flexion'
    UNION ALL SELECT 'thoracic-extension', '$.extension'
) m
WHERE a.status = 'signed' AND json_extract(a.content, m.path) IS NOT NULL;
