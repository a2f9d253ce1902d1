DROP INDEX cases_clinic_dashboard;
DROP INDEX cases_dashboard;
CREATE INDEX cases_status ON cases(status, created_at);
CREATE INDEX cases_therapist_status ON cases(therapist_id, status);
CREATE INDEX cases_therapist_status_created ON cases(therapist_id, status, created_at, id);
