//! "Severity" on an incident message opens the severity modal; its submission
//! (`steward.incident_severity`) changes the incident's severity.

use crate::domain::access::Actor;
use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{self, Button, Modal, core};
use crate::faces::slack::handlers::payload::{Action, Malformed, Submission};
use anyhow::Result;
use std::sync::Arc;

pub struct Severity(i64);

impl Button for Severity {
    fn read(action: &Action) -> Result<Self, Malformed> {
        Ok(Severity(action.incident()?))
    }

    async fn handle(self, ctx: &Arc<Context>, action: &Action<'_>) -> Result<()> {
        kit::may(
            ctx,
            crate::domain::access::Action::SeverityCommander,
            &action.user,
        )?;
        let incident = kit::incident(ctx, self.0, true).await?;
        let view = blocks::incident_severity_modal(self.0, &incident.severity);
        ctx.api.open_view(&action.trigger, &view).await?;
        Ok(())
    }
}

pub struct NewSeverity {
    incident: i64,
    severity: String,
}

impl Modal for NewSeverity {
    fn guarded(_: &Submission) -> Option<crate::domain::access::Action> {
        Some(crate::domain::access::Action::SeverityCommander)
    }

    fn read(s: &Submission) -> Result<Self, Malformed> {
        Ok(NewSeverity {
            incident: s.required_incident()?,
            severity: s.option("severity").unwrap_or_default(),
        })
    }

    async fn handle(self, ctx: &Arc<Context>, s: &Submission<'_>) -> Result<()> {
        let actor = Actor::user(&s.user);
        core(ctx, move |app| {
            app.incident_severity(self.incident, &self.severity, &actor)
        })
        .await?;
        Ok(())
    }
}
