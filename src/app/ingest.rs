//! One ingest, end to end: parse the inputs, then apply them in a single store transaction
//! (observations, issues, root causes, lineage snapshot, checksums, pruning), then swap in the
//! new lineage. Bad input is refused before anything is written.

use crate::config::Config;
use crate::domain::issues::{self, ApplySummary, Policy, ts};
use crate::error::InputError;
use crate::lineage::openlineage::Job;
use crate::lineage::{EnvGraph, Lineage, LineageHandle, LoadOptions, Part};
use crate::sources::alerts;
use crate::sources::artifacts::{self, ParsedResults};
use crate::sources::observation::{Observation, Outcome};
use crate::store::Store;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::{Transaction, params};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// One named input: where it came from (for errors) and its bytes.
#[derive(Debug, Clone)]
pub struct Input {
    pub origin: String,
    pub bytes: bytes::Bytes,
    /// The bytes are a private read-only mapping of a file (see [`Input::read`]).
    mapped: bool,
}

impl Input {
    pub fn new(origin: impl Into<String>, bytes: impl Into<bytes::Bytes>) -> Self {
        Input {
            origin: origin.into(),
            bytes: bytes.into(),
            mapped: false,
        }
    }

    /// Loads the lineage of this manifest input (a manifest without nodes is refused).
    pub fn load_manifest(&self) -> Result<Lineage, InputError> {
        self.load_manifest_with(LoadOptions::default())
    }

    /// Loads the lineage of this manifest input, handing mapped pages back to the OS as the
    /// parser passes them when the input is a file mapping.
    pub fn load_manifest_with(&self, options: LoadOptions) -> Result<Lineage, InputError> {
        if self.mapped {
            // SAFETY: `mapped` is only set by `Input::read`, whose bytes own a private
            // read-only `Mmap` of the file.
            unsafe { crate::lineage::load_mapped_manifest(&self.origin, &self.bytes, options) }
        } else {
            crate::lineage::load_manifest_with(&self.origin, &self.bytes, options)
        }
    }

    /// Maps a regular file into memory (read-only); reads a pipe, FIFO or device (`<(cat …)`,
    /// `/dev/stdin`) to its end. A missing or unreadable file is an input error naming it.
    /// Mapping avoids copying a large manifest into the heap.
    pub fn read(path: &std::path::Path) -> Result<Input, InputError> {
        use std::io::Read;
        let origin = path.display().to_string();
        let fail = |e: std::io::Error| InputError::new(&origin, format!("cannot read: {e}"));
        let mut file = std::fs::File::open(path).map_err(fail)?;
        let meta = file.metadata().map_err(fail)?;
        if meta.is_dir() {
            return Err(InputError::new(&origin, "is a directory, not a file"));
        }
        if !meta.is_file() {
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).map_err(fail)?;
            return Ok(Input::new(origin, bytes));
        }
        if meta.len() == 0 {
            // mmap of an empty file fails; an empty input is reported by the parser.
            return Ok(Input::new(origin, bytes::Bytes::new()));
        }
        // SAFETY: the mapping is read-only and private. Steward never writes the file; if
        // another process truncates it while mapped, reads may fault, as with any mmap reader.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(fail)?;
        Ok(Input {
            origin,
            bytes: bytes::Bytes::from_owner(map),
            mapped: true,
        })
    }
}

/// dbt artifacts of one run; any part may be absent.
#[derive(Debug, Clone, Default)]
pub struct DbtArtifacts {
    pub manifest: Option<Input>,
    pub run_results: Option<Input>,
    pub sources: Option<Input>,
    pub env: Option<String>,
    /// Accept a manifest without nodes (`--allow-empty`), which empties the lineage graph.
    pub allow_empty: bool,
    /// The CI run that produced the artifacts (`--run-url`, or detected from CI variables): the
    /// link on the alert ("Run") and in the postmortem.
    pub run_url: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ManifestSummary {
    pub schema_version: u32,
    pub nodes: usize,
    pub edges: usize,
    pub changed_checksums: usize,
}

/// Who pushed an ingest: the face it came through and, when known, a name (the HTTP token's
/// name, or the CLI's `--as`). Recorded on the ingest; it acts for no person, so `[access]`
/// never applies to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Pusher {
    /// `http`, `cli`, `dbt_cloud` or `steward`; None when the caller did not say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Pusher {
    pub fn new(via: &'static str, name: Option<&str>) -> Pusher {
        Pusher {
            via: Some(via),
            name: name.map(str::to_owned),
        }
    }

