//! The worker: turns queued Slack work (buttons, modal submissions, slash commands, thread
//! replies, App Home opens) into calls on [`App`], the same calls the CLI makes, and answers in
//! Slack. Failures are logged with context and answered to the person; they never kill the loop.

use crate::app::App;
use crate::config::SlackConfig;
use crate::domain::incidents::Declaration;
use crate::domain::issues::{IssueFilter, Resolution, Status};
use crate::error::as_input_error;
use crate::faces::slack::api::SlackApi;
use crate::faces::slack::blocks;
use crate::faces::slack::bot::Incoming;
use crate::faces::slack::commands::{
    self, Command, IssuesScope, MuteDuration, MuteTarget, StatusArg, UserRef,
};
use anyhow::Result;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::mpsc;

/// What handlers share.
pub struct Context {
    pub app: App,
    pub api: Arc<SlackApi>,
    pub config: SlackConfig,
    pub bot_user: String,
    /// People who opened their Home tab: it is republished for them after changes.
    pub home_users: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

pub async fn run(ctx: Arc<Context>, mut queue: mpsc::UnboundedReceiver<Incoming>) {
    while let Some(item) = queue.recv().await {
        let what = match &item {
            Incoming::Interaction(v) => format!(
                "interaction {}",
                v.get("type").and_then(Value::as_str).unwrap_or("?")
            ),
            Incoming::Command(v) => format!(
                "command {}",
                v.get("text").and_then(Value::as_str).unwrap_or("")
            ),
            Incoming::Event(v) => format!(
                "event {}",
                v.pointer("/event/type")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
            ),
        };
        if let Err(e) = handle(&ctx, item).await {
            tracing::error!(what, error = format!("{e:#}"), "Slack handler failed");
        }
    }
}

async fn handle(ctx: &Arc<Context>, item: Incoming) -> Result<()> {
    match item {
        Incoming::Interaction(v) => match v.get("type").and_then(Value::as_str) {
            Some("block_actions") => block_action(ctx, &v).await,
            Some("view_submission") => view_submission(ctx, &v).await,
            other => {
                tracing::debug!(kind = other.unwrap_or("?"), "interaction ignored");
                Ok(())
            }
        },
        Incoming::Command(v) => command(ctx, &v).await,
        Incoming::Event(v) => event(ctx, &v).await,
    }
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// The person as stored on issues: a Slack mention, so every face can show it.
fn mention(user: &str) -> String {
    format!("<@{user}>")
}

/// Runs a blocking core call off the async threads.
async fn core<T: Send + 'static>(
    ctx: &Arc<Context>,
    f: impl FnOnce(&App) -> Result<T> + Send + 'static,
) -> Result<T> {
    let app = ctx.app.clone();
    tokio::task::spawn_blocking(move || f(&app)).await?
}

/// Tells the person why nothing happened (a stale button, a resolved issue, a typo).
async fn explain(
    ctx: &Arc<Context>,
    channel: Option<&str>,
    user: &str,
    err: &anyhow::Error,
) -> Result<()> {
    let text = match as_input_error(err) {
        Some(e) => format!("⚠️ {e}"),
        None => {
            tracing::error!(error = format!("{err:#}"), "Slack action failed");
            "⚠️ Steward hit an internal error; it is logged.".to_owned()
        }
    };
    if let Some(channel) = channel {
        ctx.api
            .ephemeral(channel, user, &blocks::ephemeral_text(&text))
            .await?;
    }
    Ok(())
}

fn issue_id_from(v: &Value) -> Option<i64> {
    str_at(v, "/actions/0/value")
        .and_then(|s| s.parse().ok())
        .or_else(|| {
            str_at(v, "/actions/0/block_id")
                .and_then(|b| b.rsplit('.').next())
                .and_then(|s| s.parse().ok())
        })
}

async fn block_action(ctx: &Arc<Context>, v: &Value) -> Result<()> {
    let user = str_at(v, "/user/id").unwrap_or_default().to_owned();
    let channel = str_at(v, "/channel/id")
        .or_else(|| str_at(v, "/container/channel_id"))
        .map(str::to_owned);
    let trigger = str_at(v, "/trigger_id").unwrap_or_default().to_owned();
    let action = str_at(v, "/actions/0/action_id")
        .unwrap_or_default()
        .to_owned();
    if let Some(which) = action.strip_prefix("steward.incident.") {
        let n = str_at(v, "/actions/0/value").and_then(|s| s.parse::<i64>().ok());
        let Some(n) = n else { return Ok(()) };
        let actor = mention(&user);
        let result: Result<()> = async {
            let incident = core(ctx, move |app| app.incident(n)).await?;
            // A stale button on a resolved incident: only reopening, updates and the report.
            if incident.status == "resolved"
                && matches!(which, "severity" | "commander" | "link" | "resolve")
            {
                return Err(crate::error::InputError::new(
                    crate::domain::incidents::label(n),
                    "it is resolved; reopen it first (Reopen on its message)",
                )
                .into());
            }
            let view = match which {
                "status" => blocks::incident_status_modal(n, &incident.status),
                "resolve" => blocks::incident_resolve_modal(n),
                "comment" => {
                    // An open incident's update can also go to its products' channels.
                    let channels = if incident.status == "resolved" {
                        Vec::new()
                    } else {
                        let i = incident.clone();
                        core(ctx, move |app| app.product_channels(&i)).await?
                    };
                    blocks::incident_comment_modal(n, &channels)
                }
                "severity" => blocks::incident_severity_modal(n, &incident.severity),
                "commander" => blocks::incident_commander_modal(n, incident.commander.as_deref()),
                "link" => {
                    let candidates = core(ctx, move |app| app.link_candidates(n)).await?;
                    let candidates: Vec<blocks::LinkCandidate> = candidates
                        .into_iter()
                        .map(|(i, related, in_incident)| blocks::LinkCandidate {
                            id: i.id,
                            label: format!(
                                "{} {}",
                                crate::domain::text::short_name(&i.asset),
                                crate::domain::text::short_name(&i.check)
                            ),
                            related,
                            in_incident,
                        })
                        .collect();
                    blocks::incident_link_modal(n, &candidates)
                }
                "postmortem" => {
                    core(ctx, move |app| app.share_postmortem(n, &actor)).await?;
                    return Ok(());
                }
                _ => return Ok(()),
            };
            ctx.api.open_view(&trigger, &view).await?;
            Ok(())
        }
        .await;
        return match result {
            Ok(()) => Ok(()),
            Err(e) => explain(ctx, channel.as_deref(), &user, &e).await,
        };
    }
    let Some(issue) = issue_id_from(v) else {
        tracing::warn!(action, "button without an issue id ignored");
        return Ok(());
    };
    let actor = mention(&user);
    let result: Result<()> = async {
        match action.as_str() {
            "steward.assign" => {
                // slack-morphism's action model drops `selected_user`; the payload's `state`
                // carries every element's current value, so read it there.
                let block = str_at(v, "/actions/0/block_id").unwrap_or_default();
                let who = v
                    .pointer(&format!(
                        "/state/values/{block}/steward.assign/selected_user"
                    ))
                    .and_then(Value::as_str)
                    .or_else(|| str_at(v, "/actions/0/selected_user"))
                    .ok_or_else(|| crate::error::InputError::new("assign", "no user was selected"))?
                    .to_owned();
                core(ctx, move |app| app.assign(issue, &mention(&who), &actor)).await?;
            }
            "steward.status" => match str_at(v, "/actions/0/selected_option/value")
                .unwrap_or_default()
            {
                "investigating" => {
                    core(ctx, move |app| {
                        app.set_status(issue, Status::Investigating, &actor)
                    })
                    .await?;
                }
                other => {
                    let resolution = Resolution::parse_manual(other).ok_or_else(|| {
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
                            &trigger,
                            &blocks::reason_modal(issue, resolution.as_str(), open_incident),
                        )
                        .await?;
                }
            },
            "steward.comment" => {
                ctx.api
                    .open_view(&trigger, &blocks::comment_modal(issue))
                    .await?
            }
            "steward.mute" => {
                let choice = str_at(v, "/actions/0/selected_option/value")
                    .unwrap_or("24h")
                    .to_owned();
                let now = ctx.app.clock.now();
                let until = match choice.as_str() {
                    "until_fixed" => None,
                    "7d" => Some(now + chrono::Duration::days(7)),
                    _ => Some(now + chrono::Duration::hours(24)),
                };
                core(ctx, move |app| app.mute(Some(issue), None, until, &actor)).await?;
            }
            "steward.declare" => {
                let draft = core(ctx, move |app| declare_draft(app, issue)).await?;
                ctx.api
                    .open_view(&trigger, &blocks::declare_modal(&draft))
                    .await?;
            }
            "steward.show_sql" => {
                let detail = core(ctx, move |app| app.issue(issue)).await?;
                let sql = detail.issue.compiled_sql.clone().unwrap_or_else(|| {
                    "-- dbt did not report compiled SQL for this check".to_owned()
                });
                let node = detail
                    .issue
                    .node
                    .clone()
                    .unwrap_or(detail.issue.asset.clone());
                ctx.api
                    .open_view(&trigger, &blocks::sql_modal(issue, &node, &sql))
                    .await?;
            }
            other => tracing::debug!(action = other, "action ignored"),
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Ok(()),
        Err(e) => explain(ctx, channel.as_deref(), &user, &e).await,
    }
}

fn declare_draft(app: &App, issue: i64) -> Result<blocks::DeclareDraft> {
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

/// A submitted modal's values: `state.values[block_id][action_id]`.
fn input<'a>(v: &'a Value, block: &str) -> Option<&'a Value> {
    v.pointer(&format!("/view/state/values/{block}"))
        .and_then(Value::as_object)
        .and_then(|m| m.values().next())
}

fn input_text(v: &Value, block: &str) -> Option<String> {
    input(v, block)
        .and_then(|i| i.get("value"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn input_option(v: &Value, block: &str) -> Option<String> {
    input(v, block)
        .and_then(|i| i.pointer("/selected_option/value"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Checks a modal submission before it is acked; returns the errors to show in the modal.
pub fn validate_submission(v: &Value) -> Option<HashMap<String, String>> {
    if v.get("type").and_then(Value::as_str) != Some("view_submission") {
        return None;
    }
    let mut errors = HashMap::new();
    match str_at(v, "/view/callback_id") {
        Some("steward.declare") => {
            if input_text(v, "title").is_none() {
                errors.insert("title".to_owned(), "An incident needs a title.".to_owned());
            }
            if let Some(sev) = input_option(v, "severity")
                && !crate::config::SEVERITIES.contains(&sev.as_str())
            {
                errors.insert("severity".to_owned(), "Choose SEV1 to SEV4.".to_owned());
            }
        }
        Some("steward.comment" | "steward.incident_comment")
            if input_text(v, "comment").is_none() =>
        {
            errors.insert("comment".to_owned(), "The comment is empty.".to_owned());
        }
        Some("steward.reason")
            if input_option(v, "mute_for").is_some_and(|d| {
                !blocks::EXPECTED_MUTE_OPTIONS
                    .iter()
                    .any(|(value, _)| *value == d)
            }) =>
        {
            errors.insert(
                "mute_for".to_owned(),
                "Choose 24 hours, 7 days or 30 days.".to_owned(),
            );
        }
        Some("steward.incident_link") => {
            let typed = input_text(v, "issue_numbers").unwrap_or_default();
            let picked = input(v, "issues")
                .and_then(|i| i.get("selected_options"))
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty());
            match blocks::parse_issue_numbers(&typed) {
                Err(e) => {
                    errors.insert("issue_numbers".to_owned(), e);
                }
                Ok(numbers) if numbers.is_empty() && !picked => {
                    errors.insert(
                        "issue_numbers".to_owned(),
                        "Pick an issue above or type its number.".to_owned(),
                    );
                }
                Ok(_) => {}
            }
        }
        Some("steward.reason") => {
            let in_incident = str_at(v, "/view/private_metadata")
                .and_then(|m| serde_json::from_str::<Value>(m).ok())
                .and_then(|m| m.get("incident").and_then(Value::as_i64));
            let confirmed = input(v, "confirm")
                .and_then(|i| i.get("selected_options"))
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty());
            if let Some(n) = in_incident
                && !confirmed
            {
                errors.insert(
                    "confirm".to_owned(),
                    format!("INC-{n} is open: tick the box to resolve this issue anyway."),
                );
            }
        }
        Some("steward.incident_resolve") if input_text(v, "summary").is_none() => {
            errors.insert(
                "summary".to_owned(),
                "Say what happened: resolving needs a summary.".to_owned(),
            );
        }
        _ => {}
    }
    (!errors.is_empty()).then_some(errors)
}

/// A submitted modal. Refusals (a resolved incident, a missing issue: the modal was opened
/// before someone else acted) are answered ephemerally where the subject lives: the incidents
/// channel, or the issue's alert.
async fn view_submission(ctx: &Arc<Context>, v: &Value) -> Result<()> {
    let Err(e) = submission(ctx, v).await else {
        return Ok(());
    };
    if as_input_error(&e).is_none() {
        return Err(e);
    }
    let user = str_at(v, "/user/id").unwrap_or_default().to_owned();
    let meta: Value = str_at(v, "/view/private_metadata")
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or(Value::Null);
    let channel = match (
        meta.get("incident").and_then(Value::as_i64),
        meta.get("issue").and_then(Value::as_i64),
    ) {
        (Some(_), _) => Some(ctx.config.incidents_channel.clone()),
        (None, Some(issue)) => core(ctx, move |app| app.issue(issue))
            .await
            .ok()
            .and_then(|d| d.slack)
            .map(|s| s.channel),
        (None, None) => None,
    };
    explain(ctx, channel.as_deref(), &user, &e).await
}

async fn submission(ctx: &Arc<Context>, v: &Value) -> Result<()> {
    let user = str_at(v, "/user/id").unwrap_or_default().to_owned();
    let actor = mention(&user);
    let meta: Value = str_at(v, "/view/private_metadata")
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or(Value::Null);
    let issue = meta.get("issue").and_then(Value::as_i64);
    match (str_at(v, "/view/callback_id"), issue) {
        (Some("steward.comment"), Some(issue)) => {
            let text = input_text(v, "comment").unwrap_or_default();
            core(ctx, move |app| app.comment(issue, &actor, &text)).await?;
        }
        (Some("steward.reason"), Some(issue)) => {
            let resolution = meta
                .get("resolution")
                .and_then(Value::as_str)
                .and_then(Resolution::parse_manual)
                .unwrap_or(Resolution::Fixed);
            let category = input_option(v, "category");
            let text = input_text(v, "reason");
            let reason = match (category, text) {
                (Some(c), Some(t)) => Some(format!("{c}: {t}")),
                (c, t) => c.or(t),
            };
            // Only the `expected` modal has the select; without it the core's default applies.
            let mute_for = input_option(v, "mute_for")
                .and_then(|d| crate::config::parse_duration(&d))
                .and_then(|d| chrono::Duration::from_std(d).ok());
            // The modal of an issue in an open incident carries the incident and a checkbox.
            let confirmed = meta.get("incident").is_some()
                && input(v, "confirm")
                    .and_then(|i| i.get("selected_options"))
                    .and_then(Value::as_array)
                    .is_some_and(|a| !a.is_empty());
            core(ctx, move |app| {
                app.resolve_with_mute(
                    issue,
                    resolution,
                    reason.as_deref(),
                    mute_for,
                    confirmed,
                    &actor,
                )
            })
            .await?;
        }
        (Some("steward.declare"), _) => {
            let selected: Vec<i64> = input(v, "issues")
                .and_then(|i| i.get("selected_options"))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|o| o.get("value").and_then(Value::as_str)?.parse().ok())
                        .collect()
                })
                .unwrap_or_default();
            let mut issues: Vec<i64> = issue.into_iter().chain(selected).collect();
            issues.sort_unstable();
            issues.dedup();
            let declaration = Declaration {
                title: input_text(v, "title").unwrap_or_default(),
                description: input_text(v, "description"),
                severity: input_option(v, "severity").unwrap_or_else(|| "SEV3".to_owned()),
                commander: input(v, "commander")
                    .and_then(|i| i.get("selected_user"))
                    .and_then(Value::as_str)
                    .map(mention),
                issues,
                declared_by: actor,
            };
            core(ctx, move |app| app.declare(declaration)).await?;
        }
        (
            Some(
                cb @ ("steward.incident_status"
                | "steward.incident_resolve"
                | "steward.incident_comment"
                | "steward.incident_severity"
                | "steward.incident_commander"
                | "steward.incident_link"),
            ),
            _,
        ) => {
            let Some(n) = meta.get("incident").and_then(Value::as_i64) else {
                return Ok(());
            };
            match cb {
                "steward.incident_status" => {
                    let status =
                        input_option(v, "status").unwrap_or_else(|| "investigating".to_owned());
                    let note = input_text(v, "note");
                    core(ctx, move |app| {
                        app.incident_status(n, &status, &actor, note.as_deref(), None)
                    })
                    .await?;
                }
                "steward.incident_resolve" => {
                    let summary = input_text(v, "summary");
                    let reason = input_option(v, "category");
                    core(ctx, move |app| {
                        app.incident_status(
                            n,
                            "resolved",
                            &actor,
                            summary.as_deref(),
                            reason.as_deref(),
                        )
                    })
                    .await?;
                }
                "steward.incident_severity" => {
                    let severity = input_option(v, "severity").unwrap_or_default();
                    core(ctx, move |app| app.incident_severity(n, &severity, &actor)).await?;
                }
                "steward.incident_commander" => {
                    let who = input(v, "commander")
                        .and_then(|i| i.get("selected_user"))
                        .and_then(Value::as_str)
                        .map(mention)
                        .ok_or_else(|| {
                            crate::error::InputError::new("commander", "nobody was selected")
                        })?;
                    core(ctx, move |app| app.incident_commander(n, &who, &actor)).await?;
                }
                "steward.incident_link" => {
                    let mut ids: Vec<i64> = input(v, "issues")
                        .and_then(|i| i.get("selected_options"))
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|o| o.get("value")?.as_str()?.parse().ok())
                                .collect()
                        })
                        .unwrap_or_default();
                    ids.extend(
                        blocks::parse_issue_numbers(
                            &input_text(v, "issue_numbers").unwrap_or_default(),
                        )
                        .unwrap_or_default(),
                    );
                    ids.sort_unstable();
                    ids.dedup();
                    // Adding an issue that is in another open incident moves it here: the modal
                    // said so next to it.
                    // Every number is checked before anything is linked.
                    core(ctx, move |app| {
                        for id in &ids {
                            let i = app.issue(*id)?.issue;
                            if !i.is_active() {
                                return Err(crate::error::InputError::new(
                                    format!("issue {id}"),
                                    "it is resolved; only open issues join an incident",
                                )
                                .into());
                            }
                        }
                        for id in ids {
                            app.incident_link(n, id, &actor, true)?;
                        }
                        Ok(())
                    })
                    .await?;
                }
                _ => {
                    let text = input_text(v, "comment").unwrap_or_default();
                    let to_products = input(v, "notify")
                        .and_then(|i| i.get("selected_options"))
                        .and_then(Value::as_array)
                        .is_some_and(|a| !a.is_empty());
                    if to_products {
                        core(ctx, move |app| app.stakeholder_update(n, &actor, &text)).await?;
                    } else {
                        core(ctx, move |app| app.incident_comment(n, &actor, &text)).await?;
                    }
                }
            }
        }
        (other, _) => tracing::debug!(callback = other.unwrap_or("?"), "submission ignored"),
    }
    Ok(())
}

