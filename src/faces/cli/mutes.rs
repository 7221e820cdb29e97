//! `steward mute`, `steward unmute` and `steward mutes`: the same mutes as Slack's Mute menu and
//! `/steward mute`, through [`crate::app::App`].

use super::{Context_, print_json};
use crate::app::App;
use crate::domain::access::Actor;
use crate::domain::issues::{MAX_EXPECTED_MUTE, Mute, MuteRequest, UnmuteRequest};
use crate::error::InputError;
use anyhow::Result;

/// What `steward mute` and `unmute` name: an issue number, or an asset (a unique_id or a node
/// name, looked up in the environment's graph).
pub(super) struct Target {
    pub issue: Option<i64>,
    pub asset: Option<String>,
    /// The environment named, or the one whose graph knows the asset.
    pub env: Option<String>,
}

fn target(app: &App, text: &str, env: Option<&str>) -> Result<Target> {
    let text = text.trim().trim_start_matches('#');
    if let Ok(n) = text.parse::<i64>() {
        return Ok(Target {
            issue: Some(n),
            asset: None,
            env: env.map(str::to_owned),
        });
    }
    if text.is_empty() {
        return Err(InputError::new("mute", "name an issue number or an asset").into());
    }
    // The environment named, else the first graph (the default environment's first) that
    // knows the node; an asset no graph knows (a generic alert's) is taken as typed.
    let mut envs = match env {
        Some(e) => vec![e.to_owned()],
        None => app.lineage.environments(),
    };
    let default = app.lineage.default_env().to_owned();
    envs.sort_by_key(|e| *e != default);
    for e in &envs {
        let lineage = app.lineage.env(Some(e));
        if let Some(i) = lineage.resolve(text) {
            return Ok(Target {
                issue: None,
                asset: Some(lineage.node(i).unique_id.clone()),
                env: Some(e.clone()),
            });
        }
    }
    Ok(Target {
        issue: None,
        asset: Some(text.to_owned()),
        env: Some(env.map_or(default, str::to_owned)),
    })
}

/// `--for`: 1m to 365d. Checked before anything is written.
fn parse_for(text: &str) -> Result<chrono::Duration, InputError> {
    crate::config::parse_duration(text)
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .filter(|d| *d > chrono::Duration::zero() && *d <= MAX_EXPECTED_MUTE)
        .ok_or_else(|| {
            InputError::new(
                "--for",
                format!("{text:?} is not a duration from 1m to 365d (use e.g. 1h, 24h, 7d, 30d)"),
            )
        })
}

pub(super) struct MuteArgs {
    pub target: String,
    pub for_: Option<String>,
    pub reason: Option<String>,
    pub check: Option<String>,
    pub env: Option<String>,
    pub actor: String,
    pub json: bool,
}

pub(super) fn mute(ctx: &Context_, a: MuteArgs) -> Result<()> {
    let duration = a.for_.as_deref().map(parse_for).transpose()?;
    let app = ctx.app()?;
    let t = target(&app, &a.target, a.env.as_deref())?;
    let request = MuteRequest {
        issue_id: t.issue,
        asset: t.asset,
        check: a.check,
        env: t.env,
        until: duration.map(|d| app.clock.now() + d),
        reason: a.reason,
    };
    let m = app.mute_with(request, &Actor::admin(a.actor.as_str()))?;
    if a.json {
        return print_json(&m);
    }
    outln!("muted {}", describe(&m));
    Ok(())
}

pub(super) fn unmute(
    ctx: &Context_,
    target_text: &str,
    check: Option<String>,
    env: Option<String>,
    actor: &str,
    json: bool,
) -> Result<()> {
    let app = ctx.app()?;
    let t = target(&app, target_text, env.as_deref())?;
    let ended = app.unmute(
        UnmuteRequest {
            issue_id: t.issue,
            asset: t.asset,
            check,
        },
        &Actor::admin(actor),
    )?;
    if json {
        return print_json(&ended);
    }
    for m in &ended {
        outln!("unmuted {}", describe(m));
    }
    Ok(())
}

pub(super) fn list(ctx: &Context_, json: bool) -> Result<()> {
    let mutes = ctx.app()?.mutes()?;
    if json {
        return print_json(&mutes);
    }
    if mutes.is_empty() {
        outln!("no mutes in force");
        return Ok(());
    }
    for m in &mutes {
        outln!("{}", describe(m));
    }
    Ok(())
}

/// One line: what is muted, until when, by whom and why.
fn describe(m: &Mute) -> String {
    let mut line = m.asset.clone();
    if let Some(c) = &m.check {
        line.push_str(&format!(" (check {c})"));
    }
    if let Some(env) = &m.env {
        line.push_str(&format!(" in {env}"));
    }
    if let Some(id) = m.issue_id {
        line.push_str(&format!(" [issue #{id}]"));
    }
    match &m.until {
        Some(u) => line.push_str(&format!(" until {u}")),
        None => line.push_str(" until fixed"),
    }
    line.push_str(&format!(" by {}", m.created_by));
    if let Some(r) = &m.reason {
        line.push_str(&format!(": {r}"));
    }
    line
}
