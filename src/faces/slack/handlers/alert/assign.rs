//! The "Assign" user menu on an alert: assigns every issue the message shows (one check, a
//! group, a storm's members) to the person chosen.

use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{Button, acted_on, core, mention};
use crate::faces::slack::handlers::payload::{Action, Malformed, str_at};
use anyhow::Result;
use serde_json::Value;
use std::sync::Arc;

pub struct Assign {
    issue: i64,
    /// None when nobody was selected (refused, and said so).
    who: Option<String>,
}

impl Button for Assign {
    fn read(action: &Action) -> Result<Self, Malformed> {
        let issue = action.issue()?;
        // slack-morphism's action model drops `selected_user`; the payload's `state`
        // carries every element's current value, so read it there.
        let v = action.raw;
        let block = str_at(v, "/actions/0/block_id").unwrap_or_default();
        let who = v
            .pointer(&format!(
                "/state/values/{block}/steward.assign/selected_user"
            ))
            .and_then(Value::as_str)
            .or_else(|| str_at(v, "/actions/0/selected_user"))
            .map(str::to_owned);
        Ok(Assign { issue, who })
    }

    async fn handle(self, ctx: &Arc<Context>, action: &Action<'_>) -> Result<()> {
        let (issue, actor) = (self.issue, mention(&action.user));
        let who = self
            .who
            .ok_or_else(|| crate::error::InputError::new("assign", "no user was selected"))?;
        let issues = acted_on(ctx, action, issue).await?;
        core(ctx, move |app| {
            app.assign_all(&issues, &mention(&who), &actor)
        })
        .await?;
        Ok(())
    }
}
