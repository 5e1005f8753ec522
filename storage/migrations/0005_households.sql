-- Household records (the rumah_tangga form): every change is a new version, nothing is deleted.
-- Identity data (KK number, head's NIK and name, the shared position) is stored only encrypted
-- (AES-GCM, key from DATA_KEY); the KK number also as a keyed hash (HMAC) for exact lookup.
CREATE TABLE households (
    id INTEGER PRIMARY KEY,
    village_code TEXT NOT NULL REFERENCES villages(code),
    pseudonym TEXT NOT NULL UNIQUE,          -- random, shown where identity may not be
    kk_hash TEXT NOT NULL,                   -- HMAC of the current KK number
    rt TEXT NOT NULL,                        -- current RT/RW, for listing (not identifying alone)
    rw TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'moved', 'dissolved')),
    latest_version INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX households_village_kk ON households(village_code, kk_hash);
CREATE INDEX households_village_rw_rt ON households(village_code, rw, rt);

CREATE TABLE household_versions (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households(id),
    version INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'moved', 'dissolved')),
    answers TEXT NOT NULL,                   -- JSON: the non-sensitive answers, full snapshot
    identity BLOB NOT NULL,                  -- encrypted JSON: sensitive answers and position
    changed TEXT NOT NULL DEFAULT '[]',      -- ids of the fields changed (never their values)
    saved_at TEXT NOT NULL,
    saved_by INTEGER NOT NULL,
    saved_role TEXT NOT NULL,
    update_id INTEGER,                       -- the Telegram update that saved it, against replays
    UNIQUE (household_id, version)
);
CREATE UNIQUE INDEX household_versions_update ON household_versions(update_id) WHERE update_id IS NOT NULL;

-- One household form in progress per person; every answer encrypted (it may be an identity).
CREATE TABLE household_drafts (
    id INTEGER PRIMARY KEY,
    telegram_id INTEGER NOT NULL UNIQUE REFERENCES users(telegram_id),
    village_code TEXT NOT NULL REFERENCES villages(code),
    household_id INTEGER REFERENCES households(id),   -- NULL: a new household
    base_version INTEGER,                             -- the version the changes started from
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE household_draft_answers (
    draft_id INTEGER NOT NULL REFERENCES household_drafts(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    value BLOB NOT NULL,                     -- encrypted JSON; null inside = skipped
    confirmed_rules TEXT NOT NULL DEFAULT '[]',
    answered_at TEXT NOT NULL,
    PRIMARY KEY (draft_id, question_id)
);
