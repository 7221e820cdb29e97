-- Version 2: incidents, asset mutes, and outbox consumers.

CREATE TABLE incidents (
    id                INTEGER PRIMARY KEY,     -- the n of INC-n
    title             TEXT NOT NULL,
    description       TEXT,
    severity          TEXT NOT NULL,           -- SEV1 | SEV2 | SEV3 | SEV4
    status            TEXT NOT NULL,           -- investigating | identified | monitoring | resolved
    commander         TEXT,
    declared_by       TEXT NOT NULL,
    declared_at       TEXT NOT NULL,
    impact_started    TEXT,
    acknowledged_at   TEXT,
    mitigated_at      TEXT,
    resolved_at       TEXT,
    summary           TEXT,
    resolution_reason TEXT,
    updated_at        TEXT NOT NULL
);
CREATE INDEX incidents_status ON incidents(status);
CREATE INDEX issues_incident ON issues(incident_id);

-- Muted assets: no alerts for checks on them until `until` (NULL: until the issue is fixed).
CREATE TABLE mutes (
    id         INTEGER PRIMARY KEY,
    env        TEXT,
    asset      TEXT NOT NULL,
    issue_id   INTEGER REFERENCES issues(id),
    until      TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX mutes_asset ON mutes(asset);

-- The compiled SQL of the failing test or model, for the alert's Show SQL button.
ALTER TABLE issues ADD COLUMN compiled_sql TEXT;