    pub fn is_unknown(&self) -> bool {
        self.via.is_none() && self.name.is_none()
    }
}

/// What one ingest did.
#[derive(Debug, Clone, Serialize)]
pub struct IngestSummary {
    pub ingest_id: i64,
    pub kind: String,
    pub env: String,
    pub raises_issues: bool,
    pub manifest: Option<ManifestSummary>,
    pub ignored_results: usize,
    /// The CI run that produced this ingest, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_url: Option<String>,
    /// Who pushed it, when known.
    #[serde(skip_serializing_if = "Pusher::is_unknown")]
    pub pushed_by: Pusher,
    #[serde(flatten)]
    pub applied: ApplySummary,
}

impl std::fmt::Display for IngestSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a = &self.applied;
        write!(
            f,
            "ingest #{} ({}, env {}):",
            self.ingest_id, self.kind, self.env
        )?;
        if let Some(m) = &self.manifest {
            write!(f, " manifest v{} with {} nodes;", m.schema_version, m.nodes)?;
        }
        write!(
            f,
            " {} results ({} failing, {} passing, {} skipped",
            a.results, a.failing, a.passing, a.skipped
        )?;
        if a.duplicates > 0 {
            write!(f, ", {} already seen", a.duplicates)?;
        }
        write!(f, ")")?;
        if self.raises_issues {
            write!(
                f,
                "; issues: {} opened, {} updated, {} reopened, {} recovering, {} resolved",
                a.opened.len(),
                a.updated.len(),
                a.reopened.len(),
                a.recovering.len(),
                a.recovered.len()
            )?;
        } else {
            write!(
                f,
                "; env {} does not raise issues (see issues.environments)",
                self.env
            )?;
        }
        if a.unknown_assets > 0 {
            write!(f, "; {} on assets not in the manifest", a.unknown_assets)?;
        }
        if let Some(url) = &self.run_url {
            write!(f, "; run {url}")?;
        }
        Ok(())
    }
}

/// Observations, ignored results, dbt target and invocation id of a run's artifacts.
type Parsed = (Vec<Observation>, usize, Option<String>, Option<String>);

/// Parsed inputs ready to be written.
struct Prepared {
    kind: &'static str,
    env: String,
    invocation_id: Option<String>,
    /// A new manifest: its project's part and serialised graph.
    new_part: Option<(Part, Vec<u8>)>,
    /// Jobs whose events this ingest brings.
    jobs: Vec<String>,
    /// The environment's graph after this ingest, swapped in after the commit.
    graph: Option<EnvGraph>,
    lineage: Arc<Lineage>,
    observations: Vec<Observation>,
    has_run_results: bool,
    ignored: usize,
    run_url: Option<String>,
    by: Pusher,
}

