//! The "Open one…" menu on a flood summary: shows the chosen root, with its buttons' worth of
//! detail, to the person who asked (ephemeral), so each root of a flood can still be opened.

use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{Button, core};
use crate::faces::slack::handlers::payload::{Action, Malformed};
use anyhow::Result;
use std::sync::Arc;

pub struct FloodOpen(i64);

impl Button for FloodOpen {
    fn read(action: &Action) -> Result<Self, Malformed> {
        action
            .selected()
            .and_then(|v| v.parse().ok())
            .map(FloodOpen)
            .ok_or(Malformed("flood menu without an issue id"))
    }

    async fn handle(self, ctx: &Arc<Context>, action: &Action<'_>) -> Result<()> {
        let id = self.0;
        let detail = core(ctx, move |app| app.issue(id)).await?;
        let answer =
            blocks::issue_list(std::slice::from_ref(&detail.issue), &format!("Issue #{id}"));
        if let Some(channel) = action.channel.as_deref() {
            ctx.api.ephemeral(channel, &action.user, &answer).await?;
        }
        Ok(())
    }
}
