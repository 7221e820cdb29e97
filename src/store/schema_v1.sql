-- Steward schema, version 1. Times are RFC 3339 UTC text (sortable); JSON columns are text.

CREATE TABLE ingests (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,              -- dbt | alert | openlineage
    env           TEXT NOT NULL,
    invocation_id TEXT,
    received_at   TEXT NOT NULL,
    raises_issues INTEGER NOT NULL,
    summary       TEXT NOT NULL               -- JSON
);

CREATE TABLE issues (
    id                 INTEGER PRIMARY KEY,
    env                TEXT NOT NULL,
    asset              TEXT NOT NULL,         -- unique_id, or the raw reference when unknown
    asset_known        INTEGER NOT NULL,
    check_name         TEXT NOT NULL,         -- test unique_id | run | freshness | alert check
    node               TEXT,                  -- the node whose result failed (test, model, source)
    origin             TEXT NOT NULL,         -- dbt | freshness | alert | openlineage
    source_system      TEXT,                  -- alerts: airflow, monitor, ...
    status             TEXT NOT NULL,         -- open | acknowledged | investigating | recovering | resolved
    resolution         TEXT,                  -- recovered | fixed | expected | false_positive
    resolution_reason  TEXT,
    severity           TEXT NOT NULL,         -- error | warn
    lineage_failing    INTEGER NOT NULL,      -- counts as failing for root-cause purposes
    raw_status         TEXT NOT NULL,         -- last failing status as the source wrote it
    message            TEXT,
    failures           INTEGER,
    url                TEXT,
    run_id             TEXT,
    owners             TEXT NOT NULL DEFAULT '[]',
    occurrences        INTEGER NOT NULL,
    consecutive_passes INTEGER NOT NULL DEFAULT 0,
    first_seen         TEXT NOT NULL,
    last_seen          TEXT NOT NULL,
    resolved_at        TEXT,
    assignee           TEXT,
    symptom_of         INTEGER REFERENCES issues(id),
    muted_until        TEXT,
    incident_id        INTEGER,               -- room for incidents
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
-- At most one unresolved issue per fingerprint.
CREATE UNIQUE INDEX issues_active_fingerprint ON issues(env, asset, check_name) WHERE status != 'resolved';
CREATE INDEX issues_fingerprint ON issues(env, asset, check_name, resolved_at);
CREATE INDEX issues_status ON issues(status);
CREATE INDEX issues_symptom_of ON issues(symptom_of);

-- Every result seen. `key` makes ingest idempotent.
CREATE TABLE observations (
    id          INTEGER PRIMARY KEY,
    ingest_id   INTEGER NOT NULL REFERENCES ingests(id) ON DELETE CASCADE,
    key         TEXT UNIQUE,
    env         TEXT NOT NULL,
    origin      TEXT NOT NULL,
    asset       TEXT NOT NULL,
    check_name  TEXT NOT NULL,
    node        TEXT,
    outcome     TEXT NOT NULL,                -- pass | fail | skipped
    severity    TEXT,
    raw_status  TEXT NOT NULL,
    message     TEXT,
    failures    INTEGER,
    occurred_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    issue_id    INTEGER REFERENCES issues(id)
);
CREATE INDEX observations_received_at ON observations(received_at);
CREATE INDEX observations_issue ON observations(issue_id);

-- Skipped and failing descendants of each root issue, recomputed after every ingest.
CREATE TABLE symptoms (
    root_issue_id INTEGER NOT NULL REFERENCES issues(id),
    env           TEXT NOT NULL,
    unique_id     TEXT NOT NULL,
    status        TEXT NOT NULL,
    issue_id      INTEGER REFERENCES issues(id),
    PRIMARY KEY (root_issue_id, unique_id)
);

-- The append-only event log: the timeline.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    issue_id    INTEGER REFERENCES issues(id),
    incident_id INTEGER,
    kind        TEXT NOT NULL,
    actor       TEXT,
    detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_issue ON events(issue_id);
CREATE INDEX events_incident ON events(incident_id);

CREATE TABLE comments (
    id          INTEGER PRIMARY KEY,
    issue_id    INTEGER REFERENCES issues(id),
    incident_id INTEGER,
    author      TEXT NOT NULL,
    body        TEXT NOT NULL,
    at          TEXT NOT NULL,
    slack_ts    TEXT
);
CREATE INDEX comments_issue ON comments(issue_id);

-- Where each issue's (later: incident's) living Slack message is.
CREATE TABLE slack_messages (
    id          INTEGER PRIMARY KEY,
    issue_id    INTEGER REFERENCES issues(id),
    incident_id INTEGER,
    channel     TEXT NOT NULL,
    ts          TEXT,
    thread_ts   TEXT,
    purpose     TEXT NOT NULL,                -- alert | incident | update
    state       TEXT NOT NULL,                -- pending | posted | failed
    updated_at  TEXT NOT NULL
);
CREATE INDEX slack_messages_issue ON slack_messages(issue_id);

-- Work for later integrations (Slack posts, webhooks), written in the same transaction as the
-- change that caused it, so nothing is lost across a crash.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    created_at      TEXT NOT NULL,
    topic           TEXT NOT NULL,
    payload         TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    done_at         TEXT,
    last_error      TEXT
);
CREATE INDEX outbox_pending ON outbox(done_at, next_attempt_at);

-- Node checksums, one row each time a node's checksum changes.
CREATE TABLE node_checksums (
    unique_id TEXT NOT NULL,
    checksum  TEXT NOT NULL,
    ingest_id INTEGER NOT NULL REFERENCES ingests(id),
    seen_at   TEXT NOT NULL,
    PRIMARY KEY (unique_id, ingest_id)
);
CREATE TABLE node_checksum_latest (
    unique_id TEXT PRIMARY KEY,
    checksum  TEXT NOT NULL
);

-- The lineage of the last ingested manifest, so a restart or a later CLI call can use it.
CREATE TABLE lineage_snapshot (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    loaded_at      TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    node_count     INTEGER NOT NULL,
    data           BLOB NOT NULL
);
