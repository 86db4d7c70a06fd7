-- The audit trail (MLPS 2.0 level 3 security audit; issue 3 item 4): one row per look at a
-- person, change, export or login, hash-chained so that an edited, deleted or reordered row
-- is found by `verify`. `seq` is 1, 2, 3… with no gaps; a second writer with the same seq
-- fails on the primary key instead of forking the chain. The hash covers every column (see
-- crates/store/src/audit_trail.rs for the canonical encoding, identical on PostgreSQL).
CREATE TABLE audit_entry (
    seq        INTEGER PRIMARY KEY CHECK (seq >= 1),
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    role       TEXT NOT NULL,
    scope      TEXT NOT NULL,
    action     TEXT NOT NULL,
    person     TEXT,
    purpose    TEXT NOT NULL,
    reason     TEXT,
    flagged    INTEGER NOT NULL CHECK (flagged IN (0, 1)),
    source     TEXT NOT NULL,
    outcome    TEXT NOT NULL CHECK (outcome IN ('allowed', 'denied')),
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
-- The auditors' searches: by whom, about whom, what, and the break-glass review queue.
CREATE INDEX audit_entry_actor ON audit_entry (actor, seq);
CREATE INDEX audit_entry_person ON audit_entry (person, seq) WHERE person IS NOT NULL;
CREATE INDEX audit_entry_action ON audit_entry (action, seq);
CREATE INDEX audit_entry_at ON audit_entry (at);
CREATE INDEX audit_entry_flagged ON audit_entry (seq) WHERE flagged = 1;

-- Append-only at the database: the application never updates or deletes an entry. Someone
-- with direct access can drop these triggers; the hash chain is what catches that.
CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
BEGIN
    SELECT RAISE(ABORT, 'audit_entry is append-only / 审计记录只可追加，不可修改');
END;
CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry
BEGIN
    SELECT RAISE(ABORT, 'audit_entry is append-only / 审计记录只可追加，不可删除');
END;
