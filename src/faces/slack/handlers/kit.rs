//! The faces every handler has, and what they share: [`Button`] for a button or menu,
//! [`Modal`] for a modal's submission (each: read the payload, call the core, answer), the
//! person as stored, core calls off the async threads and the ephemeral "why nothing happened".

use super::payload::{Action, Malformed, Submission};
use crate::app::App;
use crate::domain::access::{Action as Guarded, Actor};
use crate::error::as_input_error;
use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use anyhow::Result;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

/// A button or menu on a message or the Home tab, routed by its `action_id`.
pub trait Button: Sized + Send + 'static {
    /// Reads what the press carries (its issue or incident, the chosen option).
    fn read(action: &Action) -> Result<Self, Malformed>;
    /// Calls the core and answers: opens a modal, or nothing (the message re-renders from
    /// the outbox). An error is explained to the person.
    fn handle(self, ctx: &Arc<Context>, action: &Action)
    -> impl Future<Output = Result<()>> + Send;
}

/// Errors to show in an open modal, by block id.
pub type Errors = HashMap<String, String>;

/// A modal's submission, routed by its `callback_id`.
pub trait Modal: Sized + Send + 'static {
    /// The `[access]` action the submission takes, if guarded: checked at the ack, so a refusal
    /// shows in the modal.
    fn guarded(_: &Submission) -> Option<Guarded> {
        None
    }
    /// Checks the inputs at the ack, without I/O: only the ack can show errors in the modal.
    fn validate(_: &Submission) -> Errors {
        Errors::new()
    }
    /// Reads what the modal was about and its inputs.
    fn read(submission: &Submission) -> Result<Self, Malformed>;
    /// Calls the core; the answer is the re-rendered message (from the outbox).
    fn handle(
        self,
        ctx: &Arc<Context>,
        submission: &Submission,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// The person as stored on issues: a Slack mention, so every face can show it.
pub fn mention(user: &str) -> String {
    format!("<@{user}>")
}

/// Refuses `user` when `[access]` does not let them take `action`: checked before a button
/// opens the modal, so nobody fills in a form only to be refused.
pub fn may(ctx: &Arc<Context>, action: Guarded, user: &str) -> Result<()> {
    Ok(ctx.app.allowed(action, &Actor::user(user))?)
}

/// Runs a blocking core call off the async threads.
pub async fn core<T: Send + 'static>(
    ctx: &Arc<Context>,
    f: impl FnOnce(&App) -> Result<T> + Send + 'static,
) -> Result<T> {
    let app = ctx.app.clone();
    tokio::task::spawn_blocking(move || f(&app)).await?
}

/// The issues a button acts on: every active issue the message shows (a storm's members, a
/// group's checks), else the button's own issue.
pub async fn acted_on(ctx: &Arc<Context>, action: &Action<'_>, subject: i64) -> Result<Vec<i64>> {
    let Some((channel, ts)) = action.message() else {
        return Ok(vec![subject]);
    };
    let (channel, ts) = (channel.to_owned(), ts.to_owned());
    let shown = core(ctx, move |app| {
        app.store.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT DISTINCT m.issue_id FROM slack_messages m JOIN issues i ON i.id = m.issue_id
                 WHERE m.channel = ?1 AND m.ts = ?2 AND m.purpose IN ('alert', 'storm')
                   AND i.status != 'resolved' AND (m.purpose != 'storm' OR i.storm_id = m.storm_id)
                 ORDER BY m.issue_id",
            )?;
            let ids = stmt
                .query_map([&channel, &ts], |r| r.get::<_, i64>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(ids)
        })
    })
    .await?;
    Ok(if shown.is_empty() {
        vec![subject]
    } else {
        shown
    })
}

/// Tells the person why nothing happened (a stale button, a resolved issue, a typo).
pub async fn explain(
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

/// An incident button's incident, refused when it is resolved and the button changes it
/// (a stale button: only reopening, updates and the report still apply).
pub async fn incident(
    ctx: &Arc<Context>,
    n: i64,
    refuse_resolved: bool,
) -> Result<crate::domain::incidents::Incident> {
    let incident = core(ctx, move |app| app.incident(n)).await?;
    if refuse_resolved && incident.status == "resolved" {
        return Err(crate::error::InputError::new(
            crate::domain::incidents::label(n),
            "it is resolved; reopen it first (Reopen on its message)",
        )
        .into());
    }
    Ok(incident)
}
