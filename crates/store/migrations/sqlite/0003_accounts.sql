-- Staff and system accounts (issue 3). Passwords are argon2id PHC strings; grants are
-- the JSON list of {role, scope} the access policy reads.
CREATE TABLE app_user (
    user_id         TEXT PRIMARY KEY,
    display_name    TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    grants          TEXT NOT NULL,
    disabled        INTEGER NOT NULL DEFAULT 0,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT,
    created_at      TEXT NOT NULL
);
