//! "Post-incident report" on an incident message: shares the report in the incident's thread
//! (the notifier posts it).

use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{self, Button, core, mention};
use crate::faces::slack::handlers::payload::{Action, Malformed};
use anyhow::Result;
use std::sync::Arc;

pub struct Postmortem(i64);

impl Button for Postmortem {
    fn read(action: &Action) -> Result<Self, Malformed> {
        Ok(Postmortem(action.incident()?))
    }

    async fn handle(self, ctx: &Arc<Context>, action: &Action<'_>) -> Result<()> {
        let (n, actor) = (self.0, mention(&action.user));
        kit::incident(ctx, n, false).await?;
        core(ctx, move |app| app.share_postmortem(n, &actor)).await?;
        Ok(())
    }
}
