ALTER INDEX patients_search RESET (fastupdate);
