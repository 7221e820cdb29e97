-- Version 7: incidents merge and split, and their follow-ups.

-- An incident closed because it was merged into another (its issues and timeline moved there).
ALTER TABLE incidents ADD COLUMN merged_into INTEGER;  -- incidents.id

-- A follow-up of an incident: work that must happen after it (the report's action items).
CREATE TABLE followups (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL,                  -- incidents.id
    text        TEXT NOT NULL,
    owner       TEXT,
    state       TEXT NOT NULL DEFAULT 'open',      -- open | done | dropped
    tracker     TEXT,                              -- jira | linear, when a ticket tracks it
    ticket_key  TEXT,
    ticket_url  TEXT,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX followups_incident ON followups(incident_id);
