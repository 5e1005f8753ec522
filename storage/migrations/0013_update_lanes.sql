-- Updates kept beside Telegram's own queue (handlers/polling.py).
-- parked: still being handled, but held the getUpdates offset too long; kept here so they could
-- be confirmed to Telegram, and handled first after a restart. Removed when finished.
CREATE TABLE parked_updates (
    update_id INTEGER PRIMARY KEY,
    data TEXT NOT NULL,              -- the update as Telegram sent it (JSON)
    parked_at INTEGER NOT NULL       -- Unix time
);
-- quarantined: an update the bot cannot read, or one that came back first on several starts in a
-- row (it kept killing the bot): kept for an admin (`python bot.py updates quarantined`), confirmed.
CREATE TABLE quarantined_updates (
    update_id INTEGER PRIMARY KEY,
    data TEXT NOT NULL,
    reason TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
-- How many starts got an update first (pruned with handled_updates).
CREATE TABLE update_attempts (
    update_id INTEGER PRIMARY KEY,
    attempts INTEGER NOT NULL,
    seen_at INTEGER NOT NULL
);
