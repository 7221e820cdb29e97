//! Issues: raw failures keyed by (environment, asset, check), their workflow, and their place in
//! the lineage (root cause or symptom). Everything here runs inside a store transaction.

use crate::error::{InputError, InputErrorKind};
use crate::lineage::{Lineage, NodeKind};
use crate::sources::observation::{Observation, Outcome, Severity};
use anyhow::Result;
use chrono::{DateTime, Utc};
use petgraph::graph::NodeIndex;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use serde::Serialize;
use std::collections::HashMap;

/// The workflow state of an issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Failing, nobody on it.
    Open,
    Acknowledged,
    Investigating,
    /// The check passed, but fewer times than the configured K.
    Recovering,
    Resolved,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Open,
        Status::Acknowledged,
        Status::Investigating,
        Status::Recovering,
        Status::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Acknowledged => "acknowledged",
            Status::Investigating => "investigating",
            Status::Recovering => "recovering",
            Status::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s.to_ascii_lowercase())
    }
}

/// Why an issue is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// K consecutive passes.
    Recovered,
    Fixed,
    Expected,
    FalsePositive,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Recovered => "recovered",
            Resolution::Fixed => "fixed",
            Resolution::Expected => "expected",
            Resolution::FalsePositive => "false_positive",
        }
    }

    /// The resolutions a person may set.
    pub fn parse_manual(s: &str) -> Option<Resolution> {
        match s.to_ascii_lowercase().replace('-', "_").as_str() {
            "fixed" => Some(Resolution::Fixed),
            "expected" => Some(Resolution::Expected),
            "false_positive" | "falsepositive" => Some(Resolution::FalsePositive),
            _ => None,
        }
    }
}

/// How the engine treats results.
#[derive(Debug, Clone)]
pub struct Policy {
    pub reopen_window: chrono::Duration,
    pub recover_after_passes: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            reopen_window: chrono::Duration::hours(24),
            recover_after_passes: 1,
        }
    }
}

/// A skipped or failing node below a root issue.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Symptom {
    pub unique_id: String,
    pub status: String,
    pub issue: Option<i64>,
}

/// An issue as every face shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Issue {
    pub id: i64,
    pub env: String,
    pub asset: String,
    pub asset_known: bool,
    pub check: String,
    pub node: Option<String>,
    pub origin: String,
    pub source_system: Option<String>,
    pub status: String,
    pub resolution: Option<String>,
    pub resolution_reason: Option<String>,
    pub severity: String,
    /// The last failing status as the source wrote it (`error`, `fail`, `warn`, …).
    pub dbt_status: String,
    pub message: Option<String>,
    pub failures: Option<i64>,
    pub url: Option<String>,
    pub run_id: Option<String>,
    pub owners: Vec<String>,
    pub occurrences: i64,
    pub consecutive_passes: i64,
    pub first_seen: String,
    pub last_seen: String,
    pub resolved_at: Option<String>,
    pub assignee: Option<String>,
    pub symptom_of: Option<i64>,
    pub root_cause_of: Vec<i64>,
    pub symptoms: Vec<Symptom>,
    pub muted_until: Option<String>,
    pub incident_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
    /// The compiled SQL of the failing check (shown by `steward issue N --json`, not in lists).
    #[serde(skip)]
    pub compiled_sql: Option<String>,
}

impl Issue {
    pub fn is_root(&self) -> bool {
        self.symptom_of.is_none()
    }

    pub fn is_active(&self) -> bool {
        self.status != "resolved"
    }
}

/// Counts of what one ingest did to issues.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ApplySummary {
    pub results: usize,
    pub duplicates: usize,
    pub failing: usize,
    pub passing: usize,
    pub skipped: usize,
    pub opened: Vec<i64>,
    pub updated: Vec<i64>,
    pub reopened: Vec<i64>,
    pub recovering: Vec<i64>,
    pub recovered: Vec<i64>,
    pub unknown_assets: usize,
}

/// RFC 3339 UTC with microseconds: sortable as text.
pub fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

struct Active {
    id: i64,
    status: String,
    passes: i64,
}

/// Where and how one batch of observations is applied.
pub struct Batch<'a> {
    pub ingest_id: i64,
    pub env: &'a str,
    /// False for environments that are recorded but raise no issues.
    pub raise_issues: bool,
    pub lineage: &'a Lineage,
    pub policy: &'a Policy,
    pub now: DateTime<Utc>,
}

