ALTER TABLE users DROP COLUMN deleted_at;
ALTER TABLE users DROP COLUMN disabled_at;
