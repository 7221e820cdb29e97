//! One lineage across dbt projects, environments and Airflow (issue #8), on the real
//! multi-project manifests: stitching, cross-project root causes, environments kept apart,
//! restarts, forgetting a project, OpenLineage jobs in the graph; through the app, the CLI and
//! the HTTP API.

use crate::support::{TestApp, TestServer, fixtures, steward, steward_ok};
use chrono::Utc;
use std::path::{Path, PathBuf};
use steward::app::ingest::{DbtArtifacts, Input, ingest_observations};
use steward::app::{App, node_impact};
use steward::config::Config;
use steward::domain::issues::IssueFilter;
use steward::sources::observation::{Observation, Origin, Outcome, Severity};

fn multi(test: &str) -> Option<PathBuf> {
    fixtures(test).map(|f| f.join("dbt/multi-project"))
}

fn push(app: &App, manifest: &Path, env: &str) -> steward::app::ingest::IngestSummary {
    app.ingest_dbt(DbtArtifacts {
        manifest: Some(Input::read(manifest).expect("read manifest")),
        env: Some(env.to_owned()),
        ..Default::default()
    })
    .expect("ingest")
}

fn failing(asset: &str, check: &str) -> Observation {
    Observation {
        key: None,
        origin: Origin::Dbt,
        source_system: None,
        asset: asset.to_owned(),
        asset_known: true,
        check: check.to_owned(),
        node: Some(asset.to_owned()),
        outcome: Outcome::Fail(Severity::Error),
        raw_status: "error".to_owned(),
        message: Some("boom".to_owned()),
        failures: None,
        url: None,
        run_id: None,
        occurred_at: Utc::now(),
        compiled_sql: None,
    }
}

fn prod_config() -> Config {
    let mut c = Config::default();
    c.issues.default_environment = "prod".to_owned();
    c
}

#[test]
fn mesh_copies_lose_to_the_owner_and_placeholders_say_so() {
    let Some(m) = multi("mesh_copies_lose_to_the_owner_and_placeholders_say_so") else {
        return;
    };
    let t = TestApp::with_config(prod_config());
    let down = m.join("cosmos_cross_project/downstream/manifest.json");
    let up = m.join("cosmos_cross_project/upstream/manifest.json");
    push(&t.app, &down, "prod");
    let l = t.app.lineage_of(Some("prod")).unwrap();
    let copy = node_impact(&l, "model.upstream.stg_orders").unwrap();
    let why = copy
        .placeholder
        .expect("a copy of an absent project is a placeholder");
    assert!(why.contains("`upstream` is not ingested"), "{why}");

    push(&t.app, &up, "prod");
    let l = t.app.lineage_of(Some("prod")).unwrap();
    let idx = l.get("model.upstream.stg_orders").unwrap();
    assert_eq!(
        l.node(idx).path.as_deref(),
        Some("models/staging/stg_orders.sql"),
        "the owner's own node wins over the consumer's copy"
    );
    let impact = node_impact(&l, "model.upstream.stg_orders").unwrap();
    assert_eq!(impact.placeholder, None);
    assert_eq!(impact.projects, vec!["downstream", "upstream"]);
    let below: Vec<String> = l
        .downstream(idx)
        .into_iter()
        .map(|i| l.node(i).unique_id.clone())
        .collect();
    assert!(below.contains(&"model.downstream.rpt_revenue_summary".to_owned()));
    // Still one node per unique_id: the copies did not duplicate anything.
    let count = l
        .nodes()
        .filter(|(_, n)| n.unique_id == "model.upstream.stg_orders")
        .count();
    assert_eq!(count, 1);
    // Each project stays its own part.
    let projects = t.app.lineage_projects(Some("prod")).unwrap();
    let names: Vec<&str> = projects.iter().map(|p| p.project.as_str()).collect();
    assert_eq!(names, vec!["downstream", "upstream"]);
    assert_eq!(
        projects[1].project_id.as_deref(),
        Some("bc3b0556316b0ba241ae6bb86b76e8a2")
    );
}

