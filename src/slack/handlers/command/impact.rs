//! `/steward impact <node>`: what a node feeds, down to data products and owners.

use crate::slack::blocks;
use crate::slack::context::Context;
use crate::slack::handlers::kit::core;
use anyhow::Result;
use std::sync::Arc;

pub async fn answer(ctx: &Arc<Context>, node: String) -> Result<blocks::Message> {
    let impact = core(ctx, move |app| app.impact(None, &node)).await?;
    Ok(blocks::ephemeral_text(&crate::render::impact(&impact)))
}
