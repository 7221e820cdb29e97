//! The App Home tab: open issues by data product, the person's own, muted assets, product
//! statuses and open incidents. Published when someone opens it (a handler) and again after
//! changes (the notifier), so it sits below both.

use crate::domain::issues::{self, Issue, IssueFilter};
use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use anyhow::Result;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Publishes a person's Home tab: open issues by data product, theirs, and muted assets.
pub async fn publish(ctx: &Arc<Context>, user: &str) -> Result<()> {
    let app = ctx.app.clone();
    let me = format!("<@{user}>");
    let (by_product, unowned, mine, muted, status, open_incidents, budgets) =
        tokio::task::spawn_blocking(move || -> Result<_> {
            let now = app.clock.now();
            let open: Vec<Issue> = app.issues(&IssueFilter {
                active: true,
                ..Default::default()
            })?;
            let mut by_product: BTreeMap<String, Vec<Issue>> = BTreeMap::new();
            let mut unowned = Vec::new();
            for i in &open {
                let lineage = app.lineage.env(Some(&i.env));
                let products = lineage
                    .get(&i.asset)
                    .map(|n| lineage.impact(&[n]).data_products)
                    .unwrap_or_default();
                if products.is_empty() {
                    unowned.push(i.clone());
                }
                for p in products {
                    by_product.entry(p).or_default().push(i.clone());
                }
            }
            let mine: Vec<Issue> = open
                .iter()
                .filter(|i| i.assignee.as_deref() == Some(me.as_str()))
                .cloned()
                .collect();
            let muted: Vec<blocks::HomeMute> = app
                .store
                .read(|c| issues::active_mutes(c, now))?
                .into_iter()
                .map(|m| blocks::HomeMute {
                    asset: m.asset,
                    check: m.check,
                    until: m.until.unwrap_or_else(|| "until fixed".to_owned()),
                    reason: m.reason,
                })
                .collect();
            let page = app.status_page()?;
            let status: Vec<blocks::HomeProduct> = page
                .data_products
                .into_iter()
                .map(|p| blocks::HomeProduct {
                    name: p.name,
                    status: p.status,
                    uptime: p.uptime,
                    window: p.window,
                    sla_target: p.sla_target,
                    incidents: p.incidents,
                })
                .collect();
            let open_incidents = app.incidents(true)?;
            let budgets = app.error_budgets()?;
            Ok((
                by_product.into_iter().collect::<Vec<_>>(),
                unowned,
                mine,
                muted,
                status,
                open_incidents,
                budgets,
            ))
        })
        .await??;
    let view = blocks::home_view(&blocks::HomeView {
        by_product: &by_product,
        unowned: &unowned,
        mine: &mine,
        muted: &muted,
        products: &status,
        open_incidents: &open_incidents,
        budgets: &budgets,
        now: ctx.app.clock.now(),
    });
    let open = crate::faces::http::pages::signed::page_url(
        &ctx.app.config,
        "/status",
        ctx.app.clock.now(),
    );
    let view = blocks::view_with_open_link(view, open.as_deref());
    ctx.api.publish_home(user, &view).await?;
    Ok(())
}
