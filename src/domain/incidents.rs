//! Incidents: what people declare once they judge that failures matter. An incident is numbered
//! `INC-n`, groups issues (each issue in at most one open incident), and carries its own timeline.
//! This module holds declaring, linking and reading; the full lifecycle grows from here.

use crate::config::SEVERITIES;
use crate::domain::issues::{self, Issue, IssueFilter, ts};
use crate::error::{InputError, InputErrorKind};
use crate::lineage::{Impact, Lineage, RootCandidate};
use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

mod actions;
mod followups;
mod merge;
pub use actions::{comment, link, set_commander, set_severity, set_status, unlink};
pub use followups::*;
pub use merge::{merge_into, split};

/// The severity `[incidents]` suggests for an incident on `issue_assets`: the first
/// `[[incidents.severity_rules]]` entry whose condition holds, else `default_severity`.
/// `tier = N` holds when an affected data product has tier N or lower (more critical);
/// `data_product` when that product is affected; `exposure_type` when an exposure downstream
/// has that type.
pub fn suggest_severity(
    config: &crate::config::Config,
    lineage: &Lineage,
    catalog: &crate::domain::products::Catalog,
    issue_assets: &[petgraph::graph::NodeIndex],
) -> String {
    let inc = &config.incidents;
    if inc.severity_rules.is_empty() || issue_assets.is_empty() {
        return inc.default_severity.clone();
    }
    let products = crate::domain::products::affected_products(lineage, catalog, issue_assets);
    let impact = lineage.impact(issue_assets);
    let exposure_types: Vec<&str> = impact
        .exposures
        .iter()
        .filter_map(|id| lineage.get(id))
        .filter_map(|i| lineage.node(i).exposure.as_ref()?.kind.as_deref())
        .collect();
    let matches = |r: &crate::config::SeverityRule| {
        if let Some(tier) = r.tier {
            products
                .iter()
                .filter_map(|p| catalog.get(p)?.tier)
                .any(|t| t <= tier)
        } else if let Some(dp) = &r.data_product {
            products
                .iter()
                .chain(impact.data_products.iter())
                .any(|p| p.eq_ignore_ascii_case(dp))
        } else if let Some(kind) = &r.exposure_type {
            exposure_types.iter().any(|k| k.eq_ignore_ascii_case(kind))
        } else {
            false
        }
    };
    inc.severity_rules
        .iter()
        .find(|r| matches(r))
        .map(|r| r.severity.clone())
        .unwrap_or_else(|| inc.default_severity.clone())
}

/// `INC-7`, `inc-7`, `#7` or `7` → 7.
pub fn parse_number(s: &str) -> Option<i64> {
    let s = s.trim();
    let digits = s
        .strip_prefix("INC-")
        .or_else(|| s.strip_prefix("inc-"))
        .or_else(|| s.strip_prefix('#'))
        .unwrap_or(s);
    digits.parse().ok().filter(|n| *n > 0)
}

pub fn label(n: i64) -> String {
    format!("INC-{n}")
}

/// What a person asks for when declaring.
#[derive(Debug, Clone, Default)]
pub struct Declaration {
    pub title: String,
    pub description: Option<String>,
    pub severity: String,
    pub commander: Option<String>,
    pub issues: Vec<i64>,
    pub declared_by: String,
}

/// An incident as every face shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    /// `INC-n`.
    pub id: String,
    pub number: i64,
    pub title: String,
    pub description: Option<String>,
    pub severity: String,
    pub status: String,
    pub commander: Option<String>,
    pub declared_by: String,
    pub issues: Vec<i64>,
    /// Ranked root-cause candidates among the linked issues' assets.
    pub root_causes: Vec<RootCandidate>,
    pub impact: Impact,
    pub impact_started: Option<String>,
    /// When Steward first recorded a failure of a linked issue (the earliest ingest).
    pub detected: Option<String>,
    pub declared: String,
    pub acknowledged: Option<String>,
    pub mitigated: Option<String>,
    pub resolved: Option<String>,
    pub summary: Option<String>,
    pub resolution_reason: Option<String>,
    /// Closed because it was merged into this incident (`INC-n` number).
    pub merged_into: Option<i64>,
    /// The work it leaves behind.
    pub followups: Vec<Followup>,
    /// The teams to contact: owners of the affected data products and of the failing assets,
    /// with their Slack user group and channel from `[[teams]]`.
    pub teams: Vec<TeamContact>,
}

