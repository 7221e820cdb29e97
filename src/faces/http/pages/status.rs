//! The public status page, `/status`: each data product's status, uptime and 90-day bar row
//! (linking to its page), the open incidents, and the history of the last 90 days' incidents
//! the way public status pages show it. `/status.json` is served elsewhere, unchanged.

use super::product::day_bars;
use super::signed::Linker;
use super::{DAYS, page, when};
use crate::app::App;
use crate::domain::history::{self, ProductFacts};
use crate::domain::status::Status;
use anyhow::Result;
use chrono::Duration;
use maud::html;

fn percent(f: f64) -> String {
    format!("{:.3}%", f * 100.0)
}

/// The status page as HTML.
pub fn status_html(app: &App, linker: &Linker) -> Result<String> {
    let status = app.status_page()?;
    let catalog = app.catalog();
    let lineage = app.lineage.current();
    let now = app.clock.now();
    let since = now - Duration::days(i64::from(DAYS));
    let (spans, issue_spans, briefs) = app.store.read(|c| {
        Ok((
            crate::domain::status::incident_spans(c, since)?,
            history::issue_spans(c, since)?,
            history::incident_briefs(c, since)?,
        ))
    })?;
    let rows: Vec<_> = catalog
        .products
        .iter()
        .map(|def| {
            let facts = ProductFacts::of(&lineage, def, &spans, &issue_spans);
            let ids: Vec<String> = facts.incidents.iter().map(|s| s.id.clone()).collect();
            (def, facts.days(now, DAYS), ids)
        })
        .collect();
    let count = |s: Status| {
        status
            .data_products
            .iter()
            .filter(|p| p.status == s)
            .count()
    };
    let (incident, degraded) = (count(Status::Incident), count(Status::Degraded));
    let summary = match (incident, degraded) {
        _ if status.data_products.is_empty() => "No data products are defined yet.".to_owned(),
        (0, 0) => "All data products are operational.".to_owned(),
        _ => {
            let mut parts = Vec::new();
            if incident > 0 {
                parts.push(format!("{incident} affected by an incident"));
            }
            if degraded > 0 {
                parts.push(format!("{degraded} degraded"));
            }
            format!(
                "{} of {} data products: {}.",
                incident + degraded,
                status.data_products.len(),
                parts.join(", ")
            )
        }
    };
    let mut by_day: Vec<(String, Vec<&history::IncidentBrief>)> = Vec::new();
    for b in briefs.iter().filter(|b| {
        b.declared.as_str() >= crate::domain::issues::ts(since).as_str() || b.resolved.is_none()
    }) {
        let day = when(&b.declared).chars().take(10).collect::<String>();
        match by_day.last_mut() {
            Some((d, list)) if *d == day => list.push(b),
            _ => by_day.push((day, vec![b])),
        }
    }
    let body = html! {
        h1 { "Data status" }
        p { (summary) }
        h2 { "Data products" }
        @if !status.data_products.is_empty() {
            table {
                thead { tr { th { "Product" } th { "Status" } th { "Uptime" } th { "SLA" } th { "Team" } th { "Tier" } } }
                tbody {
                    @for p in &status.data_products {
                        tr {
                            td { (p.name) } td class=(format!("status {}", p.status.as_str())) { (p.status.as_str()) }
                            td { (percent(p.uptime)) " " span.muted { "(" (p.window) ")" } }
                            td {
                                @match (p.sla_target, p.sla_met) {
                                    (Some(t), Some(met)) => { (percent(t)) " " span class=(if met { "met" } else { "missed" }) { (if met { "met" } else { "missed" }) } }
                                    _ => span.muted { "none" }
                                }
                            }
                            td { (p.team.as_deref().unwrap_or("")) }
                            td { (p.tier.map(|t| t.to_string()).unwrap_or_default()) }
                        }
                    }
                }
            }
            h2 { "The last " (DAYS) " days" }
            @for (def, days, _) in &rows {
                div.row {
                    span.name { a href=(linker.href(&format!("/products/{}", def.name))) { (def.name) } }
                    (day_bars(days, &def.name))
                }
            }
            p.muted { span.key style="background:#2da44e" {} "operational " span.key style="background:#d4a72c" {} "degraded " span.key style="background:#cf222e" {} "incident · oldest day on the left; hover a bar for its incidents" }
        }
        h2 { "Open incidents" }
        @if status.open_incidents.is_empty() { p { "No open incidents." } } @else {
            ul {
                @for i in &status.open_incidents {
                    li {
                        strong { (i.id) } " " (i.severity) " · " (i.title)
                        span.muted { " (" (i.status) ", declared " (when(&i.declared)) ")" }
                        @if !i.data_products.is_empty() { " Affects " (i.data_products.join(", ")) "." }
                    }
                }
            }
        }
        h2 { "Incident history" }
        @if by_day.is_empty() { p.muted { "No incidents in the last " (DAYS) " days." } }
        @for (day, list) in &by_day {
            h3 { (day) }
            ul {
                @for b in list {
                    @let affects: Vec<&str> = rows.iter().filter(|r| r.2.contains(&b.id)).map(|r| r.0.name.as_str()).collect();
                    li {
                        strong { (b.id) } " " (b.severity) " · " (b.title)
                        span.muted { " — " @if let Some(r) = &b.resolved { "resolved " (when(r)) } @else { (b.status) } }
                        @if !affects.is_empty() { " Affected " (affects.join(", ")) "." }
                    }
                }
            }
        }
        p.muted { "Generated " (when(&status.generated_at)) " · " a href="/status.json" { "JSON" } }
    };
    Ok(page("Data status", body))
}
