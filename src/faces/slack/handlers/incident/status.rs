//! "Status" on an incident message opens the status modal; its submission
//! (`steward.incident_status`) moves the incident on (investigating, identified, monitoring…).

use crate::domain::access::Actor;
use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{self, Button, Modal, core};
use crate::faces::slack::handlers::payload::{Action, Malformed, Submission};
use anyhow::Result;
use std::sync::Arc;

pub struct Status(i64);

impl Button for Status {
    fn read(action: &Action) -> Result<Self, Malformed> {
        Ok(Status(action.incident()?))
    }

    async fn handle(self, ctx: &Arc<Context>, action: &Action<'_>) -> Result<()> {
        let incident = kit::incident(ctx, self.0, false).await?;
        let view = blocks::incident_status_modal(self.0, &incident.status);
        ctx.api.open_view(&action.trigger, &view).await?;
        Ok(())
    }
}

pub struct NewStatus {
    incident: i64,
    status: String,
    note: Option<String>,
}

impl Modal for NewStatus {
    fn read(s: &Submission) -> Result<Self, Malformed> {
        Ok(NewStatus {
            incident: s.required_incident()?,
            status: s
                .option("status")
                .unwrap_or_else(|| "investigating".to_owned()),
            note: s.text("note"),
        })
    }

    async fn handle(self, ctx: &Arc<Context>, s: &Submission<'_>) -> Result<()> {
        let actor = Actor::user(&s.user);
        core(ctx, move |app| {
            app.incident_status(
                self.incident,
                &self.status,
                &actor,
                self.note.as_deref(),
                None,
            )
        })
        .await?;
        Ok(())
    }
}
