DROP INDEX patients_born;
CREATE INDEX patients_dob ON patients(date_of_birth);
DROP INDEX patients_listing;
CREATE INDEX patients_sort_name ON patients(sort_name, id);
