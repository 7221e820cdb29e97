//! "Create Jira issue" on an incident message: asks for the incident's ticket (once; a second
//! press changes nothing). The delivery worker creates it and the message then shows its key.

use crate::domain::integrations::tickets::TicketSubject;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{self, Button, core, mention};
use crate::faces::slack::handlers::payload::{Action, Malformed};
use anyhow::Result;
use std::sync::Arc;

pub struct Ticket(i64);

impl Button for Ticket {
    fn read(action: &Action) -> Result<Self, Malformed> {
        Ok(Ticket(action.incident()?))
    }

    async fn handle(self, ctx: &Arc<Context>, action: &Action<'_>) -> Result<()> {
        let (n, actor) = (self.0, mention(&action.user));
        kit::incident(ctx, n, false).await?;
        core(ctx, move |app| {
            app.request_ticket("jira", TicketSubject::Incident(n), &actor)
        })
        .await?;
        Ok(())
    }
}
