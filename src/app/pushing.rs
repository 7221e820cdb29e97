//! Ingests recorded with who pushed them: [`App::pushed_by`] hands out a [`Pushing`], whose
//! methods are the ingests of [`App`], each recorded on the `ingests` row with its [`Pusher`].

use super::ingest::{self, DbtArtifacts, IngestSummary, Input, Pusher};
use super::{App, counted};
use anyhow::Result;

/// [`App`]'s ingests, recorded as pushed by someone (see [`App::pushed_by`]).
pub struct Pushing<'a> {
    pub(super) app: &'a App,
    pub(super) by: Pusher,
}

impl Pushing<'_> {
    /// Runs one ingest with the app's parts, who pushed it and the time, counted as `source`
    /// (`None`: not counted, as a job run's is by its caller's ingest).
    fn run(
        self,
        source: Option<&str>,
        ingest: impl FnOnce(&App, Pusher, chrono::DateTime<chrono::Utc>) -> Result<IngestSummary>,
    ) -> Result<IngestSummary> {
        let (app, start) = (self.app, std::time::Instant::now());
        let s = ingest(app, self.by, app.clock.now());
        match source {
            Some(source) => app.signal(counted(source, start, s)),
            None => app.signal(s),
        }
    }

    pub fn ingest_dbt(self, artifacts: DbtArtifacts) -> Result<IngestSummary> {
        self.run(Some("dbt"), |app, by, now| {
            ingest::ingest_dbt(&app.store, &app.lineage, &app.config, artifacts, by, now)
        })
    }

    pub fn ingest_alerts(self, input: Input, env: Option<String>) -> Result<IngestSummary> {
        self.run(Some("alert"), |app, by, now| {
            ingest::ingest_alerts(&app.store, &app.lineage, &app.config, input, env, by, now)
        })
    }

    pub fn ingest_openlineage(self, input: Input, env: Option<String>) -> Result<IngestSummary> {
        self.run(Some("openlineage"), |app, by, now| {
            ingest::ingest_openlineage(&app.store, &app.lineage, &app.config, input, env, by, now)
        })
    }

    pub fn ingest_job_run(self, run: ingest::JobRun) -> Result<IngestSummary> {
        self.run(None, |app, by, now| {
            ingest::ingest_job_run(&app.store, &app.lineage, &app.config, run, by, now)
        })
    }
}
