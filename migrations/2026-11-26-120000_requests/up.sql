-- Requests ("what do you need"): open → acknowledged (with the partner's reply) → resolved,
-- or withdrawn by the author. felt_heard is the author's answer on resolving.

CREATE TABLE requests (
    id              TEXT PRIMARY KEY NOT NULL,
    space_id        TEXT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    author_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    text            TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved', 'withdrawn')),
    reply           TEXT,
    acknowledged_at TIMESTAMP,
    closed_at       TIMESTAMP,
    felt_heard      BOOLEAN,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX requests_by_space ON requests(space_id, state);
