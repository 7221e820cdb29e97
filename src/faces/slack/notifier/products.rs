//! Data products: status changes announced to each product's channel, and the weekly digest.

use crate::faces::slack::api::CallError;
use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use anyhow::Result;
use serde_json::Value;
use std::sync::Arc;

/// Posts each data product's status change to its channel, then records it as announced (with a
/// `notified` event on the incidents it names). A product with no channel, or a change the
/// `[slack] product_updates` policy leaves out, is recorded without a post. A failed post is
/// left pending and tried again on the next pass.
pub(super) async fn announce_products(ctx: &Arc<Context>) -> Result<()> {
    let app = ctx.app.clone();
    let pending = tokio::task::spawn_blocking(move || -> Result<_> {
        let pending = app.product_announcements()?;
        let mut named: Vec<crate::domain::incidents::Incident> = Vec::new();
        for id in pending
            .iter()
            .flat_map(|a| a.incidents_added.iter().chain(&a.incidents_removed))
        {
            if let Some(n) = crate::domain::incidents::parse_number(id)
                && !named.iter().any(|i| i.number == n)
                && let Ok(i) = app.incident(n)
            {
                named.push(i);
            }
        }
        Ok((pending, named))
    })
    .await??;
    let (pending, named) = pending;
    let now = ctx.app.clock.now();
    for a in pending {
        let channel = a
            .channel
            .clone()
            .filter(|_| a.worth_posting(ctx.config.product_updates));
        let mut posted_to = None;
        if let Some(channel) = &channel {
            let message = blocks::product_update(&a, &named, &ctx.config.incidents_channel, now);
            match ctx.api.post(channel, &message, None).await {
                Ok(_) => posted_to = Some(channel.clone()),
                Err(CallError::Api(code))
                    if code == "channel_not_found" || code == "not_in_channel" =>
                {
                    tracing::warn!(product = a.product, channel, code, "product update skipped");
                }
                Err(e) => return Err(e.into()),
            }
        }
        let app = ctx.app.clone();
        tokio::task::spawn_blocking(move || app.product_announced(&a, posted_to.as_deref()))
            .await??;
    }
    Ok(())
}

/// The weekly digest (see [`crate::domain::digest`]): the 7 days ending at the scheduled instant,
/// computed now (so product statuses are current) and posted to the digest channel.
pub(super) async fn weekly_digest(ctx: &Arc<Context>, payload: &Value) -> Result<()> {
    let field = |k: &str| payload.get(k).and_then(Value::as_str).unwrap_or_default();
    let (Ok(week), Ok(at), channel) = (
        chrono::NaiveDate::parse_from_str(field("week"), "%Y-%m-%d"),
        chrono::DateTime::parse_from_rfc3339(field("at")),
        field("channel").to_owned(),
    ) else {
        tracing::warn!(%payload, "malformed digest item skipped");
        return Ok(());
    };
    let app = ctx.app.clone();
    let digest = tokio::task::spawn_blocking(move || {
        app.weekly_digest(week, at.with_timezone(&chrono::Utc))
    })
    .await??;
    ctx.api
        .post(
            &channel,
            &blocks::with_open_link(
                blocks::digest_message(&digest),
                crate::faces::http::pages::signed::page_url(
                    &ctx.app.config,
                    "/status",
                    ctx.app.clock.now(),
                )
                .as_deref(),
            ),
            None,
        )
        .await?;
    Ok(())
}