/// A team an incident concerns, and how to reach it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TeamContact {
    pub name: String,
    pub slack_group: Option<String>,
    pub channel: Option<String>,
    /// Why: "owns data product revenue", "dbt group of stg_payments".
    pub why: Vec<String>,
}

/// The teams to contact about `incident`: each affected data product's team, then the dbt group
/// of each root cause, deduplicated (case-insensitively) in that order, with the contact details
/// `[[teams]]` gives them.
pub fn teams_to_contact(
    lineage: &Lineage,
    catalog: &crate::domain::products::Catalog,
    incident: &Incident,
    teams: &[crate::config::TeamConfig],
) -> Vec<TeamContact> {
    let mut out: Vec<TeamContact> = Vec::new();
    let mut add = |name: &str, why: String| {
        let name = name.trim();
        if name.is_empty() {
            return;
        }
        if let Some(t) = out.iter_mut().find(|t| t.name.eq_ignore_ascii_case(name)) {
            if !t.why.contains(&why) {
                t.why.push(why);
            }
            return;
        }
        let configured = teams.iter().find(|t| t.name.eq_ignore_ascii_case(name));
        out.push(TeamContact {
            name: configured.map_or(name, |t| t.name.as_str()).to_owned(),
            slack_group: configured.and_then(|t| t.slack_group.clone()),
            channel: configured.and_then(|t| t.channel.clone()),
            why: vec![why],
        });
    };
    for product in &incident.impact.data_products {
        if let Some(team) = catalog.get(product).and_then(|p| p.team.as_deref()) {
            add(team, format!("owns data product {product}"));
        }
    }
    for root in &incident.root_causes {
        if let Some(group) = lineage
            .get(&root.unique_id)
            .and_then(|i| lineage.node(i).group.as_deref())
        {
            let short = root.unique_id.rsplit('.').next().unwrap_or(&root.unique_id);
            add(group, format!("dbt group of {short}"));
        }
    }
    out
}

/// Declares an incident linking `d.issues`. Refuses unknown issues and issues already in another
/// open incident, naming them; nothing is written then.
pub fn declare(tx: &Transaction, d: &Declaration, now: DateTime<Utc>) -> Result<i64> {
    let origin = "declare";
    if d.title.trim().is_empty() {
        return Err(InputError::new(origin, "the title is empty").into());
    }
    let severity = d.severity.to_ascii_uppercase();
    if !SEVERITIES.contains(&severity.as_str()) {
        return Err(InputError::new(
            origin,
            format!("severity {:?} is not one of SEV1–SEV4", d.severity),
        )
        .into());
    }
    let mut impact_started: Option<String> = None;
    for id in &d.issues {
        let issue = issues::get(tx, *id)?
            .ok_or_else(|| InputError::not_found(format!("issue {id}"), "no such issue"))?;
        if let Some(other) = issue.incident_id
            && incident_is_open(tx, other)?
        {
            return Err(InputError::new(
                format!("issue {id}"),
                format!("it already belongs to the open incident {}", label(other)),
            )
            .kind(InputErrorKind::Conflict)
            .into());
        }
        if impact_started
            .as_deref()
            .is_none_or(|s| issue.first_seen.as_str() < s)
        {
            impact_started = Some(issue.first_seen.clone());
        }
    }
    tx.execute(
        "INSERT INTO incidents (title, description, severity, status, commander, declared_by, declared_at, impact_started, updated_at)
         VALUES (?1, ?2, ?3, 'investigating', ?4, ?5, ?6, ?7, ?6)",
        params![d.title.trim(), d.description, severity, d.commander, d.declared_by, ts(now), impact_started],
    )?;
    let n = tx.last_insert_rowid();
    log(
        tx,
        n,
        None,
        "declared",
        &d.declared_by,
        serde_json::json!({"title": d.title, "severity": severity, "issues": d.issues}),
        now,
    )?;
    for id in &d.issues {
        link_issue(tx, n, *id, &d.declared_by, None, now)?;
    }
    Ok(n)
}

fn incident_is_open(conn: &Connection, n: i64) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT status != 'resolved' FROM incidents WHERE id = ?1",
            [n],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(false))
}

