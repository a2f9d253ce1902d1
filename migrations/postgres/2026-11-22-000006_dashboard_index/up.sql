-- A therapist's open cases, newest first, read from the index in the order the dashboard
-- shows them (without it, every dashboard sorted all of a therapist's open cases).
CREATE INDEX cases_therapist_status_created ON cases(therapist_id, status, created_at, id);
