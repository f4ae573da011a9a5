DELETE FROM reminders WHERE kind IN ('weekly_opening', 'weekly_closing');
CREATE TABLE reminders_prev (
    id           TEXT PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('talk', 'commitment', 'check_in', 'weekly_summary')),
    user_id      TEXT REFERENCES users(id) ON DELETE CASCADE,
    space_id     TEXT REFERENCES spaces(id) ON DELETE CASCADE,
    subject_id   TEXT NOT NULL,
    lead_minutes INTEGER NOT NULL,
    next_fire_at TIMESTAMP NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (kind, subject_id, lead_minutes)
);
INSERT INTO reminders_prev
    SELECT id, kind, user_id, space_id, subject_id, lead_minutes, next_fire_at, created_at
    FROM reminders;
DROP TABLE reminders;
ALTER TABLE reminders_prev RENAME TO reminders;
CREATE INDEX reminders_due ON reminders(next_fire_at);
DROP TABLE weekly_plans;
