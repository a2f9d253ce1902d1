DROP TABLE visit_addenda;
DROP TRIGGER visit_notes_signed_are_kept;
DROP TRIGGER visit_notes_signed_are_final;
DROP TABLE visit_notes;
