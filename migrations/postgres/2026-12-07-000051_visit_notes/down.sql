DROP TABLE visit_addenda;
DROP TABLE visit_notes;
DROP FUNCTION visit_notes_signed_are_final();
