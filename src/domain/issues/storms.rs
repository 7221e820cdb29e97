//! Storms: root issues of one environment that share a cause the lineage cannot see (the same
//! error signature, the same missing schema, the same failed job upstream outside dbt), failing
//! within a window of each other. A storm is one Slack message; each member stays its own issue,
//! recovers in place, and leaves the storm when its error changes or it becomes a symptom.

use super::signature::{self, Cause, CauseKind};
use crate::clock::ts;
use crate::lineage::{Lineage, NodeKind};
use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// How roots fold into storms (`[alerts]`).
#[derive(Debug, Clone)]
pub struct StormPolicy {
    pub enabled: bool,
    /// The fewest roots that make a storm.
    pub min: usize,
    /// Roots whose failures began this close together can share a storm.
    pub window: chrono::Duration,
}

impl Default for StormPolicy {
    fn default() -> Self {
        StormPolicy {
            enabled: true,
            min: 3,
            window: chrono::Duration::minutes(10),
        }
    }
}

/// A storm as every face shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Storm {
    pub id: i64,
    pub env: String,
    /// `signature`, `schema` or `upstream`.
    pub kind: String,
    /// What the members share, e.g. "Not found: Table p:raw.* was not found in location EU".
    pub label: String,
    pub opened_at: String,
    pub last_seen: String,
    /// Every issue that is or was a member (a recovered member stays).
    pub members: Vec<i64>,
}

struct Root {
    id: i64,
    asset: String,
    known: bool,
    storm: Option<i64>,
    is_root: bool,
    cause: Option<Cause>,
}

