-- Version 10: follow-ups tracked in Jira or Linear, their state read back from the tracker.

-- The tracker's name for the ticket's state ("In Progress"), and when the tracker was last asked
-- (`steward incident INC-n followup list` and `[integrations] ticket_sync` read it back).
ALTER TABLE followups ADD COLUMN ticket_state TEXT;
ALTER TABLE followups ADD COLUMN ticket_checked_at TEXT;

-- The follow-up a ticket delivery creates (`followup add --jira|--linear`); such a delivery has
-- no incident_id, so the incident's own ticket is never confused with one of its follow-ups'.
ALTER TABLE deliveries ADD COLUMN followup_id INTEGER;  -- followups.id
