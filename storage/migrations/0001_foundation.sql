-- Small facts the bot learns about itself (e.g. its username, for invitation links).
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Administrative areas (Kemendagri codes), posyandu, people, invitations, audit log.
CREATE TABLE provinces (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE TABLE regencies (
    code TEXT PRIMARY KEY,
    province_code TEXT NOT NULL REFERENCES provinces(code),
    name TEXT NOT NULL
);
CREATE TABLE districts (
    code TEXT PRIMARY KEY,
    regency_code TEXT NOT NULL REFERENCES regencies(code),
    name TEXT NOT NULL
);
CREATE TABLE villages (
    code TEXT PRIMARY KEY,
    district_code TEXT NOT NULL REFERENCES districts(code),
    name TEXT NOT NULL,
    timezone TEXT NOT NULL
);
CREATE TABLE posyandu (
    id INTEGER PRIMARY KEY,
    village_code TEXT NOT NULL REFERENCES villages(code),
    name TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    UNIQUE (village_code, name)
);

CREATE TABLE users (
    telegram_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('kader', 'bidan', 'perangkat_desa', 'koordinator', 'admin')),
    active INTEGER NOT NULL DEFAULT 1,
    reachable INTEGER NOT NULL DEFAULT 1,
    full_access INTEGER NOT NULL DEFAULT 0,
    registered_at TEXT NOT NULL
);
-- Language chosen with /bahasa, also by people not registered yet.
CREATE TABLE languages (
    telegram_id INTEGER PRIMARY KEY,
    language TEXT NOT NULL
);
-- A scope entry is an area code (province, regency, district or village), optionally one posyandu.
CREATE TABLE user_scopes (
    telegram_id INTEGER NOT NULL REFERENCES users(telegram_id) ON DELETE CASCADE,
    area_code TEXT NOT NULL,
    posyandu_id INTEGER REFERENCES posyandu(id),
    UNIQUE (telegram_id, area_code, posyandu_id)
);
CREATE INDEX user_scopes_area ON user_scopes(area_code);

CREATE TABLE invitations (
    code TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    created_by INTEGER,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    max_uses INTEGER NOT NULL DEFAULT 1,
    uses INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE invitation_scopes (
    code TEXT NOT NULL REFERENCES invitations(code) ON DELETE CASCADE,
    area_code TEXT NOT NULL,
    posyandu_id INTEGER REFERENCES posyandu(id)
);
-- Wrong invitation codes, for the limit of 5 an hour per person.
CREATE TABLE registration_failures (
    telegram_id INTEGER NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX registration_failures_user ON registration_failures(telegram_id, at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id INTEGER,
    actor_role TEXT,
    action TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log(at);

-- python-telegram-bot persistence (conversation states, user/chat/bot data).
CREATE TABLE ptb_conversations (
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (name, key)
);
CREATE TABLE ptb_data (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
