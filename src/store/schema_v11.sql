-- Version 11: people's names, for every face that is not Slack.
-- Slack stores people as `<@U0123>`, which Slack shows as a name; the CLI, the pages and the
-- Markdown report show `@name` from here. Filled by the bot from `users.info` (scope users:read).
CREATE TABLE people (
    slack_id    TEXT PRIMARY KEY,            -- U… or W…
    name        TEXT NOT NULL,               -- the display name, else the real name, else the handle
    updated_at  TEXT NOT NULL
);
