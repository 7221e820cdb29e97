//! The issue page, `/issues/N`: the picture of its root and the root's symptoms, the failure
//! (message, failing rows, compiled SQL), the comments on that asset over time, and the history
//! of that check as a strip of pass and fail per run.

use super::picture::{self, Marks};
use super::signed::Linker;
use super::{collapsed, legend, page, svg, when};
use crate::app::App;
use crate::domain::history;
use crate::domain::issues::IssueFilter;
use crate::domain::postmortem::{self, short_name};
use anyhow::Result;
use maud::html;

/// Runs of the check shown in the strip.
const RUNS: usize = 90;

/// Issue `id`'s page (an unknown issue is a not-found input error).
pub fn issue_html(app: &App, id: i64, linker: &Linker) -> Result<String> {
    let detail = app.issue(id)?;
    let issue = &detail.issue;
    let root = match issue.symptom_of {
        Some(r) if r != id => app.issue(r)?.issue,
        _ => issue.clone(),
    };
    let lineage = app.issue_lineage(root.id)?;
    let symptom_issues = if root.root_cause_of.is_empty() {
        Vec::new()
    } else {
        app.issues(&IssueFilter {
            ids: Some(root.root_cause_of.clone()),
            ..Default::default()
        })?
    };
    let (products, exposures) = match lineage.get(&root.asset) {
        Some(idx) => {
            let impact = lineage.impact(&[idx]);
            (impact.data_products, impact.exposures)
        }
        None => (Vec::new(), Vec::new()),
    };
    let paths = lineage
        .get(&root.asset)
        .map(|idx| postmortem::paths_from(&lineage, idx, &products, &exposures))
        .unwrap_or_default();
    let mut pic = picture::build(
        &lineage,
        &Marks {
            roots: vec![(root.asset.clone(), root.check.clone())],
            symptoms: symptom_issues.iter().map(|i| i.asset.clone()).collect(),
            skipped: root.symptoms.iter().map(|s| s.unique_id.clone()).collect(),
            paths: &paths,
            products: &products,
            downstream: true,
        },
    );
    for i in std::iter::once(&root).chain(&symptom_issues) {
        if let Some(v) = pic.get(&i.asset)
            && i.id != id
        {
            pic.node_mut(v).href = Some(linker.href(&format!("/issues/{}", i.id)));
        }
    }
    for name in &products {
        if let Some(v) = pic.get(&format!("product:{name}")) {
            pic.node_mut(v).href = Some(linker.href(&format!("/products/{name}")));
        }
    }
    let layout = super::graph::layout(&pic);
    let drawing = svg::picture(&pic, &layout, &format!("Lineage of issue {id}"));
    let mut comments = Vec::new();
    for other in app.issues(&IssueFilter {
        asset: Some(issue.asset.clone()),
        ..Default::default()
    })? {
        let list = if other.id == id {
            detail.comments.clone()
        } else {
            app.issue(other.id)?.comments
        };
        comments.extend(list.into_iter().map(|c| (other.id, c)));
    }
    comments.sort_by(|a, b| a.1.at.cmp(&b.1.at));
    let runs = app
        .store
        .read(|c| history::check_runs(c, &issue.env, &issue.asset, &issue.check, RUNS))?;
    let strip: Vec<(String, String)> = runs
        .iter()
        .map(|r| {
            let class = match r.outcome.as_str() {
                "pass" => "pass",
                "fail" => "fail",
                _ => "skipped",
            };
            let rows = r
                .failures
                .map(|f| format!(", {f} failing rows"))
                .unwrap_or_default();
            (
                class.to_owned(),
                format!("{}: {}{rows}", when(&r.at), r.outcome),
            )
        })
        .collect();
    // People as `@name`, and Slack's tokens in comments made readable: the page is read outside
    // Slack.
    let people = app.people()?;
    let who = |w: &str| people.person(w);
    let body = html! {
        p.muted { a href="/status" { "Data status" } " › Issues" }
        h1 { "Issue #" (id) " · " (issue.check) " on " code { (short_name(&issue.asset)) } }
        p {
            span.pill.status.(if issue.is_active() { "incident" } else { "operational" }) { (issue.status) } " "
            span.pill { (issue.severity) } " "
            "first seen " (when(&issue.first_seen)) ", last " (when(&issue.last_seen))
            ", " (issue.occurrences) " occurrences"
            @if let Some(a) = &issue.assignee { " · assigned to " (who(a)) }
            @if let Some(n) = issue.incident_id {
                " · " a href=(linker.href(&format!("/incidents/{}", crate::domain::incidents::label(n)))) { (crate::domain::incidents::label(n)) }
            }
        }
        @if root.id != id {
            p { "A symptom of " a href=(linker.href(&format!("/issues/{}", root.id))) { "#" (root.id) } " (" (root.check) " on " code { (short_name(&root.asset)) } ")." }
        }
        h2 { "Lineage" }
        div.scroll { (drawing) }
        (legend())
        (collapsed(&pic))
        h2 { "Failure" }
        dl.facts {
            dt { "Message" } dd { (issue.message.as_deref().unwrap_or("—")) }
            dt { "Failing rows" } dd { @if let Some(f) = issue.failures { (f) } @else { "—" } }
            dt { "Status" } dd { (issue.dbt_status) }
            @if !issue.owners.is_empty() { dt { "Owners" } dd { (issue.owners.join(", ")) } }
            @if let Some(u) = &issue.url { dt { "Run" } dd { (u) } }
        }
        @if let Some(sql) = &issue.compiled_sql {
            details { summary { "Compiled SQL" } pre { code { (sql) } } }
        }
        h2 { "History of this check" }
        @if strip.is_empty() { p.muted { "No runs kept." } } @else {
            p { (svg::bars(&strip, "Runs of this check, oldest first")) }
            p.muted {
                (runs.iter().filter(|r| r.outcome == "pass").count()) " passed, "
                (runs.iter().filter(|r| r.outcome == "fail").count()) " failed of the last " (runs.len()) " runs."
            }
        }
        h2 { "Comments on " code { (short_name(&issue.asset)) } }
        @if comments.is_empty() { p.muted { "No comments." } }
        ul {
            @for (on, c) in &comments {
                li { (when(&c.at)) " · " strong { (who(&c.author)) } span.muted { " on #" (on) } " — " (people.humanize(&c.body, crate::domain::people::Style::Plain)) }
            }
        }
    };
    Ok(page(&format!("Issue #{id}"), body))
}
