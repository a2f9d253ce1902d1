-- The patient list reads its lines from an index alone. Listed by sort name, a page of
-- one family's patients sits together in the index, while their table rows lie on as many
-- pages as there are patients: in a clinic of 100,000 a page of 25 read 25 table pages
-- and their parents. The date index does the same for a search with a date of birth,
-- whose words are then checked on the names it carries rather than probed per patient.
DROP INDEX patients_sort_name;
CREATE INDEX patients_listing
    ON patients(sort_name, id, family_name, given_name, date_of_birth, clinic_reference);
DROP INDEX patients_dob;
CREATE INDEX patients_born
    ON patients(date_of_birth, sort_name, id, family_name, given_name, clinic_reference);
