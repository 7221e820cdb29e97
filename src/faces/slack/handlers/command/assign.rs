//! `/steward assign <n> [to] <person>`: a mention, an email (looked up in Slack) or a name.

use crate::faces::slack::blocks;
use crate::faces::slack::commands::UserRef;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{core, mention};
use anyhow::Result;
use std::sync::Arc;

pub async fn answer(
    ctx: &Arc<Context>,
    user: &str,
    issue: i64,
    who: UserRef,
) -> Result<blocks::Message> {
    let actor = mention(user);
    let who = person(ctx, who).await;
    let i = core(ctx, move |app| app.assign(issue, &who, &actor)).await?;
    Ok(blocks::ephemeral_text(&format!(
        "Issue #{} assigned to {}.",
        i.id,
        i.assignee.unwrap_or_default()
    )))
}

/// A person as typed to how Steward records them: a mention when Slack knows them.
pub(super) async fn person(ctx: &Arc<Context>, who: UserRef) -> String {
    match who {
        UserRef::Id(id) => mention(&id),
        UserRef::Email(e) => ctx
            .api
            .user_by_email(&e)
            .await
            .map(|id| mention(&id))
            .unwrap_or(e),
        UserRef::Name(n) => n,
    }
}
