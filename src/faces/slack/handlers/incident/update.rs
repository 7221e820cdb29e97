//! "Add update" on an incident message opens the update modal (an open incident's update can
//! also go to its data products' channels); its submission (`steward.incident_comment`)
//! adds it to the timeline, or sends it as a stakeholder update.

use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::alert::comment::CommentText;
use crate::faces::slack::handlers::kit::{self, Button, Errors, Modal, core, mention};
use crate::faces::slack::handlers::payload::{Action, Malformed, Submission};
use anyhow::Result;
use std::sync::Arc;

pub struct Update(i64);

impl Button for Update {
    fn read(action: &Action) -> Result<Self, Malformed> {
        Ok(Update(action.incident()?))
    }

    async fn handle(self, ctx: &Arc<Context>, action: &Action<'_>) -> Result<()> {
        let n = self.0;
        let incident = kit::incident(ctx, n, false).await?;
        // An open incident's update can also go to its products' channels.
        let channels = if incident.status == "resolved" {
            Vec::new()
        } else {
            core(ctx, move |app| app.product_channels(&incident)).await?
        };
        let view = blocks::incident_comment_modal(n, &channels);
        ctx.api.open_view(&action.trigger, &view).await?;
        Ok(())
    }
}

pub struct UpdateText {
    incident: i64,
    text: String,
    to_products: bool,
}

impl Modal for UpdateText {
    /// Never empty, like an issue's comment.
    fn validate(s: &Submission) -> Errors {
        CommentText::validate(s)
    }

    fn read(s: &Submission) -> Result<Self, Malformed> {
        Ok(UpdateText {
            incident: s.required_incident()?,
            text: s.text("comment").unwrap_or_default(),
            to_products: s.ticked("notify"),
        })
    }

    async fn handle(self, ctx: &Arc<Context>, s: &Submission<'_>) -> Result<()> {
        let (n, text, actor) = (self.incident, self.text, mention(&s.user));
        if self.to_products {
            core(ctx, move |app| app.stakeholder_update(n, &actor, &text)).await?;
        } else {
            core(ctx, move |app| app.incident_comment(n, &actor, &text)).await?;
        }
        Ok(())
    }
}
