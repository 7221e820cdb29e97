//! `/steward impact <node>`: what a node feeds, down to data products and owners.

use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::core;
use anyhow::Result;
use std::sync::Arc;

pub async fn answer(ctx: &Arc<Context>, node: String) -> Result<blocks::Message> {
    let impact = core(ctx, move |app| app.impact(None, &node)).await?;
    Ok(blocks::ephemeral_text(&crate::faces::cli::render::impact(
        &impact,
    )))
}
