-- Where a person is in a chat is kept in one place: their sessions row. PTB's conversation state
-- and data tables go, and a session no longer needs a registered user (a guest typing an
-- invitation code is in a 'registration' session).
DROP TABLE ptb_conversations;
DROP TABLE ptb_data;
CREATE TABLE sessions_new (
    telegram_id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,              -- report | household | export | registration
    draft_id INTEGER REFERENCES drafts(id) ON DELETE CASCADE,
    household_id INTEGER,
    cursor TEXT,                     -- question being asked; NULL = review
    mode TEXT NOT NULL DEFAULT 'ask',
    wrong_tries INTEGER NOT NULL DEFAULT 0,
    pending TEXT NOT NULL DEFAULT '{}',
    nonce INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO sessions_new SELECT telegram_id, kind, draft_id, household_id, cursor, mode, wrong_tries, pending, nonce,
    updated_at FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE INDEX sessions_updated ON sessions(updated_at);
