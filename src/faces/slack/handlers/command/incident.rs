//! `/steward incident <INC-n> <change>`: status, resolve, severity, commander, link, unlink,
//! merge-into, split, postmortem and follow-ups, through the same `App` calls as the incident
//! message's buttons and the CLI (and so the same `[access]` rules).

use super::assign::person;
use crate::domain::access::Actor;
use crate::domain::incidents::label;
use crate::faces::slack::blocks;
use crate::faces::slack::commands::{FollowupChange, IncidentAction};
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{core, mention};
use anyhow::Result;
use std::sync::Arc;

pub async fn answer(
    ctx: &Arc<Context>,
    user: &str,
    n: i64,
    action: IncidentAction,
) -> Result<blocks::Message> {
    let actor = mention(user);
    let who = Actor::user(user);
    let inc = label(n);
    let text = match action {
        IncidentAction::Status(status) => {
            let i = core(ctx, move |app| {
                app.incident_status(n, &status, &who, None, None)
            })
            .await?;
            format!("{inc} is now {}.", i.status)
        }
        IncidentAction::Resolve { reason, summary } => {
            core(ctx, move |app| {
                app.incident_status(n, "resolved", &who, Some(&summary), Some(&reason))
            })
            .await?;
            format!("{inc} resolved.")
        }
        IncidentAction::Severity(sev) => {
            let i = core(ctx, move |app| app.incident_severity(n, &sev, &who)).await?;
            format!("{inc} is now {}.", i.severity)
        }
        IncidentAction::Commander(person_ref) => {
            let person = person(ctx, person_ref).await;
            let i = core(ctx, move |app| app.incident_commander(n, &person, &who)).await?;
            format!(
                "{inc}'s commander is now {}.",
                i.commander.unwrap_or_default()
            )
        }
        IncidentAction::Link(issue) => {
            core(ctx, move |app| app.incident_link(n, issue, &actor, false)).await?;
            format!("Issue #{issue} linked to {inc}.")
        }
        IncidentAction::Unlink(issue) => {
            core(ctx, move |app| app.incident_unlink(n, issue, &actor)).await?;
            format!("Issue #{issue} unlinked from {inc}.")
        }
        IncidentAction::MergeInto(into) => {
            core(ctx, move |app| app.incident_merge(n, into, &who)).await?;
            format!("{inc} merged into {}.", label(into))
        }
        IncidentAction::Split { issues, title } => {
            let list: Vec<String> = issues.iter().map(|i| format!("#{i}")).collect();
            let i = core(ctx, move |app| app.incident_split(n, &issues, &title, &who)).await?;
            format!("{} split off {inc}: {}.", i.id, list.join(", "))
        }
        IncidentAction::Postmortem => {
            core(ctx, move |app| app.share_postmortem(n, &actor)).await?;
            format!("{inc}'s post-incident report is on its way to its thread.")
        }
        IncidentAction::Followup(change) => return followup(ctx, n, actor, change).await,
    };
    Ok(blocks::ephemeral_text(&text))
}

/// `incident INC-n followup …`: the list, or a line saying what changed.
async fn followup(
    ctx: &Arc<Context>,
    n: i64,
    actor: String,
    change: FollowupChange,
) -> Result<blocks::Message> {
    let inc = label(n);
    let text = match change {
        FollowupChange::List => {
            let list = core(ctx, move |app| {
                app.incident(n)?;
                app.followups(n)
            })
            .await?;
            return Ok(blocks::followup_list(&inc, &list));
        }
        FollowupChange::Add {
            text,
            owner,
            tracker,
        } => {
            let owner = match owner {
                Some(o) => Some(person(ctx, o).await),
                None => None,
            };
            let f = core(ctx, move |app| match tracker {
                None => app.followup_add(n, &text, owner.as_deref(), &actor),
                Some(t) => app
                    .followup_add_tracked(n, &text, owner.as_deref(), &actor, t)
                    .map(|(f, _)| f),
            })
            .await?;
            match tracker {
                None => format!("Follow-up {} added to {inc}.", f.id),
                Some(t) => format!(
                    "Follow-up {} added to {inc}; its {} issue is being created and will show in {inc}'s thread.",
                    f.id,
                    if t == "jira" { "Jira" } else { "Linear" }
                ),
            }
        }
        FollowupChange::Set { id, state } => {
            let f = core(ctx, move |app| app.followup_state(n, id, state, &actor)).await?;
            format!("Follow-up {} of {inc} is {}.", f.id, f.state)
        }
    };
    Ok(blocks::ephemeral_text(&text))
}
