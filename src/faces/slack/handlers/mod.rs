//! One handler per action, in the manner of triagebot's handlers and mini-redis's commands.
//! Every button, modal, slash-command word and event Steward answers has its own module with
//! the same faces: read the payload (typed), call the core ([`crate::app::App`]), answer (with
//! [`crate::faces::slack::blocks`]). The tables below route an `action_id`, a modal's `callback_id`
//! or a command word to its module: a new button is one new file and one line here.
//!
//! - `alert/`: the buttons and modals of an alert message;
//! - `incident/`: those of an incident message;
//! - `command/`: one module per `/steward` word (parsed by [`crate::faces::slack::commands`]);
//! - `home_opened`, `thread_reply`: the events.

mod kit;
mod payload;

mod alert {
    pub mod assign;
    pub mod comment;
    pub mod declare;
    pub mod flood_open;
    pub mod mute;
    pub mod resolve;
    pub mod show_sql;
    pub mod status;
    pub mod ticket;
}

mod incident {
    pub mod commander;
    pub mod link;
    pub mod other;
    pub mod postmortem;
    pub mod reshape;
    pub mod resolve;
    pub mod severity;
    pub mod status;
    pub mod ticket;
    pub mod update;
}

mod command {
    pub mod assign;
    pub mod comment;
    pub mod declare;
    pub mod help;
    pub mod impact;
    pub mod incident;
    pub mod incidents;
    pub mod issue;
    pub mod issues;
    pub mod mute;
    pub mod mutes;
    pub mod owner;
    pub mod sla;
    pub mod status;
    pub mod unmute;
    pub mod update;
}

mod home_opened;
mod thread_reply;

use crate::domain::access::{Access, Action as Guarded, Actor};
use crate::error::as_input_error;
use crate::faces::slack::blocks;
use crate::faces::slack::commands::{self, Command};
use crate::faces::slack::context::Context;
use anyhow::Result;
use futures_util::future::BoxFuture;
use kit::{Button, Errors, Modal, core, explain};
use payload::{Action, Submission, str_at};
use serde_json::Value;
use std::sync::Arc;

type Press = for<'a> fn(&'a Arc<Context>, &'a Action<'a>) -> BoxFuture<'a, Result<()>>;
type Submit = for<'a> fn(&'a Arc<Context>, &'a Submission<'a>) -> BoxFuture<'a, Result<()>>;

/// Buttons and menus, by `action_id`.
static BUTTONS: &[(&str, Press)] = &[
    ("steward.declare", press::<alert::declare::Declare>),
    ("steward.assign", press::<alert::assign::Assign>),
    ("steward.status", press::<alert::status::SetStatus>),
    ("steward.comment", press::<alert::comment::Comment>),
    ("steward.mute", press::<alert::mute::Mute>),
    ("steward.show_sql", press::<alert::show_sql::ShowSql>),
    ("steward.flood_open", press::<alert::flood_open::FloodOpen>),
    ("steward.ticket.jira", press::<alert::ticket::Ticket>),
    ("steward.ticket.linear", press::<alert::ticket::Ticket>),
    ("steward.incident.status", press::<incident::status::Status>),
    (
        "steward.incident.severity",
        press::<incident::severity::Severity>,
    ),
    (
        "steward.incident.commander",
        press::<incident::commander::Commander>,
    ),
    ("steward.incident.link", press::<incident::link::Link>),
    (
        "steward.incident.comment",
        press::<incident::update::Update>,
    ),
    (
        "steward.incident.resolve",
        press::<incident::resolve::Resolve>,
    ),
    (
        "steward.incident.postmortem",
        press::<incident::postmortem::Postmortem>,
    ),
    ("steward.incident.merge", press::<incident::reshape::Merge>),
    ("steward.incident.split", press::<incident::reshape::Split>),
    ("steward.incident.ticket", press::<incident::ticket::Ticket>),
    (
        "steward.incident.ticket.linear",
        press::<incident::ticket::Ticket>,
    ),
];

