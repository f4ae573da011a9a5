-- Web Push: one row per device that asked for notifications. The endpoint is a secret address
-- chosen by the browser's push service (unique: a device belongs to one account at a time);
-- p256dh and auth are its base64url keys; kinds is PushKinds as JSON.
CREATE TABLE push_subscriptions (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    endpoint     TEXT NOT NULL UNIQUE,
    p256dh       TEXT NOT NULL,
    auth         TEXT NOT NULL,
    label        TEXT NOT NULL,
    kinds        TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);
CREATE INDEX push_subscriptions_by_user ON push_subscriptions(user_id);
