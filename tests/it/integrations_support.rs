//! The rig shared by the integration tests: an App on a manual clock with strict fakes of
//! PagerDuty, incident.io, Opsgenie and a webhook receiver (port 0), whose delivery-worker passes
//! are run by hand, so retries come due only when the clock moves.

use crate::support::demo_artifact;
use std::collections::HashMap;
use std::sync::Arc;
use steward::app::App;
use steward::clock::{Clock, ManualClock};
use steward::config::Config;
use steward::domain::incidents::Declaration;
use steward::faces::integrations::fake::{FakeVendors, Keys};
use steward::faces::integrations::http::Http;
use steward::faces::integrations::{Secrets, pass};

const PD_KEY: &str = "0123456789abcdef0123456789abcdef";

pub(crate) struct Rig {
    pub(crate) app: App,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) fake: FakeVendors,
    pub(crate) http: Http,
    pub(crate) secrets: Secrets,
    dir: tempfile::TempDir,
    pub(crate) config: Config,
}

pub(crate) fn keys(clock: &Arc<ManualClock>, skew: i64) -> Keys {
    let c = clock.clone();
    Keys {
        pagerduty_routing_key: PD_KEY.into(),
        incidentio_token: "inc-token".into(),
        incidentio_source: "01HSOURCE".into(),
        opsgenie_key: "genie-key".into(),
        webhook_secret: "whsec-1".into(),
        jira_email: String::new(),
        jira_token: String::new(),
        jira_project: String::new(),
        linear_key: "lin_api_key".into(),
        linear_team: "team-1".into(),
        now: Arc::new(move || c.now().timestamp() + skew),
    }
}

pub(crate) fn secrets() -> Secrets {
    let map: HashMap<&str, &str> = [
        ("PD_KEY", PD_KEY),
        ("INC_TOKEN", "inc-token"),
        ("GENIE_KEY", "genie-key"),
        ("WH_SECRET", "whsec-1"),
        ("WH_WRONG", "not-the-secret"),
    ]
    .into();
    Arc::new(move |v: &str| map.get(v).map(|s| s.to_string()))
}

impl Rig {
    /// `targets` is TOML with `{url}` standing for the fakes' base URL.
    pub(crate) async fn start(targets: &str) -> Rig {
        let start = steward::faces::demo::story_clock().now();
        let clock = Arc::new(ManualClock::new(start));
        let fake = FakeVendors::start(keys(&clock, 0)).await.unwrap();
        let text = targets.replace("{url}", &fake.url());
        let config = Config::parse("steward.toml", &text).expect("config");
        let dir = tempfile::tempdir().unwrap();
        let app =
            App::open_with_clock(config.clone(), &dir.path().join("s.db"), clock.clone()).unwrap();
        Rig {
            app,
            clock,
            fake,
            http: Http::new(std::time::Duration::from_secs(5)).unwrap(),
            secrets: secrets(),
            dir,
            config,
        }
    }

    pub(crate) fn db(&self) -> std::path::PathBuf {
        self.dir.path().join("s.db")
    }

    /// A new App on the same database file (a restart).
    pub(crate) fn restart(&mut self) {
        self.app =
            App::open_with_clock(self.config.clone(), &self.db(), self.clock.clone()).unwrap();
    }

    pub(crate) async fn pass(&self) -> usize {
        pass(&self.app, &self.http, &self.secrets).await.unwrap()
    }

    /// Passes until nothing is due now.
    pub(crate) async fn drain(&self) {
        for _ in 0..20 {
            if self.pass().await == 0 {
                return;
            }
        }
        panic!("deliveries keep coming");
    }

    pub(crate) async fn blocking<R: Send + 'static>(
        &self,
        f: impl FnOnce(App) -> R + Send + 'static,
    ) -> R {
        let app = self.app.clone();
        tokio::task::spawn_blocking(move || f(app)).await.unwrap()
    }

    pub(crate) async fn ingest(&self, run: &str) {
        let run = run.to_owned();
        self.blocking(move |app| {
            let read =
                |f: &str| Some(steward::app::ingest::Input::read(&demo_artifact(&run, f)).unwrap());
            app.ingest_dbt(steward::app::ingest::DbtArtifacts {
                manifest: read("manifest.json"),
                run_results: read("run_results.json"),
                sources: read("sources.json"),
                env: None,
                allow_empty: false,
                run_url: None,
            })
            .unwrap()
        })
        .await;
    }

    pub(crate) async fn declare(&self, issues: Vec<i64>, severity: &str) -> i64 {
        let severity = severity.to_owned();
        self.blocking(move |app| {
            app.declare(
                Declaration {
                    title: "Revenue dashboard is stale".into(),
                    description: None,
                    severity,
                    commander: Some("ana@example.com".into()),
                    issues,
                    declared_by: "ana@example.com".into(),
                },
                &steward::domain::access::Actor::admin("ana@example.com"),
            )
            .unwrap()
            .number
        })
        .await
    }

    pub(crate) fn deliveries(&self) -> Vec<steward::store::deliveries::Delivery> {
        self.app.outbox().unwrap().deliveries
    }

    pub(crate) fn all_deliveries(&self) -> Vec<(String, String, String, String)> {
        self.app
            .store
            .read(|c| {
                let mut stmt = c.prepare(
                    "SELECT target, action, dedup_key, state FROM deliveries ORDER BY id",
                )?;
                let rows =
                    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })
            .unwrap()
    }

    pub(crate) fn root_issues(&self) -> Vec<steward::domain::issues::Issue> {
        self.app
            .issues(&Default::default())
            .unwrap()
            .into_iter()
            .filter(|i| i.is_root() && i.status != "resolved")
            .collect()
    }
}

/// Steward never queued two triggers in a row for one target and key.
pub(crate) fn no_double_trigger(rows: &[(String, String, String, String)]) {
    let mut last: HashMap<(&str, &str), &str> = HashMap::new();
    for (target, action, key, _) in rows {
        if action == "notify" {
            continue;
        }
        let prev = last.insert((target, key), action);
        assert!(
            !(action == "trigger" && matches!(prev, Some("trigger" | "acknowledge"))),
            "a second trigger for {target} {key}: {rows:#?}"
        );
    }
}
