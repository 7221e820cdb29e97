//! Thread replies: a person's reply in the thread of an issue message becomes a comment on it;
//! edits and deletions follow it; the bot's own messages are ignored.

use crate::slack::context::Context;
use anyhow::Result;
use serde_json::Value;
use std::sync::Arc;

/// A message event: a person's reply in the thread of an issue message becomes a comment;
/// edits and deletions follow it; the bot's own messages are ignored.
pub async fn handle(ctx: &Arc<Context>, event: &Value) -> Result<()> {
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
        _ => return Ok(()),
    };
    let user = msg
        .get("user")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if user.is_empty() || user == ctx.bot_user || msg.get("bot_id").is_some() {
        return Ok(());
    }
    // Edits and deletions are matched by the reply's own ts (slack-morphism's model of those
    // events drops `thread_ts`); new messages must be in a thread.
    let thread_ts = msg
        .get("thread_ts")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_default();
    if kind == "new" && thread_ts.is_empty() {
        return Ok(());
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
        return Ok(()); // the parent message itself
    }
    let text = msg
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let app = ctx.app.clone();
    tokio::task::spawn_blocking(move || {
        app.thread_comment(
            &channel,
            &thread_ts,
            &ts_of_msg,
            &format!("<@{user}>"),
            &text,
            kind,
        )
    })
    .await??;
    Ok(())
}
