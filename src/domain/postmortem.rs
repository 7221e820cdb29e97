//! The post-incident report: what happened, when, why and to whom, as Markdown.
//!
//! [`load`] gathers everything from the store and the lineage into [`PostmortemData`];
//! [`render`] is a pure function of that data (its clock included), so the report is tested
//! without a database.

use crate::clock::parse_ts;
use crate::config::TeamConfig;
use crate::domain::incidents::{self, Incident, TimelineEntry};
use crate::domain::issues::{self, IssueFilter};
use crate::domain::products::Catalog;
use crate::lineage::Lineage;
use anyhow::Result;
use chrono::{DateTime, Utc};
use petgraph::graph::NodeIndex;
use rusqlite::Connection;
use serde::Serialize;
use std::fmt::Write;

mod markdown;
pub use markdown::{human_duration, render, short_name};

pub mod mermaid;

/// Everything the report shows.
#[derive(Debug, Clone, Serialize)]
pub struct PostmortemData {
    pub incident: Incident,
    pub issues: Vec<LinkedIssue>,
    /// The ranked root-cause candidates with their paths to what they impact.
    pub roots: Vec<RootCause>,
    pub exposures: Vec<ExposureBrief>,
    pub timeline: Vec<TimelineEntry>,
    pub comments: Vec<ReportComment>,
    pub people: People,
    pub metrics: Metrics,
    /// When the report was made: the end of every duration still running.
    pub now: DateTime<Utc>,
}

/// A linked issue, as the report names it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LinkedIssue {
    pub id: i64,
    pub asset: String,
    pub check: String,
    pub status: String,
    pub resolution: Option<String>,
    pub assignee: Option<String>,
    pub owners: Vec<String>,
    pub first_seen: String,
    pub resolved_at: Option<String>,
    /// The run that last failed it (a CI run's URL, or an alert's link).
    pub run_url: Option<String>,
}

/// A root-cause candidate and the dependency paths from it to what it impacts.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RootCause {
    pub unique_id: String,
    /// How many of the linked issues' assets it explains.
    pub explains: usize,
    /// Linked issues on this asset.
    pub issues: Vec<i64>,
    pub paths: Vec<ImpactPath>,
}

/// The dependency path from a root to an impacted data product's node or an exposure.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ImpactPath {
    /// `data_product` or `exposure`.
    pub kind: String,
    /// The data product's name, or the exposure's unique_id.
    pub target: String,
    /// unique_ids from the root down to the target's node.
    pub path: Vec<String>,
}

/// An impacted exposure and who owns it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExposureBrief {
    pub unique_id: String,
    pub label: Option<String>,
    pub url: Option<String>,
    pub owners: Vec<String>,
}

/// A comment on the incident or on one of its issues.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReportComment {
    pub at: String,
    pub author: String,
    pub body: String,
    /// Set for a comment on a linked issue.
    pub issue: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct People {
    pub commander: Option<String>,
    pub declared_by: String,
    pub assignees: Vec<String>,
    /// Everyone who acted or commented, in order of first appearance.
    pub participants: Vec<String>,
}

/// The incident's durations, in seconds; the running ones end at `now`.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Metrics {
    /// impact_started → resolved (or now).
    pub impact_seconds: Option<i64>,
    /// declared → resolved (or now).
    pub response_seconds: Option<i64>,
    /// declared → acknowledged.
    pub acknowledge_seconds: Option<i64>,
    /// declared → mitigated.
    pub mitigate_seconds: Option<i64>,
    /// Not resolved yet: impact and response run until `now`.
    pub ongoing: bool,
}

fn between(from: Option<&str>, to: Option<&str>) -> Option<i64> {
    let (a, b) = (parse_ts(from?)?, parse_ts(to?)?);
    Some((b - a).num_seconds().max(0))
}

impl Metrics {
    pub fn compute(incident: &Incident, now: DateTime<Utc>) -> Metrics {
        let now_s = issues::ts(now);
        let end = incident.resolved.as_deref().unwrap_or(&now_s);
        let declared = Some(incident.declared.as_str());
        Metrics {
            impact_seconds: between(incident.impact_started.as_deref(), Some(end)),
            response_seconds: between(declared, Some(end)),
            acknowledge_seconds: between(declared, incident.acknowledged.as_deref()),
            mitigate_seconds: between(declared, incident.mitigated.as_deref()),
            ongoing: incident.resolved.is_none(),
        }
    }
}

/// Who took part: actors of the timeline and comment authors, each once, in order.
pub fn participants(timeline: &[TimelineEntry], comments: &[ReportComment]) -> Vec<String> {
    let mut seen: Vec<(String, String)> = timeline
        .iter()
        .filter_map(|e| e.actor.clone().map(|a| (e.at.clone(), a)))
        .chain(comments.iter().map(|c| (c.at.clone(), c.author.clone())))
        .collect();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out: Vec<String> = Vec::new();
    for (_, who) in seen {
        if !who.trim().is_empty() && !out.contains(&who) {
            out.push(who);
        }
    }
    out
}

