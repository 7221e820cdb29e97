//! `/steward issues [open | mine | <asset>]`: the open issues, all, the person's, or an asset's.

use crate::domain::issues::IssueFilter;
use crate::faces::slack::blocks;
use crate::faces::slack::commands::IssuesScope;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{core, mention};
use anyhow::Result;
use std::sync::Arc;

pub async fn answer(ctx: &Arc<Context>, user: &str, scope: IssuesScope) -> Result<blocks::Message> {
    let me = mention(user);
    let issues = core(ctx, move |app| {
        let mut list = app.issues(&IssueFilter {
            active: true,
            ..Default::default()
        })?;
        match scope {
            IssuesScope::Open => {}
            IssuesScope::Mine => list.retain(|i| i.assignee.as_deref() == Some(me.as_str())),
            IssuesScope::Asset(a) => {
                list.retain(|i| i.asset == a || i.asset.ends_with(&format!(".{a}")))
            }
        }
        Ok(list)
    })
    .await?;
    Ok(blocks::issue_list(&issues, "Open issues"))
}
