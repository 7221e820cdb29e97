//! The engine: applies a batch of observations to the issues of an environment (open, update,
//! reopen, recover), and recomputes which failing issues are roots and which are symptoms.

use super::{ApplySummary, Policy, check_muted_until, ts};
use crate::lineage::{Lineage, NodeKind};
use crate::sources::observation::{Observation, Outcome, Severity};
use anyhow::Result;
use chrono::{DateTime, Utc};
use petgraph::graph::NodeIndex;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use std::collections::HashMap;

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
    // A dbt issue's url is the link to the run that last failed it: a later run without one
    // clears it rather than show an older run's link as "Run". Other origins keep their last.
    if let Some(a) = active.get_mut(&key) {
        tx.execute(
            "UPDATE issues SET occurrences = occurrences + 1, last_seen = max(last_seen, ?2), message = ?3,
                 failures = ?4, severity = ?5, lineage_failing = ?6, raw_status = ?7, owners = ?8, url = CASE WHEN origin = 'dbt' AND ?10 IS NOT NULL THEN ?9 ELSE coalesce(?9, url) END,
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
                 lineage_failing = ?6, raw_status = ?7, owners = ?8, url = CASE WHEN origin = 'dbt' AND ?10 IS NOT NULL THEN ?9 ELSE coalesce(?9, url) END, run_id = coalesce(?10, run_id),
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
/// listed under the root(s) it descends from, replacing the previous run's list of every failing
/// root; a recovering or resolved root keeps its last list. Returns the issues whose root
/// changed (a root that became a symptom, or the reverse), so their messages can follow.
pub fn recompute_roots(
    tx: &Transaction,
    env: &str,
    lineage: &Lineage,
    skipped: Option<&[&Observation]>,
) -> Result<Vec<i64>> {
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
    let mut moved = Vec::new();
    for row in &rows {
        let root = row
            .node
            .and_then(|n| root_of(n, row.severity))
            .filter(|r| *r != row.id);
        if root != row.symptom_of {
            update.execute(params![row.id, root])?;
            moved.push(row.id);
        }
        root_by_issue.insert(row.id, root.unwrap_or(row.id));
    }

    if let Some(skipped) = skipped {
        // A recovering or resolved root keeps what it explained ("was the root of 24 skipped
        // nodes"); only the failing roots' lists are replaced by this run's.
        tx.execute(
            "DELETE FROM symptoms WHERE env = ?1 AND root_issue_id IN
             (SELECT id FROM issues WHERE env = ?1 AND status IN ('open', 'acknowledged', 'investigating'))",
            [env],
        )?;
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
            let node_id = obs.node.as_deref().unwrap_or(&obs.asset);
            let is_check_on_asset = node_id != obs.asset;
            let asset = lineage.get(&obs.asset);
            // A test is skipped when any of its parents was (a relationships test's `to` model
            // too), so its own node's origins count, not only its asset's.
            let own_node = lineage.get(node_id).filter(|_| is_check_on_asset);
            let Some(below) = own_node.or(asset) else {
                continue;
            };
            let own = if is_check_on_asset {
                asset.and_then(skipping_issue)
            } else {
                None
            };
            let root = own.or_else(|| {
                origins_skip
                    .get(below)
                    .into_iter()
                    .flatten()
                    .filter_map(|o| skipping_issue(*o))
                    .min()
            });
            // Nothing failing above: a model skipped because its own unit test failed.
            let root = root.or_else(|| {
                asset
                    .filter(|_| !is_check_on_asset)
                    .and_then(skipping_issue)
            });
            if let Some(root) = root.map(|(_, id)| root_by_issue.get(&id).copied().unwrap_or(id)) {
                insert.execute(params![root, env, node_id])?;
            }
        }
    }
    Ok(moved)
}
