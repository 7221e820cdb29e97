//! The dead man's switch at work: each pass reads when every `[[expect]]`'s last run arrived and
//! feeds the engine a failing or passing `no_recent_run` observation (one ingest, so the issue,
//! its outbox item and its alert go out like any other); and the task that runs a pass a minute.

use crate::app::App;
use crate::domain::expect::{self, Verdict, Watch};
use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// How often the task looks (and at most how late an overdue run is noticed).
pub const POLL: std::time::Duration = std::time::Duration::from_secs(60);

/// One watch after a pass.
#[derive(Debug, Clone, Serialize)]
pub struct ExpectStatus {
    #[serde(flatten)]
    pub watch: Watch,
    pub last_run: Option<String>,
    pub verdict: Verdict,
    /// The issue opened or recovered by this pass.
    pub issue: Option<i64>,
}

impl App {
    /// One pass over `[[expect]]` at the clock's now; the server has watched since
    /// `watching_since` (an expectation never met is overdue a window after that).
    pub fn check_expectations(&self, watching_since: DateTime<Utc>) -> Result<Vec<ExpectStatus>> {
        let default_env = &self.config.issues.default_environment;
        let mut out = Vec::new();
        for w in self
            .config
            .expect
            .iter()
            .filter_map(|e| Watch::new(e, default_env))
        {
            let now = self.clock.now();
            let (last_run, open) = self.store.read(|c| {
                Ok((
                    expect::last_run(c, &w, now - w.every)?,
                    expect::open_issue(c, &w)?,
                ))
            })?;
            let verdict =
                expect::judge(&w, last_run.as_deref(), open.is_some(), watching_since, now);
            let known = self.lineage.env(Some(&w.env)).resolve(&w.asset).is_some();
            let mut issue = None;
            if let Some(o) = expect::observation(&w, verdict, known, now) {
                let start = std::time::Instant::now();
                let batch = super::ingest::Observed {
                    kind: "expect",
                    env: Some(w.env.clone()),
                    observations: vec![o],
                    by: super::ingest::Pusher::new("steward", None),
                };
                let summary = super::ingest::ingest_observed(
                    &self.store,
                    &self.lineage,
                    &self.config,
                    batch,
                    now,
                );
                let summary = self.signal(super::counted("expect", start, summary))?;
                let a = &summary.applied;
                issue = a
                    .opened
                    .iter()
                    .chain(&a.reopened)
                    .chain(&a.recovered)
                    .chain(&a.recovering)
                    .next()
                    .copied()
                    .or(open);
                tracing::info!(what = w.what, env = w.env, ?verdict, ?issue, "expected run");
            }
            out.push(ExpectStatus {
                watch: w,
                last_run,
                verdict,
                issue,
            });
        }
        Ok(out)
    }
}

/// The task: a pass every [`POLL`] (and whenever a manual clock moves), until aborted; nothing
/// without `[[expect]]`. The watch starts when this is called, not when the task is first
/// polled: a clock that moves in between must not move the start along with it.
pub fn run_expectations(app: App) -> impl std::future::Future<Output = ()> + Send {
    let since = app.clock.now();
    watch(app, since)
}

async fn watch(app: App, since: chrono::DateTime<chrono::Utc>) {
    if app.config.expect.is_empty() {
        return;
    }
    let clock = app.clock.clone();
    loop {
        let moved = clock.moved().map(|n| n.notified());
        let pass = app.clone();
        match tokio::task::spawn_blocking(move || pass.check_expectations(since)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(error = format!("{e:#}"), "expected runs not checked"),
            Err(e) => tracing::error!(error = %e, "expected runs check panicked"),
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = async {
                match moved {
                    Some(n) => n.await,
                    None => std::future::pending().await,
                }
            } => {}
        }
    }
}
