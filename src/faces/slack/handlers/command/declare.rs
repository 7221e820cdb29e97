//! `/steward declare [title…]`: declares an incident with the suggested severity.

use crate::domain::access::Actor;
use crate::domain::incidents::Declaration;
use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::core;
use anyhow::Result;
use std::sync::Arc;

pub async fn answer(
    ctx: &Arc<Context>,
    user: &str,
    title: Option<String>,
) -> Result<blocks::Message> {
    let actor = Actor::user(user);
    let title = title.unwrap_or_else(|| "Data incident".to_owned());
    let i = core(ctx, move |app| {
        app.declare(
            Declaration {
                title,
                severity: app.suggest_severity(&[]),
                ..Default::default()
            },
            &actor,
        )
    })
    .await?;
    Ok(blocks::ephemeral_text(&format!(
        "Declared {}: {}.",
        i.id, i.title
    )))
}
