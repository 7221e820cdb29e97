//! The demo's second story: one lineage across two teams' dbt projects and an Airflow load.
//! `finance_reporting` (FP&A) reads two marts of `jaffle_analytics`; on the broken night its
//! model errors because the mart was never built, and an Airflow load of a raw table failed
//! before the dbt run. Played on a fresh database and Slack workspace, after the first story.

use super::workspace::{self, Workspace};
use super::{TempDb, blocking, broken_run};
use crate::app::App;
use crate::app::ingest::{DbtArtifacts, Input};
use crate::domain::issues::{Issue, IssueFilter};
use crate::domain::text::short_name;
use anyhow::{Context as _, Result};
use std::fmt::Write;

pub const FINANCE_BROKEN_MANIFEST: &[u8] =
    include_bytes!("../../../manifests/demo-finance/artifacts/broken/manifest.json");
pub const FINANCE_BROKEN_RUN_RESULTS: &[u8] =
    include_bytes!("../../../manifests/demo-finance/artifacts/broken/run_results.json");
pub const AIRFLOW_BROKEN: &[u8] = include_bytes!("../../../manifests/demo/openlineage/broken.json");

/// The second project's broken run.
pub fn finance_broken_run() -> DbtArtifacts {
    DbtArtifacts {
        manifest: Some(Input::new(
            "demo-finance/broken/manifest.json",
            FINANCE_BROKEN_MANIFEST,
        )),
        run_results: Some(Input::new(
            "demo-finance/broken/run_results.json",
            FINANCE_BROKEN_RUN_RESULTS,
        )),
        sources: None,
        env: None,
        allow_empty: false,
        run_url: None,
    }
}

/// Part 10: both projects' broken runs and the Airflow events, in one environment.
pub async fn across_part(out: &mut String) -> Result<()> {
    writeln!(
        out,
        "\n10. Across teams: FP&A's dbt project (finance_reporting) reads jaffle_analytics' marts, and\n    Airflow loads a raw table. The same night, on a fresh Steward and Slack workspace:\n"
    )?;
    let db = TempDb::new()?;
    let mut config = workspace::config()?;
    config.issues.default_environment = "prod".to_owned();
    let app = App::open_with_clock(config, &db.path, std::sync::Arc::new(super::story_clock()))?;
    let mut ws = Workspace::start(app.clone()).await?;
    let result = play(&mut ws, &app, out).await;
    let stopped = ws.stop().await;
    result?;
    stopped
}

fn top_level(ws: &Workspace) -> usize {
    ws.fake
        .all_messages()
        .iter()
        .filter(|m| !m.ephemeral && !m.deleted && m.thread_ts.is_none())
        .count()
}

async fn play(ws: &mut Workspace, app: &App, out: &mut String) -> Result<()> {
    let summary = blocking(app, |app| app.ingest_dbt(broken_run())).await?;
    writeln!(out, "    jaffle_analytics:  {summary}")?;
    ws.drained().await?;
    let before = top_level(ws);
    let summary = blocking(app, |app| app.ingest_dbt(finance_broken_run())).await?;
    writeln!(out, "    finance_reporting: {summary}")?;
    ws.drained().await?;
    let new_for_finance = top_level(ws) - before;
    let summary = blocking(app, |app| {
        app.ingest_openlineage(
            Input::new("demo/openlineage/broken.json", AIRFLOW_BROKEN),
            None,
        )
    })
    .await?;
    writeln!(out, "    Airflow (OpenLineage START, FAIL): {summary}\n")?;
    ws.drained().await?;
    let issues = blocking(app, |app| app.issues(&IssueFilter::default())).await?;
    let on = |suffix: &str, check: &str| -> Result<&Issue> {
        issues
            .iter()
            .find(|i| i.asset.ends_with(suffix) && i.check.starts_with(check))
            .with_context(|| format!("no issue on {suffix} ({check})"))
    };
    let fin = on("fin_revenue_daily", "run")?;
    let root_id = fin
        .symptom_of
        .context("finance_reporting's error should be a symptom")?;
    let root = issues
        .iter()
        .find(|i| i.id == root_id)
        .context("the root issue")?;
    let impact = app.impact(None, &root.asset)?;
    writeln!(
        out,
        "    ROOT {} (#{}) explains #{} {} in finance_reporting",
        root.asset,
        root.id,
        fin.id,
        short_name(&fin.asset)
    )?;
    writeln!(
        out,
        "      projects reached: {}",
        impact.projects.join(", ")
    )?;
    let exposures: Vec<String> = impact
        .impact
        .exposures
        .iter()
        .map(|e| short_name(e))
        .collect();
    writeln!(out, "      exposures:        {}", exposures.join(", "))?;
    writeln!(
        out,
        "      tell:             {}",
        impact.impact.owners.join(", ")
    )?;
    writeln!(
        out,
        "      Slack: {} new top-level message(s) for finance_reporting's error; it joined #{}'s alert.\n",
        new_for_finance, root.id
    )?;
    let job = on("load_marketing.load_ad_spend", "job")?;
    let explained: Vec<String> = issues
        .iter()
        .filter(|i| i.symptom_of == Some(job.id))
        .map(|i| format!("#{} {} on {}", i.id, i.check, short_name(&i.asset)))
        .collect();
    writeln!(
        out,
        "    ROOT Airflow {} (#{}, {}) explains: {}",
        short_name(&job.asset),
        job.id,
        job.message
            .as_deref()
            .unwrap_or("")
            .lines()
            .next()
            .unwrap_or(""),
        explained.join(", ")
    )?;
    let channels: Vec<&str> = workspace::CHANNELS.iter().map(|(id, _)| *id).collect();
    let transcript =
        super::render_transcript(&channels, &ws.fake.all_messages(), &ws.notes, &ws.names);
    writeln!(out, "\n    Slack after that night:\n")?;
    for line in transcript.lines() {
        writeln!(out, "    {line}")?;
    }
    Ok(())
}