/// Records `observations` for the batch's ingest and applies them to the issues of its env.
/// Observations whose key was seen before are skipped, which makes re-ingesting a no-op.
pub fn apply(
    tx: &Transaction,
    batch: &Batch,
    observations: &[Observation],
) -> Result<ApplySummary> {
    let Batch {
        ingest_id,
        env,
        raise_issues,
        lineage,
        policy,
        now,
    } = *batch;
    let mut summary = ApplySummary {
        results: observations.len(),
        ..Default::default()
    };
    let received = ts(now);
    let mut active: HashMap<(String, String), Active> = HashMap::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT id, asset, check_name, status, consecutive_passes FROM issues WHERE env = ?1 AND status != 'resolved'",
        )?;
        let rows = stmt.query_map([env], |r| {
            Ok((
                (r.get::<_, String>(1)?, r.get::<_, String>(2)?),
                Active {
                    id: r.get(0)?,
                    status: r.get(3)?,
                    passes: r.get(4)?,
                },
            ))
        })?;
        for row in rows {
            let (k, v) = row?;
            active.insert(k, v);
        }
    }
    let mut insert_obs = tx.prepare_cached(
        "INSERT INTO observations (ingest_id, key, env, origin, asset, check_name, node, outcome, severity, raw_status, message, failures, occurred_at, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT(key) DO NOTHING",
    )?;
    let mut link_obs = tx.prepare_cached("UPDATE observations SET issue_id = ?2 WHERE id = ?1")?;
    for obs in observations {
        let (outcome, severity) = match obs.outcome {
            Outcome::Pass => ("pass", None),
            Outcome::Fail(s) => ("fail", Some(s.as_str())),
            Outcome::Skipped => ("skipped", None),
        };
        let inserted = insert_obs.execute(params![
            ingest_id,
            obs.key,
            env,
            obs.origin.as_str(),
            obs.asset,
            obs.check,
            obs.node,
            outcome,
            severity,
            obs.raw_status,
            obs.message,
            obs.failures,
            ts(obs.occurred_at),
            received,
        ])?;
        if inserted == 0 {
            summary.duplicates += 1;
            continue;
        }
        let obs_id = tx.last_insert_rowid();
        if !obs.asset_known {
            summary.unknown_assets += 1;
        }
        match obs.outcome {
            Outcome::Skipped => summary.skipped += 1,
            Outcome::Pass => summary.passing += 1,
            Outcome::Fail(_) => summary.failing += 1,
        }
        if !raise_issues {
            continue;
        }
        let key = (obs.asset.clone(), obs.check.clone());
        let issue_id = match obs.outcome {
            Outcome::Skipped => None,
            Outcome::Fail(sev) => {
                let owners = owners_of(lineage, obs);
                let id = record_failure(
                    tx,
                    env,
                    obs,
                    sev,
                    &owners,
                    &mut active,
                    key,
                    policy,
                    now,
                    &mut summary,
                )?;
                if let Some(sql) = &obs.compiled_sql {
                    tx.prepare_cached("UPDATE issues SET compiled_sql = ?2 WHERE id = ?1")?
                        .execute(params![id, sql])?;
                }
                Some(id)
            }
            Outcome::Pass => match active.get_mut(&key) {
                None => None,
                Some(a) => {
                    a.passes += 1;
                    let id = a.id;
                    if a.passes >= policy.recover_after_passes as i64 {
                        tx.execute(
                            "UPDATE issues SET status = 'resolved', resolution = 'recovered', resolution_reason = NULL,
                                 resolved_at = ?2, consecutive_passes = ?3, updated_at = ?4 WHERE id = ?1",
                            params![id, ts(obs.occurred_at), a.passes, ts(now)],
                        )?;
                        log_event(
                            tx,
                            Some(id),
                            "recovered",
                            None,
                            serde_json::json!({"passes": a.passes, "run_id": obs.run_id}),
                            now,
                        )?;
                        summary.recovered.push(id);
                        active.remove(&key);
                    } else {
                        tx.execute(
                            "UPDATE issues SET status = 'recovering', consecutive_passes = ?2, updated_at = ?3 WHERE id = ?1",
                            params![id, a.passes, ts(now)],
                        )?;
                        if a.status != "recovering" {
                            log_event(
                                tx,
                                Some(id),
                                "recovering",
                                None,
                                serde_json::json!({"passes": a.passes}),
                                now,
                            )?;
                            summary.recovering.push(id);
                        }
                        a.status = "recovering".into();
                    }
                    Some(id)
                }
            },
        };
        if let Some(id) = issue_id {
            link_obs.execute(params![obs_id, id])?;
        }
    }
    Ok(summary)
}

fn owners_of(lineage: &Lineage, obs: &Observation) -> Vec<String> {
    if !obs.asset_known {
        return Vec::new();
    }
    let Some(asset) = lineage.get(&obs.asset) else {
        return Vec::new();
    };
    let test = obs
        .node
        .as_deref()
        .and_then(|n| lineage.get(n))
        .filter(|i| lineage.node(*i).kind == NodeKind::Test);
    lineage.owners(test, asset)
}