/// Ingests dbt artifacts. A manifest, when given, is used to map this run's results and then
/// becomes the current lineage.
pub fn ingest_dbt(
    store: &Store,
    lineage: &LineageHandle,
    config: &Config,
    artifacts: DbtArtifacts,
    by: Pusher,
    now: DateTime<Utc>,
) -> Result<IngestSummary> {
    if artifacts.manifest.is_none()
        && artifacts.run_results.is_none()
        && artifacts.sources.is_none()
    {
        return Err(InputError::new(
            "dbt ingest",
            "nothing to ingest: give a manifest, run_results or sources",
        )
        .into());
    }
    let run_url = match artifacts.run_url.as_deref() {
        Some(u) => Some(crate::sources::ci::check_run_url(
            "dbt ingest (run_url)",
            u,
        )?),
        None => None,
    };
    let built = match &artifacts.manifest {
        Some(m) => Some(Arc::new(m.load_manifest_with(LoadOptions {
            allow_empty: artifacts.allow_empty,
        })?)),
        None => None,
    };
    let snapshot = match &built {
        Some(b) => Some(serde_json::to_vec(&b.to_snapshot()).context("serialising the lineage")?),
        None => None,
    };
    // From here to the swap, no other ingest changes a graph (readers are never blocked).
    let _writer = lineage.write_lock();
    let parse = |with: &Lineage| -> Result<Parsed, InputError> {
        let mut observations = Vec::new();
        let mut ignored = 0;
        let mut target = None;
        let mut invocation_id = None;
        if let Some(rr) = &artifacts.run_results {
            let ParsedResults {
                invocation_id: inv,
                target: t,
                observations: obs,
                ignored: ig,
                ..
            } = artifacts::parse_run_results(&rr.origin, &rr.bytes, with, now)?;
            observations.extend(obs);
            ignored += ig;
            target = t;
            invocation_id = inv;
        }
        if let Some(src) = &artifacts.sources {
            let parsed = artifacts::parse_sources(&src.origin, &src.bytes, with, now)?;
            observations.extend(parsed.observations);
            ignored += parsed.ignored;
            invocation_id = invocation_id.or(parsed.invocation_id);
        }
        Ok((observations, ignored, target, invocation_id))
    };
    let has_run_results = artifacts.run_results.is_some();
    let default_env = &config.issues.default_environment;
    // A run's results are about its own manifest's nodes; without one, about its environment's.
    let (env, parsed) = match &built {
        Some(b) => {
            let parsed = parse(b)?;
            let env = artifacts
                .env
                .clone()
                .or(parsed.2.clone())
                .unwrap_or_else(|| default_env.clone());
            (env, parsed)
        }
        None => {
            let first = artifacts.env.clone().unwrap_or_else(|| default_env.clone());
            let parsed = parse(&lineage.env(Some(&first)))?;
            match parsed
                .2
                .clone()
                .filter(|t| artifacts.env.is_none() && *t != first)
            {
                Some(target) => {
                    let parsed = parse(&lineage.env(Some(&target)))?;
                    (target, parsed)
                }
                None => (first, parsed),
            }
        }
    };
    let (mut observations, ignored, _, invocation_id) = parsed;
    // Each result links to the run that produced it (the issue's `url`).
    if let Some(url) = &run_url {
        for o in observations.iter_mut().filter(|o| o.url.is_none()) {
            o.url = Some(url.clone());
        }
    }
    let (new_part, graph) = match (built, snapshot) {
        (Some(b), Some(snapshot)) => {
            let part = Part {
                project: b.project.clone().unwrap_or_else(|| "default".to_owned()),
                project_id: b.project_id.clone(),
                loaded_at: ts(now),
                lineage: b,
            };
            let graph = lineage.graph_or_empty(&env).with_part(part.clone());
            (Some((part, snapshot)), Some(graph))
        }
        _ => (None, None),
    };
    let current = match &graph {
        Some(g) => g.lineage(),
        None => lineage.env(Some(&env)),
    };
    let prepared = Prepared {
        kind: "dbt",
        env,
        invocation_id,
        new_part,
        jobs: Vec::new(),
        graph,
        lineage: current,
        observations,
        has_run_results,
        ignored,
        run_url,
        by,
    };
    commit(store, lineage, config, prepared, now)
}

/// Ingests one generic alert or an array of them.
pub fn ingest_alerts(
    store: &Store,
    lineage: &LineageHandle,
    config: &Config,
    input: Input,
    env: Option<String>,
    by: Pusher,
    now: DateTime<Utc>,
) -> Result<IngestSummary> {
    let env = env.unwrap_or_else(|| config.issues.default_environment.clone());
    let observations =
        alerts::parse_alerts(&input.origin, &input.bytes, &lineage.env(Some(&env)), now)?;
    let batch = Observed {
        kind: "alert",
        env: Some(env),
        observations,
        by,
    };
    ingest_observed(store, lineage, config, batch, now)
}

