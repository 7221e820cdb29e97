//! "Merge" and "Split" on an incident message: merge it into another open incident
//! (`steward.incident_merge`), or split some of its issues off into a new one
//! (`steward.incident_split`). Both are recorded on both incidents' timelines.

use crate::domain::access::Actor;
use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{self, Button, Errors, Modal, core};
use crate::faces::slack::handlers::payload::{Action, Malformed, Submission};
use anyhow::Result;
use std::sync::Arc;

pub struct Merge(i64);

impl Button for Merge {
    fn read(action: &Action) -> Result<Self, Malformed> {
        Ok(Merge(action.incident()?))
    }

    async fn handle(self, ctx: &Arc<Context>, action: &Action<'_>) -> Result<()> {
        kit::may(ctx, crate::domain::access::Action::MergeSplit, &action.user)?;
        let n = self.0;
        kit::incident(ctx, n, true).await?;
        let open = core(ctx, |app| app.incidents(true)).await?;
        let open: Vec<(i64, String)> = open.into_iter().map(|i| (i.number, i.title)).collect();
        ctx.api
            .open_view(&action.trigger, &blocks::incident_merge_modal(n, &open))
            .await?;
        Ok(())
    }
}

pub struct MergeInto {
    incident: i64,
    into: i64,
}

impl Modal for MergeInto {
    fn guarded(_: &Submission) -> Option<crate::domain::access::Action> {
        Some(crate::domain::access::Action::MergeSplit)
    }

    fn validate(s: &Submission) -> Errors {
        let mut errors = Errors::new();
        if s.option("into")
            .and_then(|v| v.parse::<i64>().ok())
            .is_none()
        {
            errors.insert(
                "into".to_owned(),
                "Choose the incident to merge into.".to_owned(),
            );
        }
        errors
    }

    fn read(s: &Submission) -> Result<Self, Malformed> {
        Ok(MergeInto {
            incident: s.required_incident()?,
            into: s
                .option("into")
                .and_then(|v| v.parse().ok())
                .ok_or(Malformed("merge without an incident to merge into"))?,
        })
    }

    async fn handle(self, ctx: &Arc<Context>, s: &Submission<'_>) -> Result<()> {
        let actor = Actor::user(&s.user);
        core(ctx, move |app| {
            app.incident_merge(self.incident, self.into, &actor)
        })
        .await?;
        Ok(())
    }
}

pub struct Split(i64);

impl Button for Split {
    fn read(action: &Action) -> Result<Self, Malformed> {
        Ok(Split(action.incident()?))
    }

    async fn handle(self, ctx: &Arc<Context>, action: &Action<'_>) -> Result<()> {
        kit::may(ctx, crate::domain::access::Action::MergeSplit, &action.user)?;
        let n = self.0;
        let incident = kit::incident(ctx, n, true).await?;
        let ids = incident.issues.clone();
        let issues = core(ctx, move |app| {
            app.issues(&crate::domain::issues::IssueFilter {
                ids: Some(ids),
                ..Default::default()
            })
        })
        .await?;
        let labels: Vec<(i64, String)> = issues
            .iter()
            .map(|i| {
                let what = format!(
                    "{} {}",
                    crate::domain::text::short_name(&i.asset),
                    crate::domain::text::short_name(&i.check)
                );
                (i.id, what)
            })
            .collect();
        ctx.api
            .open_view(&action.trigger, &blocks::incident_split_modal(n, &labels))
            .await?;
        Ok(())
    }
}

pub struct SplitOff {
    incident: i64,
    issues: Vec<i64>,
    title: String,
}

impl Modal for SplitOff {
    fn guarded(_: &Submission) -> Option<crate::domain::access::Action> {
        Some(crate::domain::access::Action::MergeSplit)
    }

    fn validate(s: &Submission) -> Errors {
        let mut errors = Errors::new();
        if !s.ticked("issues") {
            errors.insert(
                "issues".to_owned(),
                "Choose the issues to split off.".to_owned(),
            );
        }
        if s.text("title").is_none() {
            errors.insert(
                "title".to_owned(),
                "The new incident needs a title.".to_owned(),
            );
        }
        errors
    }

    fn read(s: &Submission) -> Result<Self, Malformed> {
        Ok(SplitOff {
            incident: s.required_incident()?,
            issues: s.numbers("issues"),
            title: s.text("title").unwrap_or_default(),
        })
    }

    async fn handle(self, ctx: &Arc<Context>, s: &Submission<'_>) -> Result<()> {
        let actor = Actor::user(&s.user);
        core(ctx, move |app| {
            app.incident_split(self.incident, &self.issues, &self.title, &actor)
        })
        .await?;
        Ok(())
    }
}