#[allow(clippy::too_many_arguments)]
fn record_failure(
    tx: &Transaction,
    env: &str,
    obs: &Observation,
    sev: Severity,
    owners: &[String],
    active: &mut HashMap<(String, String), Active>,
    key: (String, String),
    policy: &Policy,
    now: DateTime<Utc>,
    summary: &mut ApplySummary,
) -> Result<i64> {
    let owners_json = serde_json::to_string(owners)?;
    let lineage_failing = obs.counts_as_failing_for_lineage();
    if let Some(a) = active.get_mut(&key) {
        tx.execute(
            "UPDATE issues SET occurrences = occurrences + 1, last_seen = max(last_seen, ?2), message = ?3,
                 failures = ?4, severity = ?5, lineage_failing = ?6, raw_status = ?7, owners = ?8, url = coalesce(?9, url),
                 run_id = coalesce(?10, run_id), consecutive_passes = 0,
                 status = CASE WHEN status = 'recovering' THEN 'open' ELSE status END, updated_at = ?11
             WHERE id = ?1",
            params![
                a.id,
                ts(obs.occurred_at),
                obs.message,
                obs.failures,
                sev.as_str(),
                lineage_failing,
                obs.raw_status,
                owners_json,
                obs.url,
                obs.run_id,
                ts(now)
            ],
        )?;
        let kind = if a.status == "recovering" {
            "regressed"
        } else {
            "failed_again"
        };
        log_event(
            tx,
            Some(a.id),
            kind,
            None,
            serde_json::json!({"status": obs.raw_status, "run_id": obs.run_id}),
            now,
        )?;
        if a.status == "recovering" {
            a.status = "open".into();
        }
        a.passes = 0;
        summary.updated.push(a.id);
        return Ok(a.id);
    }
    let last_resolved: Option<(i64, Option<String>)> = tx
        .query_row(
            "SELECT id, resolved_at FROM issues WHERE env = ?1 AND asset = ?2 AND check_name = ?3 AND status = 'resolved'
             ORDER BY resolved_at DESC, id DESC LIMIT 1",
            params![env, key.0, key.1],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let window_start = ts(obs.occurred_at - policy.reopen_window);
    if let Some((id, Some(resolved_at))) = last_resolved
        && resolved_at >= window_start
    {
        tx.execute(
            "UPDATE issues SET status = 'open', resolution = NULL, resolution_reason = NULL, resolved_at = NULL,
                 occurrences = occurrences + 1, last_seen = max(last_seen, ?2), message = ?3, failures = ?4, severity = ?5,
                 lineage_failing = ?6, raw_status = ?7, owners = ?8, url = coalesce(?9, url), run_id = coalesce(?10, run_id),
                 consecutive_passes = 0, updated_at = ?11
             WHERE id = ?1",
            params![
                id,
                ts(obs.occurred_at),
                obs.message,
                obs.failures,
                sev.as_str(),
                lineage_failing,
                obs.raw_status,
                owners_json,
                obs.url,
                obs.run_id,
                ts(now)
            ],
        )?;
        log_event(
            tx,
            Some(id),
            "reopened",
            None,
            serde_json::json!({"status": obs.raw_status, "resolved_at": resolved_at}),
            now,
        )?;
        show_check_mute(tx, id, env, &key, now)?;
        active.insert(
            key,
            Active {
                id,
                status: "open".into(),
                passes: 0,
            },
        );
        summary.reopened.push(id);
        return Ok(id);
    }
    tx.execute(
        "INSERT INTO issues (env, asset, asset_known, check_name, node, origin, source_system, status, severity,
             lineage_failing, raw_status, message, failures, url, run_id, owners, occurrences, consecutive_passes,
             first_seen, last_seen, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'open', ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 1, 0, ?16, ?16, ?17, ?17)",
        params![
            env,
            key.0,
            obs.asset_known,
            key.1,
            obs.node,
            obs.origin.as_str(),
            obs.source_system,
            sev.as_str(),
            lineage_failing,
            obs.raw_status,
            obs.message,
            obs.failures,
            obs.url,
            obs.run_id,
            owners_json,
            ts(obs.occurred_at),
            ts(now)
        ],
    )?;
    let id = tx.last_insert_rowid();
    log_event(
        tx,
        Some(id),
        "opened",
        None,
        serde_json::json!({"status": obs.raw_status, "run_id": obs.run_id}),
        now,
    )?;
    show_check_mute(tx, id, env, &key, now)?;
    active.insert(
        key,
        Active {
            id,
            status: "open".into(),
            passes: 0,
        },
    );
    summary.opened.push(id);
    Ok(id)
}

/// A reopened or new issue whose check is muted (resolved as `expected` before) shows until when.
fn show_check_mute(
    tx: &Transaction,
    id: i64,
    env: &str,
    (asset, check): &(String, String),
    now: DateTime<Utc>,
) -> Result<()> {
    if let Some(until) = check_muted_until(tx, env, asset, check, now)? {
        tx.prepare_cached("UPDATE issues SET muted_until = ?2 WHERE id = ?1")?
            .execute(params![id, until])?;
    }
    Ok(())
}

