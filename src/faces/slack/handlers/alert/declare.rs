//! "Declare incident" on an alert opens the declare modal, drafted from the issue and its
//! related issues; its submission (`steward.declare`) declares the incident.

use crate::app::App;
use crate::domain::access::Actor;
use crate::domain::incidents::Declaration as NewIncident;
use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{self, Button, Errors, Modal, core, mention};
use crate::faces::slack::handlers::payload::{Action, Malformed, Submission};
use anyhow::Result;
use std::sync::Arc;

pub struct Declare(i64);

impl Button for Declare {
    fn read(action: &Action) -> Result<Self, Malformed> {
        Ok(Declare(action.issue()?))
    }

    async fn handle(self, ctx: &Arc<Context>, action: &Action<'_>) -> Result<()> {
        kit::may(ctx, crate::domain::access::Action::Declare, &action.user)?;
        let issue = self.0;
        let draft = core(ctx, move |app| draft(app, issue)).await?;
        ctx.api
            .open_view(&action.trigger, &blocks::declare_modal(&draft))
            .await?;
        Ok(())
    }
}

/// The modal's first draft: a title, the related issues (those in the same failure
/// preselected) and a suggested severity. An issue already in an open incident is refused.
fn draft(app: &App, issue: i64) -> Result<blocks::DeclareDraft> {
    let detail = app.issue(issue)?;
    if let Some(n) = detail.issue.incident_id
        && app
            .incident(n)
            .map(|i| i.status != "resolved")
            .unwrap_or(false)
    {
        return Err(crate::error::InputError::new(
            format!("issue {issue}"),
            format!(
                "it is already part of {}",
                crate::domain::incidents::label(n)
            ),
        )
        .into());
    }
    let related = app.related_issues(issue)?;
    let candidates: Vec<(i64, String)> = related
        .iter()
        .map(|(i, _)| {
            (
                i.id,
                format!(
                    "#{} {} {}",
                    i.id,
                    crate::domain::text::short_name(&i.asset),
                    crate::domain::text::short_name(&i.check)
                ),
            )
        })
        .collect();
    let preselected = related
        .iter()
        .filter(|(_, pre)| *pre)
        .map(|(i, _)| i.id)
        .collect();
    let grouped: Vec<&crate::domain::issues::Issue> = std::iter::once(&detail.issue)
        .chain(related.iter().filter(|(_, pre)| *pre).map(|(i, _)| i))
        .collect();
    let severity = app.suggest_severity(&grouped);
    let title = format!(
        "{} failing on {}",
        crate::domain::text::short_name(&detail.issue.check),
        crate::domain::text::short_name(&detail.issue.asset)
    );
    Ok(blocks::DeclareDraft {
        issue_id: issue,
        title,
        candidates,
        preselected,
        severity: Some(severity),
    })
}

pub struct Declaration(NewIncident);

impl Modal for Declaration {
    fn guarded(_: &Submission) -> Option<crate::domain::access::Action> {
        Some(crate::domain::access::Action::Declare)
    }

    fn validate(s: &Submission) -> Errors {
        let mut errors = Errors::new();
        if s.text("title").is_none() {
            errors.insert("title".to_owned(), "An incident needs a title.".to_owned());
        }
        if let Some(sev) = s.option("severity")
            && !crate::config::SEVERITIES.contains(&sev.as_str())
        {
            errors.insert("severity".to_owned(), "Choose SEV1 to SEV4.".to_owned());
        }
        errors
    }

    fn read(s: &Submission) -> Result<Self, Malformed> {
        let mut issues: Vec<i64> = s.issue().into_iter().chain(s.numbers("issues")).collect();
        issues.sort_unstable();
        issues.dedup();
        Ok(Declaration(NewIncident {
            title: s.text("title").unwrap_or_default(),
            description: s.text("description"),
            severity: s.option("severity").unwrap_or_else(|| "SEV3".to_owned()),
            commander: s.user_picked("commander").map(mention),
            issues,
            declared_by: mention(&s.user),
        }))
    }

    async fn handle(self, ctx: &Arc<Context>, s: &Submission<'_>) -> Result<()> {
        let actor = Actor::user(&s.user);
        core(ctx, move |app| app.declare(self.0, &actor)).await?;
        Ok(())
    }
}