/// Paths from `root` to the nodes of the impacted data products (the nearest node carrying
/// each) and to the impacted exposures below it.
pub fn paths_from(
    lineage: &Lineage,
    root: NodeIndex,
    products: &[String],
    exposures: &[String],
) -> Vec<ImpactPath> {
    let mut reach = vec![root];
    reach.extend(lineage.downstream(root)); // nearest first
    let ids = |p: Vec<NodeIndex>| -> Vec<String> {
        p.into_iter()
            .map(|i| lineage.node(i).unique_id.clone())
            .collect()
    };
    let mut out = Vec::new();
    for product in products {
        let target = reach
            .iter()
            .copied()
            .find(|i| lineage.node(*i).data_products.contains(product));
        if let Some(path) = target.and_then(|t| lineage.path(root, t)) {
            out.push(ImpactPath {
                kind: "data_product".into(),
                target: product.clone(),
                path: ids(path),
            });
        }
    }
    for exposure in exposures {
        let target = reach
            .iter()
            .copied()
            .find(|i| &lineage.node(*i).unique_id == exposure);
        if let Some(path) = target.and_then(|t| lineage.path(root, t)) {
            out.push(ImpactPath {
                kind: "exposure".into(),
                target: exposure.clone(),
                path: ids(path),
            });
        }
    }
    out
}

/// Gathers the report of incident `n` (a missing one is an input error), read through
/// `lineage`, the graph of the environment its issues live in.
pub fn gather(
    c: &Connection,
    lineage: &Lineage,
    catalog: &Catalog,
    teams: &[TeamConfig],
    n: i64,
    now: DateTime<Utc>,
) -> Result<PostmortemData> {
    let mut incident = incidents::get(c, lineage, n)?;
    incident.teams = incidents::teams_to_contact(lineage, catalog, &incident, teams);
    let linked = issues::list(
        c,
        &IssueFilter {
            ids: Some(incident.issues.clone()),
            ..Default::default()
        },
    )?;
    let comments: Vec<(i64, Option<String>, ReportComment)> = {
        let mut stmt = c.prepare(
            "SELECT id, slack_ts, at, author, body, issue_id FROM comments
             WHERE incident_id = ?1 OR issue_id IN (SELECT id FROM issues WHERE incident_id = ?1)
             ORDER BY at, id",
        )?;
        let rows = stmt.query_map([n], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                ReportComment {
                    at: r.get(2)?,
                    author: r.get(3)?,
                    body: r.get(4)?,
                    issue: r.get(5)?,
                },
            ))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut timeline = incidents::timeline(c, n)?;
    // Comment events carry an id (or a Slack ts), not the text: show the text.
    for e in timeline.iter_mut().filter(|e| e.kind == "commented") {
        if e.detail.get("text").is_some() {
            continue;
        }
        let by_id = e.detail.get("comment").and_then(|v| v.as_i64());
        let by_ts = e.detail.get("slack_ts").and_then(|v| v.as_str());
        let found = comments
            .iter()
            .find(|(id, ts, _)| by_id == Some(*id) || (by_ts.is_some() && ts.as_deref() == by_ts));
        if let (Some((_, _, comment)), Some(map)) = (found, e.detail.as_object_mut()) {
            map.insert("text".into(), comment.body.clone().into());
        }
    }
    let comments: Vec<ReportComment> = comments.into_iter().map(|(_, _, c)| c).collect();

    let roots = incident
        .root_causes
        .iter()
        .map(|r| RootCause {
            unique_id: r.unique_id.clone(),
            explains: r.explains,
            issues: linked
                .iter()
                .filter(|i| i.asset == r.unique_id)
                .map(|i| i.id)
                .collect(),
            paths: lineage
                .get(&r.unique_id)
                .map(|idx| {
                    paths_from(
                        lineage,
                        idx,
                        &incident.impact.data_products,
                        &incident.impact.exposures,
                    )
                })
                .unwrap_or_default(),
        })
        .collect();
    let exposures = incident
        .impact
        .exposures
        .iter()
        .map(|uid| {
            let idx = lineage.get(uid);
            let info = idx.and_then(|i| lineage.node(i).exposure.as_deref());
            ExposureBrief {
                unique_id: uid.clone(),
                label: info.and_then(|x| x.label.clone()),
                url: info.and_then(|x| x.url.clone()),
                owners: idx.map(|i| lineage.direct_owners(i)).unwrap_or_default(),
            }
        })
        .collect();
    let mut assignees: Vec<String> = Vec::new();
    for a in linked.iter().filter_map(|i| i.assignee.clone()) {
        if !assignees.contains(&a) {
            assignees.push(a);
        }
    }
    let people = People {
        commander: incident.commander.clone(),
        declared_by: incident.declared_by.clone(),
        assignees,
        participants: participants(&timeline, &comments),
    };
    let issues = linked
        .into_iter()
        .map(|i| LinkedIssue {
            id: i.id,
            asset: i.asset,
            check: i.check,
            status: i.status,
            resolution: i.resolution,
            assignee: i.assignee,
            owners: i.owners,
            first_seen: i.first_seen,
            resolved_at: i.resolved_at,
            run_url: i.url,
        })
        .collect();
    Ok(PostmortemData {
        metrics: Metrics::compute(&incident, now),
        incident,
        issues,
        roots,
        exposures,
        timeline,
        comments,
        people,
        now,
    })
}

#[cfg(test)]
mod tests;