/// Appends to the timeline.
pub fn log_event(
    tx: &Connection,
    issue_id: Option<i64>,
    kind: &str,
    actor: Option<&str>,
    detail: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO events (at, issue_id, kind, actor, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![ts(now), issue_id, kind, actor, detail.to_string()])?;
    Ok(())
}

struct RootRow {
    id: i64,
    node: Option<NodeIndex>,
    /// Whether a failure here makes dbt skip what is below (a dbt model error or error test).
    skips_descendants: bool,
    check: String,
    severity: Severity,
    lineage_failing: bool,
    symptom_of: Option<i64>,
}

/// Recomputes which failing issues of `env` are roots and which are symptoms, through lineage.
///
/// An issue is a root when no strict ancestor of its asset carries a failing issue (an error, or
/// a freshness warning); an error is never the symptom of a warning. Root issues on the same
/// asset form one group. When `skipped` is given (a run's skipped results), each skipped node is
/// listed under the root(s) it descends from, replacing the previous run's list.
pub fn recompute_roots(
    tx: &Transaction,
    env: &str,
    lineage: &Lineage,
    skipped: Option<&[&Observation]>,
) -> Result<()> {
    let rows: Vec<RootRow> = {
        let mut stmt = tx.prepare_cached(
            "SELECT id, asset, asset_known, check_name, severity, lineage_failing, symptom_of, origin FROM issues
             WHERE env = ?1 AND status IN ('open', 'acknowledged', 'investigating')",
        )?;
        let mapped = stmt.query_map([env], |r| {
            let asset: String = r.get(1)?;
            let known: bool = r.get(2)?;
            let severity: String = r.get(4)?;
            Ok(RootRow {
                id: r.get(0)?,
                node: if known { lineage.get(&asset) } else { None },
                skips_descendants: severity == "error" && r.get::<_, String>(7)? == "dbt",
                check: r.get(3)?,
                severity: if r.get::<_, String>(4)? == "warn" {
                    Severity::Warn
                } else {
                    Severity::Error
                },
                lineage_failing: r.get(5)?,
                symptom_of: r.get(6)?,
            })
        })?;
        mapped.collect::<rusqlite::Result<_>>()?
    };
    let failing_err: Vec<NodeIndex> = rows
        .iter()
        .filter(|r| r.lineage_failing && r.severity == Severity::Error)
        .filter_map(|r| r.node)
        .collect();
    let failing_all: Vec<NodeIndex> = rows
        .iter()
        .filter(|r| r.lineage_failing)
        .filter_map(|r| r.node)
        .collect();
    let origins_err = lineage.failing_origins(&failing_err);
    let origins_all = lineage.failing_origins(&failing_all);

    // Rows by asset node, so the lookups below are not quadratic in an alert storm.
    let mut rows_by_node: HashMap<NodeIndex, Vec<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if let Some(n) = r.node {
            rows_by_node.entry(n).or_default().push(i);
        }
    }
    let rows_on = |node: NodeIndex| {
        rows_by_node
            .get(&node)
            .into_iter()
            .flatten()
            .map(|i| &rows[*i])
    };

    // The issue that stands for a failing node as a root: errors first, then the model's own
    // run, then freshness, then the oldest.
    let representative = |node: NodeIndex, errors_only: bool| -> Option<i64> {
        rows_on(node)
            .filter(|r| r.lineage_failing)
            .filter(|r| !errors_only || r.severity == Severity::Error)
            .min_by_key(|r| {
                (
                    r.severity != Severity::Error,
                    r.check != "run",
                    r.check != "freshness",
                    r.id,
                )
            })
            .map(|r| r.id)
    };
    // An error is explained only by errors above it. A warning is explained by the errors above
    // it when there are any, else by the topmost failure of any kind (e.g. a stale source).
    let root_of = |node: NodeIndex, severity: Severity| -> Option<i64> {
        let from_errors = origins_err
            .get(node)
            .and_then(|list| list.iter().filter_map(|o| representative(*o, true)).min());
        match severity {
            Severity::Error => from_errors,
            Severity::Warn => from_errors.or_else(|| {
                origins_all
                    .get(node)?
                    .iter()
                    .filter_map(|o| representative(*o, false))
                    .min()
            }),
        }
    };

    let mut update = tx.prepare_cached("UPDATE issues SET symptom_of = ?2 WHERE id = ?1")?;
    let mut root_by_issue: HashMap<i64, i64> = HashMap::new();
    for row in &rows {
        let root = row
            .node
            .and_then(|n| root_of(n, row.severity))
            .filter(|r| *r != row.id);
        if root != row.symptom_of {
            update.execute(params![row.id, root])?;
        }
        root_by_issue.insert(row.id, root.unwrap_or(row.id));
    }

    tx.execute(
        "DELETE FROM symptoms WHERE env = ?1 AND root_issue_id IN (SELECT id FROM issues WHERE status = 'resolved')",
        [env],
    )?;
    if let Some(skipped) = skipped {
        tx.execute("DELETE FROM symptoms WHERE env = ?1", [env])?;
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO symptoms (root_issue_id, env, unique_id, status, issue_id) VALUES (?1, ?2, ?3, 'skipped', NULL)",
        )?;
        // dbt skips a node because a model, seed or snapshot above it errored or an error-severity
        // test above it failed in the same build; freshness never skips anything. Each skipped
        // node is listed under one root: a run error first, then the oldest issue.
        let skipping: Vec<NodeIndex> = rows
            .iter()
            .filter(|r| r.skips_descendants)
            .filter_map(|r| r.node)
            .collect();
        let origins_skip = lineage.failing_origins(&skipping);
        let skipping_issue = |node: NodeIndex| -> Option<(bool, i64)> {
            rows_on(node)
                .filter(|r| r.skips_descendants)
                .map(|r| (r.check != "run", r.id))
                .min()
        };
        for obs in skipped {
            let Some(asset) = lineage.get(&obs.asset) else {
                continue;
            };
            let node_id = obs.node.as_deref().unwrap_or(&obs.asset);
            let is_check_on_asset = node_id != obs.asset;
            let own = if is_check_on_asset {
                skipping_issue(asset)
            } else {
                None
            };
            let root = own.or_else(|| {
                origins_skip
                    .get(asset)
                    .into_iter()
                    .flatten()
                    .filter_map(|o| skipping_issue(*o))
                    .min()
            });
            if let Some(root) = root.map(|(_, id)| root_by_issue.get(&id).copied().unwrap_or(id)) {
                insert.execute(params![root, env, node_id])?;
            }
        }
    }
    Ok(())
}

