-- Monthly reports: drafts saved answer by answer, submitted revisions kept forever.
CREATE TABLE drafts (
    id INTEGER PRIMARY KEY,
    form_id TEXT NOT NULL,
    posyandu_id INTEGER NOT NULL REFERENCES posyandu(id),
    period TEXT NOT NULL,
    telegram_id INTEGER NOT NULL REFERENCES users(telegram_id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (form_id, posyandu_id, period, telegram_id)
);
CREATE TABLE draft_answers (
    draft_id INTEGER NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    value TEXT,                      -- JSON; NULL = skipped (missing), never 0
    confirmed_rules TEXT NOT NULL DEFAULT '[]',  -- soft rules the person confirmed
    answered_at TEXT NOT NULL,
    PRIMARY KEY (draft_id, question_id)
);
-- Where each person is in a guided conversation; one at a time per person.
CREATE TABLE sessions (
    telegram_id INTEGER PRIMARY KEY REFERENCES users(telegram_id),
    kind TEXT NOT NULL,              -- report | household
    draft_id INTEGER REFERENCES drafts(id) ON DELETE CASCADE,
    household_id INTEGER,
    cursor TEXT,                     -- question being asked; NULL = review
    mode TEXT NOT NULL DEFAULT 'ask',
    wrong_tries INTEGER NOT NULL DEFAULT 0,
    pending TEXT NOT NULL DEFAULT '{}',
    nonce INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE reports (
    id INTEGER PRIMARY KEY,
    form_id TEXT NOT NULL,
    posyandu_id INTEGER NOT NULL REFERENCES posyandu(id),
    village_code TEXT NOT NULL REFERENCES villages(code),
    period TEXT NOT NULL,
    latest_revision INTEGER NOT NULL,
    first_submitted_at TEXT NOT NULL,
    UNIQUE (form_id, posyandu_id, period)
);
CREATE INDEX reports_village_period ON reports(village_code, period);
CREATE TABLE report_revisions (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports(id),
    revision INTEGER NOT NULL,
    submitted_at TEXT NOT NULL,
    submitted_by INTEGER NOT NULL,
    submitted_role TEXT NOT NULL,
    update_id INTEGER,              -- the Telegram update that submitted it, against replays
    changes TEXT NOT NULL DEFAULT '{}',
    UNIQUE (report_id, revision)
);
CREATE UNIQUE INDEX report_revisions_update ON report_revisions(update_id) WHERE update_id IS NOT NULL;
CREATE TABLE report_values (
    revision_id INTEGER NOT NULL REFERENCES report_revisions(id),
    question_id TEXT NOT NULL,
    value TEXT,                      -- JSON; NULL = missing
    confirmed_rules TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (revision_id, question_id)
) WITHOUT ROWID;
-- A coordinator reopened a locked period for one posyandu and form.
CREATE TABLE unlocks (
    form_id TEXT NOT NULL,
    posyandu_id INTEGER NOT NULL REFERENCES posyandu(id),
    period TEXT NOT NULL,
    unlocked_by INTEGER NOT NULL,
    unlocked_at TEXT NOT NULL,
    until TEXT NOT NULL,
    PRIMARY KEY (form_id, posyandu_id, period)
);