/// Ingests OpenLineage RunEvents: their jobs join the environment's graph (between their input
/// and output datasets, stored), then `FAIL`/`COMPLETE` open or recover issues.
pub fn ingest_openlineage(
    store: &Store,
    lineage: &LineageHandle,
    config: &Config,
    input: Input,
    env: Option<String>,
    by: Pusher,
    now: DateTime<Utc>,
) -> Result<IngestSummary> {
    let env = env.unwrap_or_else(|| config.issues.default_environment.clone());
    let jobs: Vec<Job> = alerts::parse_openlineage_jobs(&input.origin, &input.bytes)?;
    let _writer = lineage.write_lock();
    let graph = lineage.graph_or_empty(&env).with_jobs(&jobs);
    let current = graph.lineage();
    let observations = alerts::parse_openlineage(&input.origin, &input.bytes, &current, now)?;
    let has_run_results = observations.iter().any(|o| o.outcome == Outcome::Skipped);
    let prepared = Prepared {
        kind: "openlineage",
        env,
        invocation_id: None,
        new_part: None,
        jobs: jobs.iter().map(Job::unique_id).collect(),
        graph: Some(graph),
        lineage: current,
        observations,
        has_run_results,
        ignored: 0,
        run_url: None,
        by,
    };
    commit(store, lineage, config, prepared, now)
}

/// How a scheduled job's run went, as its scheduler tells it (a dbt Cloud run without artifacts):
/// one observation on the job's own asset (`dbt_cloud.job.123`), alerted like any other.
#[derive(Debug, Clone)]
pub struct JobRun {
    /// Where it came from: `dbt_cloud`.
    pub source: &'static str,
    /// The job's asset, e.g. `dbt_cloud.job.123`.
    pub asset: String,
    /// What failed, e.g. `no_artifacts`.
    pub check: String,
    /// False opens (or updates) an issue; true recovers it.
    pub ok: bool,
    pub message: Option<String>,
    /// The run's page: the alert's run link.
    pub url: Option<String>,
    pub run_id: String,
    pub env: Option<String>,
}

/// Ingests one [`JobRun`]: the same run told twice (dbt Cloud sends `job.run.completed` and
/// `job.run.errored` for an errored run) is applied once.
pub fn ingest_job_run(
    store: &Store,
    lineage: &LineageHandle,
    config: &Config,
    run: JobRun,
    by: Pusher,
    now: DateTime<Utc>,
) -> Result<IngestSummary> {
    let env = run
        .env
        .clone()
        .unwrap_or_else(|| config.issues.default_environment.clone());
    let known = lineage.env(Some(&env)).get(&run.asset).is_some();
    let observation = Observation {
        key: Some(format!(
            "{}:{}:{}:{}",
            run.source, run.run_id, run.asset, run.check
        )),
        origin: crate::sources::observation::Origin::Alert,
        source_system: Some(run.source.to_owned()),
        asset: run.asset,
        asset_known: known,
        check: run.check,
        node: None,
        outcome: if run.ok {
            Outcome::Pass
        } else {
            Outcome::Fail(crate::sources::observation::Severity::Error)
        },
        raw_status: if run.ok { "pass" } else { "fail" }.to_owned(),
        message: run.message,
        failures: None,
        url: run.url,
        run_id: Some(run.run_id),
        occurred_at: now,
        compiled_sql: None,
    };
    let batch = Observed {
        kind: run.source,
        env: Some(env),
        observations: vec![observation],
        by,
    };
    ingest_observed(store, lineage, config, batch, now)
}

/// Observations already mapped to assets, and where they came from.
pub struct Observed {
    /// `alert`, `dbt_cloud`, `expect`, …: the ingest's kind.
    pub kind: &'static str,
    pub env: Option<String>,
    pub observations: Vec<Observation>,
    pub by: Pusher,
}

/// Ingests observations already mapped to assets (by a parser above, or by a test), pushed by
/// no one in particular.
pub fn ingest_observations(
    store: &Store,
    lineage: &LineageHandle,
    config: &Config,
    kind: &'static str,
    env: Option<String>,
    observations: Vec<Observation>,
    now: DateTime<Utc>,
) -> Result<IngestSummary> {
    let batch = Observed {
        kind,
        env,
        observations,
        by: Pusher::default(),
    };
    ingest_observed(store, lineage, config, batch, now)
}

