//! The incident page, `/incidents/INC-n`: the lineage around the incident drawn (roots in red
//! with their failing checks, symptoms and skipped nodes in grey, impacted products and
//! exposures highlighted, each project a labelled band, the roots' paths to the impact), the
//! timeline, the linked issues, the teams to contact and the deliveries to other tools.

use super::graph::Role;
use super::picture::{self, Marks};
use super::signed::Linker;
use super::{collapsed, legend, page, svg, when};
use crate::app::App;
use crate::domain::issues::IssueFilter;
use crate::domain::postmortem::{self, PostmortemData, short_name};
use anyhow::Result;
use maud::{Markup, html};

/// Incident `n`'s page (an unknown incident is a not-found input error).
pub fn incident_html(app: &App, n: i64, linker: &Linker) -> Result<String> {
    let data = app.postmortem(n)?;
    let lineage = app.incident_lineage(n)?;
    let linked = app.issues(&IssueFilter {
        ids: Some(data.incident.issues.clone()),
        ..Default::default()
    })?;
    let roots: Vec<(String, String)> = data
        .roots
        .iter()
        .map(|r| {
            let checks: Vec<&str> = linked
                .iter()
                .filter(|i| i.asset == r.unique_id)
                .map(|i| i.check.as_str())
                .collect();
            (r.unique_id.clone(), checks.join(", "))
        })
        .collect();
    let symptoms: Vec<String> = linked
        .iter()
        .map(|i| i.asset.clone())
        .filter(|a| !roots.iter().any(|(r, _)| r == a))
        .collect();
    let skipped: Vec<String> = linked
        .iter()
        .flat_map(|i| i.symptoms.iter().map(|s| s.unique_id.clone()))
        .collect();
    let paths: Vec<postmortem::ImpactPath> =
        data.roots.iter().flat_map(|r| r.paths.clone()).collect();
    let mut pic = picture::build(
        &lineage,
        &Marks {
            roots,
            symptoms,
            skipped,
            paths: &paths,
            products: &data.incident.impact.data_products,
            downstream: true,
        },
    );
    for i in &linked {
        if let Some(v) = pic.get(&i.asset)
            && matches!(pic.nodes[v].role, Role::Root | Role::Symptom)
        {
            pic.node_mut(v).href = Some(linker.href(&format!("/issues/{}", i.id)));
        }
    }
    for name in &data.incident.impact.data_products {
        if let Some(v) = pic.get(&format!("product:{name}")) {
            pic.node_mut(v).href = Some(linker.href(&format!("/products/{name}")));
        }
    }
    let layout = super::graph::layout(&pic);
    let drawing = svg::picture(&pic, &layout, &format!("Lineage of {}", data.incident.id));
    let inc = &data.incident;
    // People as `@name`: the page is read outside Slack.
    let people = app.people()?;
    let who = |w: &str| people.person(w);
    let body = html! {
        p.muted { a href="/status" { "Data status" } " › Incidents" }
        h1 { (inc.id) " · " (inc.title) }
        p {
            span.pill { (inc.severity) } " "
            span.pill.status.(status_class(&inc.status)) { (inc.status) }
            " declared " (when(&inc.declared)) " by " (who(&inc.declared_by))
            @if let Some(c) = &inc.commander { " · commander " (who(c)) }
        }
        @if let Some(d) = &inc.description { p { (d) } }
        (facts(&data))
        h2 { "Lineage" }
        div.scroll { (drawing) }
        (legend())
        (collapsed(&pic))
        (paths_list(&data))
        h2 { "Timeline" }
        (timeline(&data, &people))
        h2 { "Issues" }
        table {
            thead { tr { th { "Issue" } th { "Asset" } th { "Check" } th { "Status" } th { "Assignee" } th { "First seen" } } }
            tbody {
                @for i in &linked {
                    tr {
                        td { a href=(linker.href(&format!("/issues/{}", i.id))) { "#" (i.id) } }
                        td { code { (short_name(&i.asset)) } }
                        td { (i.check) }
                        td.status { (i.status) @if let Some(r) = &i.resolution { " (" (r) ")" } }
                        td { (i.assignee.as_deref().map(who).unwrap_or_else(|| "—".to_owned())) }
                        td { (when(&i.first_seen)) }
                    }
                }
            }
        }
        h2 { "Teams to contact" }
        @if inc.teams.is_empty() { p.muted { "No team is known for what this incident affects." } }
        ul {
            @for t in &inc.teams {
                li {
                    strong { (t.name) }
                    @if let Some(g) = &t.slack_group { " · " (g) }
                    @if let Some(c) = &t.channel { " · " (c) }
                    span.muted { " — " (t.why.join("; ")) }
                }
            }
        }
        h2 { "Deliveries" }
        (deliveries(&data))
        p.muted { "Generated " (when(&crate::domain::issues::ts(data.now))) }
    };
    Ok(page(&format!("{} {}", inc.id, inc.title), body))
}

