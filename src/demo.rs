//! `steward demo`: the story of one broken dbt run and its recovery, on the demo project's real
//! artifacts compiled into the binary. Needs no Slack workspace, no tokens and no network.

use crate::app::App;
use crate::config::Config;
use crate::ingest::{DbtArtifacts, Input};
use crate::issues::IssueFilter;
use crate::render::{self, short_name};
use anyhow::Result;
use std::fmt::Write;
use std::path::Path;

pub const BROKEN_MANIFEST: &[u8] =
    include_bytes!("../manifests/demo/artifacts/broken/manifest.json");
pub const BROKEN_RUN_RESULTS: &[u8] =
    include_bytes!("../manifests/demo/artifacts/broken/run_results.json");
pub const BROKEN_SOURCES: &[u8] = include_bytes!("../manifests/demo/artifacts/broken/sources.json");
pub const HEALTHY_MANIFEST: &[u8] =
    include_bytes!("../manifests/demo/artifacts/healthy/manifest.json");
pub const HEALTHY_RUN_RESULTS: &[u8] =
    include_bytes!("../manifests/demo/artifacts/healthy/run_results.json");
pub const HEALTHY_SOURCES: &[u8] =
    include_bytes!("../manifests/demo/artifacts/healthy/sources.json");

/// The demo's broken run, as an ingest would receive it.
pub fn broken_run() -> DbtArtifacts {
    DbtArtifacts {
        manifest: Some(Input::new("demo/broken/manifest.json", BROKEN_MANIFEST)),
        run_results: Some(Input::new(
            "demo/broken/run_results.json",
            BROKEN_RUN_RESULTS,
        )),
        sources: Some(Input::new("demo/broken/sources.json", BROKEN_SOURCES)),
        env: None,
    }
}

/// The demo's healthy run.
pub fn healthy_run() -> DbtArtifacts {
    DbtArtifacts {
        manifest: Some(Input::new("demo/healthy/manifest.json", HEALTHY_MANIFEST)),
        run_results: Some(Input::new(
            "demo/healthy/run_results.json",
            HEALTHY_RUN_RESULTS,
        )),
        sources: Some(Input::new("demo/healthy/sources.json", HEALTHY_SOURCES)),
        env: None,
    }
}

/// Runs the demo on a fresh database (a temporary one unless `db` is given) and prints it.
pub fn run(db: Option<&Path>) -> Result<()> {
    let temp;
    let path = match db {
        Some(p) => p.to_owned(),
        None => {
            temp = TempDb::new()?;
            temp.path.clone()
        }
    };
    let app = App::open(Config::default(), &path)?;
    print!("{}", story(&app)?);
    Ok(())
}

/// The demo's text, from a fresh app.
pub fn story(app: &App) -> Result<String> {
    let mut out = String::new();
    writeln!(
        out,
        "Steward demo: a dbt project (jaffle_analytics) has a bad night, then recovers.\n"
    )?;
    writeln!(
        out,
        "1. dbt build + dbt source freshness fail. Steward ingests the artifacts:"
    )?;
    let summary = app.ingest_dbt(broken_run())?;
    writeln!(out, "   {summary}\n")?;

    let issues = app.issues(&IssueFilter::default())?;
    writeln!(
        out,
        "2. The issues, grouped by root cause through lineage:\n"
    )?;
    for line in render::issues_table(&issues).lines() {
        writeln!(out, "   {line}")?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "3. Each root cause, what it explains and what it affects downstream:\n"
    )?;
    let lineage = app.lineage.current();
    let mut seen_assets: Vec<&str> = Vec::new();
    for root in issues
        .iter()
        .filter(|i| i.is_root() && i.severity == "error")
    {
        if seen_assets.contains(&root.asset.as_str()) {
            continue;
        }
        seen_assets.push(&root.asset);
        let group: Vec<&crate::issues::Issue> = issues
            .iter()
            .filter(|i| i.is_root() && i.asset == root.asset)
            .collect();
        writeln!(
            out,
            "   ROOT {} ({} failing check(s) on it)",
            root.asset,
            group.len()
        )?;
        for g in &group {
            let what = match g.check.as_str() {
                "run" => "model run".to_owned(),
                "freshness" => "source freshness".to_owned(),
                c => short_name(c),
            };
            writeln!(
                out,
                "     #{} {} {}: {}",
                g.id,
                g.dbt_status,
                what,
                g.message
                    .as_deref()
                    .unwrap_or("")
                    .lines()
                    .next()
                    .unwrap_or("")
            )?;
        }
        let symptoms: Vec<&crate::issues::Symptom> =
            group.iter().flat_map(|g| g.symptoms.iter()).collect();
        let skipped = symptoms.iter().filter(|s| s.status == "skipped").count();
        let failing: Vec<String> = symptoms
            .iter()
            .filter(|s| s.issue.is_some())
            .map(|s| {
                format!(
                    "#{} {}",
                    s.issue.unwrap_or_default(),
                    short_name(&s.unique_id)
                )
            })
            .collect();
        writeln!(
            out,
            "     explains: {skipped} skipped node(s){}",
            if failing.is_empty() {
                String::new()
            } else {
                format!(", failing: {}", failing.join(", "))
            }
        )?;
        if let Some(idx) = lineage.get(&root.asset) {
            let impact = lineage.impact(&[idx]);
            let products = if impact.data_products.is_empty() {
                "none".into()
            } else {
                impact.data_products.join(", ")
            };
            let exposures: Vec<String> = impact.exposures.iter().map(|e| short_name(e)).collect();
            writeln!(
                out,
                "     impact:   data products {products}; exposures {}; {} downstream",
                if exposures.is_empty() {
                    "none".into()
                } else {
                    exposures.join(", ")
                },
                impact.downstream_count
            )?;
            writeln!(out, "     owners:   {}", root.owners.join(", "))?;
            if !impact.owners.is_empty() {
                writeln!(out, "     tell:     {}", impact.owners.join(", "))?;
            }
        }
        writeln!(out)?;
    }
    let warnings: Vec<&crate::issues::Issue> =
        issues.iter().filter(|i| i.severity == "warn").collect();
    if !warnings.is_empty() {
        writeln!(out, "   Warnings (never the root of an error):")?;
        for w in warnings {
            writeln!(
                out,
                "     #{} {} on {}{}",
                w.id,
                short_name(&w.check),
                short_name(&w.asset),
                w.symptom_of
                    .map(|r| format!(" (below #{r})"))
                    .unwrap_or_default()
            )?;
        }
        writeln!(out)?;
    }

    writeln!(
        out,
        "4. The fix ships; the next run is healthy. Steward ingests it:"
    )?;
    let summary = app.ingest_dbt(healthy_run())?;
    writeln!(out, "   {summary}\n")?;
    let after = app.issues(&IssueFilter::default())?;
    writeln!(out, "5. Recoveries:\n")?;
    for line in render::issues_table(&after).lines() {
        writeln!(out, "   {line}")?;
    }
    let open = after.iter().filter(|i| i.is_active()).count();
    writeln!(
        out,
        "\n   {} of {} issues resolved as recovered; {} still open.",
        after.len() - open,
        after.len(),
        open
    )?;
    Ok(out)
}

/// A database file in the system temp folder, removed when dropped.
struct TempDb {
    path: std::path::PathBuf,
}

impl TempDb {
    fn new() -> Result<TempDb> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .subsec_nanos();
        let path =
            std::env::temp_dir().join(format!("steward-demo-{}-{nanos}.db", std::process::id()));
        Ok(TempDb { path })
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
    }
}
