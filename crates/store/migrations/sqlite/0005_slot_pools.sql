-- Slot pools (号源池) and bookings (issue 4). The CHECKs are the last word on
-- overbooking: the service decides with the pool rows locked, and a bug that got past it
-- would fail its transaction here instead of storing an overbooked pool.
CREATE TABLE slot_pool (
    pool_id             TEXT PRIMARY KEY,
    institution_id      TEXT NOT NULL REFERENCES institution (institution_id),
    department          TEXT NOT NULL,
    day                 TEXT NOT NULL,
    session             TEXT NOT NULL,
    capacity            INTEGER NOT NULL CHECK (capacity >= 0),
    reserved            INTEGER NOT NULL CHECK (reserved >= 0 AND reserved <= capacity),
    booked_reserved     INTEGER NOT NULL DEFAULT 0 CHECK (booked_reserved >= 0 AND booked_reserved <= reserved),
    booked_public       INTEGER NOT NULL DEFAULT 0 CHECK (booked_public >= 0),
    opens_reserved_at   TEXT NOT NULL,
    opens_public_at     TEXT NOT NULL,
    returns_at          TEXT NOT NULL,
    starts_at           TEXT NOT NULL,
    CHECK (booked_reserved + booked_public <= capacity)
);
CREATE INDEX slot_pool_institution ON slot_pool (institution_id, day);

CREATE TABLE booking (
    booking_key     TEXT PRIMARY KEY,
    pool_id         TEXT NOT NULL REFERENCES slot_pool (pool_id),
    resident_id     TEXT NOT NULL,
    channel         TEXT NOT NULL,
    tranche         TEXT NOT NULL,
    booked_by       TEXT NOT NULL,
    booked_at       TEXT NOT NULL
);
CREATE INDEX booking_pool ON booking (pool_id);
