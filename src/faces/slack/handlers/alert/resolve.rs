//! The reason modal (`steward.reason`), opened by the "Status" menu: resolves the issue with a
//! category and a reason; `expected` also mutes its check, and an issue in an open incident
//! needs the box ticked.

use crate::domain::access::Actor;
use crate::domain::issues::Resolution;
use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{Errors, Modal, core};
use crate::faces::slack::handlers::payload::{Malformed, Submission};
use anyhow::Result;
use serde_json::Value;
use std::sync::Arc;

pub struct Reason {
    /// Every issue to resolve: the ticked ones, else all the modal was opened for.
    issues: Vec<i64>,
    resolution: Resolution,
    reason: Option<String>,
    mute_for: Option<chrono::Duration>,
    confirmed: bool,
}

impl Modal for Reason {
    fn guarded(_: &Submission) -> Option<crate::domain::access::Action> {
        Some(crate::domain::access::Action::ResolveIssues)
    }

    fn validate(s: &Submission) -> Errors {
        let mut errors = Errors::new();
        if s.input("which").is_some() && !s.ticked("which") {
            errors.insert(
                "which".to_owned(),
                "Tick at least one issue to resolve.".to_owned(),
            );
        }
        if s.option("mute_for").is_some_and(|d| {
            !blocks::EXPECTED_MUTE_OPTIONS
                .iter()
                .any(|(value, _)| *value == d)
        }) {
            errors.insert(
                "mute_for".to_owned(),
                "Choose 24 hours, 7 days or 30 days.".to_owned(),
            );
        } else if let Some(n) = s.incident()
            && !s.ticked("confirm")
        {
            errors.insert(
                "confirm".to_owned(),
                format!("INC-{n} is open: tick the box to resolve this issue anyway."),
            );
        }
        errors
    }

    fn read(s: &Submission) -> Result<Self, Malformed> {
        let issue = s.required_issue()?;
        let listed: Vec<i64> = s
            .meta
            .get("issues")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default();
        let issues = if s.input("which").is_some() {
            s.numbers("which")
                .into_iter()
                .filter(|n| listed.contains(n))
                .collect()
        } else if listed.is_empty() {
            vec![issue]
        } else {
            listed
        };
        let resolution = s
            .meta
            .get("resolution")
            .and_then(Value::as_str)
            .and_then(Resolution::parse_manual)
            .unwrap_or(Resolution::Fixed);
        let reason = match (s.option("category"), s.text("reason")) {
            (Some(c), Some(t)) => Some(format!("{c}: {t}")),
            (c, t) => c.or(t),
        };
        // Only the `expected` modal has the select; without it the core's default applies.
        let mute_for = s
            .option("mute_for")
            .and_then(|d| crate::config::parse_duration(&d))
            .and_then(|d| chrono::Duration::from_std(d).ok());
        // The modal of an issue in an open incident carries the incident and a checkbox.
        let confirmed = s.meta.get("incident").is_some() && s.ticked("confirm");
        Ok(Reason {
            issues,
            resolution,
            reason,
            mute_for,
            confirmed,
        })
    }

    async fn handle(self, ctx: &Arc<Context>, s: &Submission<'_>) -> Result<()> {
        let actor = Actor::user(&s.user);
        core(ctx, move |app| {
            let options = crate::domain::issues::ResolveOptions {
                mute_for: self.mute_for,
                despite_open_incident: self.confirmed,
            };
            app.resolve_all(
                &self.issues,
                self.resolution,
                self.reason.as_deref(),
                options,
                &actor,
            )
        })
        .await?;
        Ok(())
    }
}
