-- What a letter's signature block prints under the signer's name.
ALTER TABLE users ADD COLUMN profession TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN registration_number TEXT NOT NULL DEFAULT '';

-- Letters made from the record: a referral to the GP or a discharge summary. A draft's
-- paragraphs (JSON) may be edited by its author; signing stores the PDF as printed, and
-- a signed letter never changes: every reprint is those bytes.
CREATE TABLE letters (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    urgency TEXT,
    recipient TEXT NOT NULL,
    body TEXT NOT NULL,
    author_id BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    signed_at TIMESTAMP,
    pdf BYTEA
);
CREATE INDEX letters_case ON letters(case_id, id);
CREATE FUNCTION letters_signed_are_final() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'signed' THEN
        RAISE EXCEPTION 'a signed letter cannot be changed';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER letters_signed_are_final BEFORE UPDATE OR DELETE ON letters
FOR EACH ROW EXECUTE FUNCTION letters_signed_are_final();
