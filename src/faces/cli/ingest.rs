//! Getting results in: `ingest dbt|alert|openlineage` into the local database, and `push` to a
//! running Steward.

use super::{Context_, IngestCommand, opt_input, print_json, read_input};
use crate::app::ingest::DbtArtifacts;
use anyhow::Result;
use std::path::PathBuf;

pub(super) fn ingest(ctx: &Context_, cmd: IngestCommand) -> Result<()> {
    let (summary, json) = match cmd {
        IngestCommand::Dbt {
            manifest,
            run_results,
            sources,
            env,
            allow_empty,
            json,
        } => {
            let artifacts = DbtArtifacts {
                manifest: opt_input(&manifest)?,
                run_results: opt_input(&run_results)?,
                sources: opt_input(&sources)?,
                env,
                allow_empty,
                run_url: None,
            };
            (ctx.app()?.ingest_dbt(artifacts)?, json)
        }
        IngestCommand::Alert { file, env, json } => {
            (ctx.app()?.ingest_alerts(read_input(&file)?, env)?, json)
        }
        IngestCommand::Openlineage { file, env, json } => (
            ctx.app()?.ingest_openlineage(read_input(&file)?, env)?,
            json,
        ),
    };
    if json {
        print_json(&summary)
    } else {
        outln!("{summary}");
        Ok(())
    }
}

/// `steward push`: a dbt `target/` folder's artifacts sent to a running Steward.
pub(super) fn push(
    dir: Option<PathBuf>,
    manifest: Option<PathBuf>,
    run_results: Option<PathBuf>,
    sources: Option<PathBuf>,
    env: Option<String>,
    allow_empty: bool,
    url: String,
) -> Result<()> {
    let pick = |explicit: Option<PathBuf>, name: &str| -> Option<PathBuf> {
        explicit.or_else(|| dir.as_ref().map(|d| d.join(name)).filter(|p| p.exists()))
    };
    let artifacts = DbtArtifacts {
        manifest: opt_input(&pick(manifest, "manifest.json"))?,
        run_results: opt_input(&pick(run_results, "run_results.json"))?,
        sources: opt_input(&pick(sources, "sources.json"))?,
        env,
        allow_empty,
        run_url: None,
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
