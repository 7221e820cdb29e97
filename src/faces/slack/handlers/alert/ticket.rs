//! "Create Jira issue" / "Create Linear issue" on an alert: asks the tracker for the issue's
//! ticket, once (a second press changes nothing). The delivery worker creates it, and the alert
//! then shows its key.

use crate::domain::integrations::tickets::TicketSubject;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{Button, core, mention};
use crate::faces::slack::handlers::payload::{Action, Malformed};
use anyhow::Result;
use std::sync::Arc;

pub struct Ticket {
    issue: i64,
    tracker: &'static str,
}

impl Button for Ticket {
    fn read(action: &Action) -> Result<Self, Malformed> {
        let tracker = match action.action_id.as_str() {
            "steward.ticket.jira" => "jira",
            "steward.ticket.linear" => "linear",
            _ => return Err(Malformed("ticket button for an unknown tracker")),
        };
        Ok(Ticket {
            issue: action.issue()?,
            tracker,
        })
    }

    async fn handle(self, ctx: &Arc<Context>, action: &Action<'_>) -> Result<()> {
        let (issue, tracker, actor) = (self.issue, self.tracker, mention(&action.user));
        core(ctx, move |app| {
            app.request_ticket(tracker, TicketSubject::Issue(issue), &actor)
        })
        .await?;
        Ok(())
    }
}
