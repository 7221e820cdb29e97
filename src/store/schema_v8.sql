-- Version 8: a mute's reason, and mutes ended early by `unmute`.

-- Why the mute was set (`steward mute --reason`), shown by `steward mutes`.
ALTER TABLE mutes ADD COLUMN reason TEXT;
-- Set when a person ends the mute before its time (`steward unmute`); an ended mute is
-- no longer in force.
ALTER TABLE mutes ADD COLUMN ended_at TEXT;
ALTER TABLE mutes ADD COLUMN ended_by TEXT;
