//! `/steward sla [product]`: each data product's status, uptime, SLA and error budget.

use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::core;
use anyhow::Result;
use std::sync::Arc;

pub async fn answer(ctx: &Arc<Context>, product: Option<String>) -> Result<blocks::Message> {
    let (report, statuses) = core(ctx, |app| {
        Ok((
            app.report(&crate::domain::metrics::Window::default())?,
            app.product_statuses()?,
        ))
    })
    .await?;
    Ok(blocks::ephemeral_text(&sla_text(
        &report,
        &statuses,
        product.as_deref(),
        &ctx.config.command,
    )))
}

/// The answer to `sla [product]`: each product's status, uptime over the report's window, SLA
/// target, met or missed, and the error budget left. An unknown product gets the usage.
fn sla_text(
    report: &crate::domain::metrics::Report,
    statuses: &[crate::domain::status::ProductStatus],
    product: Option<&str>,
    command: &str,
) -> String {
    let shown: Vec<&crate::domain::metrics::ProductMetrics> = report
        .data_products
        .iter()
        .filter(|m| product.is_none_or(|p| m.name.eq_ignore_ascii_case(p)))
        .collect();
    if let Some(p) = product
        && shown.is_empty()
    {
        let known: Vec<&str> = report
            .data_products
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        let command = if command.trim().starts_with('/') {
            command.trim().to_owned()
        } else {
            format!("/{}", command.trim())
        };
        return format!(
            "unknown data product `{p}` (known: {})\nUsage: `{command} sla [product]`",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        );
    }
    if shown.is_empty() {
        return "No data products are defined: add `[[products]]` to steward.toml.".to_owned();
    }
    let mut lines = vec![format!("*Data product SLAs* (last {})", report.since)];
    for m in shown {
        let status = statuses
            .iter()
            .find(|s| s.name == m.name)
            .map(|s| s.status.as_str())
            .unwrap_or("unknown");
        let target = m
            .sla_target
            .map(|t| format!("{:.2}%", t * 100.0))
            .unwrap_or_else(|| "none".to_owned());
        let met = match m.sla_met {
            Some(true) => "met ✅",
            Some(false) => "missed ❌",
            None => "no SLA",
        };
        let budget = m
            .error_budget_minutes_left
            .map(|b| format!("{b:.0} min of error budget left"))
            .unwrap_or_else(|| "no error budget".to_owned());
        lines.push(format!(
            "• *{}* — {status}; uptime {:.3}%, target {target}: {met}; {budget}",
            m.name,
            m.uptime * 100.0
        ));
    }
    lines.join("\n")
}
