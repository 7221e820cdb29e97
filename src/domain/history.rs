//! History for the pages: each data product's worst state per day, its error budget's burn,
//! and one check's past runs. Pure functions over facts the store already keeps (incident
//! spans, issue open/resolve times, observations); no rendering.

use crate::domain::products::{self, ProductDef};
use crate::domain::status::{self, IncidentSpan, Status};
use crate::lineage::Lineage;
use anyhow::Result;
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// When an issue was open, on which node.
#[derive(Debug, Clone, PartialEq)]
pub struct IssueSpan {
    pub id: i64,
    pub asset: String,
    pub node: Option<String>,
    pub start: DateTime<Utc>,
    /// None while open.
    pub end: Option<DateTime<Utc>>,
}

fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The issues open now or resolved since `since` (first seen → resolved).
pub fn issue_spans(conn: &rusqlite::Connection, since: DateTime<Utc>) -> Result<Vec<IssueSpan>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, asset, node, first_seen, resolved_at FROM issues
         WHERE resolved_at IS NULL OR resolved_at >= ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([crate::domain::issues::ts(since)], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<String>>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, asset, node, first, resolved) = row?;
        if let Some(start) = parse_ts(&first) {
            out.push(IssueSpan {
                id,
                asset,
                node,
                start,
                end: resolved.as_deref().and_then(parse_ts),
            });
        }
    }
    Ok(out)
}

/// One day of a product's history: its worst state that day and the incidents that caused it.
#[derive(Debug, Clone, PartialEq)]
pub struct Day {
    pub date: NaiveDate,
    pub state: Status,
    /// `INC-n` of the incidents affecting it that day.
    pub incidents: Vec<String>,
    /// Issues open on or upstream of it that day.
    pub issues: usize,
}

fn overlaps(
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> bool {
    start < to && end.is_none_or(|e| e > from)
}

/// Whether a failure on `asset` (or `node`) reaches the product `reach` describes.
fn hits(lineage: &Lineage, reach: &[bool], asset: &str, node: Option<&str>) -> bool {
    lineage
        .get(asset)
        .or_else(|| node.and_then(|n| lineage.get(n)))
        .map(|i| lineage.asset_of(i))
        .is_some_and(|i| reach.get(i.index()).copied().unwrap_or(false))
}

/// The incidents and issues that reach a product: what its days are made of.
pub struct ProductFacts<'a> {
    pub incidents: Vec<&'a IncidentSpan>,
    pub issues: Vec<&'a IssueSpan>,
}

impl<'a> ProductFacts<'a> {
    /// The spans among `incidents` and `issues` that reach `def` (its members and their
    /// ancestors, as statuses count them).
    pub fn of(
        lineage: &Lineage,
        def: &ProductDef,
        incidents: &'a [IncidentSpan],
        issues: &'a [IssueSpan],
    ) -> ProductFacts<'a> {
        let reach = products::reach_of(lineage, def);
        ProductFacts {
            incidents: incidents
                .iter()
                .filter(|s| s.assets.iter().any(|a| hits(lineage, &reach, a, None)))
                .collect(),
            issues: issues
                .iter()
                .filter(|s| hits(lineage, &reach, &s.asset, s.node.as_deref()))
                .collect(),
        }
    }

    /// The `days` UTC days ending with the day of `now`, oldest first, each with its worst
    /// state: incident if an incident reaching the product was open during it, else degraded if
    /// an issue was, else operational.
    pub fn days(&self, now: DateTime<Utc>, days: u32) -> Vec<Day> {
        let today = now.date_naive();
        (0..days)
            .rev()
            .map(|back| {
                let date = today - Duration::days(i64::from(back));
                let from = date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
                let to = (from + Duration::days(1)).min(now);
                let incidents: Vec<String> = self
                    .incidents
                    .iter()
                    .filter(|s| overlaps(s.start, s.end, from, to))
                    .map(|s| s.id.clone())
                    .collect();
                let issues = self
                    .issues
                    .iter()
                    .filter(|s| overlaps(s.start, s.end, from, to))
                    .count();
                let state = if !incidents.is_empty() {
                    Status::Incident
                } else if issues > 0 {
                    Status::Degraded
                } else {
                    Status::Operational
                };
                Day {
                    date,
                    state,
                    incidents,
                    issues,
                }
            })
            .collect()
    }

    /// The share of the error budget (`1 − sla` of `window`) spent by each day's end over the
    /// window ending at `now`, one point a day, oldest first; None without an SLA.
    pub fn budget_burn(
        &self,
        sla: Option<f64>,
        window: Duration,
        now: DateTime<Utc>,
    ) -> Option<Vec<(DateTime<Utc>, f64)>> {
        let budget = (1.0 - sla?) * window.num_milliseconds() as f64;
        if budget <= 0.0 {
            return None;
        }
        let intervals: Vec<_> = self.incidents.iter().map(|s| (s.start, s.end)).collect();
        let start = now - window;
        let days = window.num_days().max(1);
        Some(
            (0..=days)
                .map(|d| {
                    let at = (start + Duration::days(d)).min(now);
                    let down = status::downtime(&intervals, start, at).num_milliseconds();
                    (at, down as f64 / budget)
                })
                .collect(),
        )
    }
}

/// One run of a check: when, and whether it passed.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRun {
    pub at: String,
    /// `pass`, `fail` or `skipped`.
    pub outcome: String,
    pub failures: Option<i64>,
}

/// The last `limit` runs of `check` on `asset` in `env`, oldest first (observations are kept
/// for the retention period).
pub fn check_runs(
    conn: &rusqlite::Connection,
    env: &str,
    asset: &str,
    check: &str,
    limit: usize,
) -> Result<Vec<CheckRun>> {
    let mut stmt = conn.prepare_cached(
        "SELECT occurred_at, outcome, failures FROM observations
         WHERE env = ?1 AND asset = ?2 AND check_name = ?3
         ORDER BY occurred_at DESC, id DESC LIMIT ?4",
    )?;
    let rows = stmt.query_map(rusqlite::params![env, asset, check, limit as i64], |r| {
        Ok(CheckRun {
            at: r.get(0)?,
            outcome: r.get(1)?,
            failures: r.get(2)?,
        })
    })?;
    let mut out = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    out.reverse();
    Ok(out)
}

/// An incident as a history list names it.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentBrief {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub declared: String,
    pub resolved: Option<String>,
}

/// The incidents open now or declared or resolved since `since`, newest first, with one query.
pub fn incident_briefs(
    conn: &rusqlite::Connection,
    since: DateTime<Utc>,
) -> Result<Vec<IncidentBrief>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, title, severity, status, declared_at, resolved_at FROM incidents
         WHERE resolved_at IS NULL OR resolved_at >= ?1 OR declared_at >= ?1
         ORDER BY declared_at DESC, id DESC",
    )?;
    let rows = stmt.query_map([crate::domain::issues::ts(since)], |r| {
        Ok(IncidentBrief {
            id: crate::domain::incidents::label(r.get(0)?),
            title: r.get(1)?,
            severity: r.get(2)?,
            status: r.get(3)?,
            declared: r.get(4)?,
            resolved: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