/// Filters for listing issues.
#[derive(Debug, Clone, Default)]
pub struct IssueFilter {
    pub status: Option<Status>,
    /// Matches the asset's unique_id exactly or by its last component.
    pub asset: Option<String>,
    /// Case-insensitive substring of any owner.
    pub owner: Option<String>,
    pub env: Option<String>,
    pub ids: Option<Vec<i64>>,
    /// Issues linked to this incident (by number).
    pub incident: Option<i64>,
    /// Only issues not resolved.
    pub active: bool,
}

const ISSUE_COLUMNS: &str = "id, env, asset, asset_known, check_name, node, origin, source_system, status, resolution,
    resolution_reason, severity, raw_status, message, failures, url, run_id, owners, occurrences, consecutive_passes,
    first_seen, last_seen, resolved_at, assignee, symptom_of, muted_until, incident_id, created_at, updated_at, compiled_sql";

fn issue_from_row(r: &Row) -> rusqlite::Result<Issue> {
    let owners: String = r.get(17)?;
    Ok(Issue {
        id: r.get(0)?,
        env: r.get(1)?,
        asset: r.get(2)?,
        asset_known: r.get(3)?,
        check: r.get(4)?,
        node: r.get(5)?,
        origin: r.get(6)?,
        source_system: r.get(7)?,
        status: r.get(8)?,
        resolution: r.get(9)?,
        resolution_reason: r.get(10)?,
        severity: r.get(11)?,
        dbt_status: r.get(12)?,
        message: r.get(13)?,
        failures: r.get(14)?,
        url: r.get(15)?,
        run_id: r.get(16)?,
        owners: serde_json::from_str(&owners).unwrap_or_default(),
        occurrences: r.get(18)?,
        consecutive_passes: r.get(19)?,
        first_seen: r.get(20)?,
        last_seen: r.get(21)?,
        resolved_at: r.get(22)?,
        assignee: r.get(23)?,
        symptom_of: r.get(24)?,
        root_cause_of: Vec::new(),
        symptoms: Vec::new(),
        muted_until: r.get(25)?,
        incident_id: r.get(26)?,
        created_at: r.get(27)?,
        updated_at: r.get(28)?,
        compiled_sql: r.get(29)?,
    })
}

