//! `/steward unmute <n | asset>`: ends an issue's or an asset's mutes now.

use super::mute::asset_id;
use crate::domain::access::Actor;
use crate::domain::issues::UnmuteRequest;
use crate::faces::slack::blocks;
use crate::faces::slack::commands::MuteTarget;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::core;
use anyhow::Result;
use std::sync::Arc;

pub async fn answer(ctx: &Arc<Context>, user: &str, target: MuteTarget) -> Result<blocks::Message> {
    let actor = Actor::user(user);
    let ended = core(ctx, move |app| {
        let request = match target {
            MuteTarget::Issue(id) => UnmuteRequest {
                issue_id: Some(id),
                ..Default::default()
            },
            MuteTarget::Asset(a) => UnmuteRequest {
                asset: Some(asset_id(app, a)),
                ..Default::default()
            },
        };
        app.unmute(request, &actor)
    })
    .await?;
    let asset = ended.first().map(|m| m.asset.as_str()).unwrap_or_default();
    Ok(blocks::ephemeral_text(&format!(
        "Unmuted {} ({} {}).",
        asset,
        ended.len(),
        if ended.len() == 1 { "mute" } else { "mutes" }
    )))
}
