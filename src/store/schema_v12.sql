-- Version 12: who pushed each ingest. `via` is the face it came through (http, cli, dbt_cloud,
-- steward for the dead man's switch); `pushed_by` is the name: the HTTP token's name from
-- `[http]`, or the CLI's `--as`. Older ingests have neither.
ALTER TABLE ingests ADD COLUMN via TEXT;
ALTER TABLE ingests ADD COLUMN pushed_by TEXT;
