//! Incident commands: `declare`, `incidents`, and `incident` with its changes.

use super::{Context_, FollowupAction, IncidentAction, print_json, render};
use crate::domain::access::Actor;
use crate::domain::incidents::Declaration;
use crate::error::InputError;
use anyhow::Result;

pub(super) fn declare(ctx: &Context_, declaration: Declaration, json: bool) -> Result<()> {
    let actor = Actor::admin(declaration.declared_by.clone());
    let incident = ctx.app()?.declare(declaration, &actor)?;
    if json {
        print_json(&incident)
    } else {
        outln!(
            "declared {}: {} ({}, {} issues)",
            incident.id,
            incident.title,
            incident.severity,
            incident.issues.len()
        );
        Ok(())
    }
}

/// `steward incidents`: open incidents (all with `--all`), as a table or JSON.
pub(super) fn list(ctx: &Context_, all: bool, json: bool) -> Result<()> {
    let list = ctx.app()?.incidents(!all)?;
    if json {
        return print_json(&list);
    }
    if list.is_empty() {
        outln!("no {}incidents", if all { "" } else { "open " });
        return Ok(());
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|i| {
            vec![
                i.id.clone(),
                i.severity.clone(),
                i.status.clone(),
                i.title.clone(),
                i.issues.len().to_string(),
                i.declared.clone(),
            ]
        })
        .collect();
    out!(
        "{}",
        render::table(
            &["ID", "SEV", "STATUS", "TITLE", "ISSUES", "DECLARED"],
            &rows,
            60
        )
    );
    Ok(())
}