#[test]
fn projects_that_ref_each_other_make_no_node_cycle() {
    let Some(m) = multi("projects_that_ref_each_other_make_no_node_cycle") else {
        return;
    };
    let t = TestApp::with_config(prod_config());
    push(
        &t.app,
        &m.join("cosmos_cross_project/project_a_bidirectional/manifest.json"),
        "prod",
    );
    push(
        &t.app,
        &m.join("cosmos_cross_project/project_b_bidirectional/manifest.json"),
        "prod",
    );
    let l = t.app.lineage_of(None).unwrap();
    let path = |a: &str, b: &str| {
        l.path(l.get(a).unwrap(), l.get(b).unwrap())
            .map(|p| p.len())
    };
    assert_eq!(
        path(
            "model.project_b.stg_b_orders",
            "model.project_a.rpt_a_customer_orders"
        ),
        Some(2)
    );
    assert_eq!(
        path(
            "model.project_a.stg_a_customers",
            "model.project_b.rpt_b_customer_summary"
        ),
        Some(2)
    );
    // A failure in b's staging model explains a's report: roots over both projects.
    let a = l.get("model.project_b.stg_b_orders").unwrap();
    let r = l.get("model.project_a.rpt_a_customer_orders").unwrap();
    let roots = l.root_candidates(&[a, r]);
    assert_eq!(roots.len(), 1);
    assert_eq!(roots[0].unique_id, "model.project_b.stg_b_orders");
    assert_eq!(roots[0].explains, 2);
}

#[test]
fn a_source_reading_another_projects_table_hangs_below_its_model() {
    let Some(m) = multi("a_source_reading_another_projects_table_hangs_below_its_model") else {
        return;
    };
    let t = TestApp::with_config(prod_config());
    push(
        &t.app,
        &m.join("meshify_source_hack/src_proj_b/manifest.json"),
        "prod",
    );
    push(
        &t.app,
        &m.join("meshify_source_hack/src_proj_a/manifest.json"),
        "prod",
    );
    let l = t.app.lineage_of(None).unwrap();
    let src = l.get("source.src_proj_b.src_proj_a.shared_model").unwrap();
    let parents: Vec<&str> = l
        .parents(src)
        .map(|p| l.node(p).unique_id.as_str())
        .collect();
    assert_eq!(
        parents,
        vec!["model.src_proj_a.shared_model"],
        "SHARED_MODEL = shared_model"
    );
    let impact = node_impact(&l, "model.src_proj_a.shared_model").unwrap();
    assert_eq!(impact.projects, vec!["src_proj_a", "src_proj_b"]);
}

#[test]
fn a_failing_model_in_one_project_is_the_root_of_the_error_it_causes_in_another() {
    let Some(m) = multi("a_failing_model_in_one_project_is_the_root") else {
        return;
    };
    let t = TestApp::with_config(prod_config());
    let dir = m.join("dbt_loom_revenue_customer_success");
    push(&t.app, &dir.join("revenue/manifest.json"), "prod");
    push(&t.app, &dir.join("customer_success/manifest.json"), "prod");
    let root = failing("model.revenue.orders.v2", "run");
    let below = failing("model.customer_success.customers", "run");
    ingest_observations(
        &t.app.store,
        &t.app.lineage,
        &t.app.config,
        "dbt",
        Some("prod".into()),
        vec![root, below],
        Utc::now(),
    )
    .unwrap();
    let issues = t.app.issues(&IssueFilter::default()).unwrap();
    let on = |asset: &str| issues.iter().find(|i| i.asset == asset).unwrap();
    let root = on("model.revenue.orders.v2");
    let symptom = on("model.customer_success.customers");
    assert_eq!(root.symptom_of, None);
    assert_eq!(symptom.symptom_of, Some(root.id));
    // Pushing revenue again (a new manifest of one project) keeps the other project's part
    // and the cross-project root.
    push(&t.app, &dir.join("revenue/manifest.json"), "prod");
    let issues = t.app.issues(&IssueFilter::default()).unwrap();
    let symptom = issues
        .iter()
        .find(|i| i.asset == "model.customer_success.customers")
        .unwrap();
    assert_eq!(symptom.symptom_of, Some(root.id));
    // Forgetting the upstream project leaves the consumer's copy of its public model, now a
    // placeholder that says so; the copy still explains the downstream error.
    let gone = t.app.forget_project("revenue", Some("prod")).unwrap();
    assert!(gone.nodes > 50, "{gone:?}");
    let l = t.app.lineage_of(Some("prod")).unwrap();
    let copy = l.get("model.revenue.orders.v2").unwrap();
    assert!(l.placeholder(copy).is_some());
    assert!(l.get("model.revenue.stg_locations").is_some(), "copied too");
    assert!(
        l.get("source.revenue.ecom.raw_orders").is_none(),
        "only in revenue's own manifest"
    );
    let issues = t.app.issues(&IssueFilter::default()).unwrap();
    let symptom = issues
        .iter()
        .find(|i| i.asset == "model.customer_success.customers")
        .unwrap();
    assert_eq!(symptom.symptom_of, Some(root.id));
}