fn status_class(status: &str) -> &'static str {
    match status {
        "resolved" => "operational",
        "mitigated" => "degraded",
        _ => "incident",
    }
}

fn facts(data: &PostmortemData) -> Markup {
    let inc = &data.incident;
    let m = &data.metrics;
    html! {
        dl.facts {
            dt { "Impacted products" } dd { @if inc.impact.data_products.is_empty() { "none" } @else { (inc.impact.data_products.join(", ")) } }
            dt { "Exposures" } dd { (inc.impact.exposures.len()) }
            dt { "Downstream assets" } dd { (inc.impact.downstream_count) }
            @if let Some(s) = m.impact_seconds { dt { "Impact" } dd { (postmortem::human_duration(s)) @if m.ongoing { " so far" } } }
            @if let Some(s) = &inc.summary { dt { "Summary" } dd { (s) } }
        }
    }
}

fn paths_list(data: &PostmortemData) -> Markup {
    html! {
        @if data.roots.iter().any(|r| !r.paths.is_empty()) {
            details open {
                summary { "Paths from each root to the impact" }
                ul {
                    @for r in &data.roots {
                        @for p in &r.paths {
                            li {
                                @let names: Vec<&str> = p.path.iter().map(|s| short_name(s)).collect();
                                code { (names.join(" → ")) } " → " strong { (short_name(&p.target)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// An event's detail in a few words.
fn detail_text(detail: &serde_json::Value) -> String {
    for key in ["text", "summary", "to", "status", "what", "title"] {
        if let Some(s) = detail.get(key).and_then(|v| v.as_str()) {
            return svg::clip(s, 160);
        }
    }
    match detail {
        serde_json::Value::Object(m) if m.keys().all(|k| k == "issue") => String::new(),
        serde_json::Value::Null => String::new(),
        other => svg::clip(&other.to_string(), 160),
    }
}

fn timeline(data: &PostmortemData, people: &crate::domain::people::People) -> Markup {
    let who = |w: &str| people.person(w);
    html! {
        table {
            thead { tr { th { "When" } th { "What" } th { "Who" } th { "Detail" } } }
            tbody {
                @for e in &data.timeline {
                    tr {
                        td { (when(&e.at)) }
                        td { (e.kind.replace('_', " ")) @if let Some(i) = e.issue { span.muted { " #" (i) } } }
                        td { (e.actor.as_deref().map(who).unwrap_or_else(|| "Steward".to_owned())) }
                        td { (people.humanize(&detail_text(&e.detail), crate::domain::people::Style::Plain)) }
                    }
                }
            }
        }
    }
}

fn deliveries(data: &PostmortemData) -> Markup {
    let sent: Vec<_> = data
        .timeline
        .iter()
        .filter(|e| e.kind == "notified")
        .collect();
    html! {
        @if sent.is_empty() { p.muted { "Nothing delivered to other tools yet." } }
        ul {
            @for e in sent {
                li {
                    (when(&e.at)) " · "
                    (e.detail.get("channel").or_else(|| e.detail.get("via")).and_then(|v| v.as_str()).unwrap_or("?"))
                    span.muted { " — " (detail_text(&e.detail)) }
                }
            }
        }
    }
}
