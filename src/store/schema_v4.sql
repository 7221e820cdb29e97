-- Version 4: mutes of one check.

-- A mute on one check (an issue's fingerprint: env, asset, check_name), as resolving an issue
-- as `expected` sets: no new alert for that check until `until`. NULL: the whole asset.
ALTER TABLE mutes ADD COLUMN check_name TEXT;