async fn command(ctx: &Arc<Context>, v: &Value) -> Result<()> {
    let user = str_at(v, "/user_id").unwrap_or_default().to_owned();
    let channel = str_at(v, "/channel_id").unwrap_or_default().to_owned();
    let text = str_at(v, "/text").unwrap_or_default().to_owned();
    let answer = match commands::parse(&text) {
        Err(e) => blocks::ephemeral_text(&format!(
            "{}\n\n{}",
            e.message,
            commands::usage(&ctx.config.command)
        )),
        Ok(cmd) => match run_command(ctx, &user, cmd).await {
            Ok(m) => m,
            Err(e) => {
                explain(ctx, Some(&channel), &user, &e).await?;
                return Ok(());
            }
        },
    };
    ctx.api.ephemeral(&channel, &user, &answer).await?;
    Ok(())
}

async fn run_command(ctx: &Arc<Context>, user: &str, cmd: Command) -> Result<blocks::Message> {
    let actor = mention(user);
    let me = mention(user);
    Ok(match cmd {
        Command::Help => blocks::ephemeral_text(&commands::usage(&ctx.config.command)),
        Command::Issues(scope) => {
            let issues = core(ctx, move |app| {
                let mut list = app.issues(&IssueFilter {
                    active: true,
                    ..Default::default()
                })?;
                match scope {
                    IssuesScope::Open => {}
                    IssuesScope::Mine => {
                        list.retain(|i| i.assignee.as_deref() == Some(me.as_str()))
                    }
                    IssuesScope::Asset(a) => {
                        list.retain(|i| i.asset == a || i.asset.ends_with(&format!(".{a}")))
                    }
                }
                Ok(list)
            })
            .await?;
            blocks::issue_list(&issues, "Open issues")
        }
        Command::Issue(id) => {
            let d = core(ctx, move |app| app.issue(id)).await?;
            blocks::issue_list(std::slice::from_ref(&d.issue), &format!("Issue #{id}"))
        }
        Command::Assign { issue, user: who } => {
            let who = match who {
                UserRef::Id(id) => mention(&id),
                UserRef::Email(e) => ctx
                    .api
                    .user_by_email(&e)
                    .await
                    .map(|id| mention(&id))
                    .unwrap_or(e),
                UserRef::Name(n) => n,
            };
            let i = core(ctx, move |app| app.assign(issue, &who, &actor)).await?;
            blocks::ephemeral_text(&format!(
                "Issue #{} assigned to {}.",
                i.id,
                i.assignee.unwrap_or_default()
            ))
        }
        Command::Status {
            issue,
            status,
            reason,
        } => {
            let i = core(ctx, move |app| match status {
                StatusArg::Investigating => app.set_status(issue, Status::Investigating, &actor),
                StatusArg::Acknowledged => app.set_status(issue, Status::Acknowledged, &actor),
                StatusArg::Open => app.set_status(issue, Status::Open, &actor),
                StatusArg::Fixed => {
                    app.resolve(issue, Resolution::Fixed, reason.as_deref(), &actor)
                }
                StatusArg::Expected => {
                    app.resolve(issue, Resolution::Expected, reason.as_deref(), &actor)
                }
                StatusArg::FalsePositive => {
                    app.resolve(issue, Resolution::FalsePositive, reason.as_deref(), &actor)
                }
            })
            .await?;
            blocks::ephemeral_text(&format!("Issue #{} is {}.", i.id, i.status))
        }
        Command::Comment { issue, text } => {
            core(ctx, move |app| app.comment(issue, &actor, &text)).await?;
            blocks::ephemeral_text(&format!("Comment added to issue #{issue}."))
        }
        Command::Mute { target, duration } => {
            let until = match duration {
                MuteDuration::For(d) => Some(ctx.app.clock.now() + chrono::Duration::from_std(d)?),
                MuteDuration::UntilFixed => None,
            };
            let m = core(ctx, move |app| match target {
                MuteTarget::Issue(id) => app.mute(Some(id), None, until, &actor),
                MuteTarget::Asset(a) => {
                    let lineage = app.lineage.current();
                    let asset = lineage
                        .resolve(&a)
                        .map(|i| lineage.node(i).unique_id.clone())
                        .unwrap_or(a);
                    app.mute(None, Some(&asset), until, &actor)
                }
            })
            .await?;
            blocks::ephemeral_text(&format!(
                "Muted {} {}.",
                m.asset,
                m.until
                    .map(|u| format!("until {u}"))
                    .unwrap_or_else(|| "until fixed".to_owned())
            ))
        }
        Command::Declare { title } => {
            let title = title.unwrap_or_else(|| "Data incident".to_owned());
            let i = core(ctx, move |app| {
                app.declare(Declaration {
                    title,
                    severity: app.suggest_severity(&[]),
                    declared_by: actor,
                    ..Default::default()
                })
            })
            .await?;
            blocks::ephemeral_text(&format!("Declared {}: {}.", i.id, i.title))
        }
        Command::Incidents => {
            let list = core(ctx, |app| app.incidents(true)).await?;
            let lines: Vec<String> = list
                .iter()
                .map(|i| format!("*{}* {} — {} ({})", i.id, i.title, i.severity, i.status))
                .collect();
            let text = if lines.is_empty() {
                "No open incidents.".to_owned()
            } else {
                lines.join("\n")
            };
            blocks::ephemeral_text(&text)
        }
        Command::Impact { node } => {
            let impact = core(ctx, move |app| app.impact(None, &node)).await?;
            blocks::ephemeral_text(&crate::faces::cli::render::impact(&impact))
        }
        Command::Update { incident, text } => {
            let channels = core(ctx, move |app| {
                app.stakeholder_update(incident, &actor, &text)
            })
            .await?;
            let label = crate::domain::incidents::label(incident);
            if channels.is_empty() {
                blocks::ephemeral_text(&format!("Update posted on {label}'s thread."))
            } else {
                let shown: Vec<String> = channels.iter().map(|c| format!("<#{c}>")).collect();
                blocks::ephemeral_text(&format!(
                    "Update posted on {label}'s thread and in {}.",
                    shown.join(", ")
                ))
            }
        }
        Command::Sla { product } => {
            let (report, statuses) = core(ctx, |app| {
                Ok((
                    app.report(&crate::domain::metrics::Window::default())?,
                    app.product_statuses()?,
                ))
            })
            .await?;
            blocks::ephemeral_text(&sla_text(
                &report,
                &statuses,
                product.as_deref(),
                &ctx.config.command,
            ))
        }
        Command::WhoisOwner { node } => {
            let owners = core(ctx, move |app| {
                let lineage = app.lineage.current();
                let idx = crate::app::resolve_node(&lineage, &node)?;
                Ok((
                    lineage.node(idx).unique_id.clone(),
                    lineage.owners(None, idx),
                ))
            })
            .await?;
            let mentions = ctx.api.mentions(&owners.1).await;
            blocks::ephemeral_text(&format!(
                "Owners of {}: {}",
                owners.0,
                if mentions.is_empty() {
                    "nobody named".to_owned()
                } else {
                    mentions.join(", ")
                }
            ))
        }
    })
}

