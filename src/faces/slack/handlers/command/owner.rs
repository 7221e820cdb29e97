//! `/steward owner <node>` (also whois, who-owns, owners): the node's owners, as mentions.

use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::core;
use anyhow::Result;
use std::sync::Arc;

pub async fn answer(ctx: &Arc<Context>, node: String) -> Result<blocks::Message> {
    let owners = core(ctx, move |app| {
        let lineage = app.lineage.current();
        let idx = crate::app::resolve_node(&lineage, &node)?;
        Ok((
            lineage.node(idx).unique_id.clone(),
            lineage.owners(None, idx),
        ))
    })
    .await?;
    let mentions = ctx.api.mentions(&owners.1).await;
    Ok(blocks::ephemeral_text(&format!(
        "Owners of {}: {}",
        owners.0,
        if mentions.is_empty() {
            "nobody named".to_owned()
        } else {
            mentions.join(", ")
        }
    )))
}
