//! Thread replies: a person's reply in the thread of an issue message becomes a comment on it;
//! edits and deletions follow it; the bot's own messages are ignored.

use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{core, mention};
use anyhow::Result;
use serde_json::Value;
use std::sync::Arc;

/// A person's reply in a thread, new, edited or deleted.
struct Reply {
    channel: String,
    thread_ts: String,
    /// The reply's own ts: edits and deletions are matched by it.
    ts: String,
    user: String,
    text: String,
    /// `new`, `changed` or `deleted`.
    kind: &'static str,
}

pub async fn handle(ctx: &Arc<Context>, event: &Value) -> Result<()> {
    let Some(r) = read(event, &ctx.bot_user) else {
        return Ok(());
    };
    core(ctx, move |app| {
        app.thread_comment(
            &r.channel,
            &r.thread_ts,
            &r.ts,
            &mention(&r.user),
            &r.text,
            r.kind,
        )
    })
    .await?;
    Ok(())
}

/// The reply in a message event; None for anything else (the bot's own messages, a message
/// outside a thread, the thread's parent, other subtypes).
fn read(event: &Value, bot_user: &str) -> Option<Reply> {
    let subtype = event.get("subtype").and_then(Value::as_str);
    let channel = event
        .get("channel")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let (msg, kind) = match subtype {
        None | Some("thread_broadcast") => (event.clone(), "new"),
        Some("message_changed") => (
            event.get("message").cloned().unwrap_or(Value::Null),
            "changed",
        ),
        Some("message_deleted") => (
            event
                .get("previous_message")
                .cloned()
                .unwrap_or(Value::Null),
            "deleted",
        ),
        _ => return None,
    };
    let user = msg
        .get("user")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if user.is_empty() || user == bot_user || msg.get("bot_id").is_some() {
        return None;
    }
    // Edits and deletions are matched by the reply's own ts (slack-morphism's model of those
    // events drops `thread_ts`); new messages must be in a thread.
    let thread_ts = msg
        .get("thread_ts")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_default();
    if kind == "new" && thread_ts.is_empty() {
        return None;
    }
    let ts_of_msg = match kind {
        "deleted" => event
            .get("deleted_ts")
            .and_then(Value::as_str)
            .or(msg.get("ts").and_then(Value::as_str)),
        _ => msg.get("ts").and_then(Value::as_str),
    }
    .unwrap_or_default()
    .to_owned();
    if ts_of_msg == thread_ts {
        return None; // the parent message itself
    }
    let text = msg
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    Some(Reply {
        channel,
        thread_ts,
        ts: ts_of_msg,
        user,
        text,
        kind,
    })
}
