//! An incident button this version does not know (from an older or newer message): nothing
//! happens, but a missing incident is still said, as for every incident button.

use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{self, Button};
use crate::faces::slack::handlers::payload::{Action, Malformed};
use anyhow::Result;
use std::sync::Arc;

pub struct Other(i64);

impl Button for Other {
    fn read(action: &Action) -> Result<Self, Malformed> {
        Ok(Other(action.incident()?))
    }

    async fn handle(self, ctx: &Arc<Context>, action: &Action<'_>) -> Result<()> {
        kit::incident(ctx, self.0, false).await?;
        tracing::debug!(action = action.action_id, "action ignored");
        Ok(())
    }
}