/// Lists issues, newest first, with their root-cause links and symptoms filled in.
pub fn list(conn: &Connection, filter: &IssueFilter) -> Result<Vec<Issue>> {
    let mut sql = format!("SELECT {ISSUE_COLUMNS} FROM issues WHERE 1 = 1");
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(s) = filter.status {
        args.push(s.as_str().to_owned().into());
        sql.push_str(&format!(" AND status = ?{}", args.len()));
    }
    if let Some(env) = &filter.env {
        args.push(env.clone().into());
        sql.push_str(&format!(" AND env = ?{}", args.len()));
    }
    if let Some(asset) = &filter.asset {
        args.push(asset.clone().into());
        let n = args.len();
        sql.push_str(&format!(
            " AND (asset = ?{n} COLLATE NOCASE OR asset LIKE '%.' || ?{n} ESCAPE '\\' OR node = ?{n})"
        ));
    }
    if let Some(ids) = &filter.ids {
        let list: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
        sql.push_str(&format!(" AND id IN ({})", list.join(",")));
    }
    if filter.active {
        sql.push_str(" AND status != 'resolved'");
    }
    if let Some(n) = filter.incident {
        args.push(n.into());
        sql.push_str(&format!(" AND incident_id = ?{}", args.len()));
    }
    sql.push_str(" ORDER BY id");
    let mut stmt = conn.prepare(&sql)?;
    let mut issues: Vec<Issue> = stmt
        .query_map(rusqlite::params_from_iter(args), issue_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    if let Some(owner) = &filter.owner {
        let needle = owner.to_ascii_lowercase();
        issues.retain(|i| {
            i.owners
                .iter()
                .any(|o| o.to_ascii_lowercase().contains(&needle))
        });
    }
    attach_links(conn, &mut issues)?;
    Ok(issues)
}

/// Fills `root_cause_of` and `symptoms`.
fn attach_links(conn: &Connection, issues: &mut [Issue]) -> Result<()> {
    if issues.is_empty() {
        return Ok(());
    }
    // Only the links of the listed issues: a small list (one alert group) must not pay for the
    // whole table. The ids travel as one JSON array parameter.
    let ids = serde_json::to_string(&issues.iter().map(|i| i.id).collect::<Vec<_>>())?;
    let mut children: HashMap<i64, Vec<(i64, String, String)>> = HashMap::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT id, symptom_of, coalesce(node, asset), CASE WHEN status = 'resolved' THEN 'resolved' ELSE raw_status END
             FROM issues WHERE symptom_of IN (SELECT value FROM json_each(?1)) ORDER BY id",
        )?;
        let rows = stmt.query_map([&ids], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get(2)?,
                r.get(3)?,
            ))
        })?;
        for row in rows {
            let (id, root, uid, status) = row?;
            children.entry(root).or_default().push((id, uid, status));
        }
    }
    let mut skipped: HashMap<i64, Vec<String>> = HashMap::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT root_issue_id, unique_id FROM symptoms
             WHERE root_issue_id IN (SELECT value FROM json_each(?1)) ORDER BY unique_id",
        )?;
        let rows = stmt.query_map([&ids], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (root, uid) = row?;
            skipped.entry(root).or_default().push(uid);
        }
    }
    for issue in issues.iter_mut() {
        if let Some(list) = children.get(&issue.id) {
            issue.root_cause_of = list.iter().map(|(id, _, _)| *id).collect();
            issue
                .symptoms
                .extend(list.iter().map(|(id, uid, status)| Symptom {
                    unique_id: uid.clone(),
                    status: status.clone(),
                    issue: Some(*id),
                }));
        }
        if let Some(list) = skipped.get(&issue.id) {
            issue.symptoms.extend(list.iter().map(|uid| Symptom {
                unique_id: uid.clone(),
                status: "skipped".to_owned(),
                issue: None,
            }));
        }
    }
    Ok(())
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Issue>> {
    Ok(list(
        conn,
        &IssueFilter {
            ids: Some(vec![id]),
            ..Default::default()
        },
    )?
    .pop())
}

/// A timeline entry.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub at: String,
    pub kind: String,
    pub actor: Option<String>,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comment {
    pub id: i64,
    pub author: String,
    pub body: String,
    pub at: String,
}

