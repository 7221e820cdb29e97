//! The stored lineage: each environment's project parts and jobs in SQLite, so every graph is
//! back after a restart (or in a later CLI call) without the manifest files.

use crate::clock::ts;
use crate::lineage::openlineage::Job;
use crate::lineage::{EnvGraph, Lineage, LineageSnapshot, Part};
use crate::store::Store;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::{Transaction, params};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Stores `part` as its project's part of `env`, replacing the previous one.
pub fn store_part(
    tx: &Transaction,
    env: &str,
    part: &Part,
    snapshot: &[u8],
    ingest_id: i64,
) -> Result<()> {
    tx.execute(
        "INSERT INTO lineage_parts (env, project, project_id, loaded_at, schema_version, node_count, ingest_id, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(env, project) DO UPDATE SET project_id = excluded.project_id,
             loaded_at = excluded.loaded_at, schema_version = excluded.schema_version,
             node_count = excluded.node_count, ingest_id = excluded.ingest_id, data = excluded.data",
        params![
            env,
            part.project,
            part.project_id,
            part.loaded_at,
            part.lineage.schema_version,
            part.lineage.node_count() as i64,
            ingest_id,
            snapshot
        ],
    )?;
    Ok(())
}

/// Removes `project` from `env`; false when it was not there.
pub fn delete_part(tx: &Transaction, env: &str, project: &str) -> Result<bool> {
    Ok(tx.execute(
        "DELETE FROM lineage_parts WHERE env = ?1 AND project = ?2",
        params![env, project],
    )? > 0)
}

/// Stores the jobs as they now stand in `env`.
pub fn store_jobs(tx: &Transaction, env: &str, jobs: &[&Job], now: DateTime<Utc>) -> Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO lineage_jobs (env, job, data, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(env, job) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
    )?;
    for job in jobs {
        stmt.execute(params![
            env,
            job.unique_id(),
            serde_json::to_string(job)?,
            ts(now)
        ])?;
    }
    Ok(())
}

/// Every environment's graph as stored. The part migrated from a single-graph database (env
/// '') joins `default_env` first.
pub fn load(store: &Store, default_env: &str) -> Result<Vec<EnvGraph>> {
    let legacy: bool = store.read(|c| {
        Ok(c.query_row(
            "SELECT EXISTS (SELECT 1 FROM lineage_parts WHERE env = '')",
            [],
            |r| r.get(0),
        )?)
    })?;
    if legacy {
        // Once, right after the migration; a connection of its own so that opening the app
        // never waits on the writer thread (it may run inside an async runtime).
        let conn = rusqlite::Connection::open(store.path())?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute(
            "UPDATE OR REPLACE lineage_parts SET env = ?1 WHERE env = ''",
            [default_env],
        )?;
    }
    type Row = (String, String, Option<String>, String, Vec<u8>);
    let (rows, job_rows): (Vec<Row>, Vec<(String, String)>) = store.read(|c| {
        let mut stmt = c.prepare(
            "SELECT env, project, project_id, loaded_at, data FROM lineage_parts ORDER BY env, project",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<Vec<Row>>>()?;
        let mut stmt = c.prepare("SELECT env, data FROM lineage_jobs ORDER BY env, job")?;
        let jobs = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<(String, String)>>>()?;
        Ok((rows, jobs))
    })?;
    // Parts are independent: read them in parallel.
    let parts: Vec<Result<(String, Part)>> = std::thread::scope(|s| {
        let handles: Vec<_> = rows
            .into_iter()
            .map(|(env, project, project_id, loaded_at, data)| {
                s.spawn(move || -> Result<(String, Part)> {
                    let snapshot: LineageSnapshot =
                        serde_json::from_slice(&data).with_context(|| {
                            format!("reading the stored lineage of {project} ({env})")
                        })?;
                    let mut lineage = Lineage::build(snapshot);
                    lineage.project_id = project_id.clone();
                    Ok((
                        env,
                        Part {
                            project,
                            project_id,
                            loaded_at,
                            lineage: Arc::new(lineage),
                        },
                    ))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("reading a stored lineage panicked")))
            })
            .collect()
    });
    let mut by_env: BTreeMap<String, (Vec<Part>, Vec<Job>)> = BTreeMap::new();
    for p in parts {
        let (env, part) = p?;
        by_env.entry(env).or_default().0.push(part);
    }
    for (env, data) in job_rows {
        let job: Job = serde_json::from_str(&data).context("reading a stored job")?;
        by_env.entry(env).or_default().1.push(job);
    }
    let mut graphs: Vec<(String, EnvGraph)> = by_env
        .into_iter()
        .map(|(env, (parts, jobs))| {
            let g = EnvGraph::new(&env, parts, jobs);
            (env, g)
        })
        .collect();
    // The default environment last: it is what `current` falls back to.
    graphs.sort_by_key(|(env, _)| env == default_env);
    Ok(graphs.into_iter().map(|(_, g)| g).collect())
}
