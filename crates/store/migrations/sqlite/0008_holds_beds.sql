-- Holds, cancellations, no-shows and bed pools (issue 4, items 4 and 5). A pool holds
-- outpatient slots or inpatient beds; a booking may begin as a hold with a deadline and
-- later be confirmed, cancelled, recorded as a no-show or expire. Existing rows are slot
-- pools and confirmed bookings.
ALTER TABLE slot_pool ADD COLUMN kind TEXT NOT NULL DEFAULT 'slot' CHECK (kind IN ('slot', 'bed'));
ALTER TABLE booking ADD COLUMN status TEXT NOT NULL DEFAULT 'booked'
    CHECK (status IN ('held', 'booked', 'cancelled', 'no_show', 'expired'));
-- a hold's deadline; kept after the hold is confirmed, so a repeat of the hold request
-- is recognised as the same request
ALTER TABLE booking ADD COLUMN held_until TEXT;
-- the sweep reads the holds that are still open, a few among many bookings
CREATE INDEX booking_open_hold ON booking (held_until) WHERE status = 'held';
