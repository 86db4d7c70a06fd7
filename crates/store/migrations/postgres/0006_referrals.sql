-- Referrals (issue 4): the current state of each, projected from its events in the
-- event log (stream `referral/<id>`, sequence = version). The version column is the
-- optimistic lock: a move is written only over the version it was decided on.
CREATE TABLE referral (
    referral_id         TEXT PRIMARY KEY,
    resident_id         TEXT NOT NULL,
    from_institution_id TEXT NOT NULL REFERENCES institution (institution_id),
    to_institution_id   TEXT NOT NULL REFERENCES institution (institution_id),
    direction           TEXT NOT NULL,
    urgency             TEXT NOT NULL,
    reason              TEXT NOT NULL,
    status              TEXT NOT NULL,
    changed_at          TIMESTAMPTZ NOT NULL,
    scheduled_at        TIMESTAMPTZ,
    outcome             TEXT,
    version             BIGINT NOT NULL CHECK (version >= 1)
);
CREATE INDEX referral_to ON referral (to_institution_id, status, changed_at);
CREATE INDEX referral_from ON referral (from_institution_id, status, changed_at);
CREATE INDEX referral_resident ON referral (resident_id);