/// Puts the environment's failing roots into storms and takes out those that no longer belong.
/// `fresh` are the issues this ingest opened or reopened. Returns the issues whose storm changed
/// (joined or left), so their messages are redrawn.
pub fn assign_storms(
    tx: &Transaction,
    env: &str,
    lineage: &Lineage,
    policy: &StormPolicy,
    fresh: &[i64],
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    if !policy.enabled {
        return Ok(Vec::new());
    }
    let since = ts(now - policy.window);
    let failed_jobs = failed_jobs(tx, env, lineage, &since)?;
    let mut roots: Vec<Root> = {
        let mut stmt = tx.prepare_cached(
            "SELECT id, asset, asset_known, raw_status, message, storm_id, symptom_of IS NULL FROM issues
             WHERE env = ?1 AND status IN ('open', 'acknowledged', 'investigating')
               AND (symptom_of IS NULL OR storm_id IS NOT NULL)",
        )?;
        let rows = stmt.query_map([env], |r| {
            let raw: String = r.get(3)?;
            let message: Option<String> = r.get(4)?;
            Ok((
                Root {
                    id: r.get(0)?,
                    asset: r.get(1)?,
                    known: r.get(2)?,
                    storm: r.get(5)?,
                    is_root: r.get(6)?,
                    cause: None,
                },
                raw,
                message,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (mut root, raw, message) = row?;
            root.cause = upstream_cause(lineage, &root, &failed_jobs)
                .or_else(|| signature::cause_of(&raw, message.as_deref()));
            out.push(root);
        }
        out
    };
    let fresh: HashSet<i64> = fresh.iter().copied().collect();
    let started = episode_starts(tx, &roots)?;
    let mut storms: HashMap<i64, (String, String)> = HashMap::new(); // id → (cause, last_seen)
    let mut changed = Vec::new();
    let mut leave = tx.prepare_cached("UPDATE issues SET storm_id = NULL WHERE id = ?1")?;
    for root in roots.iter_mut() {
        let Some(s) = root.storm else { continue };
        if let std::collections::hash_map::Entry::Vacant(e) = storms.entry(s) {
            let row: Option<(String, String)> = tx
                .query_row(
                    "SELECT cause, last_seen FROM storms WHERE id = ?1",
                    [s],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            e.insert(row.unwrap_or_default());
        }
        let (cause, last_seen) = &storms[&s];
        let same_cause = root.cause.as_ref().is_some_and(|c| &c.key == cause);
        let stale = fresh.contains(&root.id) && last_seen.as_str() < since.as_str();
        if !root.is_root || !same_cause || stale {
            leave.execute([root.id])?;
            root.storm = None;
            changed.push(root.id);
        }
    }
    // Candidates: roots in no storm whose failure began within the window, by cause.
    let mut by_cause: BTreeMap<String, Vec<&Root>> = BTreeMap::new();
    for root in roots.iter().filter(|r| r.is_root && r.storm.is_none()) {
        let Some(cause) = &root.cause else { continue };
        let recent = fresh.contains(&root.id)
            || started
                .get(&root.id)
                .is_some_and(|t| t.as_str() >= since.as_str());
        if recent {
            by_cause.entry(cause.key.clone()).or_default().push(root);
        }
    }
    let mut join = tx.prepare_cached("UPDATE issues SET storm_id = ?2 WHERE id = ?1")?;
    for (key, members) in by_cause {
        let open: Option<i64> = tx
            .query_row(
                "SELECT id FROM storms WHERE env = ?1 AND cause = ?2 AND last_seen >= ?3 ORDER BY id DESC LIMIT 1",
                params![env, key, since],
                |r| r.get(0),
            )
            .optional()?;
        let storm = match open {
            Some(id) => id,
            None if members.len() >= policy.min => {
                let cause = members[0].cause.as_ref().expect("candidates have a cause");
                tx.execute(
                    "INSERT INTO storms (env, cause, kind, label, opened_at, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                    params![env, key, cause.kind.as_str(), cause.label, ts(now)],
                )?;
                tx.last_insert_rowid()
            }
            None => continue,
        };
        for m in members {
            join.execute(params![m.id, storm])?;
            changed.push(m.id);
            super::log_event(
                tx,
                Some(m.id),
                "joined_storm",
                None,
                serde_json::json!({"storm": storm}),
                now,
            )?;
        }
    }
    // Storms with a member failing in this ingest stay open for the window.
    let touched: HashSet<i64> = roots
        .iter()
        .filter(|r| fresh.contains(&r.id))
        .filter_map(|r| r.storm)
        .chain(
            changed
                .iter()
                .filter_map(|id| roots.iter().find(|r| r.id == *id).and_then(|r| r.storm)),
        )
        .collect();
    for s in touched {
        tx.execute(
            "UPDATE storms SET last_seen = ?2 WHERE id = ?1",
            params![s, ts(now)],
        )?;
    }
    changed.sort_unstable();
    changed.dedup();
    Ok(changed)
}

/// When each issue's current failure began: its last `opened` or `reopened` event.
fn episode_starts(tx: &Transaction, roots: &[Root]) -> Result<HashMap<i64, String>> {
    let ids: Vec<i64> = roots
        .iter()
        .filter(|r| r.storm.is_none())
        .map(|r| r.id)
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut stmt = tx.prepare_cached(
        "SELECT issue_id, max(at) FROM events WHERE kind IN ('opened', 'reopened')
           AND issue_id IN (SELECT value FROM json_each(?1)) GROUP BY issue_id",
    )?;
    let rows = stmt.query_map([serde_json::to_string(&ids)?], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Jobs outside dbt (OpenLineage) in this environment that failed within the window.
fn failed_jobs(
    tx: &Transaction,
    env: &str,
    lineage: &Lineage,
    since: &str,
) -> Result<HashSet<petgraph::graph::NodeIndex>> {
    let mut stmt = tx.prepare_cached(
        "SELECT DISTINCT asset FROM issues WHERE env = ?1 AND last_seen >= ?2 AND raw_status IN ('error', 'fail', 'failed', 'abort')",
    )?;
    let assets = stmt.query_map(params![env, since], |r| r.get::<_, String>(0))?;
    let mut jobs = HashSet::new();
    for a in assets {
        if let Some(n) = lineage.get(&a?)
            && lineage.node(n).kind == NodeKind::Job
        {
            jobs.insert(n);
        }
    }
    Ok(jobs)
}

/// A failed job upstream of the root's asset, outside dbt, is the cause it shares.
fn upstream_cause(
    lineage: &Lineage,
    root: &Root,
    failed_jobs: &HashSet<petgraph::graph::NodeIndex>,
) -> Option<Cause> {
    if failed_jobs.is_empty() || !root.known {
        return None;
    }
    let node = lineage.get(&root.asset)?;
    let job = lineage
        .upstream(node)
        .into_iter()
        .filter(|n| failed_jobs.contains(n))
        .min_by_key(|n| lineage.node(*n).unique_id.clone())?;
    let job = lineage.node(job);
    Some(Cause {
        kind: CauseKind::Upstream,
        key: format!("upstream:{}", job.unique_id),
        label: format!("upstream job {} failed", job.name),
    })
}

/// One storm with its members.
pub fn get_storm(conn: &Connection, id: i64) -> Result<Option<Storm>> {
    let storm = conn
        .query_row(
            "SELECT id, env, kind, label, opened_at, last_seen FROM storms WHERE id = ?1",
            [id],
            |r| {
                Ok(Storm {
                    id: r.get(0)?,
                    env: r.get(1)?,
                    kind: r.get(2)?,
                    label: r.get(3)?,
                    opened_at: r.get(4)?,
                    last_seen: r.get(5)?,
                    members: Vec::new(),
                })
            },
        )
        .optional()?;
    let Some(mut storm) = storm else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached("SELECT id FROM issues WHERE storm_id = ?1 ORDER BY id")?;
    storm.members = stmt
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(storm))
}
