//! The "Status" menu on an alert: investigating is set at once; a resolution (fixed, expected,
//! false positive) opens the reason modal ([`super::resolve`]) unless the issue is resolved.

use crate::domain::issues::{Resolution, Status};
use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{self, Button, acted_on, core, mention};
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
        let issues = acted_on(ctx, action, issue).await?;
        if self.chosen == "investigating" {
            core(ctx, move |app| {
                app.set_status_all(&issues, Status::Investigating, &actor)
            })
            .await?;
            return Ok(());
        }
        kit::may(
            ctx,
            crate::domain::access::Action::ResolveIssues,
            &action.user,
        )?;
        let other = self.chosen;
        let resolution = Resolution::parse_manual(&other).ok_or_else(|| {
            crate::error::InputError::new("status", format!("unknown status {other:?}"))
        })?;
        // Refuse a stale button before opening the modal.
        let shown = issues.clone();
        let current = core(ctx, move |app| {
            app.issues(&crate::domain::issues::IssueFilter {
                ids: Some(shown),
                ..Default::default()
            })
        })
        .await?;
        let active: Vec<(i64, String)> = current
            .iter()
            .filter(|i| i.is_active())
            .map(|i| {
                let what = format!(
                    "{} · {}",
                    crate::domain::text::short_name(&i.asset),
                    crate::domain::text::short_name(&i.check)
                );
                (i.id, what)
            })
            .collect();
        if active.is_empty() {
            return Err(crate::error::InputError::new(
                format!("issue {issue}"),
                "it is already resolved",
            )
            .into());
        }
        let incident = current
            .iter()
            .filter(|i| i.is_active())
            .find_map(|i| i.incident_id);
        let open_incident = match incident {
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
                &blocks::reason_modal_for(&active, resolution.as_str(), open_incident),
            )
            .await?;
        Ok(())
    }
}
