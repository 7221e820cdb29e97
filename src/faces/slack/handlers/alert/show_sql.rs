//! The "Show SQL" button on an alert: opens a modal with the check's compiled SQL.

use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{Button, core};
use crate::faces::slack::handlers::payload::{Action, Malformed};
use anyhow::Result;
use std::sync::Arc;

pub struct ShowSql(i64);

impl Button for ShowSql {
    fn read(action: &Action) -> Result<Self, Malformed> {
        Ok(ShowSql(action.issue()?))
    }

    async fn handle(self, ctx: &Arc<Context>, action: &Action<'_>) -> Result<()> {
        let issue = self.0;
        let detail = core(ctx, move |app| app.issue(issue)).await?;
        let sql = detail
            .issue
            .compiled_sql
            .clone()
            .unwrap_or_else(|| "-- dbt did not report compiled SQL for this check".to_owned());
        let node = detail
            .issue
            .node
            .clone()
            .unwrap_or(detail.issue.asset.clone());
        ctx.api
            .open_view(&action.trigger, &blocks::sql_modal(issue, &node, &sql))
            .await?;
        Ok(())
    }
}
