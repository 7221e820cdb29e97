//! Deliveries to the integrations against strict fakes of PagerDuty, incident.io, Opsgenie and a
//! webhook receiver (port 0), on a manual clock: the demo project's broken run opens issues, an
//! incident is declared, acknowledged and resolved, the healthy run recovers everything. Passes
//! of the delivery worker are run by hand, so retries come due only when the clock moves.

use crate::support::{demo_artifact, stderr, stdout, steward};
use serde_json::Value;
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
    config: Config,
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

    fn db(&self) -> std::path::PathBuf {
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
    async fn drain(&self) {
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

    fn deliveries(&self) -> Vec<steward::store::deliveries::Delivery> {
        self.app.outbox().unwrap().deliveries
    }

    fn all_deliveries(&self) -> Vec<(String, String, String, String)> {
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

    fn root_issues(&self) -> Vec<steward::domain::issues::Issue> {
        self.app
            .issues(&Default::default())
            .unwrap()
            .into_iter()
            .filter(|i| i.is_root() && i.status != "resolved")
            .collect()
    }
}

/// Steward never queued two triggers in a row for one target and key.
fn no_double_trigger(rows: &[(String, String, String, String)]) {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagerduty_trigger_acknowledge_resolve_round_trip() {
    let rig = Rig::start(
        r#"
[[pagerduty]]
name = "primary"
routing_key_env = "PD_KEY"
url = "{url}/v2/enqueue"
on = ["alerts", "incidents"]
"#,
    )
    .await;
    rig.ingest("broken").await;
    let roots = rig.root_issues();
    assert!(!roots.is_empty());
    rig.drain().await;
    let groups: std::collections::BTreeSet<String> = roots
        .iter()
        .map(|i| format!("steward-alert-{}-{}", i.env, i.asset))
        .collect();
    {
        let s = rig.fake.state.lock().unwrap();
        assert_eq!(
            s.pagerduty.len(),
            groups.len(),
            "one alert per root-cause group: {:?}",
            s.pagerduty.keys()
        );
        for key in &groups {
            let a = &s.pagerduty[key];
            assert_eq!((a.status.as_str(), a.triggers), ("triggered", 1), "{key}");
            let p = &a.last["payload"];
            assert!(
                matches!(p["severity"].as_str(), Some("error" | "warning")),
                "{p}"
            );
            assert!(p["component"].is_string() && p["class"].is_string(), "{p}");
            assert!(p["custom_details"]["owners"].is_array(), "{p}");
            assert_eq!(a.last["client"], "Steward");
        }
        assert!(s.received.iter().all(|r| r.status == 202));
    }
    // Someone acknowledges the first root: its group's alert is acknowledged.
    let first = roots[0].clone();
    let id = first.id;
    rig.blocking(move |app| app.assign(id, "ana@example.com", "ana").unwrap())
        .await;
    rig.drain().await;
    let first_key = format!("steward-alert-{}-{}", first.env, first.asset);
    assert_eq!(
        rig.fake.state.lock().unwrap().pagerduty[&first_key].status,
        "acknowledged"
    );

    // An incident pages on its own key, as critical for SEV1.
    let ids: Vec<i64> = roots.iter().map(|i| i.id).collect();
    let n = rig.declare(ids, "SEV1").await;
    rig.drain().await;
    let inc_key = format!("steward-incident-{n}");
    {
        let s = rig.fake.state.lock().unwrap();
        let a = &s.pagerduty[&inc_key];
        assert_eq!((a.status.as_str(), a.triggers), ("triggered", 1));
        assert_eq!(a.last["payload"]["severity"], "critical");
        assert!(
            a.last["payload"]["summary"]
                .as_str()
                .unwrap()
                .starts_with(&format!("INC-{n} SEV1"))
        );
    }
    rig.blocking(move |app| {
        app.incident_status(
            n,
            "identified",
            &steward::domain::access::Actor::admin("ana"),
            None,
            None,
        )
        .unwrap()
    })
    .await;
    rig.drain().await;
    assert_eq!(
        rig.fake.state.lock().unwrap().pagerduty[&inc_key].status,
        "acknowledged"
    );
    rig.blocking(move |app| {
        app.incident_status(
            n,
            "resolved",
            &steward::domain::access::Actor::admin("ana"),
            Some("fixed the join"),
            Some("code_change"),
        )
        .unwrap()
    })
    .await;
    // The healthy run recovers every issue: every alert group resolves.
    rig.ingest("healthy").await;
    rig.drain().await;
    {
        let s = rig.fake.state.lock().unwrap();
        for (key, a) in &s.pagerduty {
            assert_eq!(
                (a.status.as_str(), a.opened),
                ("resolved", 1),
                "{key}: {:?}",
                a.actions
            );
        }
    }
    no_double_trigger(&rig.all_deliveries());
    assert!(
        rig.deliveries().is_empty(),
        "all done: {:#?}",
        rig.deliveries()
    );

    // The incident shows its deliveries and the page is on its timeline.
    let inc = rig.app.incident_deliveries(n).unwrap();
    let actions: Vec<&str> = inc.iter().map(|d| d.action.as_str()).collect();
    assert_eq!(actions, ["trigger", "acknowledge", "resolve"]);
    assert!(inc.iter().all(
        |d| d.state == "done" && d.response.as_ref().unwrap()["dedup_key"] == inc_key.as_str()
    ));
    let timeline = rig.app.incident_timeline(n).unwrap();
    let notified: Vec<&Value> = timeline
        .iter()
        .filter(|e| e.kind == "notified")
        .map(|e| &e.detail)
        .collect();
    assert!(
        notified
            .iter()
            .any(|d| d["via"] == "PagerDuty" && d["what"] == "paged"),
        "{notified:?}"
    );
    // The CLI shows each target's delivery state; the report says who was paged.
    let db = rig.db();
    let label = format!("INC-{n}");
    let shown: Value = serde_json::from_str(&crate::support::steward_ok(
        &db,
        &["incident", &label, "--json"],
    ))
    .unwrap();
    let states: Vec<(&str, &str, &str)> = shown["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["target"].as_str().unwrap(),
                d["action"].as_str().unwrap(),
                d["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("primary", "trigger", "done"),
            ("primary", "acknowledge", "done"),
            ("primary", "resolve", "done")
        ]
    );
    let report = crate::support::steward_ok(&db, &["postmortem", &label]);
    assert!(report.contains("paged via PagerDuty (primary)"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dedup_across_redelivery_and_restart() {
    let mut rig = Rig::start(
        r#"
[[pagerduty]]
name = "primary"
routing_key_env = "PD_KEY"
url = "{url}/v2/enqueue"
on = ["alerts"]
"#,
    )
    .await;
    // Written by one process, sent by the next.
    rig.ingest("broken").await;
    let queued = rig.deliveries().len();
    assert!(queued > 0);
    rig.restart();
    assert_eq!(
        rig.deliveries().len(),
        queued,
        "nothing lost across the restart"
    );
    rig.drain().await;
    // The same run sent again, and a later run failing the same checks: no new trigger.
    rig.ingest("broken").await;
    rig.clock.advance(chrono::Duration::minutes(10));
    rig.drain().await;
    let triggers_before: u32 = rig
        .fake
        .state
        .lock()
        .unwrap()
        .pagerduty
        .values()
        .map(|a| a.triggers)
        .sum();
    assert_eq!(triggers_before as usize, queued);
    // A crash after PagerDuty accepted a trigger but before it was marked done: the restarted
    // worker sends it again, and PagerDuty folds it into the open alert by its dedup key.
    rig.blocking(|app| {
        app.store
            .write(|tx| {
                tx.execute("UPDATE deliveries SET state = 'pending' WHERE id = 1", [])?;
                Ok(())
            })
            .unwrap()
    })
    .await;
    rig.restart();
    rig.drain().await;
    let s = rig.fake.state.lock().unwrap();
    assert!(
        s.pagerduty
            .values()
            .all(|a| a.opened == 1 && a.status == "triggered"),
        "{:?}",
        s.pagerduty
    );
    assert_eq!(
        s.pagerduty.values().map(|a| a.triggers).sum::<u32>() as usize,
        queued + 1
    );
    drop(s);
    no_double_trigger(&rig.all_deliveries());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_storm_and_5xx_then_recovery() {
    let rig = Rig::start(
        r#"
[integrations]
retry_base = "1s"
max_delay = "1m"

[[pagerduty]]
name = "primary"
routing_key_env = "PD_KEY"
url = "{url}/v2/enqueue"
"#,
    )
    .await;
    rig.ingest("broken").await;
    assert!(
        rig.deliveries().is_empty(),
        "pagers hear incidents only by default"
    );
    rig.fake.fail_next(2, 429, Some(30));
    rig.fake.fail_next(2, 503, None);
    let n = rig.declare(vec![1], "SEV2").await;
    let t0 = rig.clock.now();
    assert_eq!(rig.pass().await, 1);
    let d = &rig.deliveries()[0];
    assert_eq!((d.state.as_str(), d.attempts), ("pending", 1));
    assert!(d.last_error.as_deref().unwrap().contains("429"), "{d:?}");
    // Retry-After is honoured: nothing is due before it.
    assert_eq!(
        d.next_attempt_at,
        steward::clock::ts(t0 + chrono::Duration::seconds(30))
    );
    rig.clock.advance(chrono::Duration::seconds(29));
    assert_eq!(rig.pass().await, 0);
    rig.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(rig.pass().await, 1);
    rig.clock.advance(chrono::Duration::seconds(30));
    assert_eq!(rig.pass().await, 1, "the second 503 fault");
    let d = &rig.deliveries()[0];
    assert_eq!(d.attempts, 3);
    assert!(d.last_error.as_deref().unwrap().contains("503"));
    // Backoff: at most 4s (1s doubled twice), at least half of it.
    let next = chrono::DateTime::parse_from_rfc3339(&d.next_attempt_at).unwrap();
    let wait = next.with_timezone(&chrono::Utc) - rig.clock.now();
    assert!(
        wait >= chrono::Duration::seconds(2) && wait <= chrono::Duration::seconds(4),
        "{wait:?}"
    );
    rig.clock.advance(chrono::Duration::seconds(4));
    assert_eq!(rig.pass().await, 1);
    rig.clock.advance(chrono::Duration::seconds(8));
    assert_eq!(rig.pass().await, 1);
    assert!(
        rig.deliveries().is_empty(),
        "delivered: {:?}",
        rig.deliveries()
    );
    let done = rig.app.incident_deliveries(n).unwrap();
    assert_eq!((done[0].state.as_str(), done[0].attempts), ("done", 5));
    let s = rig.fake.state.lock().unwrap();
    assert_eq!(s.pagerduty[&format!("steward-incident-{n}")].opened, 1);
    assert_eq!(s.received.iter().filter(|r| r.status == 429).count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_then_steward_outbox_retry() {
    let rig = Rig::start(
        r#"
[integrations]
max_attempts = 2
retry_base = "1s"

[[pagerduty]]
name = "primary"
routing_key_env = "PD_KEY"
url = "{url}/v2/enqueue"
"#,
    )
    .await;
    rig.ingest("broken").await;
    rig.fake.fail_next(2, 500, None);
    let n = rig.declare(vec![1], "SEV2").await;
    rig.pass().await;
    rig.clock.advance(chrono::Duration::seconds(5));
    rig.pass().await;
    let d = rig.deliveries();
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].state.as_str(), d[0].attempts), ("dead", 2));
    let db = rig.db();
    let listed: Value =
        serde_json::from_str(&crate::support::steward_ok(&db, &["outbox", "--json"])).unwrap();
    assert_eq!(listed["deliveries"][0]["state"], "dead");
    assert!(
        listed["deliveries"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("500")
    );
    let text = crate::support::steward_ok(&db, &["outbox"]);
    assert!(
        text.contains("dead") && text.contains("primary") && text.contains(&format!("INC-{n}")),
        "{text}"
    );
    // Only dead deliveries can be retried; an unknown one is named.
    let out = steward(&db, &["outbox", "retry", "99"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("delivery 99"));
    let id = d[0].id.to_string();
    let out = steward(&db, &["outbox", "retry", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("1 delivery pending again"));
    rig.clock.advance(chrono::Duration::minutes(5));
    assert_eq!(rig.pass().await, 1);
    assert!(rig.deliveries().is_empty());
    assert_eq!(
        rig.fake.state.lock().unwrap().pagerduty[&format!("steward-incident-{n}")].opened,
        1
    );
    let listed: Value =
        serde_json::from_str(&crate::support::steward_ok(&db, &["outbox", "--json"])).unwrap();
    assert_eq!(listed["deliveries"], serde_json::json!([]));
    assert!(
        listed["slack_pending"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["topic"].is_string())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_signed_and_checked_by_the_receiver() {
    let rig = Rig::start(
        r#"
[[webhooks]]
name = "audit"
url = "{url}/hooks/audit"
secret_env = "WH_SECRET"

[[webhooks]]
name = "incidents-only"
url = "{url}/hooks/incidents"
secret_env = "WH_SECRET"
events = ["incident.declared", "incident.resolved"]

[[webhooks]]
name = "misconfigured"
url = "{url}/hooks/bad"
secret_env = "WH_WRONG"
events = ["incident.declared"]
"#,
    )
    .await;
    rig.ingest("broken").await;
    let n = rig.declare(vec![1], "SEV3").await;
    rig.blocking(move |app| {
        app.incident_status(
            n,
            "resolved",
            &steward::domain::access::Actor::admin("ana"),
            Some("fixed"),
            Some("code_change"),
        )
        .unwrap()
    })
    .await;
    rig.drain().await;
    let s = rig.fake.state.lock().unwrap();
    let types: Vec<&str> = s
        .webhooks
        .iter()
        .map(|(_, v)| v["type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"issue.opened")
            && types.contains(&"incident.declared")
            && types.contains(&"incident.resolved"),
        "{types:?}"
    );
    for (id, v) in &s.webhooks {
        assert_eq!(v["version"], 1);
        assert_eq!(
            v["id"].as_str(),
            Some(id.as_str()),
            "the body's id is the Steward-Event-Id"
        );
        assert!(v["created_at"].is_string() && v["links"].is_object());
    }
    // The filtered hook got only what it asked for (its events share ids with the audit hook's).
    let to_incidents: Vec<&str> = s
        .received
        .iter()
        .filter(|r| r.path == "/hooks/incidents")
        .map(|r| r.body["type"].as_str().unwrap())
        .collect();
    assert_eq!(to_incidents, ["incident.declared", "incident.resolved"]);
    // A wrong secret fails the receiver's check: refused for good, not retried.
    assert!(
        s.received
            .iter()
            .any(|r| r.path == "/hooks/bad" && r.status == 401)
    );
    drop(s);
    let dead = rig.deliveries();
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert_eq!(
        (
            dead[0].target.as_str(),
            dead[0].state.as_str(),
            dead[0].attempts
        ),
        ("misconfigured", "dead", 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_signature_is_refused_by_the_receiver() {
    // The receiver's clock is six minutes ahead of Steward's: outside the 5-minute window.
    let rig = Rig::start(
        r#"
[[webhooks]]
name = "late"
url = "{url}/hooks/late"
secret_env = "WH_SECRET"
"#,
    )
    .await;
    let skewed = FakeVendors::start(keys(&rig.clock, 360)).await.unwrap();
    let mut cfg = rig.config.clone();
    cfg.webhooks[0].url = Some(format!("{}/hooks/late", skewed.url()));
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_with_clock(cfg, &dir.path().join("s.db"), rig.clock.clone()).unwrap();
    let n = tokio::task::spawn_blocking({
        let app = app.clone();
        move || {
            app.declare(
                Declaration {
                    title: "t".into(),
                    description: None,
                    severity: "SEV3".into(),
                    commander: None,
                    issues: vec![],
                    declared_by: "ana".into(),
                },
                &steward::domain::access::Actor::admin("ana"),
            )
            .unwrap()
            .number
        }
    })
    .await
    .unwrap();
    pass(&app, &rig.http, &rig.secrets).await.unwrap();
    let s = skewed.state.lock().unwrap();
    assert!(s.webhooks.is_empty());
    assert_eq!(s.received.len(), 1);
    assert_eq!(s.received[0].status, 401);
    let d = app.incident_deliveries(n).unwrap();
    assert!(
        d[0].last_error
            .as_deref()
            .unwrap()
            .contains("5-minute window"),
        "{d:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incidentio_and_opsgenie_round_trips() {
    let rig = Rig::start(
        r#"
[[incidentio]]
name = "incident-io"
url = "{url}"
token_env = "INC_TOKEN"
alert_source_config_id = "01HSOURCE"

[[opsgenie]]
name = "genie"
url = "{url}"
token_env = "GENIE_KEY"
"#,
    )
    .await;
    rig.ingest("broken").await;
    let n = rig.declare(vec![1], "SEV1").await;
    rig.drain().await;
    let key = format!("steward-incident-{n}");
    {
        let s = rig.fake.state.lock().unwrap();
        let i = &s.incidentio[&key];
        assert_eq!((i.status.as_str(), i.opened), ("firing", 1));
        assert!(i.last["title"].as_str().unwrap().contains("SEV1"));
        assert!(i.last["metadata"].is_object());
        let o = &s.opsgenie[&key];
        assert_eq!((o.status.as_str(), o.opened), ("open", 1));
        assert_eq!(o.last["priority"], "P1");
    }
    rig.blocking(move |app| {
        app.incident_status(
            n,
            "monitoring",
            &steward::domain::access::Actor::admin("ana"),
            None,
            None,
        )
        .unwrap()
    })
    .await;
    rig.drain().await;
    {
        let s = rig.fake.state.lock().unwrap();
        assert_eq!(s.opsgenie[&key].status, "acknowledged");
        assert_eq!(
            s.incidentio[&key].status, "firing",
            "incident.io has no acknowledge"
        );
    }
    rig.blocking(move |app| {
        app.incident_status(
            n,
            "resolved",
            &steward::domain::access::Actor::admin("ana"),
            Some("fixed"),
            Some("code_change"),
        )
        .unwrap()
    })
    .await;
    rig.drain().await;
    {
        let s = rig.fake.state.lock().unwrap();
        assert_eq!(s.incidentio[&key].status, "resolved");
        assert_eq!(s.opsgenie[&key].status, "closed");
        assert_eq!(s.opsgenie[&key].actions, ["create", "acknowledge", "close"]);
    }
    let inc = rig.app.incident_deliveries(n).unwrap();
    let genie_ids: Vec<&Value> = inc
        .iter()
        .filter(|d| d.target == "genie")
        .map(|d| &d.response.as_ref().unwrap()["request_id"])
        .collect();
    assert!(genie_ids.iter().all(|v| v.is_string()), "{genie_ids:?}");
    // Reopened, it pages again.
    rig.blocking(move |app| {
        app.incident_status(
            n,
            "investigating",
            &steward::domain::access::Actor::admin("ana"),
            None,
            None,
        )
        .unwrap()
    })
    .await;
    rig.drain().await;
    let s = rig.fake.state.lock().unwrap();
    assert_eq!(
        (
            s.incidentio[&key].status.as_str(),
            s.incidentio[&key].opened
        ),
        ("firing", 2)
    );
    assert_eq!(
        (s.opsgenie[&key].status.as_str(), s.opsgenie[&key].opened),
        ("open", 2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_pick_the_targets() {
    let rig = Rig::start(
        r#"
[[pagerduty]]
name = "sev1-only"
routing_key_env = "PD_KEY"
url = "{url}/v2/enqueue"
severity = ["SEV1"]

[[pagerduty]]
name = "other-env"
routing_key_env = "PD_KEY"
url = "{url}/v2/enqueue"
env = ["staging"]
on = ["alerts", "incidents"]

[[webhooks]]
name = "alerts-hook"
url = "{url}/hooks/a"
secret_env = "WH_SECRET"
on = ["alerts"]
"#,
    )
    .await;
    rig.ingest("broken").await;
    rig.declare(vec![1], "SEV2").await;
    let rows = rig.all_deliveries();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|(t, ..)| t == "alerts-hook"), "{rows:#?}");
    rig.declare(vec![], "SEV1").await;
    let rows = rig.all_deliveries();
    assert_eq!(rows.iter().filter(|(t, ..)| t == "sev1-only").count(), 1);
    assert!(!rows.iter().any(|(t, ..)| t == "other-env"));
}

#[test]
fn bad_target_config_is_refused_with_one_line() {
    for (toml, says) in [
        (
            "[[pagerduty]]\nname = \"p\"\n",
            "routing_key_env is required",
        ),
        (
            "[[pagerduty]]\nname = \"p\"\nrouting_key_env = \"R0123456789\"\nsecret_env = \"X\"\n",
            "secret_env does not apply",
        ),
        (
            "[[webhooks]]\nname = \"w\"\nsecret_env = \"S\"\n",
            "url is required",
        ),
        (
            "[[webhooks]]\nname = \"w\"\nurl = \"https://x\"\nsecret_env = \"S\"\nevents = [\"issue.exploded\"]\n",
            "event \"issue.exploded\"",
        ),
        (
            "[[opsgenie]]\nname = \"o\"\ntoken_env = \"abc-123 secret\"\n",
            "not an environment variable name",
        ),
        (
            "[[opsgenie]]\nname = \"o\"\ntoken_env = \"K\"\n[[webhooks]]\nname = \"O\"\nurl = \"https://x\"\nsecret_env = \"S\"\n",
            "another target has this name",
        ),
        (
            "[[pagerduty]]\nname = \"p\"\nrouting_key_env = \"K\"\non = [\"pages\"]\n",
            "on \"pages\"",
        ),
        (
            "[[pagerduty]]\nname = \"p\"\nrouting_key_env = \"K\"\nurl = \"ftp://x\"\n",
            "must start with https://",
        ),
        ("[integrations]\nmax_attempts = 0\n", "max_attempts"),
    ] {
        let err = Config::parse("steward.toml", toml)
            .expect_err(toml)
            .to_string();
        assert!(err.contains(says), "{toml}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("steward.toml"), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_incident_message_shows_the_page_and_one_jira_ticket_from_its_button() {
    use crate::support::{INCIDENTS, TestBot};
    let clock = Arc::new(steward::faces::demo::story_clock());
    let vendor_clock = Arc::new(ManualClock::new(clock.now()));
    let mut k = keys(&vendor_clock, 0);
    k.jira_email = "bot@example.com".into();
    k.jira_token = "jira-token".into();
    k.jira_project = "DATA".into();
    let fake = FakeVendors::start(k).await.unwrap();
    let url = format!("{}/v2/enqueue", fake.url());
    let jira_url = fake.url();
    let bot = TestBot::start_configured(
        Vec::new(),
        move |c| {
            c.pagerduty = vec![steward::config::TargetConfig {
                name: "primary".into(),
                routing_key_env: Some("PD_KEY".into()),
                url: Some(url),
                kind: steward::config::TargetKind::PagerDuty,
                ..Default::default()
            }];
            c.jira = Some(steward::config::integrations::JiraConfig {
                url: jira_url,
                email_env: "JIRA_EMAIL".into(),
                token_env: "JIRA_TOKEN".into(),
                project: "DATA".into(),
                issue_type: "Task".into(),
            });
        },
        clock,
        |_| {},
    )
    .await;
    bot.ingest("broken").await;
    let n = crate::tickets::declare_on(&bot).await;
    let message_text = crate::tickets::incident_blocks;
    bot.until("the incident message", |f| {
        message_text(f).contains(&format!("INC-{n}"))
    })
    .await;
    let http = Http::new(std::time::Duration::from_secs(5)).unwrap();
    assert_eq!(pass(bot.app(), &http, &secrets()).await.unwrap(), 1);
    let sent = fake.state.lock().unwrap().pagerduty[&format!("steward-incident-{n}")]
        .last
        .clone();
    let links = sent["links"].as_array().expect("links back to Slack");
    assert!(
        links[0]["href"]
            .as_str()
            .unwrap()
            .starts_with(&format!("https://slack.com/archives/{INCIDENTS}/p")),
        "{links:?}"
    );
    bot.until("Paged via PagerDuty on the incident message", |f| {
        message_text(f).contains("📟 Paged via PagerDuty")
    })
    .await;

    // "Create Jira issue", pressed twice (a double click): one ticket, shown on the message.
    use steward::faces::slack::fake::{ActionValue, EnvelopeKind, block_action};
    let mut secrets_map: HashMap<&str, &str> = HashMap::new();
    secrets_map.insert("JIRA_EMAIL", "bot@example.com");
    secrets_map.insert("JIRA_TOKEN", "jira-token");
    let jira_secrets: Secrets = Arc::new(move |v: &str| secrets_map.get(v).map(|s| s.to_string()));
    assert!(message_text(&bot.fake).contains("steward.incident.ticket"));
    let inc_ts = bot.top_level(INCIDENTS)[0].ts.clone();
    for _ in 0..2 {
        let press = block_action(
            "U0ANA",
            INCIDENTS,
            &inc_ts,
            "steward.incident.ticket",
            &format!("steward.incident.{n}"),
            ActionValue::Button(n.to_string()),
            &bot.fake.issue_trigger_id(),
        );
        let env = bot
            .fake
            .send_envelope(EnvelopeKind::Interactive, press)
            .await;
        bot.fake
            .wait_for_ack(&env, std::time::Duration::from_secs(5))
            .await
            .expect("acked");
    }
    crate::tickets::deliveries_of(&bot, n, "jira").await;
    let app = bot.app().clone();
    // Let the second press land before sending.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    pass(bot.app(), &http, &jira_secrets).await.unwrap();
    bot.until("the ticket on the incident message", |f| {
        let text = message_text(f);
        text.contains("DATA-1") && !text.contains("steward.incident.ticket")
    })
    .await;
    pass(bot.app(), &http, &jira_secrets).await.unwrap();
    let s = fake.state.lock().unwrap();
    assert_eq!(s.jira.len(), 1, "one ticket for two presses");
    let tickets = app
        .incident_deliveries(n)
        .unwrap()
        .into_iter()
        .filter(|d| d.kind == "jira")
        .count();
    assert_eq!(tickets, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steward_ticket_creates_a_jira_and_a_linear_issue_once() {
    use crate::support::ingest_demo;
    let clock = Arc::new(ManualClock::new(steward::faces::demo::story_clock().now()));
    let fake = FakeVendors::start(crate::tickets::tracker_keys(&clock))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db2 = dir.path().join("s.db");
    let run = crate::tickets::tracker_cli(&fake, dir.path());
    let outputs = tokio::task::spawn_blocking(move || {
        ingest_demo(&db2, "broken");
        let declared = run(
            &["declare", "--title", "Revenue is stale", "--issue", "1"],
            "jira-token",
        );
        assert!(declared.status.success(), "{}", stderr(&declared));
        [
            run(&["ticket", "jira", "INC-1"], "jira-token"),
            run(&["ticket", "jira", "INC-1"], "jira-token"),
            run(&["ticket", "jira", "2"], "wrong-token"),
            run(&["ticket", "asana", "INC-1"], "jira-token"),
            run(&["ticket", "linear", "INC-1"], "jira-token"),
            run(&["ticket", "linear", "INC-1"], "jira-token"),
            run(&["incident", "INC-1", "--json"], "jira-token"),
        ]
    })
    .await
    .unwrap();
    let base = fake.url();
    assert_eq!(
        stdout(&outputs[0]).trim(),
        format!("DATA-1 {base}/browse/DATA-1")
    );
    assert_eq!(
        stdout(&outputs[1]).trim(),
        format!("DATA-1 {base}/browse/DATA-1 (created before)")
    );
    assert!(
        stdout(&outputs[2]).contains("ticket not created yet (dead"),
        "{}",
        stdout(&outputs[2])
    );
    assert_eq!(outputs[3].status.code(), Some(2), "{}", stderr(&outputs[3]));
    assert_eq!(
        stdout(&outputs[4]).trim(),
        "ENG-1 https://linear.app/acme/issue/ENG-1"
    );
    assert!(
        stdout(&outputs[5]).contains("ENG-1 https://linear.app/acme/issue/ENG-1 (created before)")
    );
    let shown: Value = serde_json::from_str(&stdout(&outputs[6])).unwrap();
    let ticket = shown["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "jira")
        .expect("the ticket's delivery")
        .clone();
    assert_eq!(ticket["response"]["key"], "DATA-1");
    let s = fake.state.lock().unwrap();
    assert_eq!(s.jira.len(), 1, "created once");
    assert_eq!(s.linear.len(), 1, "created once");
    let input = &s.linear[0].1;
    assert!(
        input["description"]
            .as_str()
            .unwrap()
            .contains("**Root cause:** model.jaffle_analytics")
    );
    let fields = &s.jira[0].1;
    let text = fields["description"].to_string();
    for part in [
        "Impact: data products",
        "Root cause: model.jaffle_analytics",
        "Owners:",
    ] {
        assert!(text.contains(part), "{part}: {text}");
    }
    assert_eq!(fields["issuetype"]["name"], "Task");
    assert!(
        fields["summary"]
            .as_str()
            .unwrap()
            .starts_with("INC-1 SEV3: Revenue is stale")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_asks_for_its_jira_ticket_once_and_shows_it() {
    use crate::support::{ALERTS, TestBot};
    use steward::faces::slack::fake::{ActionValue, EnvelopeKind, block_action};
    let clock = Arc::new(steward::faces::demo::story_clock());
    let vendor_clock = Arc::new(ManualClock::new(clock.now()));
    let mut k = keys(&vendor_clock, 0);
    k.jira_email = "bot@example.com".into();
    k.jira_token = "jira-token".into();
    k.jira_project = "DATA".into();
    let fake = FakeVendors::start(k).await.unwrap();
    let jira_url = fake.url();
    let bot = TestBot::start_configured(
        Vec::new(),
        move |c| {
            c.jira = Some(steward::config::integrations::JiraConfig {
                url: jira_url,
                email_env: "JIRA_EMAIL".into(),
                token_env: "JIRA_TOKEN".into(),
                project: "DATA".into(),
                issue_type: "Task".into(),
            });
        },
        clock,
        |_| {},
    )
    .await;
    bot.ingest("broken").await;
    crate::slack_bot::outbox_drained(&bot).await;
    let (channel, ts) = crate::slack_bot::alert_of(&bot, 1);
    let alert_text = |f: &steward::faces::slack::fake::FakeSlack| {
        f.messages(&channel)
            .into_iter()
            .find(|m| m.ts == ts)
            .and_then(|m| m.blocks.map(|b| b.to_string()))
            .unwrap_or_default()
    };
    assert!(alert_text(&bot.fake).contains("steward.ticket.jira"));
    let alerts_before = bot.top_level(ALERTS).len();
    assert!(
        !alert_text(&bot.fake).contains("steward.ticket.linear"),
        "Linear is not configured"
    );
    for _ in 0..2 {
        let press = block_action(
            "U0ANA",
            &channel,
            &ts,
            "steward.ticket.jira",
            "steward.issue.1",
            ActionValue::Button("1".into()),
            &bot.fake.issue_trigger_id(),
        );
        let env = bot
            .fake
            .send_envelope(EnvelopeKind::Interactive, press)
            .await;
        bot.fake
            .wait_for_ack(&env, std::time::Duration::from_secs(5))
            .await
            .expect("acked");
    }
    let app = bot.app().clone();
    for _ in 0..100 {
        if app
            .issue_deliveries(&[1])
            .unwrap()
            .iter()
            .any(|d| d.kind == "jira")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut secrets_map: HashMap<&str, &str> = HashMap::new();
    secrets_map.insert("JIRA_EMAIL", "bot@example.com");
    secrets_map.insert("JIRA_TOKEN", "jira-token");
    let jira_secrets: Secrets = Arc::new(move |v: &str| secrets_map.get(v).map(|s| s.to_string()));
    let http = Http::new(std::time::Duration::from_secs(5)).unwrap();
    pass(bot.app(), &http, &jira_secrets).await.unwrap();
    bot.until("the ticket on the alert", |f| {
        let text = alert_text(f);
        text.contains("DATA-1") && !text.contains("steward.ticket.jira")
    })
    .await;
    assert_eq!(
        fake.state.lock().unwrap().jira.len(),
        1,
        "one ticket for two presses"
    );
    assert_eq!(
        bot.top_level(ALERTS).len(),
        alerts_before,
        "the alert is edited, not posted again"
    );
    bot.stop().await;
}