/// Ingests an [`Observed`] batch.
pub fn ingest_observed(
    store: &Store,
    lineage: &LineageHandle,
    config: &Config,
    batch: Observed,
    now: DateTime<Utc>,
) -> Result<IngestSummary> {
    let Observed {
        kind,
        env,
        observations,
        by,
    } = batch;
    let has_run_results = observations.iter().any(|o| o.outcome == Outcome::Skipped);
    let env = env.unwrap_or_else(|| config.issues.default_environment.clone());
    let prepared = Prepared {
        kind,
        lineage: lineage.env(Some(&env)),
        env,
        invocation_id: None,
        new_part: None,
        jobs: Vec::new(),
        graph: None,
        observations,
        has_run_results,
        ignored: 0,
        run_url: None,
        by,
    };
    commit(store, lineage, config, prepared, now)
}

fn commit(
    store: &Store,
    handle: &LineageHandle,
    config: &Config,
    p: Prepared,
    now: DateTime<Utc>,
) -> Result<IngestSummary> {
    let policy = Policy {
        reopen_window: chrono::Duration::from_std(config.issues.reopen_window)
            .unwrap_or(chrono::Duration::hours(24)),
        recover_after_passes: config.issues.recover_after_passes,
    };
    let storm_policy = issues::StormPolicy {
        enabled: config.alerts.storm,
        min: config.alerts.storm_min,
        window: chrono::Duration::from_std(config.alerts.storm_window)
            .unwrap_or(chrono::Duration::minutes(10)),
    };
    let raises = config.issues.raises_issues(&p.env);
    let retention =
        chrono::Duration::from_std(config.issues.retention).unwrap_or(chrono::Duration::days(90));
    let mut p = p;
    let swap_in = p.graph.take();
    let jobs: Vec<Job> = match &swap_in {
        Some(g) => p.jobs.iter().filter_map(|id| g.job(id)).cloned().collect(),
        None => Vec::new(),
    };
    // The idempotence key names the environment: an artifact ingested under the wrong one can
    // be ingested again under the right one.
    for o in &mut p.observations {
        if let Some(k) = &mut o.key {
            k.push('@');
            k.push_str(&p.env);
        }
    }
    // Integrations hear of the changes in the same transaction (a copy of the config only when
    // a target is configured).
    let targets = crate::domain::integrations::any_target(config).then(|| config.clone());
    let summary = store.write(move |tx| {
        tx.execute(
            "INSERT INTO ingests (kind, env, invocation_id, received_at, raises_issues, summary, via, pushed_by) VALUES (?1, ?2, ?3, ?4, ?5, '{}', ?6, ?7)",
            params![p.kind, p.env, p.invocation_id, ts(now), raises, p.by.via, p.by.name],
        )?;
        let ingest_id = tx.last_insert_rowid();
        let manifest = match &p.new_part {
            Some((part, snapshot)) => {
                crate::store::graphs::store_part(tx, &p.env, part, snapshot, ingest_id)?;
                Some(store_checksums(tx, ingest_id, &part.lineage, now)?)
            }
            None => None,
        };
        crate::store::graphs::store_jobs(tx, &p.env, &jobs.iter().collect::<Vec<_>>(), now)?;
        let batch = issues::Batch {
            ingest_id,
            env: &p.env,
            raise_issues: raises,
            lineage: &p.lineage,
            policy: &policy,
            now,
        };
        let applied = issues::apply(tx, &batch, &p.observations)?;
        let rerooted = if raises {
            let skipped: Vec<&Observation> = p.observations.iter().filter(|o| o.outcome == Outcome::Skipped).collect();
            issues::recompute_roots(tx, &p.env, &p.lineage, p.has_run_results.then_some(skipped.as_slice()))?
        } else {
            Vec::new()
        };
        let fresh: Vec<i64> = applied.opened.iter().chain(&applied.reopened).copied().collect();
        let stormed = if raises {
            issues::assign_storms(tx, &p.env, &p.lineage, &storm_policy, &fresh, now)?
        } else {
            Vec::new()
        };
        let mut changed: Vec<i64> = [&applied.opened, &applied.reopened, &applied.updated, &applied.recovering, &applied.recovered, &stormed, &rerooted]
            .into_iter()
            .flatten()
            .copied()
            .collect();
        changed.sort_unstable();
        changed.dedup();
        if !changed.is_empty() {
            crate::store::outbox::enqueue(
                tx,
                crate::store::outbox::ISSUES_CHANGED,
                &serde_json::json!({"issues": changed, "ingest": ingest_id, "reason": "ingest"}),
                now,
            )?;
            if let Some(config) = &targets {
                integrations_hear(tx, config, &p.lineage, &applied, now)?;
            }
        }
        tx.execute("DELETE FROM observations WHERE received_at < ?1", [ts(now - retention)])?;
        let summary = IngestSummary {
            ingest_id,
            kind: p.kind.to_owned(),
            env: p.env.clone(),
            raises_issues: raises,
            manifest,
            ignored_results: p.ignored,
            run_url: p.run_url.clone(),
            pushed_by: p.by.clone(),
            applied,
        };
        tx.execute(
            "UPDATE ingests SET summary = ?2 WHERE id = ?1",
            params![ingest_id, serde_json::to_string(&summary)?],
        )?;
        Ok(summary)
    })?;
    if let Some(g) = swap_in {
        handle.replace_env(g);
    }
    Ok(summary)
}

