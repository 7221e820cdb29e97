//! The "Status" menu on an alert: investigating is set at once; a resolution (fixed, expected,
//! false positive) opens the reason modal ([`super::resolve`]) unless the issue is resolved.

use crate::domain::issues::{Resolution, Status};
use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{Button, core, mention};
use crate::faces::slack::handlers::payload::{Action, Malformed};
use anyhow::Result;
use std::sync::Arc;

pub struct SetStatus {
    issue: i64,
    chosen: String,
}

impl Button for SetStatus {
    fn read(action: &Action) -> Result<Self, Malformed> {
        Ok(SetStatus {
            issue: action.issue()?,
            chosen: action.selected().unwrap_or_default().to_owned(),
        })
    }

    async fn handle(self, ctx: &Arc<Context>, action: &Action<'_>) -> Result<()> {
        let (issue, actor) = (self.issue, mention(&action.user));
        if self.chosen == "investigating" {
            core(ctx, move |app| {
                app.set_status(issue, Status::Investigating, &actor)
            })
            .await?;
            return Ok(());
        }
        let other = self.chosen;
        let resolution = Resolution::parse_manual(&other).ok_or_else(|| {
            crate::error::InputError::new("status", format!("unknown status {other:?}"))
        })?;
        // Refuse a stale button before opening the modal.
        let current = core(ctx, move |app| app.issue(issue)).await?;
        if current.issue.status == "resolved" {
            return Err(crate::error::InputError::new(
                format!("issue {issue}"),
                "it is already resolved",
            )
            .into());
        }
        // Part of an open incident: the modal asks for a confirmation.
        let open_incident = match current.issue.incident_id {
            Some(n) => core(ctx, move |app| app.incident(n))
                .await
                .ok()
                .filter(|i| i.status != "resolved")
                .map(|i| i.number),
            None => None,
        };
        ctx.api
            .open_view(
                &action.trigger,
                &blocks::reason_modal(issue, resolution.as_str(), open_incident),
            )
            .await?;
        Ok(())
    }
}
