DROP TABLE pain_scores;
DROP TABLE red_flag_actions;
DROP TABLE addenda;
DROP TABLE assessments;
DROP TABLE cases;
DROP TABLE patient_search_tokens;
DROP TABLE patients;
