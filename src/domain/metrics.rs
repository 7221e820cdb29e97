//! The metrics report (`steward report [--since 30d] [--json]`): uptime, SLA, error budget and
//! burn rate per data product, and response figures per team, over a window ending now.
//!
//! [`compute`] is pure: it works on [`IssueFacts`] and [`IncidentFacts`] (plain data) with the
//! lineage, the product catalog and an injected `now`. [`load`] reads those facts from the
//! store with four queries, whatever the number of issues.
//!
//! Definitions (a figure with no data is `None`, serialised as `null`, never 0):
//! - A product's downtime is the union of the intervals, from impact start (else declaration)
//!   to resolution, of the declared incidents affecting it (a linked issue's asset is a member
//!   or upstream of one), clipped to the window; open (or reopened) incidents run to now.
//! - An issue's team is the dbt group of its asset, else its first owner, else `unowned`.
//! - `mtta_seconds`: over issues first seen in the window with an acknowledgement by the window's
//!   end, the mean of first seen → first `assigned`, `status_changed` or person `resolved` event.
//! - `mttr_seconds`: over issues resolved in the window, the mean of first seen → resolved.
//! - `incident_mttr_seconds`: over incidents resolved in the window with a linked issue of the
//!   team, the mean of impact start (else declared) → resolved.
//! - Noisiest assets and checks: the top 5 by summed occurrences of the team's issues active
//!   in the window (first seen by now, not resolved before the window started).

use crate::clock::parse_ts;
use crate::domain::issues::ts;
use crate::domain::products::{self, Catalog};
use crate::domain::status;
use crate::error::InputError;
use crate::lineage::Lineage;
use anyhow::Result;
use chrono::{DateTime, Duration, Utc};
use petgraph::Direction;
use rusqlite::Connection;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

pub mod budgets;

/// How many noisiest assets and checks each team lists.
pub const NOISIEST: usize = 5;

/// The window a report covers: its label as given (`30d`) and its length.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub label: String,
    pub length: Duration,
}

impl Window {
    /// `7d`, `30d`, `90d`, or any duration the config accepts (`12h`, `2w`, …); not zero.
    pub fn parse(s: &str) -> Result<Window, InputError> {
        let length = crate::config::parse_duration(s)
            .filter(|d| !d.is_zero())
            .and_then(|d| Duration::from_std(d).ok())
            .ok_or_else(|| {
                InputError::new(
                    "--since",
                    format!("{s:?} is not a duration (use e.g. 7d, 30d, 90d, 12h)"),
                )
            })?;
        Ok(Window {
            label: s.trim().to_owned(),
            length,
        })
    }
}

impl Default for Window {
    fn default() -> Self {
        Window {
            label: "30d".into(),
            length: Duration::days(30),
        }
    }
}

/// What the report needs of one issue.
#[derive(Debug, Clone, PartialEq)]
pub struct IssueFacts {
    pub id: i64,
    /// The asset's unique_id (or raw reference when unknown).
    pub asset: String,
    pub check: String,
    pub first_owner: Option<String>,
    pub first_seen: DateTime<Utc>,
    /// The first `assigned`, `status_changed` or person `resolved` event.
    pub acknowledged: Option<DateTime<Utc>>,
    /// Set only while the issue is resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    pub occurrences: i64,
}

/// What the report needs of one incident.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentFacts {
    /// `INC-n`.
    pub id: String,
    pub declared: DateTime<Utc>,
    pub impact_started: Option<DateTime<Utc>>,
    /// None while open (a reopened incident is open again).
    pub resolved: Option<DateTime<Utc>>,
    /// The linked issues' ids (looked up among the [`IssueFacts`]).
    pub issues: Vec<i64>,
}

