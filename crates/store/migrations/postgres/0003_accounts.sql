-- Staff and system accounts (issue 3). Passwords are argon2id PHC strings; grants are
-- the JSON list of {role, scope} the access policy reads.
CREATE TABLE app_user (
    user_id         TEXT PRIMARY KEY,
    display_name    TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    grants          JSONB NOT NULL,
    disabled        BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins   BIGINT NOT NULL DEFAULT 0,
    locked_until    TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL
);