/// Points an issue at an incident and logs it; callers have checked that the move is allowed.
/// `moved_from` is the incident it left, if any.
fn link_issue(
    tx: &Transaction,
    n: i64,
    issue_id: i64,
    actor: &str,
    moved_from: Option<i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "UPDATE issues SET incident_id = ?2, updated_at = ?3 WHERE id = ?1",
        params![issue_id, n, ts(now)],
    )?;
    let detail = match moved_from {
        Some(previous) => serde_json::json!({"issue": issue_id, "moved_from": previous}),
        None => serde_json::json!({"issue": issue_id}),
    };
    log(tx, n, Some(issue_id), "issue_linked", actor, detail, now)?;
    Ok(())
}

fn log(
    tx: &Connection,
    n: i64,
    issue: Option<i64>,
    kind: &str,
    actor: &str,
    detail: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.prepare_cached("INSERT INTO events (at, issue_id, incident_id, kind, actor, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
        .execute(params![ts(now), issue, n, kind, actor, detail.to_string()])?;
    Ok(())
}

/// Logs that Steward told people about incident `n`: a `notified` event naming the channel and
/// what was said (posting the incident message, a stakeholder update, a product status change).
pub fn record_notification(
    tx: &Connection,
    n: i64,
    channel: &str,
    what: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.prepare_cached("INSERT INTO events (at, incident_id, kind, actor, detail) VALUES (?1, ?2, 'notified', NULL, ?3)")?
        .execute(params![ts(now), n, serde_json::json!({"channel": channel, "what": what}).to_string()])?;
    Ok(())
}

struct Row {
    number: i64,
    title: String,
    description: Option<String>,
    severity: String,
    status: String,
    commander: Option<String>,
    declared_by: String,
    declared_at: String,
    impact_started: Option<String>,
    acknowledged_at: Option<String>,
    mitigated_at: Option<String>,
    resolved_at: Option<String>,
    summary: Option<String>,
    resolution_reason: Option<String>,
    merged_into: Option<i64>,
}

const COLUMNS: &str =
    "id, title, description, severity, status, commander, declared_by, declared_at, impact_started,
    acknowledged_at, mitigated_at, resolved_at, summary, resolution_reason, merged_into";

fn row(r: &rusqlite::Row) -> rusqlite::Result<Row> {
    Ok(Row {
        number: r.get(0)?,
        title: r.get(1)?,
        description: r.get(2)?,
        severity: r.get(3)?,
        status: r.get(4)?,
        commander: r.get(5)?,
        declared_by: r.get(6)?,
        declared_at: r.get(7)?,
        impact_started: r.get(8)?,
        acknowledged_at: r.get(9)?,
        mitigated_at: r.get(10)?,
        resolved_at: r.get(11)?,
        summary: r.get(12)?,
        resolution_reason: r.get(13)?,
        merged_into: r.get(14)?,
    })
}

fn assemble(conn: &Connection, lineage: &Lineage, r: Row) -> Result<Incident> {
    let linked: Vec<Issue> = issues::list(
        conn,
        &IssueFilter {
            incident: Some(r.number),
            ..Default::default()
        },
    )?;
    let nodes: Vec<_> = linked
        .iter()
        .filter_map(|i| lineage.get(&i.asset))
        .collect();
    Ok(Incident {
        id: label(r.number),
        number: r.number,
        title: r.title,
        description: r.description,
        severity: r.severity,
        status: r.status,
        commander: r.commander,
        declared_by: r.declared_by,
        issues: linked.iter().map(|i| i.id).collect(),
        root_causes: lineage.root_candidates(&nodes),
        impact: lineage.impact(&nodes),
        impact_started: r.impact_started,
        detected: linked.iter().map(|i| i.created_at.clone()).min(),
        declared: r.declared_at,
        acknowledged: r.acknowledged_at,
        mitigated: r.mitigated_at,
        resolved: r.resolved_at,
        summary: r.summary,
        resolution_reason: r.resolution_reason,
        merged_into: r.merged_into,
        followups: followups(conn, r.number)?,
        teams: Vec::new(),
    })
}

pub fn get(conn: &Connection, lineage: &Lineage, n: i64) -> Result<Incident> {
    let r = conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM incidents WHERE id = ?1"),
            [n],
            row,
        )
        .optional()?
        .ok_or_else(|| InputError::not_found(label(n), "no such incident"))?;
    assemble(conn, lineage, r)
}

