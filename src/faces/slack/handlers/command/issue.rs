//! `/steward issue <n>`: one issue.

use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::core;
use anyhow::Result;
use std::sync::Arc;

pub async fn answer(ctx: &Arc<Context>, id: i64) -> Result<blocks::Message> {
    let d = core(ctx, move |app| app.issue(id)).await?;
    Ok(blocks::issue_list(
        std::slice::from_ref(&d.issue),
        &format!("Issue #{id}"),
    ))
}
