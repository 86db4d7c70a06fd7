-- REF-3: a signed resident referred up by primary care gets priority consultation,
-- examination and admission. Decided when the referral is opened (it is in the
-- ReferralRequested event) and kept here so a desk's list puts these referrals first
-- after emergencies.
ALTER TABLE referral ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
