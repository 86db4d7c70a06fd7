-- Console sessions and API tokens (issue 3). Only SHA-256 hashes of the secrets are
-- stored: the secrets are 256 random bits, so a fast hash cannot be reversed, and a
-- database dump gives no way in.
CREATE TABLE auth_session (
    session_hash    TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES app_user (user_id),
    csrf_token      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX auth_session_user ON auth_session (user_id);

CREATE TABLE api_token (
    token_id        TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES app_user (user_id),
    name            TEXT NOT NULL,
    secret_hash     TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    revoked_at      TIMESTAMPTZ
);
CREATE INDEX api_token_user ON api_token (user_id, created_at);

-- A resident's identifiers (PIPL): the national ID number as a keyed hash (HMAC-SHA-256,
-- for lookup) and encrypted (XChaCha20-Poly1305), the phone number and name encrypted.
-- The key lives outside the database, so a dump reveals none of them.
CREATE TABLE person_identity (
    resident_id     TEXT PRIMARY KEY REFERENCES resident (resident_id),
    id_card_hmac    TEXT NOT NULL UNIQUE,
    id_card_enc     TEXT NOT NULL,
    phone_enc       TEXT,
    name_enc        TEXT
);
