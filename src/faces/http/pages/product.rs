//! The product page, `/products/NAME`: 90 days of bars coloured by the worst state of each day,
//! the error budget's burn over the SLA window, the product's own lineage, its incidents and
//! the open issues upstream of it.

use super::picture;
use super::signed::Linker;
use super::{DAYS, collapsed, legend, page, svg, when};
use crate::app::App;
use crate::domain::history::{self, Day, ProductFacts};
use crate::domain::issues::IssueFilter;
use crate::domain::postmortem::short_name;
use crate::error::InputError;
use anyhow::Result;
use chrono::Duration;
use maud::{Markup, html};

/// One day's bar: its state as the class, and a title naming the date, the state and the
/// incidents (or the count of open issues).
pub fn day_bar(d: &Day) -> (String, String) {
    let why = if !d.incidents.is_empty() {
        format!(" — {}", d.incidents.join(", "))
    } else if d.issues > 0 {
        format!(
            " — {} open issue{}",
            d.issues,
            if d.issues == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    (
        d.state.as_str().to_owned(),
        format!("{}: {}{why}", d.date.format("%Y-%m-%d"), d.state.as_str()),
    )
}

/// A row of day bars with its label.
pub fn day_bars(days: &[Day], name: &str) -> Markup {
    let items: Vec<(String, String)> = days.iter().map(day_bar).collect();
    svg::bars(&items, &format!("{name}: the last {} days", days.len()))
}

/// Data product `name`'s page (an unknown product is a not-found input error).
pub fn product_html(app: &App, name: &str, linker: &Linker) -> Result<String> {
    let catalog = app.catalog();
    let def = catalog.get(name).ok_or_else(|| {
        InputError::not_found(format!("/products/{name}"), "no such data product")
    })?;
    let lineage = app.lineage.current();
    let now = app.clock.now();
    let since = now - def.window.max(Duration::days(i64::from(DAYS)));
    let (spans, issue_spans, briefs) = app.store.read(|c| {
        Ok((
            crate::domain::status::incident_spans(c, since)?,
            history::issue_spans(c, since)?,
            history::incident_briefs(c, since)?,
        ))
    })?;
    let facts = ProductFacts::of(&lineage, def, &spans, &issue_spans);
    let days = facts.days(now, DAYS);
    let burn = facts.budget_burn(def.sla_target, def.window, now);
    let status = app
        .product_statuses()?
        .into_iter()
        .find(|p| p.name == def.name);
    let open_ids = status
        .as_ref()
        .map(|s| s.open_issues.clone())
        .unwrap_or_default();
    let open = if open_ids.is_empty() {
        Vec::new()
    } else {
        app.issues(&IssueFilter {
            ids: Some(open_ids),
            ..Default::default()
        })?
    };
    let members = crate::domain::products::members(&lineage, def);
    let failing: Vec<String> = open.iter().map(|i| i.asset.clone()).collect();
    let mut pic = picture::product(&lineage, &def.name, &members, &failing);
    for i in &open {
        if let Some(v) = pic.get(&i.asset) {
            pic.node_mut(v).href = Some(linker.href(&format!("/issues/{}", i.id)));
        }
    }
    let layout = super::graph::layout(&pic);
    let drawing = svg::picture(&pic, &layout, &format!("Lineage of {}", def.name));
    let ids: Vec<&str> = facts.incidents.iter().map(|s| s.id.as_str()).collect();
    let incidents: Vec<&history::IncidentBrief> = briefs
        .iter()
        .filter(|b| ids.contains(&b.id.as_str()))
        .collect();
    let state = status.as_ref().map_or("operational", |s| s.status.as_str());
    let body = html! {
        p.muted { a href="/status" { "Data status" } " › Data products" }
        h1 { (def.name) }
        p {
            span.pill.status.(state) { (state) }
            @if let Some(t) = &def.team { " team " (t) }
            @if let Some(t) = def.tier { " · tier " (t) }
            @if let Some(s) = def.sla_target { " · SLA " (format!("{:.2}%", s * 100.0)) " over " (def.window.num_days()) "d" }
        }
        h2 { "The last " (DAYS) " days" }
        p { (day_bars(&days, &def.name)) }
        p.muted {
            "Days with an incident: " (days.iter().filter(|d| d.state == crate::domain::status::Status::Incident).count())
            "; degraded: " (days.iter().filter(|d| d.state == crate::domain::status::Status::Degraded).count()) "."
        }
        h2 { "Error budget" }
        @match &burn {
            Some(points) => {
                @let n = points.len().saturating_sub(1).max(1) as f64;
                @let xy: Vec<(f64, f64)> = points.iter().enumerate().map(|(i, (_, y))| (i as f64 / n, *y)).collect();
                p { (svg::line(&xy, "Share of the error budget spent over the SLA window")) }
                p.muted { (format!("{:.0}%", points.last().map_or(0.0, |p| p.1) * 100.0)) " of the budget spent over the last " (def.window.num_days()) " days." }
            }
            None => p.muted { "No SLA is set for this product." }
        }
        h2 { "Lineage" }
        div.scroll { (drawing) }
        (legend())
        (collapsed(&pic))
        h2 { "Incidents" }
        @if incidents.is_empty() { p.muted { "No incidents in the last " (DAYS) " days." } }
        ul {
            @for b in &incidents {
                li {
                    a href=(linker.href(&format!("/incidents/{}", b.id))) { (b.id) } " · " (b.severity) " · " (b.title)
                    span.muted { " (" (b.status) ", declared " (when(&b.declared)) @if let Some(r) = &b.resolved { ", resolved " (when(r)) } ")" }
                }
            }
        }
        h2 { "Open issues upstream" }
        @if open.is_empty() { p.muted { "None." } }
        ul {
            @for i in &open {
                li { a href=(linker.href(&format!("/issues/{}", i.id))) { "#" (i.id) } " " (i.check) " on " code { (short_name(&i.asset)) } span.muted { " since " (when(&i.first_seen)) } }
            }
        }
    };
    Ok(page(&def.name, body))
}
