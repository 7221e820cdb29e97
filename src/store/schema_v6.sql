-- Version 6: storms. Root issues that share a cause (the same error signature, the same missing
-- schema, or the same failed job upstream outside dbt) within a window become one storm, which
-- Slack shows as one message. Each member stays its own issue.

CREATE TABLE storms (
    id         INTEGER PRIMARY KEY,
    env        TEXT NOT NULL,
    cause      TEXT NOT NULL,   -- the grouping key: signature:…, schema:…, upstream:…
    kind       TEXT NOT NULL,   -- signature | schema | upstream
    label      TEXT NOT NULL,   -- what the members share, for people
    opened_at  TEXT NOT NULL,
    last_seen  TEXT NOT NULL
);
CREATE INDEX storms_cause ON storms(env, cause, last_seen);

ALTER TABLE issues ADD COLUMN storm_id INTEGER;  -- storms.id
CREATE INDEX issues_storm ON issues(storm_id) WHERE storm_id IS NOT NULL;

-- Which storm a Slack message stands for (purpose 'storm'); a flood summary is purpose 'flood'.
ALTER TABLE slack_messages ADD COLUMN storm_id INTEGER;
CREATE INDEX slack_messages_storm ON slack_messages(storm_id) WHERE storm_id IS NOT NULL;
CREATE INDEX slack_messages_ts ON slack_messages(channel, ts);
