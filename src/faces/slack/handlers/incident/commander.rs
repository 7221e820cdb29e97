//! "Commander" on an incident message opens the commander modal; its submission
//! (`steward.incident_commander`) names the incident's commander.

use crate::domain::access::Actor;
use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{self, Button, Modal, core, mention};
use crate::faces::slack::handlers::payload::{Action, Malformed, Submission};
use anyhow::Result;
use std::sync::Arc;

pub struct Commander(i64);

impl Button for Commander {
    fn read(action: &Action) -> Result<Self, Malformed> {
        Ok(Commander(action.incident()?))
    }

    async fn handle(self, ctx: &Arc<Context>, action: &Action<'_>) -> Result<()> {
        kit::may(
            ctx,
            crate::domain::access::Action::SeverityCommander,
            &action.user,
        )?;
        let incident = kit::incident(ctx, self.0, true).await?;
        let view = blocks::incident_commander_modal(self.0, incident.commander.as_deref());
        ctx.api.open_view(&action.trigger, &view).await?;
        Ok(())
    }
}

pub struct NewCommander {
    incident: i64,
    /// None when nobody was selected (refused, and said so).
    who: Option<String>,
}

impl Modal for NewCommander {
    fn guarded(_: &Submission) -> Option<crate::domain::access::Action> {
        Some(crate::domain::access::Action::SeverityCommander)
    }

    fn read(s: &Submission) -> Result<Self, Malformed> {
        Ok(NewCommander {
            incident: s.required_incident()?,
            who: s.user_picked("commander").map(mention),
        })
    }

    async fn handle(self, ctx: &Arc<Context>, s: &Submission<'_>) -> Result<()> {
        let (n, actor) = (self.incident, Actor::user(&s.user));
        let who = self
            .who
            .ok_or_else(|| crate::error::InputError::new("commander", "nobody was selected"))?;
        core(ctx, move |app| app.incident_commander(n, &who, &actor)).await?;
        Ok(())
    }
}
