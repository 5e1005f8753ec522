-- Reminders: a send whose outcome is not known (Telegram did not answer in time, or the round
-- died between claim and mark) is 'unknown', and `doubtful` counts such attempts: a key is sent
-- again at most once after one (Telegram takes no idempotency key, so each may have arrived).
CREATE TABLE reminder_log_new (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    telegram_id INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('claimed', 'sent', 'failed', 'retry', 'unknown')),
    claimed_at TEXT NOT NULL,
    claimed_by TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    finished_at TEXT,
    message_id INTEGER,
    error TEXT,
    doubtful INTEGER NOT NULL DEFAULT 0
);
INSERT INTO reminder_log_new (key, kind, telegram_id, state, claimed_at, claimed_by, attempts, finished_at,
    message_id, error)
    SELECT key, kind, telegram_id, state, claimed_at, claimed_by, attempts, finished_at, message_id, error
    FROM reminder_log;
DROP TABLE reminder_log;
ALTER TABLE reminder_log_new RENAME TO reminder_log;
CREATE INDEX reminder_log_claimed ON reminder_log(claimed_at);
CREATE INDEX reminder_log_user ON reminder_log(telegram_id, state);

-- Exports asked for in the chat (/ekspor): recorded when the build starts, finished when the
-- files were delivered (or the person was told why not). One still 'running' at start was cut
-- off by a crash: it is built and sent again, or the person is told how to ask again.
CREATE TABLE export_jobs (
    id INTEGER PRIMARY KEY,
    telegram_id INTEGER NOT NULL,
    chat_id INTEGER NOT NULL,
    language TEXT NOT NULL,
    area TEXT NOT NULL,              -- what was chosen: an area code, or '*' for all in scope
    label TEXT NOT NULL,             -- the area's name as the person was shown it
    villages TEXT NOT NULL,          -- JSON list of the village codes
    first_period TEXT NOT NULL,      -- YYYY-MM
    last_period TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done', 'failed', 'abandoned')),
    outcome TEXT,                    -- sent | empty | too_large | not_allowed | error | not_finished
    owner TEXT NOT NULL,             -- host:pid:nonce of the process building it
    attempts INTEGER NOT NULL DEFAULT 1,
    started_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX export_jobs_running ON export_jobs(state) WHERE state = 'running';
