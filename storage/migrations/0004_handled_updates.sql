-- Telegram updates whose effects are committed. Every write transaction made while handling an
-- update records its id in the same transaction, so an update Telegram delivers again (the bot
-- died before it confirmed the offset) is recognised and never applied twice.
-- replied: handling also finished (the replies were sent); if not, the person may have missed
-- them and is shown where they are again.
-- handled_at is wall-clock Unix time: Telegram keeps updates for 24 hours, rows are pruned after.
CREATE TABLE handled_updates (
    update_id INTEGER PRIMARY KEY,
    handled_at INTEGER NOT NULL,
    replied INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX handled_updates_at ON handled_updates(handled_at);
