-- A case's pain scores and exercise ticks are recorded over weeks, between every other
-- patient's, so each lies on a table page of its own. The case page, its chart and the
-- patient's portal read all of a case's scores and four weeks of its ticks: with every
-- column they read in the index, they read the case's few index pages instead of one
-- table page per row. The new indexes start with the columns of the ones they replace,
-- so every query those served is served still.
DROP INDEX pain_scores_case;
CREATE INDEX pain_scores_case_history ON pain_scores(case_id, recorded_at, id) INCLUDE (context, score, recorded_by, note);
DROP INDEX pain_scores_case_context;
CREATE INDEX pain_scores_case_context ON pain_scores(case_id, context, recorded_at, id) INCLUDE (score);
DROP INDEX adherence_ticks_case_day;
CREATE INDEX adherence_ticks_case_day ON adherence_ticks(case_id, day) INCLUDE (exercise_id);
