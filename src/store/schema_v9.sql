-- Version 9: deliveries to integrations (PagerDuty, incident.io, Opsgenie, webhooks, trackers).
-- One row per (event, target), written in the same transaction as the change the event tells
-- of; the delivery worker sends due rows in id order per (target, dedup_key).
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    -- Shared by the rows of one event (the webhook's Steward-Event-Id).
    event_id        TEXT NOT NULL,
    target          TEXT NOT NULL,
    kind            TEXT NOT NULL,
    -- issue.opened, incident.resolved, ...
    event           TEXT NOT NULL,
    -- trigger, acknowledge, resolve or update (for pagers; webhooks send every event)
    action          TEXT NOT NULL,
    dedup_key       TEXT NOT NULL,
    issue_id        INTEGER,
    incident_id     INTEGER,
    -- The event as the webhook body carries it (JSON); vendors' requests are built from it.
    payload         TEXT NOT NULL,
    -- pending, done or dead
    state           TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    done_at         TEXT,
    last_error      TEXT,
    -- What the target answered (JSON): its id, dedup key or link.
    response        TEXT
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_key ON deliveries (target, dedup_key);
CREATE INDEX deliveries_incident ON deliveries (incident_id);
