-- Commitments and their occurrences. Occurrences exist up to scheduled_until (a horizon the
-- sweep keeps ahead of now); deadline_at = due_at + grace, indexed so that turning overdue
-- occurrences "missed" costs O(due), not O(all).

CREATE TABLE commitments (
    id              TEXT PRIMARY KEY NOT NULL,
    space_id        TEXT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    committer_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    partner_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    request_id      TEXT REFERENCES requests(id) ON DELETE SET NULL,
    text            TEXT NOT NULL,
    schedule        TEXT NOT NULL,
    time_zone       TEXT NOT NULL,
    grace_minutes   BIGINT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('active', 'retired')),
    version         BIGINT NOT NULL,
    scheduled_until TIMESTAMP NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    retired_at      TIMESTAMP
);
CREATE INDEX commitments_by_space ON commitments(space_id);
CREATE INDEX commitments_to_extend ON commitments(state, scheduled_until);

CREATE TABLE commitment_occurrences (
    id             TEXT PRIMARY KEY NOT NULL,
    commitment_id  TEXT NOT NULL REFERENCES commitments(id) ON DELETE CASCADE,
    space_id       TEXT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    opens_at       TIMESTAMP NOT NULL,
    due_at         TIMESTAMP NOT NULL,
    deadline_at    TIMESTAMP NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('due', 'kept', 'confirmed', 'disputed', 'missed')),
    note           TEXT,
    kept_at        TIMESTAMP,
    reviewed_at    TIMESTAMP,
    dispute_reason TEXT,
    UNIQUE (commitment_id, due_at)
);
CREATE INDEX occurrences_overdue ON commitment_occurrences(state, deadline_at);
