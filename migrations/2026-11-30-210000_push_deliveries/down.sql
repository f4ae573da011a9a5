-- SQLite cannot drop a column that takes part in a foreign key: the table is rebuilt as it
-- was, without the pushes.
DROP INDEX deliveries_by_push_subscription;
DELETE FROM deliveries WHERE push_subscription_id IS NOT NULL;
CREATE TABLE deliveries_prev (
    id              TEXT PRIMARY KEY NOT NULL,
    dedupe_key      TEXT NOT NULL UNIQUE,
    recipient_id    TEXT REFERENCES users(id) ON DELETE CASCADE,
    to_address      TEXT NOT NULL,
    about_user_id   TEXT,
    template        TEXT NOT NULL,
    kind            TEXT,
    data            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error      TEXT,
    created_at      TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP
);
INSERT INTO deliveries_prev
    SELECT id, dedupe_key, recipient_id, to_address, about_user_id, template, kind, data, status,
           attempts, next_attempt_at, last_error, created_at, sent_at
    FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_prev RENAME TO deliveries;
CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
CREATE INDEX deliveries_by_recipient ON deliveries(recipient_id);
CREATE INDEX deliveries_about ON deliveries(about_user_id);
