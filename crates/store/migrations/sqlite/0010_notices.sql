-- Notices (issue 4, item 7): each event of the log that concerns an institution or a
-- family-doctor team, once per party, in the order the projector wrote them. The feed
-- cursor is notice_id: one projector writes at a time (it holds notice_cursor), so ids
-- become visible in order and a reader never skips one.
CREATE TABLE notice (
    notice_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    audience    TEXT NOT NULL,
    event_id    INTEGER NOT NULL REFERENCES event (event_id),
    stream      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    at          TEXT NOT NULL,
    UNIQUE (audience, event_id)
);
CREATE INDEX notice_feed ON notice (audience, notice_id);

-- How far the projector has read the event log. SQLite has one writer at a time, so the
-- event ids commit in order and event_id alone is the cursor.
CREATE TABLE notice_cursor (
    name        TEXT PRIMARY KEY,
    event_id    INTEGER NOT NULL
);
INSERT INTO notice_cursor (name, event_id) VALUES ('notice', 0);

-- The parties of each stream so far (a referral's referrer and every receiver it had).
CREATE TABLE notice_party (
    stream      TEXT NOT NULL,
    audience    TEXT NOT NULL,
    PRIMARY KEY (stream, audience)
);

-- An institution's webhook: where its notices are posted, signed with a secret that is
-- sealed with the key file (it must be read back to sign, so it cannot be a hash).
CREATE TABLE webhook (
    webhook_id      TEXT PRIMARY KEY,
    institution_id  TEXT NOT NULL REFERENCES institution (institution_id),
    url             TEXT NOT NULL,
    secret_sealed   TEXT NOT NULL,
    kinds           TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX webhook_institution ON webhook (institution_id);

-- One notice to one webhook: pending (due at next_at), delivered, or dead (the dead-letter
-- list). A claim token marks the try in flight, so a late answer to a try whose lease ran
-- out cannot overwrite the next try's result.
CREATE TABLE webhook_delivery (
    delivery_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      TEXT NOT NULL REFERENCES webhook (webhook_id) ON DELETE CASCADE,
    notice_id       INTEGER NOT NULL REFERENCES notice (notice_id),
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_at         TEXT NOT NULL,
    claim           TEXT,
    last_status     INTEGER,
    last_error      TEXT,
    updated_at      TEXT NOT NULL,
    UNIQUE (webhook_id, notice_id)
);
CREATE INDEX webhook_delivery_due ON webhook_delivery (state, next_at);