impl IncidentFacts {
    /// When its impact started: `impact_started`, else when it was declared.
    pub fn start(&self) -> DateTime<Utc> {
        self.impact_started.unwrap_or(self.declared)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub since: String,
    pub window_start: String,
    pub generated_at: String,
    pub data_products: Vec<ProductMetrics>,
    pub teams: Vec<TeamMetrics>,
    /// `[[teams]] error_budget`s, each over its own window ending now (see [`budgets`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub error_budgets: Vec<budgets::TeamBudget>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductMetrics {
    pub name: String,
    /// 1 − downtime / window, e.g. 0.995.
    pub uptime: f64,
    pub sla_target: Option<f64>,
    pub sla_met: Option<bool>,
    /// window minutes × (1 − target) − downtime minutes; negative once overspent.
    pub error_budget_minutes_left: Option<f64>,
    /// (downtime / window) / (1 − target): 1 spends exactly the budget over the window.
    pub burn_rate: Option<f64>,
    pub downtime_seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamMetrics {
    pub team: String,
    pub issues_opened: u64,
    pub mtta_seconds: Option<f64>,
    pub mttr_seconds: Option<f64>,
    pub incident_mttr_seconds: Option<f64>,
    pub noisiest_assets: Vec<Noisy>,
    pub noisiest_checks: Vec<Noisy>,
}

/// An asset or check with the summed occurrences of its issues.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Noisy {
    pub name: String,
    pub occurrences: i64,
}

fn seconds(d: Duration) -> f64 {
    match d.num_microseconds() {
        Some(us) => us as f64 / 1e6,
        None => d.num_milliseconds() as f64 / 1e3,
    }
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// An issue's team: the dbt group of its asset, else its first owner, else `unowned`.
pub fn team_of<'a>(lineage: &'a Lineage, asset: &str, first_owner: Option<&'a str>) -> &'a str {
    lineage
        .get(asset)
        .and_then(|i| lineage.node(lineage.asset_of(i)).group.as_deref())
        .or(first_owner.filter(|o| !o.trim().is_empty()))
        .unwrap_or("unowned")
}

#[derive(Default)]
struct TeamAcc<'a> {
    opened: u64,
    tta: Vec<f64>,
    ttr: Vec<f64>,
    incident_ttr: Vec<f64>,
    assets: HashMap<&'a str, i64>,
    checks: HashMap<&'a str, i64>,
}

fn top(counts: HashMap<&str, i64>) -> Vec<Noisy> {
    let mut v: Vec<(&str, i64)> = counts.into_iter().collect();
    v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.into_iter()
        .take(NOISIEST)
        .map(|(name, occurrences)| Noisy {
            name: name.to_owned(),
            occurrences,
        })
        .collect()
}

/// The report over `window` ending at `now`.
pub fn compute(
    lineage: &Lineage,
    catalog: &Catalog,
    issues: &[IssueFacts],
    incidents: &[IncidentFacts],
    window: &Window,
    now: DateTime<Utc>,
) -> Report {
    let start = now - window.length;
    let in_window = |t: DateTime<Utc>| t >= start && t <= now;
    let by_id: HashMap<i64, &IssueFacts> = issues.iter().map(|i| (i.id, i)).collect();
    let team = |i: &'_ IssueFacts| -> String {
        team_of(lineage, &i.asset, i.first_owner.as_deref()).to_owned()
    };

    // Products: which incidents reach each one, through their linked issues' assets.
    let incident_nodes: Vec<Vec<usize>> = incidents
        .iter()
        .map(|inc| {
            inc.issues
                .iter()
                .filter_map(|id| by_id.get(id))
                .filter_map(|i| lineage.get(&i.asset))
                .map(|n| lineage.asset_of(n).index())
                .collect()
        })
        .collect();
    let total = seconds(window.length);
    let data_products = catalog
        .products
        .iter()
        .map(|def| {
            let members = products::members(lineage, def);
            let mut reach = vec![false; lineage.node_count()];
            for n in lineage
                .closure(&members, Direction::Incoming)
                .into_iter()
                .chain(members.iter().copied())
            {
                reach[n.index()] = true;
            }
            let intervals: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = incidents
                .iter()
                .zip(&incident_nodes)
                .filter(|(_, nodes)| nodes.iter().any(|n| reach.get(*n).copied() == Some(true)))
                .map(|(inc, _)| (inc.start(), inc.resolved))
                .collect();
            let down = seconds(status::downtime(&intervals, start, now));
            let fraction = if total > 0.0 { down / total } else { 0.0 };
            let uptime = (1.0 - fraction).clamp(0.0, 1.0);
            let target = def.sla_target;
            let allowed = target.map(|t| 1.0 - t);
            ProductMetrics {
                name: def.name.clone(),
                uptime,
                sla_target: target,
                sla_met: target.map(|t| uptime + 1e-12 >= t),
                error_budget_minutes_left: allowed.map(|a| total / 60.0 * a - down / 60.0),
                burn_rate: allowed.filter(|a| *a > 0.0).map(|a| fraction / a),
                downtime_seconds: down,
            }
        })
        .collect();

