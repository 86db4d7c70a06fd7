-- The audit trail (MLPS 2.0 level 3 security audit; issue 3 item 4): one row per look at a
-- person, change, export or login, hash-chained so that an edited, deleted or reordered row
-- is found by `verify`. `seq` is 1, 2, 3… with no gaps; appenders are serialised by a
-- transaction-scoped advisory lock, and a duplicate seq fails on the primary key instead of
-- forking the chain. The hash covers every column (see crates/store/src/audit_trail.rs for
-- the canonical encoding, identical on SQLite).
CREATE TABLE audit_entry (
    seq        BIGINT PRIMARY KEY CHECK (seq >= 1),
    at         TIMESTAMPTZ NOT NULL,
    actor      TEXT NOT NULL,
    role       TEXT NOT NULL,
    scope      TEXT NOT NULL,
    action     TEXT NOT NULL,
    person     TEXT,
    purpose    TEXT NOT NULL,
    reason     TEXT,
    flagged    BOOLEAN NOT NULL,
    source     TEXT NOT NULL,
    outcome    TEXT NOT NULL CHECK (outcome IN ('allowed', 'denied')),
    detail     JSONB NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
-- The auditors' searches: by whom, about whom, what, and the break-glass review queue.
CREATE INDEX audit_entry_actor ON audit_entry (actor, seq);
CREATE INDEX audit_entry_person ON audit_entry (person, seq) WHERE person IS NOT NULL;
CREATE INDEX audit_entry_action ON audit_entry (action, seq);
CREATE INDEX audit_entry_at ON audit_entry (at);
CREATE INDEX audit_entry_flagged ON audit_entry (seq) WHERE flagged;

-- Append-only at the database: the application never updates, deletes or truncates an
-- entry. Someone with direct access can drop these triggers; the hash chain catches that.
CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_entry is append-only / 审计记录只可追加 (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();
CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();
CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only();
