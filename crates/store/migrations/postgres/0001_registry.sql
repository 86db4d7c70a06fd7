-- The one event log: every state change of every aggregate, in commit order.
CREATE TABLE event (
    event_id    BIGSERIAL PRIMARY KEY,
    stream      TEXT NOT NULL,
    stream_seq  BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    version     BIGINT NOT NULL,
    payload     JSONB NOT NULL,
    actor       TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    UNIQUE (stream, stream_seq)
);

CREATE TABLE grid (
    grid_id         TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    division_code   TEXT,
    population      BIGINT,
    geometry        TEXT NOT NULL,
    effective_from  DATE,
    effective_to    DATE
);

CREATE TABLE institution (
    institution_id            TEXT PRIMARY KEY,
    name                      TEXT NOT NULL,
    kind                      TEXT NOT NULL,
    level                     BIGINT NOT NULL CHECK (level BETWEEN 0 AND 3),
    grade                     TEXT,
    ownership                 TEXT NOT NULL,
    grid_id                   TEXT,
    lon                       DOUBLE PRECISION,
    lat                       DOUBLE PRECISION,
    beds                      BIGINT NOT NULL,
    icu_beds                  BIGINT NOT NULL,
    outpatient_slots_per_day  BIGINT NOT NULL,
    capabilities              TEXT NOT NULL
);

CREATE TABLE consortium (
    consortium_id        TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    grid_id              TEXT,
    lead_institution_id  TEXT NOT NULL REFERENCES institution (institution_id),
    founded_on           DATE,
    filed_on             DATE,
    evaluated_on         DATE
);

CREATE TABLE membership (
    consortium_id   TEXT NOT NULL REFERENCES consortium (consortium_id),
    institution_id  TEXT NOT NULL REFERENCES institution (institution_id),
    role            TEXT NOT NULL CHECK (role IN ('lead', 'member', 'collaborator')),
    effective_from  DATE,
    effective_to    DATE,
    PRIMARY KEY (consortium_id, institution_id, role)
);
CREATE INDEX membership_institution ON membership (institution_id);
-- A consortium has exactly one lead (COMP-1): the database holds the last word on it.
CREATE UNIQUE INDEX membership_one_lead ON membership (consortium_id) WHERE role = 'lead';

CREATE TABLE team (
    team_id         TEXT PRIMARY KEY,
    institution_id  TEXT NOT NULL REFERENCES institution (institution_id),
    name            TEXT NOT NULL,
    members         BIGINT NOT NULL
);

CREATE TABLE resident (
    resident_id  TEXT PRIMARY KEY,
    sex          TEXT NOT NULL,
    birth_date   DATE,
    lon          DOUBLE PRECISION NOT NULL,
    lat          DOUBLE PRECISION NOT NULL,
    conditions   TEXT NOT NULL,
    pregnant     BOOLEAN NOT NULL,
    grid_id      TEXT,
    team_id      TEXT REFERENCES team (team_id),
    signed_on    DATE
);
CREATE INDEX resident_grid ON resident (grid_id, resident_id);
