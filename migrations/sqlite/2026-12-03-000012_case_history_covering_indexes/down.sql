DROP INDEX adherence_ticks_case_day;
CREATE INDEX adherence_ticks_case_day ON adherence_ticks(case_id, day);
DROP INDEX pain_scores_case_context;
CREATE INDEX pain_scores_case_context ON pain_scores(case_id, context, recorded_at);
DROP INDEX pain_scores_case_history;
CREATE INDEX pain_scores_case ON pain_scores(case_id, recorded_at);
