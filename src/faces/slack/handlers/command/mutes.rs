//! `/steward mutes`: the mutes in force, one line each.

use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::core;
use anyhow::Result;
use std::sync::Arc;

/// The most mutes listed; the rest are counted.
const SHOWN: usize = 30;

pub async fn answer(ctx: &Arc<Context>) -> Result<blocks::Message> {
    let list = core(ctx, |app| app.mutes()).await?;
    if list.is_empty() {
        return Ok(blocks::ephemeral_text("Nothing is muted."));
    }
    let mut lines: Vec<String> = list
        .iter()
        .take(SHOWN)
        .map(|m| {
            let mut line = format!("🔕 `{}`", crate::domain::text::short_name(&m.asset));
            if let Some(c) = &m.check {
                line.push_str(&format!(
                    " (check `{}`)",
                    crate::domain::text::short_name(c)
                ));
            }
            if let Some(id) = m.issue_id {
                line.push_str(&format!(" #{id}"));
            }
            line.push_str(&format!(
                " until {} by {}",
                m.until.as_deref().unwrap_or("fixed"),
                m.created_by
            ));
            if let Some(r) = &m.reason {
                line.push_str(&format!(": {r}"));
            }
            line
        })
        .collect();
    if list.len() > SHOWN {
        lines.push(format!(
            "… and {} more: `steward mutes`",
            list.len() - SHOWN
        ));
    }
    Ok(blocks::ephemeral_text(&lines.join("\n")))
}
