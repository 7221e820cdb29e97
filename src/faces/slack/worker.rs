//! The worker: takes queued Slack work (buttons, modal submissions, slash commands, thread
//! replies, App Home opens) one at a time and hands it to [`crate::faces::slack::handlers`], whose
//! tables route it to its handler. Failures are logged with context; they never kill the loop.

use crate::faces::slack::context::{Context, Incoming};
use crate::faces::slack::handlers;
use anyhow::Result;
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::mpsc;

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
            Some("block_actions") => handlers::button(ctx, &v).await,
            Some("view_submission") => handlers::submission(ctx, &v).await,
            other => {
                tracing::debug!(kind = other.unwrap_or("?"), "interaction ignored");
                Ok(())
            }
        },
        Incoming::Command(v) => handlers::command(ctx, &v).await,
        Incoming::Event(v) => handlers::event(ctx, &v).await,
    }
}
