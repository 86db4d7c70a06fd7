-- Referral clocks and down-referrals (issue 4, items 2 and 6).
--
-- A down-referral names the family-doctor team that takes the patient over and carries
-- its care plan (JSON, as in the ReferralRequested event). The clock columns are the
-- projection of the stage the referral waits in: when it began, how far it has been
-- escalated, and due_at, the instant the clock next fires for it (computed by the domain
-- after every move), so the scheduler of any server finds due referrals with one indexed
-- query and a restart loses nothing.
ALTER TABLE referral ADD COLUMN to_team_id TEXT REFERENCES team (team_id);
ALTER TABLE referral ADD COLUMN care_plan TEXT;
ALTER TABLE referral ADD COLUMN stage_since TIMESTAMPTZ;
ALTER TABLE referral ADD COLUMN escalation BIGINT NOT NULL DEFAULT 0;
ALTER TABLE referral ADD COLUMN escalated_at TIMESTAMPTZ;
ALTER TABLE referral ADD COLUMN due_at TIMESTAMPTZ;
UPDATE referral SET stage_since = changed_at;
CREATE INDEX referral_due ON referral (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX referral_team ON referral (to_team_id, status, changed_at) WHERE to_team_id IS NOT NULL;
-- a desk's latest finished referrals, walked from the newest without sorting a year of them
CREATE INDEX referral_to_recent ON referral (to_institution_id, changed_at);
CREATE INDEX referral_from_recent ON referral (from_institution_id, changed_at);

-- Every missed deadline, counted against the receiver it was missed by (the commission's
-- and the group's view of who lets referrals wait).
CREATE TABLE referral_overdue (
    referral_id             TEXT NOT NULL REFERENCES referral (referral_id),
    level                   BIGINT NOT NULL CHECK (level IN (1, 2)),
    stage                   TEXT NOT NULL,
    receiver_institution_id TEXT NOT NULL REFERENCES institution (institution_id),
    deadline                TIMESTAMPTZ NOT NULL,
    escalated_at            TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (referral_id, escalated_at, level)
);
CREATE INDEX referral_overdue_receiver ON referral_overdue (receiver_institution_id, escalated_at);