#[test]
fn cli_staging_push_restart_forget_and_push_again() {
    let Some(m) = multi("cli_staging_push_restart_forget_and_push_again") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let f = |p: &str| m.join(p).display().to_string();
    let up = f("cosmos_cross_project/upstream/manifest.json");
    let down = f("cosmos_cross_project/downstream/manifest.json");
    steward_ok(&db, &["ingest", "dbt", "--manifest", &up, "--env", "prod"]);
    steward_ok(
        &db,
        &["ingest", "dbt", "--manifest", &down, "--env", "prod"],
    );
    // A staging push of another project leaves prod's graph alone.
    let other = f("meshify_source_hack/src_proj_a/manifest.json");
    steward_ok(
        &db,
        &["ingest", "dbt", "--manifest", &other, "--env", "staging"],
    );
    let list = |env: &str| -> serde_json::Value {
        serde_json::from_str(&steward_ok(
            &db,
            &["lineage", "projects", "--env", env, "--json"],
        ))
        .unwrap()
    };
    let prod = list("prod");
    let names: Vec<&str> = prod
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["project"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["downstream", "upstream"], "{prod}");
    assert_eq!(prod[0]["manifest_schema"], 12);
    assert!(prod[1]["nodes"].as_u64().unwrap() > 10);
    assert_eq!(list("staging")[0]["project"], "src_proj_a");
    // Each CLI call is a restart: the graph comes back from SQLite, every project in it.
    let impact: serde_json::Value = serde_json::from_str(&steward_ok(
        &db,
        &[
            "lineage",
            "impact",
            "model.upstream.stg_orders",
            "--env",
            "prod",
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(
        impact["projects"],
        serde_json::json!(["downstream", "upstream"])
    );
    let out = steward(
        &db,
        &[
            "lineage",
            "impact",
            "model.upstream.stg_orders",
            "--env",
            "staging",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "staging has no such node");
    // Forget upstream: the downstream copies become placeholders; push it again: back.
    let text = steward_ok(&db, &["lineage", "forget", "upstream", "--env", "prod"]);
    assert!(
        text.contains("forgot project upstream in env prod"),
        "{text}"
    );
    let impact: serde_json::Value = serde_json::from_str(&steward_ok(
        &db,
        &[
            "lineage",
            "impact",
            "model.upstream.stg_orders",
            "--env",
            "prod",
            "--json",
        ],
    ))
    .unwrap();
    assert!(impact["placeholder"].as_str().is_some(), "{impact}");
    let out = steward(&db, &["lineage", "forget", "upstream", "--env", "prod"]);
    assert_eq!(out.status.code(), Some(2));
    steward_ok(&db, &["ingest", "dbt", "--manifest", &up, "--env", "prod"]);
    assert_eq!(list("prod").as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn http_lists_projects_and_answers_impact_per_env() {
    let Some(m) = multi("http_lists_projects_and_answers_impact_per_env") else {
        return;
    };
    let s = TestServer::start_with(prod_config(), None).await;
    let app = s.test_app.app.clone();
    let up = m.join("cosmos_cross_project/upstream/manifest.json");
    let down = m.join("cosmos_cross_project/downstream/manifest.json");
    tokio::task::spawn_blocking(move || {
        push(&app, &up, "prod");
        push(&app, &down, "prod");
    })
    .await
    .unwrap();
    let (status, body) = s.send("GET", "/v1/lineage/projects", &[], Vec::new()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["projects"].as_array().unwrap().len(), 2);
    let (status, body) = s
        .send(
            "GET",
            "/v1/lineage/impact?node=model.upstream.stg_orders&env=prod",
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["projects"],
        serde_json::json!(["downstream", "upstream"])
    );
    let (status, _) = s
        .send(
            "GET",
            "/v1/lineage/impact?node=model.upstream.stg_orders&env=staging",
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(status, 404);
}

#[test]
fn an_airflow_failure_explains_the_stale_source_below_it_and_survives_a_restart() {
    let Some(m) = multi("an_airflow_failure_explains_the_stale_source_below_it") else {
        return;
    };
    let t = TestApp::with_config(prod_config());
    push(
        &t.app,
        &m.join("meshify_source_hack/src_proj_b/manifest.json"),
        "prod",
    );
    let event = |kind: &str, run: &str| {
        serde_json::json!({
            "eventType": kind,
            "eventTime": "2026-01-01T00:00:00Z",
            "run": {"runId": run},
            "job": {"namespace": "airflow://prod", "name": "load_raw.shared_model"},
            "inputs": [{"namespace": "s3://landing", "name": "shared_model.csv"}],
            "outputs": [{"namespace": "duckdb://database", "name": "database.main.shared_model"}],
        })
    };
    let body = serde_json::to_vec(&vec![event("START", "r1"), event("FAIL", "r1")]).unwrap();
    t.app
        .ingest_openlineage(Input::new("events.json", body), None)
        .unwrap();
    let stale = Observation {
        check: "freshness".into(),
        ..failing("source.src_proj_b.src_proj_a.shared_model", "freshness")
    };
    let model = failing("model.src_proj_b.downstream_model", "run");
    ingest_observations(
        &t.app.store,
        &t.app.lineage,
        &t.app.config,
        "dbt",
        None,
        vec![stale, model],
        Utc::now(),
    )
    .unwrap();
    let check = |app: &App| {
        let issues = app.issues(&IssueFilter::default()).unwrap();
        let job = issues
            .iter()
            .find(|i| i.asset == "airflow://prod.load_raw.shared_model")
            .expect("the job's issue");
        assert_eq!(job.symptom_of, None, "the Airflow failure is the root");
        for i in issues.iter().filter(|i| i.id != job.id) {
            assert_eq!(i.symptom_of, Some(job.id), "{} {}", i.asset, i.check);
        }
        assert_eq!(issues.len(), 4, "job, its output, stale source, model");
    };
    check(&t.app);
    // Jobs and their edges are stored: a restart has the same graph.
    let db = t.db_path();
    let again = App::open(prod_config(), &db).unwrap();
    let l = again.lineage_of(Some("prod")).unwrap();
    let job = l
        .get("airflow://prod.load_raw.shared_model")
        .expect("job node");
    let below: Vec<&str> = l
        .children(job)
        .map(|c| l.node(c).unique_id.as_str())
        .collect();
    assert_eq!(below, vec!["source.src_proj_b.src_proj_a.shared_model"]);
    let above: Vec<&str> = l
        .parents(job)
        .map(|c| l.node(c).unique_id.as_str())
        .collect();
    assert_eq!(
        above,
        vec!["s3://landing/shared_model.csv"],
        "unmatched datasets keep their namespace"
    );
    check(&again);
}

fn finance_artifact(run: &str, file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("manifests/demo-finance/artifacts")
        .join(run)
        .join(file)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_symptom_in_another_project_joins_the_roots_slack_alert() {
    use crate::support::{ALERTS, FINANCE, INCIDENTS, MARKETING, TestBot};
    let bot = TestBot::start().await;
    bot.ingest("broken").await;
    let payments = "model.jaffle_analytics.stg_shop__payments";
    let root = bot
        .app()
        .issues(&IssueFilter::default())
        .unwrap()
        .into_iter()
        .find(|i| i.asset == payments && i.check == "run")
        .unwrap();
    bot.until("the payments alert", |_| {
        bot.app()
            .issue(root.id)
            .unwrap()
            .slack
            .is_some_and(|s| s.ts.is_some())
    })
    .await;
    let slack = bot.app().issue(root.id).unwrap().slack.unwrap();
    let (channel, ts) = (slack.channel, slack.ts.unwrap());
    let blocks = |m: &steward::faces::slack::fake::StoredMessage| {
        m.blocks.as_ref().map(|b| b.to_string()).unwrap_or_default()
    };
    let channels = [ALERTS, FINANCE, MARKETING, INCIDENTS];
    let count = |bot: &TestBot| -> usize { channels.iter().map(|c| bot.top_level(c).len()).sum() };
    // Let the first ingest's alerts all arrive.
    bot.until("the first run's alerts", |f| {
        f.messages(ALERTS).len() + f.messages(FINANCE).len() + f.messages(MARKETING).len() >= 3
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let before = count(&bot);

    let app = bot.app().clone();
    let summary = tokio::task::spawn_blocking(move || {
        app.ingest_dbt(DbtArtifacts {
            manifest: Some(Input::read(&finance_artifact("broken", "manifest.json")).unwrap()),
            run_results: Some(
                Input::read(&finance_artifact("broken", "run_results.json")).unwrap(),
            ),
            sources: None,
            env: None,
            allow_empty: false,
            run_url: None,
        })
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(summary.applied.opened.len(), 1, "{summary}");
    let fin = bot.app().issue(summary.applied.opened[0]).unwrap().issue;
    assert_eq!(fin.asset, "model.finance_reporting.fin_revenue_daily");
    assert_eq!(
        fin.symptom_of,
        Some(root.id),
        "the other project's model is the root"
    );
    bot.until(
        "the root's alert to list the other project's failure",
        |f| {
            f.messages(&channel)
                .iter()
                .any(|m| m.ts == ts && blocks(m).contains("fin_revenue_daily"))
        },
    )
    .await;
    let alert = bot
        .fake
        .messages(&channel)
        .into_iter()
        .find(|m| m.ts == ts)
        .unwrap();
    let text = blocks(&alert);
    assert!(
        text.contains("board_pack_dashboard"),
        "the other team's dashboard: {text}"
    );
    assert!(
        text.contains("priya@example.com"),
        "whom to tell in the other team: {text}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        count(&bot),
        before,
        "no new top-level message for a symptom"
    );
    bot.stop().await;
}

#[test]
fn an_artifact_sent_to_the_wrong_env_can_be_sent_to_the_right_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let f = |name: &str| {
        crate::support::demo_artifact("broken", name)
            .display()
            .to_string()
    };
    let (m, r, s) = (f("manifest.json"), f("run_results.json"), f("sources.json"));
    let args = |env: &'static str| {
        vec![
            "ingest".to_owned(),
            "dbt".into(),
            "--manifest".into(),
            m.clone(),
            "--run-results".into(),
            r.clone(),
            "--sources".into(),
            s.clone(),
            "--env".into(),
            env.into(),
            "--json".into(),
        ]
    };
    let run = |env: &'static str| -> serde_json::Value {
        let a = args(env);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        serde_json::from_str(&steward_ok(&db, &a)).unwrap()
    };
    let staging = run("staging");
    assert!(
        !staging["opened"].as_array().unwrap().is_empty(),
        "{staging}"
    );
    let prod = run("prod");
    assert_eq!(prod["duplicates"], 0, "not already seen in prod: {prod}");
    assert_eq!(
        prod["opened"].as_array().unwrap().len(),
        staging["opened"].as_array().unwrap().len()
    );
    // The same push to prod again is a replay.
    let again = run("prod");
    assert!(again["duplicates"].as_u64().unwrap() > 0, "{again}");
    assert!(again["opened"].as_array().unwrap().is_empty(), "{again}");
}

#[test]
fn the_single_graph_of_an_older_database_joins_the_default_environment() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let manifest = crate::support::demo_artifact("broken", "manifest.json");
    let snapshot = {
        let t = Input::read(&manifest).unwrap().load_manifest().unwrap();
        serde_json::to_vec(&t.to_snapshot()).unwrap()
    };
    drop(App::open(Config::default(), &db).unwrap());
    // Back to schema 4, as a release before per-project graphs left it (later migrations undone).
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "ALTER TABLE followups DROP COLUMN ticket_state; ALTER TABLE followups DROP COLUMN ticket_checked_at;
         ALTER TABLE deliveries DROP COLUMN followup_id;
         DROP INDEX issues_storm; DROP INDEX slack_messages_storm; DROP INDEX slack_messages_ts;
         ALTER TABLE issues DROP COLUMN storm_id; ALTER TABLE slack_messages DROP COLUMN storm_id;
         DROP TABLE storms; DROP TABLE followups; ALTER TABLE incidents DROP COLUMN merged_into;
         DROP TABLE lineage_parts; DROP TABLE lineage_jobs; DROP TABLE deliveries;
         ALTER TABLE mutes DROP COLUMN reason; ALTER TABLE mutes DROP COLUMN ended_at;
         ALTER TABLE mutes DROP COLUMN ended_by; DROP TABLE people;
         ALTER TABLE ingests DROP COLUMN via; ALTER TABLE ingests DROP COLUMN pushed_by;
         CREATE TABLE lineage_snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), loaded_at TEXT NOT NULL,
             schema_version INTEGER NOT NULL, node_count INTEGER NOT NULL, data BLOB NOT NULL);
         PRAGMA user_version = 4;",
    )
    .unwrap();
    conn.execute(
        "INSERT INTO lineage_snapshot VALUES (1, '2026-01-01T00:00:00Z', 12, 63, ?1)",
        [&snapshot],
    )
    .unwrap();
    drop(conn);
    let app = App::open(prod_config(), &db).unwrap();
    let projects = app.lineage_projects(None).unwrap();
    assert_eq!(projects.len(), 1, "{projects:?}");
    assert_eq!(projects[0].project, "jaffle_analytics");
    assert_eq!(projects[0].env, "prod");
    assert!(
        app.lineage_of(Some("prod"))
            .unwrap()
            .get("model.jaffle_analytics.fct_revenue")
            .is_some()
    );
}

#[test]
fn an_incident_reads_the_graph_of_the_environment_its_issues_live_in() {
    let Some(m) = multi("an_incident_reads_the_graph_of_its_environment") else {
        return;
    };
    let t = TestApp::with_config(prod_config());
    let dir = m.join("dbt_loom_revenue_customer_success");
    // Staging holds both linked projects; prod, the default environment, only another one.
    push(&t.app, &dir.join("revenue/manifest.json"), "staging");
    push(
        &t.app,
        &dir.join("customer_success/manifest.json"),
        "staging",
    );
    push(
        &t.app,
        &m.join("cosmos_cross_project/project_a_bidirectional/manifest.json"),
        "prod",
    );
    ingest_observations(
        &t.app.store,
        &t.app.lineage,
        &t.app.config,
        "dbt",
        Some("staging".into()),
        vec![failing("model.revenue.orders.v2", "run")],
        Utc::now(),
    )
    .unwrap();
    let issue = t.app.issues(&IssueFilter::default()).unwrap()[0].id;
    let declared = t
        .app
        .declare(
            steward::domain::incidents::Declaration {
                title: "revenue orders failing in staging".into(),
                description: None,
                severity: "SEV2".into(),
                commander: None,
                issues: vec![issue],
                declared_by: "U1".into(),
            },
            &steward::domain::access::Actor::admin("U1"),
        )
        .unwrap();
    let incident = t.app.incident(declared.number).unwrap();
    // The default graph has no such node; staging's reaches the other project.
    assert!(
        t.app
            .lineage_of(None)
            .unwrap()
            .get("model.revenue.orders.v2")
            .is_none()
    );
    assert_eq!(incident.root_causes[0].unique_id, "model.revenue.orders.v2");
    assert!(
        incident.impact.downstream_count > 0,
        "impact read through staging's graph: {:?}",
        incident.impact
    );
    let report = t.app.postmortem(declared.number).unwrap();
    let markdown = steward::domain::postmortem::render(&report);
    assert!(
        markdown.contains("**Downstream:** 1 model"),
        "the report's impact reads staging's graph too:\n{markdown}"
    );
}
