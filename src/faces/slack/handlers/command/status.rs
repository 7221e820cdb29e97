//! `/steward status <n> <status> [reason…]`: sets the status, or resolves with a reason.

use crate::domain::access::Actor;
use crate::domain::issues::{Resolution, Status};
use crate::faces::slack::blocks;
use crate::faces::slack::commands::StatusArg;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{core, mention};
use anyhow::Result;
use std::sync::Arc;

pub async fn answer(
    ctx: &Arc<Context>,
    user: &str,
    issue: i64,
    status: StatusArg,
    reason: Option<String>,
) -> Result<blocks::Message> {
    let actor = mention(user);
    let who = Actor::user(user);
    let i = core(ctx, move |app| match status {
        StatusArg::Investigating => app.set_status(issue, Status::Investigating, &actor),
        StatusArg::Acknowledged => app.set_status(issue, Status::Acknowledged, &actor),
        StatusArg::Open => app.set_status(issue, Status::Open, &actor),
        StatusArg::Fixed => app.resolve(issue, Resolution::Fixed, reason.as_deref(), &who),
        StatusArg::Expected => app.resolve(issue, Resolution::Expected, reason.as_deref(), &who),
        StatusArg::FalsePositive => {
            app.resolve(issue, Resolution::FalsePositive, reason.as_deref(), &who)
        }
    })
    .await?;
    Ok(blocks::ephemeral_text(&format!(
        "Issue #{} is {}.",
        i.id, i.status
    )))
}