/// Writes the deliveries an ingest's changes call for: opened and reopened issues are
/// `issue.opened`, repeat failures `issue.updated`, recovering ones `issue.status_changed`,
/// recovered ones `issue.resolved`.
fn integrations_hear(
    tx: &Transaction,
    config: &Config,
    lineage: &Arc<Lineage>,
    applied: &issues::ApplySummary,
    now: DateTime<Utc>,
) -> Result<()> {
    use crate::domain::integrations::{Change, IssueEvent, fan_out};
    let events: Vec<(i64, IssueEvent)> = [
        (&applied.opened, IssueEvent::Opened),
        (&applied.reopened, IssueEvent::Opened),
        (&applied.updated, IssueEvent::Updated),
        (&applied.recovering, IssueEvent::StatusChanged),
        (&applied.recovered, IssueEvent::Resolved),
    ]
    .into_iter()
    .flat_map(|(ids, e)| ids.iter().map(move |id| (*id, e)))
    .collect();
    fan_out(
        tx,
        config,
        &|_| lineage.clone(),
        &Change::Issues(events),
        now,
    )?;
    Ok(())
}

/// Stores the node checksums that changed.
fn store_checksums(
    tx: &Transaction,
    ingest_id: i64,
    lineage: &Lineage,
    now: DateTime<Utc>,
) -> Result<ManifestSummary> {
    let mut latest: HashMap<String, String> = HashMap::new();
    {
        let mut stmt = tx.prepare_cached("SELECT unique_id, checksum FROM node_checksum_latest")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (k, v) = row?;
            latest.insert(k, v);
        }
    }
    let mut changed = 0;
    let mut insert_history = tx.prepare_cached(
        "INSERT OR REPLACE INTO node_checksums (unique_id, checksum, ingest_id, seen_at) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut upsert_latest = tx.prepare_cached(
        "INSERT INTO node_checksum_latest (unique_id, checksum) VALUES (?1, ?2)
         ON CONFLICT(unique_id) DO UPDATE SET checksum = excluded.checksum",
    )?;
    let at = ts(now);
    for (_, node) in lineage.nodes() {
        let Some(sum) = &node.checksum else { continue };
        if latest.get(&node.unique_id) != Some(sum) {
            insert_history.execute(params![node.unique_id, sum, ingest_id, at])?;
            upsert_latest.execute(params![node.unique_id, sum])?;
            changed += 1;
        }
    }
    Ok(ManifestSummary {
        schema_version: lineage.schema_version,
        nodes: lineage.node_count(),
        edges: lineage.edge_count(),
        changed_checksums: changed,
    })
}
