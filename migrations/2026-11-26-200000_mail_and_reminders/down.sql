DROP TABLE reminders;
DROP TABLE deliveries;
DROP TABLE email_tokens;
ALTER TABLE users DROP COLUMN mail_preferences;