    // Teams.
    let mut teams: BTreeMap<String, TeamAcc> = BTreeMap::new();
    // The group of each known asset, looked up once.
    let mut groups: HashMap<&str, Option<&str>> = HashMap::new();
    for i in issues {
        let active = i.first_seen <= now && i.resolved_at.is_none_or(|r| r >= start);
        let opened = in_window(i.first_seen);
        let resolved = i.resolved_at.filter(|r| in_window(*r));
        if !(active || opened || resolved.is_some()) {
            continue;
        }
        let group = *groups.entry(i.asset.as_str()).or_insert_with(|| {
            lineage
                .get(&i.asset)
                .and_then(|n| lineage.node(lineage.asset_of(n)).group.as_deref())
        });
        let name = group
            .or(i.first_owner.as_deref().filter(|o| !o.trim().is_empty()))
            .unwrap_or("unowned");
        if !teams.contains_key(name) {
            teams.insert(name.to_owned(), TeamAcc::default());
        }
        let acc = teams.get_mut(name).expect("inserted");
        if opened {
            acc.opened += 1;
            // Only acknowledgements by `now`: a digest written late covers its week as it was.
            if let Some(ack) = i.acknowledged.filter(|a| *a <= now) {
                acc.tta.push(seconds(ack - i.first_seen).max(0.0));
            }
        }
        if let Some(r) = resolved {
            acc.ttr.push(seconds(r - i.first_seen).max(0.0));
        }
        if active {
            *acc.assets.entry(i.asset.as_str()).or_default() += i.occurrences;
            *acc.checks.entry(i.check.as_str()).or_default() += i.occurrences;
        }
    }
    for inc in incidents {
        let Some(resolved) = inc.resolved.filter(|r| in_window(*r)) else {
            continue;
        };
        let mut names: Vec<String> = inc
            .issues
            .iter()
            .filter_map(|id| by_id.get(id))
            .map(|i| team(i))
            .collect();
        names.sort_unstable();
        names.dedup();
        let d = seconds(resolved - inc.start()).max(0.0);
        for n in names {
            teams.entry(n).or_default().incident_ttr.push(d);
        }
    }
    let teams = teams
        .into_iter()
        .map(|(team, acc)| TeamMetrics {
            team,
            issues_opened: acc.opened,
            mtta_seconds: mean(&acc.tta),
            mttr_seconds: mean(&acc.ttr),
            incident_mttr_seconds: mean(&acc.incident_ttr),
            noisiest_assets: top(acc.assets),
            noisiest_checks: top(acc.checks),
        })
        .collect();
    Report {
        since: window.label.clone(),
        window_start: ts(start),
        generated_at: ts(now),
        data_products,
        teams,
        error_budgets: Vec::new(),
    }
}

/// The facts of the issues and incidents that can count in a window starting at `start`:
/// issues not resolved before it (plus those linked to its incidents), and incidents open or
/// resolved since. Four queries, none per issue.
pub fn load(
    conn: &Connection,
    start: DateTime<Utc>,
) -> Result<(Vec<IssueFacts>, Vec<IncidentFacts>)> {
    let since = ts(start);
    let mut acks: HashMap<i64, DateTime<Utc>> = HashMap::new();
    {
        let mut stmt = conn.prepare(
            "SELECT issue_id, min(at) FROM events
             WHERE issue_id IS NOT NULL
               AND (kind IN ('assigned', 'status_changed') OR (kind = 'resolved' AND actor IS NOT NULL))
             GROUP BY issue_id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            if let Some(t) = parse_ts(r.get_ref(1)?.as_str()?) {
                acks.insert(r.get(0)?, t);
            }
        }
    }
    let mut issues = Vec::new();
    {
        let mut stmt = conn.prepare(
            "SELECT id, asset, check_name, json_extract(owners, '$[0]'), first_seen,
                    CASE WHEN status = 'resolved' THEN resolved_at END, occurrences
             FROM issues
             WHERE status != 'resolved' OR resolved_at IS NULL OR resolved_at >= ?1
                OR incident_id IN (SELECT id FROM incidents WHERE resolved_at IS NULL OR resolved_at >= ?1)",
        )?;
        let mut rows = stmt.query([&since])?;
        while let Some(r) = rows.next()? {
            let Some(first_seen) = parse_ts(r.get_ref(4)?.as_str()?) else {
                continue;
            };
            let id: i64 = r.get(0)?;
            let first_owner: Option<String> = match r.get_ref(3)? {
                rusqlite::types::ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
                _ => None,
            };
            issues.push(IssueFacts {
                id,
                asset: r.get(1)?,
                check: r.get(2)?,
                first_owner,
                first_seen,
                acknowledged: acks.get(&id).copied(),
                resolved_at: r.get::<_, Option<String>>(5)?.as_deref().and_then(parse_ts),
                occurrences: r.get(6)?,
            });
        }
    }
    let mut incidents: Vec<IncidentFacts> = Vec::new();
    let mut index: HashMap<i64, usize> = HashMap::new();
    {
        let mut stmt = conn.prepare(
            "SELECT id, declared_at, impact_started, CASE WHEN status = 'resolved' THEN resolved_at END
             FROM incidents WHERE resolved_at IS NULL OR resolved_at >= ?1 OR status != 'resolved'
             ORDER BY id",
        )?;
        let mut rows = stmt.query([&since])?;
        while let Some(r) = rows.next()? {
            let n: i64 = r.get(0)?;
            let Some(declared) = parse_ts(r.get_ref(1)?.as_str()?) else {
                continue;
            };
            index.insert(n, incidents.len());
            incidents.push(IncidentFacts {
                id: crate::domain::incidents::label(n),
                declared,
                impact_started: r.get::<_, Option<String>>(2)?.as_deref().and_then(parse_ts),
                resolved: r.get::<_, Option<String>>(3)?.as_deref().and_then(parse_ts),
                issues: Vec::new(),
            });
        }
    }
    {
        let mut stmt = conn.prepare(
            "SELECT incident_id, id FROM issues WHERE incident_id IS NOT NULL ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            if let Some(&at) = index.get(&r.get::<_, i64>(0)?) {
                incidents[at].issues.push(r.get(1)?);
            }
        }
    }
    Ok((issues, incidents))
}

