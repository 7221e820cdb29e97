//! `/steward help`: the usage.

use crate::slack::blocks;
use crate::slack::commands;
use crate::slack::context::Context;
use anyhow::Result;
use std::sync::Arc;

pub async fn answer(ctx: &Arc<Context>) -> Result<blocks::Message> {
    Ok(blocks::ephemeral_text(&commands::usage(
        &ctx.config.command,
    )))
}
