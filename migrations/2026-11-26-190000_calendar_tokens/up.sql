-- Each person's secret calendar feed: one token at a time (stored as its SHA-256).
CREATE TABLE calendar_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);
