//! Issue commands: `issues`, `issue`, `assign`, `comment`, `status` and `resolve`.

use super::incidents::{incident_number, refuse_resolved};
use super::{Context_, print_json, render};
use crate::domain::access::Actor;
use crate::domain::issues::{IssueFilter, Resolution, Status};
use crate::error::InputError;
use anyhow::Result;

/// `steward issues`' filters.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[arg(long)]
    status: Option<String>,
    /// A unique_id or a node name.
    #[arg(long)]
    asset: Option<String>,
    /// Part of an owner's email or name.
    #[arg(long)]
    owner: Option<String>,
    #[arg(long)]
    env: Option<String>,
    /// The issues linked to an incident (INC-n or n).
    #[arg(long)]
    incident: Option<String>,
    /// The members of a storm (roots that share one cause, shown as one Slack message).
    #[arg(long)]
    storm: Option<i64>,
}

/// `steward issues`: the issues matching the filters, as a table or JSON.
pub(super) fn list(ctx: &Context_, args: ListArgs, json: bool) -> Result<()> {
    let ListArgs {
        status,
        asset,
        owner,
        env,
        incident,
        storm,
    } = args;
    let incident = incident
        .map(|s| {
            crate::domain::incidents::parse_number(&s).ok_or_else(|| {
                InputError::new(
                    "--incident",
                    format!("{s:?} is not an incident (INC-n or n)"),
                )
            })
        })
        .transpose()?;
    let status = status
        .map(|s| {
            Status::parse(&s).ok_or_else(|| {
                InputError::new("--status", format!("unknown status {s:?}; use open, acknowledged, investigating, recovering or resolved"))
            })
        })
        .transpose()?;
    let issues = ctx.app()?.issues(&IssueFilter {
        status,
        asset,
        owner,
        env,
        ids: None,
        incident,
        active: false,
        storm,
    })?;
    if json {
        print_json(&issues)
    } else {
        out!("{}", render::issues_table(&issues));
        Ok(())
    }
}

/// `steward issue N`: one issue with its timeline and comments.
pub(super) fn show(ctx: &Context_, id: i64, json: bool) -> Result<()> {
    let app = ctx.app()?;
    let detail = app.issue(id)?;
    if json {
        print_json(&detail)
    } else {
        let people = app.people()?;
        out!(
            "{}",
            people.humanize(
                &render::issue_detail(&detail),
                crate::domain::people::Style::Plain
            )
        );
        Ok(())
    }
}

pub(super) fn assign(ctx: &Context_, id: i64, who: String, actor: String) -> Result<()> {
    let issue = ctx.app()?.assign(id, &who, &actor)?;
    outln!("issue #{} assigned to {} ({})", issue.id, who, issue.status);
    Ok(())
}

/// A comment on an issue (`N`), or an update on an incident (`INC-n`).
pub(super) fn comment(ctx: &Context_, id: String, text: String, author: String) -> Result<()> {
    let is_incident = id.trim().to_ascii_uppercase().starts_with("INC-");
    if is_incident {
        let n = incident_number(&id)?;
        let app = ctx.app()?;
        refuse_resolved(&app.incident(n)?, "post an update")?;
        app.incident_comment(n, &author, &text)?;
        outln!("update posted on {}", crate::domain::incidents::label(n));
        return Ok(());
    }
    let id: i64 = id
        .trim()
        .trim_start_matches('#')
        .parse()
        .map_err(|_| InputError::new(&id, "not an issue number or INC-n"))?;
    let c = ctx.app()?.comment(id, &author, &text)?;
    outln!("comment {} added to issue #{id}", c.id);
    Ok(())
}

pub(super) fn status(ctx: &Context_, id: i64, status: String, actor: String) -> Result<()> {
    let st = Status::parse(&status)
        .ok_or_else(|| InputError::new("status", format!("unknown status {status:?}")))?;
    let issue = ctx.app()?.set_status(id, st, &actor)?;
    outln!("issue #{} is {}", issue.id, issue.status);
    Ok(())
}

pub(super) fn resolve(
    ctx: &Context_,
    id: i64,
    resolution: String,
    reason: Option<String>,
    mute_for: Option<String>,
    confirm: bool,
    actor: String,
) -> Result<()> {
    let r = Resolution::parse_manual(&resolution).ok_or_else(|| {
        InputError::new(
            "resolution",
            format!("{resolution:?} is not fixed, expected or false_positive"),
        )
    })?;
    let mute_for = mute_for.map(|text| parse_mute_for(&text, r)).transpose()?;
    let issue = ctx.app()?.resolve_with_mute(
        id,
        r,
        reason.as_deref(),
        mute_for,
        confirm,
        &Actor::admin(actor),
    )?;
    match &issue.muted_until {
        Some(until) if r == Resolution::Expected => {
            outln!(
                "issue #{} resolved ({resolution}), check muted until {until}",
                issue.id
            )
        }
        _ => outln!("issue #{} resolved ({})", issue.id, resolution),
    }
    Ok(())
}

/// `--mute-for`: a duration (1h, 24h, 7d, 30d; more than zero, at most 365d), only with
/// `expected`. Checked before the database is opened, so bad input writes nothing.
fn parse_mute_for(text: &str, resolution: Resolution) -> Result<chrono::Duration, InputError> {
    if resolution != Resolution::Expected {
        return Err(InputError::new(
            "--mute-for",
            format!(
                "only `expected` mutes the check; `{}` takes no --mute-for",
                resolution.as_str()
            ),
        ));
    }
    crate::config::parse_duration(text)
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .filter(|d| *d > chrono::Duration::zero() && *d <= crate::domain::issues::MAX_EXPECTED_MUTE)
        .ok_or_else(|| {
            InputError::new(
                "--mute-for",
                format!("{text:?} is not a duration from 1m to 365d (use e.g. 1h, 24h, 7d, 30d)"),
            )
        })
}