/// Modals, by `callback_id`: the check made at the ack, and the handler.
static MODALS: &[(&str, ModalRoute)] = &[
    ("steward.declare", modal::<alert::declare::Declaration>()),
    ("steward.comment", modal::<alert::comment::CommentText>()),
    ("steward.reason", modal::<alert::resolve::Reason>()),
    (
        "steward.incident_status",
        modal::<incident::status::NewStatus>(),
    ),
    (
        "steward.incident_severity",
        modal::<incident::severity::NewSeverity>(),
    ),
    (
        "steward.incident_commander",
        modal::<incident::commander::NewCommander>(),
    ),
    ("steward.incident_link", modal::<incident::link::Issues>()),
    (
        "steward.incident_comment",
        modal::<incident::update::UpdateText>(),
    ),
    (
        "steward.incident_resolve",
        modal::<incident::resolve::Summary>(),
    ),
    (
        "steward.incident_merge",
        modal::<incident::reshape::MergeInto>(),
    ),
    (
        "steward.incident_split",
        modal::<incident::reshape::SplitOff>(),
    ),
];

/// The `/steward` words, parsed into [`Command`]s, to their handlers.
async fn answer(ctx: &Arc<Context>, user: &str, cmd: Command) -> Result<blocks::Message> {
    use command::*;
    match cmd {
        Command::Help => help::answer(ctx).await,
        Command::Issues(scope) => issues::answer(ctx, user, scope).await,
        Command::Issue(id) => issue::answer(ctx, id).await,
        Command::Assign { issue, user: who } => assign::answer(ctx, user, issue, who).await,
        Command::Status {
            issue,
            status,
            reason,
        } => status::answer(ctx, user, issue, status, reason).await,
        Command::Comment { issue, text } => comment::answer(ctx, user, issue, text).await,
        Command::Mute { target, duration } => mute::answer(ctx, user, target, duration).await,
        Command::Unmute { target } => unmute::answer(ctx, user, target).await,
        Command::Mutes => mutes::answer(ctx).await,
        Command::Declare { title } => declare::answer(ctx, user, title).await,
        Command::Incidents => incidents::answer(ctx).await,
        Command::Incident {
            incident: n,
            action,
        } => command::incident::answer(ctx, user, n, action).await,
        Command::Impact { node } => impact::answer(ctx, node).await,
        Command::WhoisOwner { node } => owner::answer(ctx, node).await,
        Command::Update { incident, text } => update::answer(ctx, user, incident, text).await,
        Command::Sla { product } => sla::answer(ctx, product).await,
    }
}

/// Events, by type.
pub async fn event(ctx: &Arc<Context>, v: &Value) -> Result<()> {
    let Some(event) = v.get("event") else {
        return Ok(());
    };
    match event.get("type").and_then(Value::as_str) {
        Some("app_home_opened") => home_opened::handle(ctx, event).await,
        Some("message") => thread_reply::handle(ctx, event).await,
        _ => Ok(()),
    }
}

/// A `block_actions` payload: routed by its first action's id; an unknown id is ignored.
pub async fn button(ctx: &Arc<Context>, v: &Value) -> Result<()> {
    let action = Action::read(v);
    match BUTTONS.iter().find(|(id, _)| *id == action.action_id) {
        Some((_, run)) => run(ctx, &action).await,
        None if action.action_id.starts_with("steward.incident.") => {
            press::<incident::other::Other>(ctx, &action).await
        }
        None => {
            tracing::debug!(action = action.action_id, "action ignored");
            Ok(())
        }
    }
}

