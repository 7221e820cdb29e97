//! `/steward help`: the usage.

use crate::faces::slack::blocks;
use crate::faces::slack::commands;
use crate::faces::slack::context::Context;
use anyhow::Result;
use std::sync::Arc;

pub async fn answer(ctx: &Arc<Context>) -> Result<blocks::Message> {
    Ok(blocks::ephemeral_text(&commands::usage(
        &ctx.config.command,
    )))
}
