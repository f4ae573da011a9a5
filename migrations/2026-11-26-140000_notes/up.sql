-- Gratitude notes and letters. delivered_at is NULL while a note waits for its deliver_at:
-- until then only its author can see it.

CREATE TABLE notes (
    id           TEXT PRIMARY KEY NOT NULL,
    space_id     TEXT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    author_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('gratitude', 'letter')),
    text         TEXT NOT NULL,
    in_reply_to  TEXT REFERENCES notes(id) ON DELETE SET NULL,
    deliver_at   TIMESTAMP,
    delivered_at TIMESTAMP,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX notes_by_space ON notes(space_id, delivered_at);
CREATE INDEX notes_waiting ON notes(delivered_at, deliver_at);
