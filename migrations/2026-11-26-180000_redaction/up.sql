-- Deleting a text one wrote: the text is blanked, the fact (and this time) remains.
ALTER TABLE check_ins ADD COLUMN redacted_at TIMESTAMP;
ALTER TABLE notes ADD COLUMN redacted_at TIMESTAMP;
