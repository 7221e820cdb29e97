//! `/steward update <INC-n> <text…>`: a stakeholder update, in the thread and the products' channels.

use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{core, mention};
use anyhow::Result;
use std::sync::Arc;

pub async fn answer(
    ctx: &Arc<Context>,
    user: &str,
    incident: i64,
    text: String,
) -> Result<blocks::Message> {
    let actor = mention(user);
    let channels = core(ctx, move |app| {
        app.stakeholder_update(incident, &actor, &text)
    })
    .await?;
    let label = crate::domain::incidents::label(incident);
    Ok(if channels.is_empty() {
        blocks::ephemeral_text(&format!("Update posted on {label}'s thread."))
    } else {
        let shown: Vec<String> = channels.iter().map(|c| format!("<#{c}>")).collect();
        blocks::ephemeral_text(&format!(
            "Update posted on {label}'s thread and in {}.",
            shown.join(", ")
        ))
    })
}