/// Checks a modal submission before it is acked; returns the errors to show in the modal.
/// A person `[access]` does not allow gets the refusal on the modal's first input (the
/// membership is a snapshot in memory: no I/O before the ack).
pub fn validate_submission(v: &Value, access: Option<&Access>) -> Option<Errors> {
    if v.get("type").and_then(Value::as_str) != Some("view_submission") {
        return None;
    }
    let submission = Submission::read(v);
    let route = MODALS
        .iter()
        .find(|(id, _)| *id == submission.callback_id)
        .map(|(_, route)| route)?;
    if let (Some(action), Some(access)) = ((route.guarded)(&submission), access)
        && let Err(refusal) = access.check(action, &Actor::user(&submission.user))
    {
        let block = submission.first_input().unwrap_or_default().to_owned();
        return Some(Errors::from([(block, refusal.to_string())]));
    }
    let errors = (route.validate)(&submission);
    (!errors.is_empty()).then_some(errors)
}

/// A submitted modal. Refusals (a resolved incident, a missing issue: the modal was opened
/// before someone else acted) are answered ephemerally where the subject lives: the incidents
/// channel, or the issue's alert.
pub async fn submission(ctx: &Arc<Context>, v: &Value) -> Result<()> {
    let submission = Submission::read(v);
    let Some((_, route)) = MODALS.iter().find(|(id, _)| *id == submission.callback_id) else {
        tracing::debug!(callback = submission.callback_id, "submission ignored");
        return Ok(());
    };
    let Err(e) = (route.submit)(ctx, &submission).await else {
        return Ok(());
    };
    if as_input_error(&e).is_none() {
        return Err(e);
    }
    let channel = match (submission.incident(), submission.issue()) {
        (Some(_), _) => Some(ctx.config.incidents_channel.clone()),
        (None, Some(issue)) => core(ctx, move |app| app.issue(issue))
            .await
            .ok()
            .and_then(|d| d.slack)
            .map(|s| s.channel),
        (None, None) => None,
    };
    explain(ctx, channel.as_deref(), &submission.user, &e).await
}

/// A slash command: parsed, answered ephemerally; what cannot be parsed gets the usage.
pub async fn command(ctx: &Arc<Context>, v: &Value) -> Result<()> {
    let user = str_at(v, "/user_id").unwrap_or_default().to_owned();
    let channel = str_at(v, "/channel_id").unwrap_or_default().to_owned();
    let text = str_at(v, "/text").unwrap_or_default().to_owned();
    let reply = match commands::parse(&text) {
        Err(e) => blocks::ephemeral_text(&format!(
            "{}\n\n{}",
            e.message,
            commands::usage(&ctx.config.command)
        )),
        Ok(cmd) => match answer(ctx, &user, cmd).await {
            Ok(m) => m,
            Err(e) => {
                explain(ctx, Some(&channel), &user, &e).await?;
                return Ok(());
            }
        },
    };
    ctx.api.ephemeral(&channel, &user, &reply).await?;
    Ok(())
}

/// Reads a press for `B`, runs it and explains a refusal; a malformed press is ignored.
fn press<'a, B: Button>(
    ctx: &'a Arc<Context>,
    action: &'a Action<'a>,
) -> BoxFuture<'a, Result<()>> {
    Box::pin(async move {
        let button = match B::read(action) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(action = action.action_id, "{e}; ignored");
                return Ok(());
            }
        };
        match button.handle(ctx, action).await {
            Ok(()) => Ok(()),
            Err(e) => explain(ctx, action.channel.as_deref(), &action.user, &e).await,
        }
    })
}

struct ModalRoute {
    guarded: fn(&Submission) -> Option<Guarded>,
    validate: fn(&Submission) -> Errors,
    submit: Submit,
}

const fn modal<M: Modal>() -> ModalRoute {
    ModalRoute {
        guarded: M::guarded,
        validate: M::validate,
        submit: submit::<M>,
    }
}

/// Reads a submission for `M` and runs it; a malformed one is ignored.
fn submit<'a, M: Modal>(ctx: &'a Arc<Context>, s: &'a Submission<'a>) -> BoxFuture<'a, Result<()>> {
    Box::pin(async move {
        match M::read(s) {
            Ok(modal) => modal.handle(ctx, s).await,
            Err(e) => {
                tracing::warn!(callback = s.callback_id, "{e}; ignored");
                Ok(())
            }
        }
    })
}
