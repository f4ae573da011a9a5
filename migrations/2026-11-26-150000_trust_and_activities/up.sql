-- Trust ratings (one per person per local day; a second one that day replaces the first) and
-- activities planned together.

CREATE TABLE trust_ratings (
    id         TEXT PRIMARY KEY NOT NULL,
    space_id   TEXT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    author_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    score      INTEGER NOT NULL CHECK (score BETWEEN 1 AND 10),
    note       TEXT,
    shared     BOOLEAN NOT NULL,
    local_day  TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (space_id, author_id, local_day)
);

CREATE TABLE activities (
    id         TEXT PRIMARY KEY NOT NULL,
    space_id   TEXT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    author_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    starts_at  TIMESTAMP,
    done_at    TIMESTAMP,
    done_by    TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX activities_by_space ON activities(space_id);
