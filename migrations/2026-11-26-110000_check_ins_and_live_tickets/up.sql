-- Check-ins, and the single-use tickets that open a live (websocket) stream.

CREATE TABLE check_ins (
    id         TEXT PRIMARY KEY NOT NULL,
    space_id   TEXT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    author_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    text       TEXT NOT NULL,
    mood       TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX check_ins_by_space ON check_ins(space_id, created_at);

-- Browsers cannot set headers on a websocket, so the socket authenticates with a ticket:
-- short-lived, single use, bound to one session and one space. Only its SHA-256 is kept.
CREATE TABLE live_tickets (
    ticket_hash TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    space_id    TEXT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP
);
CREATE INDEX live_tickets_by_expiry ON live_tickets(expires_at);
