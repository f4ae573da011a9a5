ALTER TABLE notes DROP COLUMN redacted_at;
ALTER TABLE check_ins DROP COLUMN redacted_at;
