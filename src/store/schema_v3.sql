-- Version 3: what each data product's channel was last told.

-- The status (and incidents) last announced for each data product, so a change is posted once,
-- across restarts. Written by the notifier after Slack accepted the post.
CREATE TABLE product_status (
    name         TEXT PRIMARY KEY,
    status       TEXT NOT NULL,               -- operational | degraded | incident
    incidents    TEXT NOT NULL DEFAULT '[]',  -- JSON array of INC-n ids
    announced_at TEXT NOT NULL
);
