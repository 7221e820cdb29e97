//! "Create Jira issue" / "Create Linear issue" on an incident message: asks the tracker for the
//! incident's ticket (once; a second press changes nothing). The delivery worker creates it and
//! the message then shows its key.

use crate::domain::integrations::tickets::TicketSubject;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{self, Button, core, mention};
use crate::faces::slack::handlers::payload::{Action, Malformed};
use anyhow::Result;
use std::sync::Arc;

pub struct Ticket {
    incident: i64,
    tracker: &'static str,
}

impl Button for Ticket {
    fn read(action: &Action) -> Result<Self, Malformed> {
        let tracker = match action.action_id.as_str() {
            // The Jira button's id predates Linear's: messages already posted carry it.
            "steward.incident.ticket" => "jira",
            "steward.incident.ticket.linear" => "linear",
            _ => return Err(Malformed("ticket button for an unknown tracker")),
        };
        Ok(Ticket {
            incident: action.incident()?,
            tracker,
        })
    }

    async fn handle(self, ctx: &Arc<Context>, action: &Action<'_>) -> Result<()> {
        let (n, tracker, actor) = (self.incident, self.tracker, mention(&action.user));
        kit::incident(ctx, n, false).await?;
        core(ctx, move |app| {
            app.request_ticket(tracker, TicketSubject::Incident(n), &actor)
        })
        .await?;
        Ok(())
    }
}
