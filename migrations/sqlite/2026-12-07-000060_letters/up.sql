-- What a letter's signature block prints under the signer's name.
ALTER TABLE users ADD COLUMN profession TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN registration_number TEXT NOT NULL DEFAULT '';

-- Letters made from the record: a referral to the GP or a discharge summary. A draft's
-- paragraphs (JSON) may be edited by its author; signing stores the PDF as printed, and
-- a signed letter never changes: every reprint is those bytes.
CREATE TABLE letters (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    urgency TEXT,
    recipient TEXT NOT NULL,
    body TEXT NOT NULL,
    author_id INTEGER NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    signed_at TIMESTAMP,
    pdf BLOB
);
CREATE INDEX letters_case ON letters(case_id, id);
CREATE TRIGGER letters_signed_are_final BEFORE UPDATE ON letters
WHEN OLD.status = 'signed'
BEGIN SELECT RAISE(ABORT, 'a signed letter cannot be changed'); END;
CREATE TRIGGER letters_signed_are_kept BEFORE DELETE ON letters
WHEN OLD.status = 'signed'
BEGIN SELECT RAISE(ABORT, 'a signed letter cannot be deleted'); END;
