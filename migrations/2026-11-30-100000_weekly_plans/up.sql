-- The weekly check-in's plan per space: the agreed one (NULL: the defaults) and a proposal
-- waiting for the other partner. Plans are JSON (weekday, at, open_days, prompts).
CREATE TABLE weekly_plans (
    space_id    TEXT PRIMARY KEY NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    agreed      TEXT,
    agreed_at   TIMESTAMP,
    proposal    TEXT,
    proposed_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    proposed_at TIMESTAMP
);

-- Reminders learn two kinds: a round opening (per partner) and the nudge before it closes.
-- The kind's CHECK cannot be altered in place on SQLite, so the table is rebuilt.
CREATE TABLE reminders_next (
    id           TEXT PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('talk', 'commitment', 'check_in', 'weekly_summary',
                                               'weekly_opening', 'weekly_closing')),
    user_id      TEXT REFERENCES users(id) ON DELETE CASCADE,
    space_id     TEXT REFERENCES spaces(id) ON DELETE CASCADE,
    subject_id   TEXT NOT NULL,
    lead_minutes INTEGER NOT NULL,
    next_fire_at TIMESTAMP NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (kind, subject_id, lead_minutes)
);
INSERT INTO reminders_next
    SELECT id, kind, user_id, space_id, subject_id, lead_minutes, next_fire_at, created_at
    FROM reminders;
DROP TABLE reminders;
ALTER TABLE reminders_next RENAME TO reminders;
CREATE INDEX reminders_due ON reminders(next_fire_at);