/// The answer to `sla [product]`: each product's status, uptime over the report's window, SLA
/// target, met or missed, and the error budget left. An unknown product gets the usage.
fn sla_text(
    report: &crate::domain::metrics::Report,
    statuses: &[crate::domain::status::ProductStatus],
    product: Option<&str>,
    command: &str,
) -> String {
    let shown: Vec<&crate::domain::metrics::ProductMetrics> = report
        .data_products
        .iter()
        .filter(|m| product.is_none_or(|p| m.name.eq_ignore_ascii_case(p)))
        .collect();
    if let Some(p) = product
        && shown.is_empty()
    {
        let known: Vec<&str> = report
            .data_products
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        let command = if command.trim().starts_with('/') {
            command.trim().to_owned()
        } else {
            format!("/{}", command.trim())
        };
        return format!(
            "unknown data product `{p}` (known: {})\nUsage: `{command} sla [product]`",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        );
    }
    if shown.is_empty() {
        return "No data products are defined: add `[[products]]` to steward.toml.".to_owned();
    }
    let mut lines = vec![format!("*Data product SLAs* (last {})", report.since)];
    for m in shown {
        let status = statuses
            .iter()
            .find(|s| s.name == m.name)
            .map(|s| s.status.as_str())
            .unwrap_or("unknown");
        let target = m
            .sla_target
            .map(|t| format!("{:.2}%", t * 100.0))
            .unwrap_or_else(|| "none".to_owned());
        let met = match m.sla_met {
            Some(true) => "met ✅",
            Some(false) => "missed ❌",
            None => "no SLA",
        };
        let budget = m
            .error_budget_minutes_left
            .map(|b| format!("{b:.0} min of error budget left"))
            .unwrap_or_else(|| "no error budget".to_owned());
        lines.push(format!(
            "• *{}* — {status}; uptime {:.3}%, target {target}: {met}; {budget}",
            m.name,
            m.uptime * 100.0
        ));
    }
    lines.join("\n")
}

async fn event(ctx: &Arc<Context>, v: &Value) -> Result<()> {
    let Some(event) = v.get("event") else {
        return Ok(());
    };
    match event.get("type").and_then(Value::as_str) {
        Some("app_home_opened") => {
            if let Some(user) = event.get("user").and_then(Value::as_str) {
                ctx.home_users
                    .lock()
                    .expect("home users lock")
                    .insert(user.to_owned());
                super::notifier::publish_home(ctx, user).await?;
            }
            Ok(())
        }
        Some("message") => super::notifier::thread_message(ctx, event).await,
        _ => Ok(()),
    }
}