/// `steward incident INC-n` without a change: the incident, as lines or JSON.
pub(super) fn show(ctx: &Context_, id: String, json: bool) -> Result<()> {
    let n = incident_number(&id)?;
    let app = ctx.app()?;
    let incident = app.incident(n)?;
    // Each integration target's delivery state rides along, when there are any (see
    // `steward outbox`).
    let deliveries = app.incident_deliveries(n)?;
    if json {
        let mut v = serde_json::to_value(&incident)?;
        if !deliveries.is_empty() {
            v["deliveries"] = serde_json::to_value(&deliveries)?;
        }
        print_json(&v)
    } else {
        outln!(
            "{} [{}] {}: {}",
            incident.id,
            incident.status,
            incident.severity,
            incident.title
        );
        let people = app.people()?;
        outln!(
            "  declared {} by {}{}",
            incident.declared,
            people.person(&incident.declared_by),
            incident
                .commander
                .as_deref()
                .map(|c| format!(", commander {}", people.person(c)))
                .unwrap_or_default()
        );
        outln!(
            "  issues: {}",
            incident
                .issues
                .iter()
                .map(|i| format!("#{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for r in &incident.root_causes {
            outln!("  root cause: {} (explains {})", r.unique_id, r.explains);
        }
        outln!(
            "  impact: products {:?}, exposures {:?}",
            incident.impact.data_products,
            incident.impact.exposures
        );
        for f in &incident.followups {
            outln!("  follow-up {}", render::followup_line(f));
        }
        for d in &deliveries {
            outln!(
                "  {} {} via {}: {}{}",
                d.event,
                d.action,
                d.target,
                d.state,
                d.last_error
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            );
        }
        Ok(())
    }
}

pub(super) fn incident_number(id: &str) -> Result<i64> {
    Ok(crate::domain::incidents::parse_number(id)
        .ok_or_else(|| InputError::new(id, "not an incident id; use INC-n or n"))?)
}

/// Acting on a resolved incident is refused (only a status change reopens it).
pub(super) fn refuse_resolved(
    incident: &crate::domain::incidents::Incident,
    action: &str,
) -> Result<()> {
    if incident.status == "resolved" {
        return Err(InputError::new(
            &incident.id,
            format!("it is resolved; cannot {action} (a status change reopens it)"),
        )
        .kind(crate::error::InputErrorKind::Conflict)
        .into());
    }
    Ok(())
}

pub(super) fn action(ctx: &Context_, id: &str, json: bool, action: IncidentAction) -> Result<()> {
    let n = incident_number(id)?;
    let app = ctx.app()?;
    let label = crate::domain::incidents::label(n);
    let (incident, line) = match action {
        IncidentAction::Status {
            status,
            reason,
            summary,
            actor,
        } => {
            if status.eq_ignore_ascii_case("resolved") {
                refuse_resolved(&app.incident(n)?, "resolve it again")?;
            }
            let was = app.incident(n)?.status;
            let i = app.incident_status(
                n,
                &status,
                &Actor::admin(actor),
                summary.as_deref(),
                reason.as_deref(),
            )?;
            let line = if was == "resolved" && i.status != "resolved" {
                format!("{label} reopened: {}", i.status)
            } else {
                format!("{label} is {}", i.status)
            };
            (i, line)
        }
        IncidentAction::Link {
            issue,
            move_from_open,
            actor,
        } => {
            let i = app.incident_link(n, issue, &actor, move_from_open)?;
            (i, format!("issue #{issue} linked to {label}"))
        }
        IncidentAction::Unlink { issue, actor } => {
            let i = app.incident_unlink(n, issue, &actor)?;
            (i, format!("issue #{issue} unlinked from {label}"))
        }
        IncidentAction::Severity { severity, actor } => {
            let i = app.incident_severity(n, &severity, &Actor::admin(actor))?;
            let line = format!("{label} is {}", i.severity);
            (i, line)
        }
        IncidentAction::Commander { who, actor } => {
            let i = app.incident_commander(n, &who, &Actor::admin(actor))?;
            let line = format!(
                "{label} commander: {}",
                i.commander.as_deref().unwrap_or("none")
            );
            (i, line)
        }
        IncidentAction::MergeInto { into, actor } => {
            let into = incident_number(&into)?;
            let moved = app.incident(n)?.issues.len();
            let i = app.incident_merge(n, into, &Actor::admin(actor))?;
            let line = format!(
                "{label} merged into {} ({moved} {} moved)",
                i.id,
                if moved == 1 { "issue" } else { "issues" }
            );
            (i, line)
        }
        IncidentAction::Split {
            issues,
            title,
            actor,
        } => {
            let i = app.incident_split(n, &issues, &title, &Actor::admin(actor))?;
            let list: Vec<String> = issues.iter().map(|i| format!("#{i}")).collect();
            let line = format!("{} split off {label}: {}", i.id, list.join(", "));
            (i, line)
        }
        IncidentAction::Followup { action } => {
            let (f, line) = match action {
                FollowupAction::Add {
                    text,
                    owner,
                    jira,
                    linear,
                    actor,
                } => match (jira, linear) {
                    (false, false) => {
                        let f = app.followup_add(n, &text, owner.as_deref(), &actor)?;
                        let line = format!("follow-up {} added to {label}", f.id);
                        (f, line)
                    }
                    (jira, _) => {
                        let tracker = if jira { "jira" } else { "linear" };
                        let (f, request) =
                            app.followup_add_tracked(n, &text, owner.as_deref(), &actor, tracker)?;
                        let d = super::trackers::send_now(&app, request.delivery)?;
                        let line = format!(
                            "follow-up {} added to {label}: {}",
                            f.id,
                            super::trackers::line(&d, request.new)
                        );
                        (app.followup(f.id)?, line)
                    }
                },
                FollowupAction::List => return followup_list(&app, n, json),
                FollowupAction::Done { id, actor } => followup_to(&app, n, id, "done", &actor)?,
                FollowupAction::Drop { id, actor } => followup_to(&app, n, id, "dropped", &actor)?,
                FollowupAction::Reopen { id, actor } => followup_to(&app, n, id, "open", &actor)?,
            };
            if json {
                return print_json(&f);
            }
            outln!("{line}");
            return Ok(());
        }
    };
    if json {
        print_json(&incident)
    } else {
        outln!("{line}");
        Ok(())
    }
}

/// Sets follow-up `id` of incident `n` to `state`; one of another incident is refused.
fn followup_to(
    app: &crate::app::App,
    n: i64,
    id: i64,
    state: &str,
    actor: &str,
) -> Result<(crate::domain::incidents::Followup, String)> {
    let f = app.followup_state(n, id, state, actor)?;
    let line = format!("follow-up {id} is {}", f.state);
    Ok((f, line))
}

/// `steward incident INC-n followup list`: the follow-ups, their tickets' states read back from
/// Jira or Linear first (a tracker that does not answer leaves the last state read).
fn followup_list(app: &crate::app::App, n: i64, json: bool) -> Result<()> {
    app.incident(n)?;
    let synced = super::trackers::with_trackers(app, |http, secrets| async move {
        crate::faces::integrations::sync::refresh(app, &http, &secrets, Some(n)).await
    })?;
    if synced.failed > 0 {
        eprintln!(
            "{} of {} tickets could not be read back; their last known state is shown",
            synced.failed, synced.asked
        );
    }
    let list = app.followups(n)?;
    if json {
        return print_json(&list);
    }
    if list.is_empty() {
        outln!("no follow-ups on {}", crate::domain::incidents::label(n));
    }
    for f in &list {
        outln!("{}", render::followup_line(f));
    }
    Ok(())
}
