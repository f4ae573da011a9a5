-- Talks and the outcome of each occurrence (held or skipped). agenda is a JSON list.

CREATE TABLE talks (
    id               TEXT PRIMARY KEY NOT NULL,
    space_id         TEXT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    proposer_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title            TEXT NOT NULL,
    mode             TEXT NOT NULL CHECK (mode IN ('in_person', 'call', 'letters')),
    cadence          TEXT NOT NULL CHECK (cadence IN ('once', 'weekly', 'fortnightly', 'monthly')),
    starts_at        TIMESTAMP NOT NULL,
    duration_minutes BIGINT NOT NULL,
    time_zone        TEXT NOT NULL,
    agenda           TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('proposed', 'accepted', 'declined')),
    created_at       TIMESTAMP NOT NULL
);
CREATE INDEX talks_by_space ON talks(space_id);

CREATE TABLE talk_occurrences (
    id        TEXT PRIMARY KEY NOT NULL,
    talk_id   TEXT NOT NULL REFERENCES talks(id) ON DELETE CASCADE,
    space_id  TEXT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    starts_at TIMESTAMP NOT NULL,
    outcome   TEXT NOT NULL CHECK (outcome IN ('held', 'skipped')),
    notes     TEXT,
    marked_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    marked_at TIMESTAMP NOT NULL,
    UNIQUE (talk_id, starts_at)
);
