DROP INDEX pain_scores_case_context;
