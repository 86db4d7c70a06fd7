-- Follow-up visits of chronic conditions (随访, REF-2): the readings the referral criteria
-- read as history. Each recording appends a FollowUpRecorded event (ids only: the feed
-- is read by registry readers) in the same transaction. The id is the client's, so a
-- retried recording stores one visit.
CREATE TABLE follow_up (
    follow_up_id            TEXT PRIMARY KEY,
    resident_id             TEXT NOT NULL,
    condition               TEXT NOT NULL,
    on_day                  DATE NOT NULL,
    sbp_mmhg                BIGINT CHECK (sbp_mmhg BETWEEN 40 AND 300),
    dbp_mmhg                BIGINT CHECK (dbp_mmhg BETWEEN 20 AND 200),
    glucose_tenths          BIGINT CHECK (glucose_tenths BETWEEN 5 AND 600),
    at_target               BOOLEAN NOT NULL,
    pregnant_or_lactating   BOOLEAN NOT NULL,
    symptoms                TEXT NOT NULL,
    recorded_by             TEXT NOT NULL,
    recorded_at             TIMESTAMPTZ NOT NULL,
    CHECK ((sbp_mmhg IS NULL) = (dbp_mmhg IS NULL))
);
-- "the last N follow-ups of this condition": one index range, newest first
CREATE INDEX follow_up_history ON follow_up (resident_id, condition, on_day, recorded_at);