/// Every incident, newest first; `open_only` leaves out resolved ones.
pub fn list(conn: &Connection, lineage: &Lineage, open_only: bool) -> Result<Vec<Incident>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM incidents {} ORDER BY id DESC",
        if open_only {
            "WHERE status != 'resolved'"
        } else {
            ""
        }
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows: Vec<Row> = stmt.query_map([], row)?.collect::<rusqlite::Result<_>>()?;
    rows.into_iter()
        .map(|r| assemble(conn, lineage, r))
        .collect()
}

/// Open issues related to `issue_id` through lineage: the same root cause, or an asset up- or
/// downstream of its asset that failed within `window` before `now`. The bool says whether to
/// pre-select it when declaring (same root cause, or linked by lineage within the window).
pub fn related_issues(
    conn: &Connection,
    lineage: &Lineage,
    issue_id: i64,
    window: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<Vec<(Issue, bool)>> {
    let Some(me) = issues::get(conn, issue_id)? else {
        return Err(InputError::not_found(format!("issue {issue_id}"), "no such issue").into());
    };
    // Only open issues are candidates: read those, not the whole history.
    let all = issues::list(
        conn,
        &IssueFilter {
            active: true,
            ..Default::default()
        },
    )?;
    let my_root = me.symptom_of.unwrap_or(me.id);
    let node = lineage.get(&me.asset);
    let mut linked_assets: std::collections::HashSet<String> = std::collections::HashSet::new();
    if let Some(n) = node {
        for i in lineage.upstream(n).into_iter().chain(lineage.downstream(n)) {
            linked_assets.insert(lineage.node(i).unique_id.clone());
        }
    }
    let since = ts(now - window);
    // A storm is one cause: its members and their symptoms belong together.
    let storm_roots: std::collections::HashSet<i64> = match me.storm {
        Some(s) => all
            .iter()
            .filter(|i| i.storm == Some(s))
            .map(|i| i.id)
            .collect(),
        None => Default::default(),
    };
    let mut out = Vec::new();
    for i in all.into_iter().filter(|i| i.is_active()) {
        let same_root = i.id == me.id
            || i.symptom_of.unwrap_or(i.id) == my_root
            || i.asset == me.asset
            || storm_roots.contains(&i.symptom_of.unwrap_or(i.id));
        let near = linked_assets.contains(&i.asset) && i.last_seen >= since;
        if same_root || near {
            out.push((i, true));
        }
    }
    out.sort_by_key(|(i, _)| i.id);
    Ok(out)
}

/// The lifecycle, in order.
pub const STATUSES: [&str; 4] = ["investigating", "identified", "monitoring", "resolved"];

/// One entry of an incident's timeline: an event of the incident or of one of its issues.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TimelineEntry {
    pub at: String,
    pub kind: String,
    /// None when Steward itself acted (an ingest).
    pub actor: Option<String>,
    /// The issue the event is about, if any.
    pub issue: Option<i64>,
    /// The incident the event was logged on (another one for an issue's history elsewhere).
    pub incident: Option<i64>,
    pub detail: serde_json::Value,
}

/// Every event of incident `n` and of the issues linked to it, in time order.
pub fn timeline(conn: &Connection, n: i64) -> Result<Vec<TimelineEntry>> {
    if !conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM incidents WHERE id = ?1)",
        [n],
        |r| r.get::<_, bool>(0),
    )? {
        return Err(InputError::not_found(label(n), "no such incident").into());
    }
    let mut stmt = conn.prepare_cached(
        "SELECT at, kind, actor, issue_id, incident_id, detail FROM events
         WHERE incident_id = ?1 OR issue_id IN (SELECT id FROM issues WHERE incident_id = ?1)
         ORDER BY at, id",
    )?;
    let rows = stmt.query_map([n], |r| {
        let detail: String = r.get(5)?;
        Ok(TimelineEntry {
            at: r.get(0)?,
            kind: r.get(1)?,
            actor: r.get(2)?,
            issue: r.get(3)?,
            incident: r.get(4)?,
            detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests;
