//! Getting results in: `ingest dbt|alert|openlineage` into the local database, and `push` to a
//! running Steward.

use super::{Context_, IngestCommand, opt_input, print_json, read_input, render};
use crate::app::ingest::{DbtArtifacts, Pusher};
use crate::domain::ingests::IngestFilter;
use anyhow::Result;
use std::path::PathBuf;

pub(super) fn ingest(ctx: &Context_, cmd: IngestCommand) -> Result<()> {
    let alerts = matches!(cmd, IngestCommand::Alert { .. });
    let (summary, json) = match cmd {
        IngestCommand::Dbt {
            manifest,
            run_results,
            sources,
            env,
            allow_empty,
            run_url,
            by,
            json,
        } => {
            let artifacts = DbtArtifacts {
                manifest: opt_input(&manifest)?,
                run_results: opt_input(&run_results)?,
                sources: opt_input(&sources)?,
                env,
                allow_empty,
                run_url: run_url_or_detected(run_url)?,
            };
            (ctx.app()?.pushed_by(cli(&by)).ingest_dbt(artifacts)?, json)
        }
        IngestCommand::Alert {
            file,
            env,
            by,
            json,
        }
        | IngestCommand::Openlineage {
            file,
            env,
            by,
            json,
        } => {
            let (input, pushing) = (read_input(&file)?, ctx.app()?);
            let pushing = pushing.pushed_by(cli(&by));
            let summary = if alerts {
                pushing.ingest_alerts(input, env)?
            } else {
                pushing.ingest_openlineage(input, env)?
            };
            (summary, json)
        }
    };
    if json {
        print_json(&summary)
    } else {
        outln!("{summary}");
        Ok(())
    }
}

/// `steward ingests`: the record of ingests, newest first.
pub(super) fn list(ctx: &Context_, filter: &IngestFilter, json: bool) -> Result<()> {
    let ingests = ctx.app()?.ingests(filter)?;
    if json {
        print_json(&ingests)
    } else {
        out!("{}", render::ingests_table(&ingests));
        Ok(())
    }
}

/// An ingest from the CLI, recorded under `--as`.
fn cli(name: &str) -> Pusher {
    Pusher::new("cli", Some(name))
}

/// `--run-url` when given (checked), else the CI run read from the process environment.
fn run_url_or_detected(given: Option<String>) -> Result<Option<String>> {
    Ok(match given {
        Some(u) => Some(crate::sources::ci::check_run_url("--run-url", &u)?),
        None => crate::sources::ci::detect_run_url(|name| std::env::var(name).ok()),
    })
}

/// Where `steward push` finds the artifacts: a `target/` folder and/or explicit files.
pub(super) struct Paths {
    pub dir: Option<PathBuf>,
    pub manifest: Option<PathBuf>,
    pub run_results: Option<PathBuf>,
    pub sources: Option<PathBuf>,
}

/// `steward push`: a dbt `target/` folder's artifacts sent to a running Steward.
pub(super) fn push(
    paths: Paths,
    env: Option<String>,
    allow_empty: bool,
    run_url: Option<String>,
    url: String,
) -> Result<()> {
    let dir = paths.dir;
    let pick = |explicit: Option<PathBuf>, name: &str| -> Option<PathBuf> {
        explicit.or_else(|| dir.as_ref().map(|d| d.join(name)).filter(|p| p.exists()))
    };
    let artifacts = DbtArtifacts {
        manifest: opt_input(&pick(paths.manifest, "manifest.json"))?,
        run_results: opt_input(&pick(paths.run_results, "run_results.json"))?,
        sources: opt_input(&pick(paths.sources, "sources.json"))?,
        env,
        allow_empty,
        run_url: run_url_or_detected(run_url)?,
    };
    let token = std::env::var("STEWARD_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let reply = runtime.block_on(crate::faces::cli::push::push(
        &url,
        token.as_deref(),
        artifacts,
    ))?;
    outln!("{reply}");
    Ok(())
}
