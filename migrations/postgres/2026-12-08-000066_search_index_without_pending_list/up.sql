-- New patients go straight into the search index rather than into GIN's pending list.
-- Every search reads the whole pending list until a vacuum merges it, so after many
-- registrations (an import, or a busy month between vacuums) each search slowed from under
-- a millisecond to several. A clinic registers a few patients a day and searches all day.
ALTER INDEX patients_search SET (fastupdate = off);
-- What is already pending is merged now rather than at the next vacuum.
SELECT gin_clean_pending_list('patients_search');