pub fn events(conn: &Connection, issue_id: i64) -> Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, kind, actor, detail FROM events WHERE issue_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([issue_id], |r| {
        let detail: String = r.get(3)?;
        Ok(Event {
            at: r.get(0)?,
            kind: r.get(1)?,
            actor: r.get(2)?,
            detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn comments(conn: &Connection, issue_id: i64) -> Result<Vec<Comment>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, author, body, at FROM comments WHERE issue_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([issue_id], |r| {
        Ok(Comment {
            id: r.get(0)?,
            author: r.get(1)?,
            body: r.get(2)?,
            at: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn load_for_action(tx: &Transaction, id: i64) -> Result<Issue> {
    get(tx, id)?.ok_or_else(|| InputError::not_found(format!("issue {id}"), "no such issue").into())
}

fn refuse_if_resolved(issue: &Issue, action: &str) -> Result<()> {
    if issue.status == "resolved" {
        return Err(InputError::new(
            format!("issue {}", issue.id),
            format!(
                "it is already resolved ({}); cannot {action}",
                issue.resolution.as_deref().unwrap_or("no resolution")
            ),
        )
        .kind(InputErrorKind::Conflict)
        .into());
    }
    Ok(())
}

/// A person moves an issue to `open`, `acknowledged` or `investigating`.
pub fn set_status(
    tx: &Transaction,
    id: i64,
    status: Status,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Issue> {
    let issue = load_for_action(tx, id)?;
    if !matches!(
        status,
        Status::Open | Status::Acknowledged | Status::Investigating
    ) {
        return Err(InputError::new(
            format!("issue {id}"),
            format!(
                "status {} is set by Steward or by resolving, not directly",
                status.as_str()
            ),
        )
        .into());
    }
    refuse_if_resolved(&issue, "change its status")?;
    tx.execute(
        "UPDATE issues SET status = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, status.as_str(), ts(now)],
    )?;
    log_event(
        tx,
        Some(id),
        "status_changed",
        Some(actor),
        serde_json::json!({"from": issue.status, "to": status.as_str()}),
        now,
    )?;
    load_for_action(tx, id)
}

/// Assigns an issue; an open issue becomes acknowledged.
pub fn assign(
    tx: &Transaction,
    id: i64,
    assignee: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Issue> {
    let issue = load_for_action(tx, id)?;
    refuse_if_resolved(&issue, "assign it")?;
    tx.execute(
        "UPDATE issues SET assignee = ?2, status = CASE WHEN status = 'open' THEN 'acknowledged' ELSE status END, updated_at = ?3 WHERE id = ?1",
        params![id, assignee, ts(now)],
    )?;
    log_event(
        tx,
        Some(id),
        "assigned",
        Some(actor),
        serde_json::json!({"from": issue.assignee, "to": assignee}),
        now,
    )?;
    load_for_action(tx, id)
}

/// Adds a comment (also recorded on the timeline).
pub fn comment(
    tx: &Transaction,
    id: i64,
    author: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<Comment> {
    load_for_action(tx, id)?;
    if body.trim().is_empty() {
        return Err(InputError::new(format!("issue {id}"), "the comment is empty").into());
    }
    tx.execute(
        "INSERT INTO comments (issue_id, author, body, at) VALUES (?1, ?2, ?3, ?4)",
        params![id, author, body, ts(now)],
    )?;
    let cid = tx.last_insert_rowid();
    log_event(
        tx,
        Some(id),
        "commented",
        Some(author),
        serde_json::json!({"comment": cid}),
        now,
    )?;
    Ok(Comment {
        id: cid,
        author: author.to_owned(),
        body: body.to_owned(),
        at: ts(now),
    })
}

/// How long resolving as `expected` mutes the check when no duration is given.
pub const DEFAULT_EXPECTED_MUTE: chrono::Duration = chrono::Duration::hours(24);

/// The longest mute resolving as `expected` may set.
pub const MAX_EXPECTED_MUTE: chrono::Duration = chrono::Duration::days(365);

/// A person resolves an issue as `fixed`, `expected` or `false_positive`, with a reason.
///
/// `expected` also mutes the issue's check (env, asset, check) for `mute_for` (default
/// [`DEFAULT_EXPECTED_MUTE`]): a new failure of it posts no new alert until then. The mute is
/// written with the resolution, shown as the issue's `muted_until` and logged as `muted`.
/// `mute_for` with any other resolution is an [`InputError`].
/// How a person resolves an issue beyond the resolution and reason.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResolveOptions {
    /// With `expected`: how long the check stays muted (default 24h).
    pub mute_for: Option<chrono::Duration>,
    /// The person confirmed resolving an issue of an open incident.
    pub despite_open_incident: bool,
}

pub fn resolve(
    tx: &Transaction,
    id: i64,
    resolution: Resolution,
    reason: Option<&str>,
    options: ResolveOptions,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Issue> {
    let ResolveOptions {
        mute_for,
        despite_open_incident,
    } = options;
    let issue = load_for_action(tx, id)?;
    refuse_if_resolved(&issue, "resolve it again")?;
    // Closing one issue of an open incident by hand needs a confirmation: the incident is what
    // people follow, and its resolution is what the SLA counts.
    if let Some(n) = issue.incident_id
        && !despite_open_incident
    {
        let open: bool = tx
            .query_row(
                "SELECT status != 'resolved' FROM incidents WHERE id = ?1",
                [n],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(false);
        if open {
            return Err(InputError::new(
                format!("issue {id}"),
                format!(
                    "it is part of INC-{n}, which is still open; confirm to resolve it anyway (--confirm, or the checkbox in Slack), or unlink it first"
                ),
            )
            .into());
        }
    }
    if resolution == Resolution::Recovered {
        return Err(InputError::new(
            format!("issue {id}"),
            "`recovered` is set by passing runs, not by hand",
        )
        .into());
    }
    let mute_until = match (resolution, mute_for) {
        (Resolution::Expected, d) => {
            let d = d.unwrap_or(DEFAULT_EXPECTED_MUTE);
            if d <= chrono::Duration::zero() || d > MAX_EXPECTED_MUTE {
                return Err(InputError::new(
                    format!("issue {id}"),
                    "an `expected` mute lasts more than zero minutes and at most 365 days",
                )
                .into());
            }
            Some(now + d)
        }
        (_, Some(_)) => {
            return Err(InputError::new(
                format!("issue {id}"),
                format!(
                    "only an `expected` resolution mutes the check, not `{}`",
                    resolution.as_str()
                ),
            )
            .into());
        }
        (_, None) => None,
    };
    let until_text = mute_until.map(ts);
    tx.execute(
        "UPDATE issues SET status = 'resolved', resolution = ?2, resolution_reason = ?3, resolved_at = ?4, updated_at = ?4,
             muted_until = coalesce(?5, muted_until) WHERE id = ?1",
        params![id, resolution.as_str(), reason, ts(now), until_text],
    )?;
    log_event(
        tx,
        Some(id),
        "resolved",
        Some(actor),
        serde_json::json!({
            "resolution": resolution.as_str(),
            "reason": reason,
            "incident_open": despite_open_incident && issue.incident_id.is_some(),
        }),
        now,
    )?;
    if let Some(until) = &until_text {
        tx.execute(
            "INSERT INTO mutes (env, asset, check_name, issue_id, until, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![issue.env, issue.asset, issue.check, id, until, actor, ts(now)],
        )?;
        log_event(
            tx,
            Some(id),
            "muted",
            Some(actor),
            serde_json::json!({"until": until, "check": issue.check, "because": "expected"}),
            now,
        )?;
    }
    load_for_action(tx, id)
}

/// An active mute on an asset.
#[derive(Debug, Clone, Serialize)]
pub struct Mute {
    pub asset: String,
    /// Only this check on the asset (resolving as `expected`); None: the whole asset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    pub issue_id: Option<i64>,
    /// RFC 3339; None means until the issue is fixed.
    pub until: Option<String>,
    pub created_by: String,
}

/// Mutes an issue's asset (or a named asset) until a time, or until the issue resolves.
pub fn mute(
    tx: &Transaction,
    issue_id: Option<i64>,
    asset: Option<&str>,
    until: Option<DateTime<Utc>>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Mute> {
    let (asset, env) = match (issue_id, asset) {
        (Some(id), _) => {
            let issue = load_for_action(tx, id)?;
            (issue.asset, Some(issue.env))
        }
        (None, Some(a)) => (a.to_owned(), None),
        (None, None) => return Err(InputError::new("mute", "name an issue or an asset").into()),
    };
    if issue_id.is_none() && until.is_none() {
        return Err(InputError::new(
            "mute",
            "muting an asset needs a duration; `until fixed` needs an issue",
        )
        .into());
    }
    let until_text = until.map(ts);
    tx.execute(
        "INSERT INTO mutes (env, asset, issue_id, until, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![env, asset, issue_id, until_text, actor, ts(now)],
    )?;
    if let Some(id) = issue_id {
        tx.execute(
            "UPDATE issues SET muted_until = ?2, updated_at = ?3 WHERE id = ?1",
            params![
                id,
                until_text
                    .clone()
                    .unwrap_or_else(|| "until fixed".to_owned()),
                ts(now)
            ],
        )?;
        log_event(
            tx,
            Some(id),
            "muted",
            Some(actor),
            serde_json::json!({"until": until_text}),
            now,
        )?;
    }
    Ok(Mute {
        asset,
        check: None,
        issue_id,
        until: until_text,
        created_by: actor.to_owned(),
    })
}

/// Whether alerts for `asset` are muted at `now`: a timed mute not yet over, or an
/// until-fixed mute whose issue is still unresolved. Mutes of one check are not counted
/// (see [`check_muted_until`]).
pub fn is_muted(conn: &Connection, asset: &str, now: DateTime<Utc>) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM mutes m LEFT JOIN issues i ON i.id = m.issue_id
           WHERE m.asset = ?1 AND m.check_name IS NULL AND ((m.until IS NOT NULL AND m.until > ?2)
                 OR (m.until IS NULL AND i.status IS NOT NULL AND i.status != 'resolved')))",
        params![asset, ts(now)],
        |r| r.get(0),
    )?)
}

/// Until when alerts for one check (env, asset, check) are muted at `now` by a mute of that
/// check (resolving as `expected`); None when it is not.
pub fn check_muted_until(
    conn: &Connection,
    env: &str,
    asset: &str,
    check: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT max(until) FROM mutes WHERE asset = ?2 AND env = ?1 AND check_name = ?3 AND until > ?4",
        )?
        .query_row(params![env, asset, check, ts(now)], |r| r.get(0))?)
}

/// Mutes in force at `now`.
pub fn active_mutes(conn: &Connection, now: DateTime<Utc>) -> Result<Vec<Mute>> {
    let mut stmt = conn.prepare(
        "SELECT m.asset, m.issue_id, m.until, m.created_by, m.check_name FROM mutes m LEFT JOIN issues i ON i.id = m.issue_id
         WHERE (m.until IS NOT NULL AND m.until > ?1) OR (m.until IS NULL AND i.status IS NOT NULL AND i.status != 'resolved')
         ORDER BY m.id",
    )?;
    let rows = stmt.query_map([ts(now)], |r| {
        Ok(Mute {
            asset: r.get(0)?,
            check: r.get(4)?,
            issue_id: r.get(1)?,
            until: r.get(2)?,
            created_by: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
