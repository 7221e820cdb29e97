//! `/steward mute <n | asset> [for] <duration>` or `until-fixed`: mutes an issue or an asset.

use crate::domain::access::Actor;
use crate::faces::slack::blocks;
use crate::faces::slack::commands::{MuteDuration, MuteTarget};
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::core;
use anyhow::Result;
use std::sync::Arc;

pub async fn answer(
    ctx: &Arc<Context>,
    user: &str,
    target: MuteTarget,
    duration: MuteDuration,
) -> Result<blocks::Message> {
    let actor = Actor::user(user);
    let until = match duration {
        MuteDuration::For(d) => Some(ctx.app.clock.now() + chrono::Duration::from_std(d)?),
        MuteDuration::UntilFixed => None,
    };
    let m = core(ctx, move |app| match target {
        MuteTarget::Issue(id) => app.mute(Some(id), None, until, &actor),
        MuteTarget::Asset(a) => app.mute(None, Some(&asset_id(app, a)), until, &actor),
    })
    .await?;
    Ok(blocks::ephemeral_text(&format!(
        "Muted {} {}.",
        m.asset,
        m.until
            .map(|u| format!("until {u}"))
            .unwrap_or_else(|| "until fixed".to_owned())
    )))
}

/// An asset as typed (a node name or a unique_id) to its unique_id in the current graph; one
/// the graph does not know (a generic alert's) as typed.
pub(super) fn asset_id(app: &crate::app::App, typed: String) -> String {
    let lineage = app.lineage.current();
    lineage
        .resolve(&typed)
        .map(|i| lineage.node(i).unique_id.clone())
        .unwrap_or(typed)
}
