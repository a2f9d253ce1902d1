-- The dashboard counts the open cases needing each kind of attention (red flags, worsening
-- pain, review due, no recent pain score). With the columns those lists filter on in the
-- index, each count reads the index alone instead of looking up the row of every open case
-- (400 per therapist in a clinic of 10,000 patients). The new indexes start with the
-- columns of the ones they replace, so every query those served is served still.
DROP INDEX cases_therapist_status_created;
DROP INDEX cases_therapist_status;
DROP INDEX cases_status;
CREATE INDEX cases_dashboard ON cases(therapist_id, status, created_at, id, review_date, pain_trend, red_flags_pending, last_pain_at);
CREATE INDEX cases_clinic_dashboard ON cases(status, created_at, id, review_date, pain_trend, red_flags_pending, last_pain_at);
