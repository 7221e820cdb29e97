//! The "Mute" menu on an alert: mutes the issue for 24 hours, 7 days or until it is fixed.

use crate::domain::access::Actor;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{Button, acted_on, core};
use crate::faces::slack::handlers::payload::{Action, Malformed};
use anyhow::Result;
use std::sync::Arc;

pub struct Mute {
    issue: i64,
    choice: String,
}

impl Button for Mute {
    fn read(action: &Action) -> Result<Self, Malformed> {
        Ok(Mute {
            issue: action.issue()?,
            choice: action.selected().unwrap_or("24h").to_owned(),
        })
    }

    async fn handle(self, ctx: &Arc<Context>, action: &Action<'_>) -> Result<()> {
        let (issue, actor) = (self.issue, Actor::user(&action.user));
        let now = ctx.app.clock.now();
        let until = match self.choice.as_str() {
            "until_fixed" => None,
            "7d" => Some(now + chrono::Duration::days(7)),
            _ => Some(now + chrono::Duration::hours(24)),
        };
        let issues = acted_on(ctx, action, issue).await?;
        core(ctx, move |app| app.mute_all(&issues, until, &actor)).await?;
        Ok(())
    }
}
