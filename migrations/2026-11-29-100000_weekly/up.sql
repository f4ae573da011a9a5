-- Weekly check-in rounds. Each partner's answers are one row, written privately: until the round
-- is revealed, only its author reads it. prompts and answers are JSON lists.

CREATE TABLE weekly_rounds (
    id          TEXT PRIMARY KEY NOT NULL,
    space_id    TEXT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    prompts     TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('open', 'revealed', 'closed')),
    opened_at   TIMESTAMP NOT NULL,
    closes_at   TIMESTAMP NOT NULL,
    ended_at    TIMESTAMP
);
CREATE INDEX weekly_rounds_by_space ON weekly_rounds(space_id, opened_at);
-- One open round per space at a time.
CREATE UNIQUE INDEX weekly_rounds_one_open ON weekly_rounds(space_id) WHERE state = 'open';

CREATE TABLE weekly_answers (
    round_id     TEXT NOT NULL REFERENCES weekly_rounds(id) ON DELETE CASCADE,
    author_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    answers      TEXT NOT NULL,
    rating       BIGINT CHECK (rating BETWEEN 1 AND 10),
    submitted_at TIMESTAMP,
    shared_at    TIMESTAMP,
    PRIMARY KEY (round_id, author_id)
);
