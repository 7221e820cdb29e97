//! `/steward comment <n> <text…>`: a comment on the issue.

use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{core, mention};
use anyhow::Result;
use std::sync::Arc;

pub async fn answer(
    ctx: &Arc<Context>,
    user: &str,
    issue: i64,
    text: String,
) -> Result<blocks::Message> {
    let actor = mention(user);
    core(ctx, move |app| app.comment(issue, &actor, &text)).await?;
    Ok(blocks::ephemeral_text(&format!(
        "Comment added to issue #{issue}."
    )))
}
