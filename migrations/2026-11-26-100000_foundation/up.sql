-- Accounts, sessions, spaces, invites and the append-only event log.
-- Ids are UUIDv7 text; times are UTC; JSON is text. One SQL for SQLite and PostgreSQL: only
-- what both read the same (the store test `both_backends_build_the_same_schema` checks it).

CREATE TABLE users (
    id                TEXT PRIMARY KEY NOT NULL,
    email             TEXT NOT NULL UNIQUE,
    password_hash     TEXT NOT NULL,
    display_name      TEXT NOT NULL,
    time_zone         TEXT NOT NULL,
    email_verified_at TIMESTAMP,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);

-- One signed-in device; its refresh tokens rotate within it, so it is also the token family.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP
);
CREATE INDEX sessions_by_user ON sessions(user_id);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    rotated_at TIMESTAMP
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens(session_id);

CREATE TABLE spaces (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('open', 'paired', 'closed')),
    created_by TEXT NOT NULL REFERENCES users(id),
    last_seq   BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    closed_at  TIMESTAMP
);

CREATE TABLE memberships (
    space_id  TEXT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    joined_at TIMESTAMP NOT NULL,
    left_at   TIMESTAMP,
    PRIMARY KEY (space_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships(user_id);

-- The code itself is a bearer secret: only its SHA-256 is kept.
CREATE TABLE invites (
    id         TEXT PRIMARY KEY NOT NULL,
    code_hash  TEXT NOT NULL UNIQUE,
    space_id   TEXT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    created_by TEXT NOT NULL REFERENCES users(id),
    email      TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP,
    used_by    TEXT REFERENCES users(id),
    revoked_at TIMESTAMP
);
CREATE INDEX invites_by_space ON invites(space_id);

-- seq is gapless per space, allocated from spaces.last_seq inside the writing transaction.
-- audience NULL: both members; otherwise the one user who may see the event.
CREATE TABLE events (
    space_id   TEXT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    id         TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    actor_id   TEXT REFERENCES users(id) ON DELETE SET NULL,
    audience   TEXT REFERENCES users(id) ON DELETE CASCADE,
    payload    TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (space_id, seq)
);
