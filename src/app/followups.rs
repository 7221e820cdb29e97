//! Follow-ups tracked in Jira or Linear: one added with its ticket requested in the same
//! transaction (`followup add --jira|--linear`), and what the trackers say of the tickets
//! applied (read back by `faces::integrations::sync`).

use super::{App, incident_changed};
use crate::domain::incidents::{self, Followup, TicketState};
use crate::domain::integrations::tickets::{self, TicketRequest, TicketSubject};
use anyhow::Result;

impl App {
    /// Adds a follow-up to incident `n` and asks `tracker` for its ticket, in one transaction:
    /// the ticket is a delivery keyed by the follow-up, created once whatever retries or
    /// restarts come.
    pub fn followup_add_tracked(
        &self,
        n: i64,
        text: &str,
        owner: Option<&str>,
        actor: &str,
        tracker: &str,
    ) -> Result<(Followup, TicketRequest)> {
        self.tracker_configured(tracker)?;
        let (text, owner, actor, tracker) = (
            text.to_owned(),
            owner.map(str::to_owned),
            actor.to_owned(),
            tracker.to_owned(),
        );
        let (fan, config, handle) = (self.fanout(), self.config.clone(), self.lineage.clone());
        self.signal(self.write_now(move |tx, now| {
            let f = incidents::add_followup(tx, n, &text, owner.as_deref(), &actor, now)?;
            let said = format!("added a follow-up: {}", f.text);
            incident_changed(tx, &fan, n, &actor, &said, now)?;
            let request = tickets::request_ticket(
                tx,
                &config,
                &|env| handle.env(Some(env)),
                &tracker,
                TicketSubject::Followup(f.id),
                &actor,
                now,
            )?;
            Ok((f, request))
        }))
    }

    /// Incident `n`'s follow-ups, oldest first.
    pub fn followups(&self, n: i64) -> Result<Vec<Followup>> {
        self.incident(n)?;
        self.store.read(|c| incidents::followups(c, n))
    }

    /// Open follow-ups with a ticket (all, or incident `n`'s): what a read-back asks about.
    pub fn tracked_followups(&self, n: Option<i64>) -> Result<Vec<Followup>> {
        self.store
            .read(move |c| incidents::open_tracked_followups(c, n))
    }

    /// Applies what a tracker said of follow-up `id`'s ticket (see
    /// [`incidents::apply_ticket_state`]); a change of state is told in the incident's thread
    /// and to the integrations, the tracker as actor. Returns the follow-up when it changed.
    pub fn followup_ticket_state(&self, id: i64, read: TicketState) -> Result<Option<Followup>> {
        let fan = self.fanout();
        self.signal(self.write_now(move |tx, now| {
            let changed = incidents::apply_ticket_state(tx, id, &read, now)?;
            if let Some(f) = &changed {
                let tracker = incidents::tracker_name(f.tracker.as_deref().unwrap_or_default());
                let said = format!(
                    "marked the follow-up \"{}\" {} ({} is {})",
                    f.text,
                    f.state,
                    f.ticket_key.as_deref().unwrap_or_default(),
                    read.name
                );
                incident_changed(tx, &fan, f.incident, tracker, &said, now)?;
            }
            Ok(changed)
        }))
    }
}
