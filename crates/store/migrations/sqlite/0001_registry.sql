-- The one event log: every state change of every aggregate, in commit order.
CREATE TABLE event (
    event_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    stream      TEXT NOT NULL,
    stream_seq  INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    payload     TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at          TEXT NOT NULL,
    UNIQUE (stream, stream_seq)
);

CREATE TABLE grid (
    grid_id         TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    division_code   TEXT,
    population      INTEGER,
    geometry        TEXT NOT NULL,
    effective_from  TEXT,
    effective_to    TEXT
);

CREATE TABLE institution (
    institution_id            TEXT PRIMARY KEY,
    name                      TEXT NOT NULL,
    kind                      TEXT NOT NULL,
    level                     INTEGER NOT NULL CHECK (level BETWEEN 0 AND 3),
    grade                     TEXT,
    ownership                 TEXT NOT NULL,
    grid_id                   TEXT,
    lon                       REAL,
    lat                       REAL,
    beds                      INTEGER NOT NULL,
    icu_beds                  INTEGER NOT NULL,
    outpatient_slots_per_day  INTEGER NOT NULL,
    capabilities              TEXT NOT NULL
);

CREATE TABLE consortium (
    consortium_id        TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    grid_id              TEXT,
    lead_institution_id  TEXT NOT NULL REFERENCES institution (institution_id),
    founded_on           TEXT,
    filed_on             TEXT,
    evaluated_on         TEXT
);

CREATE TABLE membership (
    consortium_id   TEXT NOT NULL REFERENCES consortium (consortium_id),
    institution_id  TEXT NOT NULL REFERENCES institution (institution_id),
    role            TEXT NOT NULL CHECK (role IN ('lead', 'member', 'collaborator')),
    effective_from  TEXT,
    effective_to    TEXT,
    PRIMARY KEY (consortium_id, institution_id, role)
);
CREATE INDEX membership_institution ON membership (institution_id);
-- A consortium has exactly one lead (COMP-1): the database holds the last word on it.
CREATE UNIQUE INDEX membership_one_lead ON membership (consortium_id) WHERE role = 'lead';

CREATE TABLE team (
    team_id         TEXT PRIMARY KEY,
    institution_id  TEXT NOT NULL REFERENCES institution (institution_id),
    name            TEXT NOT NULL,
    members         INTEGER NOT NULL
);

CREATE TABLE resident (
    resident_id  TEXT PRIMARY KEY,
    sex          TEXT NOT NULL,
    birth_date   TEXT,
    lon          REAL NOT NULL,
    lat          REAL NOT NULL,
    conditions   TEXT NOT NULL,
    pregnant     INTEGER NOT NULL,
    grid_id      TEXT,
    team_id      TEXT REFERENCES team (team_id),
    signed_on    TEXT
);
CREATE INDEX resident_grid ON resident (grid_id, resident_id);
