//! "Resolve" on an incident message opens the resolve modal; its submission
//! (`steward.incident_resolve`) resolves the incident with a summary and a category.

use crate::domain::access::Actor;
use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{self, Button, Errors, Modal, core};
use crate::faces::slack::handlers::payload::{Action, Malformed, Submission};
use anyhow::Result;
use std::sync::Arc;

pub struct Resolve(i64);

impl Button for Resolve {
    fn read(action: &Action) -> Result<Self, Malformed> {
        Ok(Resolve(action.incident()?))
    }

    async fn handle(self, ctx: &Arc<Context>, action: &Action<'_>) -> Result<()> {
        kit::may(
            ctx,
            crate::domain::access::Action::ResolveIncidents,
            &action.user,
        )?;
        kit::incident(ctx, self.0, true).await?;
        let view = blocks::incident_resolve_modal(self.0);
        ctx.api.open_view(&action.trigger, &view).await?;
        Ok(())
    }
}

pub struct Summary {
    incident: i64,
    summary: Option<String>,
    reason: Option<String>,
}

impl Modal for Summary {
    fn guarded(_: &Submission) -> Option<crate::domain::access::Action> {
        Some(crate::domain::access::Action::ResolveIncidents)
    }

    fn validate(s: &Submission) -> Errors {
        let mut errors = Errors::new();
        if s.text("summary").is_none() {
            errors.insert(
                "summary".to_owned(),
                "Say what happened: resolving needs a summary.".to_owned(),
            );
        }
        errors
    }

    fn read(s: &Submission) -> Result<Self, Malformed> {
        Ok(Summary {
            incident: s.required_incident()?,
            summary: s.text("summary"),
            reason: s.option("category"),
        })
    }

    async fn handle(self, ctx: &Arc<Context>, s: &Submission<'_>) -> Result<()> {
        let actor = Actor::user(&s.user);
        core(ctx, move |app| {
            app.incident_status(
                self.incident,
                "resolved",
                &actor,
                self.summary.as_deref(),
                self.reason.as_deref(),
            )
        })
        .await?;
        Ok(())
    }
}
