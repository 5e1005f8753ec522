-- Sent-log for reminders, escalations and digests: one row per idempotency key, claimed
-- (INSERT ... ON CONFLICT DO NOTHING) in a transaction before the message is sent, then marked.
-- state: claimed (being sent), sent, failed (for good: blocked, bad chat), retry (try next round).
CREATE TABLE reminder_log (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    telegram_id INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('claimed', 'sent', 'failed', 'retry')),
    claimed_at TEXT NOT NULL,
    claimed_by TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    finished_at TEXT,
    message_id INTEGER,
    error TEXT
);
CREATE INDEX reminder_log_claimed ON reminder_log(claimed_at);
CREATE INDEX reminder_log_user ON reminder_log(telegram_id, state);
