//! `/steward incidents`: the open incidents, one line each.

use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::core;
use anyhow::Result;
use std::sync::Arc;

pub async fn answer(ctx: &Arc<Context>) -> Result<blocks::Message> {
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
    Ok(blocks::ephemeral_text(&text))
}
