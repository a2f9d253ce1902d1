-- Refreshing a case's pain summary after each new score finds the latest score of the
-- baseline's context, and whether there are two, from this index alone instead of
-- reading every score of the case.
CREATE INDEX pain_scores_case_context ON pain_scores(case_id, context, recorded_at);