fn duration_text(s: Option<f64>) -> String {
    let Some(s) = s else {
        return "-".into();
    };
    let s = s.round() as i64;
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| "-".into())
}

/// A stored timestamp to the minute, as people read it (`2026-11-25 02:47 UTC`).
fn minute(ts: &str) -> String {
    match parse_ts(ts) {
        Some(t) => t.format("%Y-%m-%d %H:%M UTC").to_string(),
        None => ts.to_owned(),
    }
}

/// The report as two aligned tables.
pub fn render(r: &Report) -> String {
    let mut out = format!(
        "Report over {} (since {}, generated {})\n\nData products\n",
        r.since,
        minute(&r.window_start),
        minute(&r.generated_at)
    );
    if r.data_products.is_empty() {
        out.push_str("no data products\n");
    } else {
        let rows: Vec<Vec<String>> = r
            .data_products
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    format!("{:.3}%", p.uptime * 100.0),
                    opt(p.sla_target, |t| format!("{:.3}%", t * 100.0)),
                    match p.sla_met {
                        Some(true) => "met".into(),
                        Some(false) => "missed".into(),
                        None => "-".into(),
                    },
                    opt(p.error_budget_minutes_left, |m| format!("{m:.1}")),
                    opt(p.burn_rate, |b| format!("{b:.2}")),
                    duration_text(Some(p.downtime_seconds)),
                ]
            })
            .collect();
        out.push_str(&crate::domain::text::table(
            &[
                "PRODUCT",
                "UPTIME",
                "SLA",
                "SLA MET",
                "BUDGET LEFT (MIN)",
                "BURN",
                "DOWNTIME",
            ],
            &rows,
            40,
        ));
    }
    out.push_str("\nTeams\n");
    if r.teams.is_empty() {
        out.push_str("no issues in the window\n");
    } else {
        let first = |v: &[Noisy]| {
            v.first()
                .map(|n| {
                    format!(
                        "{} ({})",
                        crate::domain::text::short_name(&n.name),
                        n.occurrences
                    )
                })
                .unwrap_or_else(|| "-".into())
        };
        let rows: Vec<Vec<String>> = r
            .teams
            .iter()
            .map(|t| {
                vec![
                    t.team.clone(),
                    t.issues_opened.to_string(),
                    duration_text(t.mtta_seconds),
                    duration_text(t.mttr_seconds),
                    duration_text(t.incident_mttr_seconds),
                    first(&t.noisiest_assets),
                    first(&t.noisiest_checks),
                ]
            })
            .collect();
        out.push_str(&crate::domain::text::table(
            &[
                "TEAM",
                "OPENED",
                "MTTA",
                "MTTR",
                "INCIDENT MTTR",
                "NOISIEST ASSET",
                "NOISIEST CHECK",
            ],
            &rows,
            40,
        ));
    }
    if !r.error_budgets.is_empty() {
        out.push_str("\nError budgets (failing-check hours per team)\n");
        for b in &r.error_budgets {
            out.push_str(&budgets::line(b));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests;
