//! `/steward declare [title…]`: declares an incident with the suggested severity.

use crate::domain::incidents::Declaration;
use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{core, mention};
use anyhow::Result;
use std::sync::Arc;

pub async fn answer(
    ctx: &Arc<Context>,
    user: &str,
    title: Option<String>,
) -> Result<blocks::Message> {
    let actor = mention(user);
    let title = title.unwrap_or_else(|| "Data incident".to_owned());
    let i = core(ctx, move |app| {
        app.declare(Declaration {
            title,
            severity: app.suggest_severity(&[]),
            declared_by: actor,
            ..Default::default()
        })
    })
    .await?;
    Ok(blocks::ephemeral_text(&format!(
        "Declared {}: {}.",
        i.id, i.title
    )))
}
