-- Partners, programmes and MEL (issue 9).
-- A partner organisation of the alliance; type is one of the guide's six (domain/partners.py).
CREATE TABLE partners (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,               -- short id used in commands, e.g. "baznas"
    name TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('government', 'academia', 'civil_society', 'community',
                                       'private_sector', 'international'))
);
-- A programme (e.g. village health, poverty alleviation) groups report forms.
CREATE TABLE programmes (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);
CREATE TABLE programme_forms (
    programme_id INTEGER NOT NULL REFERENCES programmes(id) ON DELETE CASCADE,
    form_id TEXT NOT NULL,
    PRIMARY KEY (programme_id, form_id)
);
-- A village takes part in a programme from a start month (YYYY-MM).
CREATE TABLE programme_villages (
    programme_id INTEGER NOT NULL REFERENCES programmes(id) ON DELETE CASCADE,
    village_code TEXT NOT NULL REFERENCES villages(code),
    start_month TEXT NOT NULL,
    PRIMARY KEY (programme_id, village_code)
);
CREATE INDEX programme_villages_village ON programme_villages(village_code);
-- The roles (Peran Mitra) a partner plays in a village; programme NULL: in every programme there.
CREATE TABLE partner_roles (
    partner_id INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    village_code TEXT NOT NULL REFERENCES villages(code),
    role TEXT NOT NULL,
    programme_id INTEGER REFERENCES programmes(id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX partner_roles_unique ON partner_roles(partner_id, village_code, role, IFNULL(programme_id, 0));
CREATE INDEX partner_roles_village ON partner_roles(village_code);
-- A coordinator belongs to a partner; a programme scope is "the villages my partner supports in
-- programme P", resolved when the person is read (so it follows changes of roles and members).
CREATE TABLE user_partners (
    telegram_id INTEGER PRIMARY KEY REFERENCES users(telegram_id) ON DELETE CASCADE,
    partner_id INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE
);
CREATE TABLE user_programme_scopes (
    telegram_id INTEGER NOT NULL REFERENCES users(telegram_id) ON DELETE CASCADE,
    programme_id INTEGER NOT NULL REFERENCES programmes(id) ON DELETE CASCADE,
    PRIMARY KEY (telegram_id, programme_id)
);
-- Invitations may carry the partner and programme scope of a coordinator.
CREATE TABLE invitation_partners (
    code TEXT PRIMARY KEY REFERENCES invitations(code) ON DELETE CASCADE,
    partner_id INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    programme_id INTEGER REFERENCES programmes(id) ON DELETE CASCADE
);
-- Baselines and targets per programme and indicator; village '' = every village of the programme.
-- kind: baseline (one per indicator and village) or target (one per month).
CREATE TABLE mel_targets (
    programme_id INTEGER NOT NULL REFERENCES programmes(id) ON DELETE CASCADE,
    indicator_id TEXT NOT NULL,
    village_code TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL CHECK (kind IN ('baseline', 'target')),
    month TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (programme_id, indicator_id, village_code, kind, month)
);
-- Review of a submitted report by a midwife or coordinator; every review kept, the latest counts.
CREATE TABLE report_reviews (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports(id),
    revision INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('verified', 'needs_correction')),
    note TEXT NOT NULL DEFAULT '',
    reviewed_by INTEGER NOT NULL,
    reviewer_role TEXT NOT NULL,
    reviewed_at TEXT NOT NULL
);
CREATE INDEX report_reviews_report ON report_reviews(report_id, id);
