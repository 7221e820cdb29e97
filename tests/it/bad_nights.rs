//! Bad nights through the fake Slack: for each real or realistic failing run, the top-level
//! messages Steward posts, next to Elementary's documented rule (one alert per failing test or
//! model) and the causes a person names reading the run. The causes are written out in each
//! case, so the expectation is explicit. `BENCHMARKS.md` ("Signal over noise") records the table.

use crate::slack_support::{blocks_text, outbox_drained};
use crate::support::{ALERTS, MARKETING, TestBot, fixtures};
use serde_json::{Value, json};
use steward::app::ingest::{DbtArtifacts, Input};
use steward::domain::issues::IssueFilter;
use steward::faces::slack::fake::{ActionValue, EnvelopeKind, block_action};

/// A dbt project written in code, from the demo manifest's own node shapes.
struct Project {
    manifest: Value,
    results: Vec<Value>,
    model: Value,
    test: Value,
    source: Value,
}

const PROJECT: &str = "shop";

impl Project {
    fn new() -> Project {
        let path = format!(
            "{}/manifests/demo/artifacts/broken/manifest.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let demo: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let pick = |map: &str, prefix: &str| -> Value {
            demo[map]
                .as_object()
                .unwrap()
                .iter()
                .find(|(k, _)| k.starts_with(prefix))
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        let mut manifest = demo.clone();
        for k in [
            "nodes",
            "sources",
            "exposures",
            "metrics",
            "groups",
            "semantic_models",
            "saved_queries",
            "unit_tests",
            "disabled",
        ] {
            manifest[k] = json!({});
        }
        manifest["parent_map"] = json!({});
        manifest["child_map"] = json!({});
        manifest["group_map"] = json!({});
        manifest["metadata"]["project_name"] = json!(PROJECT);
        Project {
            manifest,
            results: Vec::new(),
            model: pick("nodes", "model."),
            test: pick("nodes", "test."),
            source: pick("sources", "source."),
        }
    }

    fn source(&mut self, schema: &str, table: &str) -> String {
        let id = format!("source.{PROJECT}.{schema}.{table}");
        let mut s = self.source.clone();
        s["unique_id"] = json!(id);
        s["name"] = json!(table);
        s["source_name"] = json!(schema);
        s["schema"] = json!(schema);
        s["identifier"] = json!(table);
        s["package_name"] = json!(PROJECT);
        s["fqn"] = json!([PROJECT, schema, table]);
        s["relation_name"] = json!(format!("`my-project`.`{schema}`.`{table}`"));
        s["meta"] = json!({});
        self.manifest["sources"][&id] = s;
        id
    }

    fn model(&mut self, name: &str, parents: &[&str], owner: &str) -> String {
        let id = format!("model.{PROJECT}.{name}");
        let mut m = self.model.clone();
        m["unique_id"] = json!(id);
        m["name"] = json!(name);
        m["alias"] = json!(name);
        m["schema"] = json!("analytics");
        m["package_name"] = json!(PROJECT);
        m["fqn"] = json!([PROJECT, name]);
        m["relation_name"] = json!(format!("`my-project`.`analytics`.`{name}`"));
        m["depends_on"] = json!({"macros": [], "nodes": parents});
        m["meta"] = json!({"owner": owner});
        m["config"]["meta"] = json!({"owner": owner});
        m["group"] = Value::Null;
        self.manifest["nodes"][&id] = m;
        id
    }

    fn test(&mut self, name: &str, on: &[&str]) -> String {
        let id = format!("test.{PROJECT}.{name}");
        let mut t = self.test.clone();
        t["unique_id"] = json!(id);
        t["name"] = json!(name);
        t["package_name"] = json!(PROJECT);
        t["fqn"] = json!([PROJECT, name]);
        t["depends_on"] = json!({"macros": [], "nodes": on});
        t["attached_node"] = json!(on[0]);
        self.manifest["nodes"][&id] = t;
        id
    }

    fn result(&mut self, unique_id: &str, status: &str, message: &str) {
        let failures = (status == "fail" || status == "warn").then_some(3);
        self.results.push(json!({
            "status": status,
            "timing": [],
            "thread_id": "Thread-1",
            "execution_time": 0.1,
            "adapter_response": {},
            "message": if message.is_empty() { Value::Null } else { json!(message) },
            "failures": failures,
            "unique_id": unique_id,
            "compiled": true,
            "compiled_code": "select 1",
            "relation_name": null,
        }));
    }

    fn artifacts(&self, invocation: &str) -> DbtArtifacts {
        let mut manifest = self.manifest.clone();
        manifest["metadata"]["invocation_id"] = json!(invocation);
        let run = json!({
            "metadata": {
                "dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json",
                "dbt_version": "1.9.0",
                "generated_at": "2026-01-10T02:00:00Z",
                "invocation_id": invocation,
                "env": {},
            },
            "results": self.results,
            "elapsed_time": 1.0,
            "args": {"which": "build"},
        });
        DbtArtifacts {
            manifest: Some(Input::new(
                "manifest.json",
                serde_json::to_vec(&manifest).unwrap(),
            )),
            run_results: Some(Input::new(
                "run_results.json",
                serde_json::to_vec(&run).unwrap(),
            )),
            env: Some("prod".into()),
            ..Default::default()
        }
    }
}

/// What one night gave: Steward's top-level messages, Elementary's count, the causes named.
struct Night {
    name: &'static str,
    messages: usize,
    elementary: usize,
    causes: Vec<&'static str>,
}

fn elementary_count(artifacts: &DbtArtifacts) -> usize {
    let run: Value =
        serde_json::from_slice(&artifacts.run_results.as_ref().unwrap().bytes).unwrap();
    run["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            matches!(
                r["status"].as_str(),
                Some("error" | "fail" | "warn" | "runtime error")
            )
        })
        .count()
}

async fn push(bot: &TestBot, artifacts: DbtArtifacts) {
    let app = bot.app().clone();
    tokio::task::spawn_blocking(move || app.ingest_dbt(artifacts).expect("ingest"))
        .await
        .unwrap();
    outbox_drained(bot).await;
}

fn top_level_count(bot: &TestBot) -> usize {
    bot.top_level(ALERTS).len() + bot.top_level(MARKETING).len()
}

/// A BigQuery build whose raw dataset is missing: 17 staging models fail on "Not found: Table"
/// and everything below them is skipped.
fn missing_dataset() -> Project {
    let mut p = Project::new();
    let mut marts = Vec::new();
    for i in 0..17 {
        let src = p.source("raw", &format!("table_{i}"));
        let stg = p.model(&format!("stg_table_{i}"), &[&src], "ana@example.com");
        p.result(
            &stg,
            "error",
            &format!("Database Error in model stg_table_{i} (models/staging/stg_table_{i}.sql)\n  Not found: Table my-project:raw.table_{i} was not found in location us-central1\n  compiled Code at target/run/shop/models/staging/stg_table_{i}.sql"),
        );
        let fct = p.model(&format!("fct_{i}"), &[&stg], "bruno@example.com");
        p.result(&fct, "skipped", "");
        let t = p.test(&format!("not_null_fct_{i}_id"), &[&fct]);
        p.result(&t, "skipped", "");
        marts.push(fct);
    }
    p
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_dataset_is_one_storm_whose_buttons_act_on_every_member() {
    let bot = TestBot::start().await;
    let p = missing_dataset();
    let artifacts = p.artifacts("inv-missing-dataset");
    assert_eq!(elementary_count(&artifacts), 17);
    push(&bot, artifacts).await;
    let top = bot.top_level(ALERTS);
    assert_eq!(
        top.len(),
        1,
        "one cause, one message: {:#?}",
        top.iter().map(|m| &m.text).collect::<Vec<_>>()
    );
    let text = blocks_text(&top[0]);
    assert!(text.contains("17 models"), "{text}");
    assert!(
        text.contains("my-project:raw.*"),
        "names the shared schema: {text}"
    );
    assert!(
        text.contains("and 7 more"),
        "lists 10 and counts the rest: {text}"
    );
    assert!(text.contains("steward issues --storm"), "{text}");
    let members = bot
        .app()
        .issues(&IssueFilter {
            active: true,
            ..Default::default()
        })
        .unwrap();
    let storm = members[0].storm.expect("in a storm");
    assert!(
        members
            .iter()
            .filter(|i| i.symptom_of.is_none())
            .all(|i| i.storm == Some(storm))
    );
    let listed = bot
        .app()
        .issues(&IssueFilter {
            storm: Some(storm),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(listed.len(), 17);

    // Assign from the storm's message: every member is assigned, in one edit.
    let (channel, ts) = (top[0].channel.clone(), top[0].ts.clone());
    let trigger = bot.fake.issue_trigger_id();
    let payload = block_action(
        "U0ANA",
        &channel,
        &ts,
        "steward.assign",
        &format!("steward.issue.{}", listed[0].id),
        ActionValue::UserSelect("U0BRUNO".into()),
        &trigger,
    );
    let env = bot
        .fake
        .send_envelope(EnvelopeKind::Interactive, payload)
        .await;
    bot.fake
        .wait_for_ack(&env, std::time::Duration::from_secs(5))
        .await
        .unwrap();
    let storm_members = || {
        bot.app()
            .issues(&IssueFilter {
                storm: Some(storm),
                ..Default::default()
            })
            .unwrap()
    };
    for _ in 0..100 {
        if storm_members().iter().all(|i| i.assignee.is_some()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    outbox_drained(&bot).await;
    let assigned = storm_members();
    assert!(
        assigned
            .iter()
            .all(|i| i.assignee.as_deref() == Some("<@U0BRUNO>")),
        "{:?}",
        assigned.iter().map(|i| &i.assignee).collect::<Vec<_>>()
    );
    assert_eq!(bot.top_level(ALERTS).len(), 1, "still one message");
    let replies: Vec<String> = bot
        .fake
        .messages(ALERTS)
        .into_iter()
        .filter(|m| m.thread_ts.as_deref() == Some(ts.as_str()))
        .map(|m| m.text)
        .collect();
    assert!(
        replies.iter().any(|r| r.contains("assigned 17 issues")),
        "one thread reply for the whole storm: {replies:?}"
    );
    bot.stop().await;
}

/// Marts that were never built: 12 tests on 4 marts error with "Not found: Table …".
fn marts_never_built() -> Project {
    let mut p = Project::new();
    for m in ["fct_orders", "fct_revenue", "dim_customers", "dim_products"] {
        let src = p.source("raw", &format!("{m}_src"));
        let id = p.model(m, &[&src], "carla@example.com");
        for t in ["not_null", "unique", "accepted_values"] {
            let test = p.test(&format!("{t}_{m}_id"), &[&id]);
            p.result(
                &test,
                "error",
                &format!("Database Error in test {t}_{m}_id (models/marts/schema.yml)\n  Not found: Table my-project:analytics.{m} was not found in location US\n  compiled Code at target/run/shop/models/marts/schema.yml/{t}_{m}_id.sql"),
            );
        }
    }
    p
}

/// Two separate faults: a failing source test and a singular test that does not compile.
fn two_faults() -> Project {
    let mut p = Project::new();
    let src = p.source("raw", "payments");
    let stg = p.model("stg_payments", &[&src], "ana@example.com");
    p.result(&stg, "success", "");
    let t1 = p.test("source_not_null_raw_payments_id", &[&src]);
    p.result(&t1, "fail", "Got 3 results, configured to fail if != 0");
    let other = p.source("raw", "orders");
    let orders = p.model("stg_orders", &[&other], "bruno@example.com");
    let t2 = p.test("assert_orders_balance", &[&orders]);
    p.result(&orders, "success", "");
    p.result(
        &t2,
        "error",
        "Compilation Error in test assert_orders_balance (tests/assert_orders_balance.sql)\n  unexpected '}'\n    line 3\n      {{ ref('stg_orders') }",
    );
    p
}

/// A generated run: 468 independent failing tests on random models of a 1,500-model project.
fn generated_flood() -> Project {
    let mut p = Project::new();
    let mut seed: u64 = 42;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let owners = [
        "ana@example.com",
        "bruno@example.com",
        "carla@example.com",
        "dmitri@example.com",
    ];
    let mut models: Vec<String> = Vec::new();
    for i in 0..1_500 {
        let parents: Vec<String> = if models.is_empty() || i % 10 == 0 {
            vec![p.source("raw", &format!("t{i}"))]
        } else {
            (0..(1 + next() % 2))
                .map(|_| models[(next() as usize) % models.len()].clone())
                .collect()
        };
        let parents: Vec<&str> = parents.iter().map(String::as_str).collect();
        let m = p.model(&format!("m{i}"), &parents, owners[i % owners.len()]);
        p.result(&m, "success", "");
        models.push(m);
    }
    let mut failing = std::collections::BTreeSet::new();
    while failing.len() < 468 {
        failing.insert((next() as usize) % models.len());
    }
    for (k, i) in failing.into_iter().enumerate() {
        let t = p.test(&format!("accepted_values_m{i}_status_{k}"), &[&models[i]]);
        p.result(
            &t,
            "fail",
            &format!("Got {} results, configured to fail if != 0", 1 + k % 40),
        );
    }
    p
}

fn real_run(dir: &std::path::Path) -> DbtArtifacts {
    DbtArtifacts {
        manifest: Some(Input::read(&dir.join("manifest.json")).unwrap()),
        run_results: Some(Input::read(&dir.join("run_results.json")).unwrap()),
        env: Some("prod".into()),
        ..Default::default()
    }
}

async fn measure(name: &'static str, artifacts: DbtArtifacts, causes: Vec<&'static str>) -> Night {
    let bot = TestBot::start().await;
    let elementary = elementary_count(&artifacts);
    push(&bot, artifacts).await;
    let messages = top_level_count(&bot);
    bot.stop().await;
    Night {
        name,
        messages,
        elementary,
        causes,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_nights_make_one_message_per_cause() {
    let mut nights = vec![
        measure(
            "missing raw dataset (BigQuery, 17 models)",
            missing_dataset().artifacts("inv-a"),
            vec!["the raw dataset is missing in us-central1"],
        )
        .await,
        measure(
            "marts never built (dbt test, 12 tests on 4 marts)",
            marts_never_built().artifacts("inv-b"),
            vec!["the marts were never built"],
        )
        .await,
        measure(
            "two separate faults",
            two_faults().artifacts("inv-c"),
            vec![
                "raw.payments has null ids",
                "assert_orders_balance does not compile",
            ],
        )
        .await,
        measure(
            "generated: 468 random failing tests on 1,500 models",
            generated_flood().artifacts("inv-d"),
            vec!["468 independent data-test findings: one summary (flood guard), not 468 posts"],
        )
        .await,
    ];
    let bot_demo = {
        let bot = TestBot::start().await;
        let summary = bot.ingest("broken").await;
        let _ = summary;
        outbox_drained(&bot).await;
        let n = top_level_count(&bot);
        bot.stop().await;
        n
    };
    nights.push(Night {
        name: "demo project's broken run",
        messages: bot_demo,
        elementary: {
            let a = DbtArtifacts {
                run_results: Some(
                    Input::read(&crate::support::demo_artifact("broken", "run_results.json"))
                        .unwrap(),
                ),
                ..Default::default()
            };
            elementary_count(&a)
        },
        causes: vec![
            "stg_shop__payments errors (its run)",
            "product events: a warning",
            "customers: 2 checks",
            "orders: 2 checks",
            "ad_spend source is stale",
        ],
    });
    if let Some(f) = fixtures("bad_nights_make_one_message_per_cause (real failing runs)") {
        {
            let real = f.join("dbt/real-failures");
            nights.push(
                measure(
                    "real: fao-elt-pipelines (Postgres, dbt run)",
                    real_run(&real.join("fao_elt_pipelines_v12_dbt1.8")),
                    // One cause to a person (both silver models read a bronze column `value`
                    // that is gone), but two roots are below `storm_min` (3): two messages.
                    vec![
                        "column \"value\" missing in silver_prices_cleaned",
                        "column \"value\" missing in silver_production_cleaned",
                    ],
                )
                .await,
            );
            nights.push(
                measure(
                    "real: data-quality framework (dbt test)",
                    real_run(&real.join("data_quality_framework_v12_dbt1.12")),
                    // Findings on fct_orders (extreme line totals, orphan product ids) share
                    // one message as checks of one model; the null customer ids warning is
                    // another model's.
                    vec![
                        "fct_orders fails two data tests",
                        "stg_orders has null customer ids (warning)",
                    ],
                )
                .await,
            );
        }
    }
    println!(
        "{:<55} {:>9} {:>11} {:>7}",
        "run", "Steward", "Elementary", "causes"
    );
    for n in &nights {
        println!(
            "{:<55} {:>9} {:>11} {:>7}",
            n.name,
            n.messages,
            n.elementary,
            n.causes.len()
        );
    }
    for n in &nights {
        assert_eq!(
            n.messages,
            n.causes.len(),
            "{}: {} messages for the causes {:?}",
            n.name,
            n.messages,
            n.causes
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_summary_counts_by_owner_and_takes_later_updates() {
    let bot = TestBot::start().await;
    push(&bot, generated_flood().artifacts("inv-flood")).await;
    let top = bot.top_level(ALERTS);
    assert_eq!(top.len(), 1);
    let text = blocks_text(&top[0]);
    assert!(text.contains("separate failures"), "{text}");
    assert!(text.contains("By owner"), "{text}");
    assert!(
        text.contains("ana@example.com") || text.contains("U0ANA"),
        "{text}"
    );
    assert!(text.contains("steward.flood_open"), "{text}");
    let edits_before = top[0].history.len();
    // The next run: every test passes. The summary is edited, no new message appears.
    let mut healthy = generated_flood();
    for r in healthy.results.iter_mut() {
        r["status"] = json!(if r["unique_id"].as_str().unwrap().starts_with("test.") {
            "pass"
        } else {
            "success"
        });
        r["message"] = Value::Null;
    }
    push(&bot, healthy.artifacts("inv-flood-2")).await;
    assert_eq!(bot.top_level(ALERTS).len(), 1, "updates go to the summary");
    let after = &bot.top_level(ALERTS)[0];
    assert!(after.history.len() > edits_before, "the summary was edited");
    let after = blocks_text(after);
    assert!(after.contains("0 failing"), "{after}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn storm_members_recover_in_place_and_a_changed_error_leaves_with_its_own_message() {
    let bot = TestBot::start().await;
    push(&bot, missing_dataset().artifacts("inv-1")).await;
    assert_eq!(bot.top_level(ALERTS).len(), 1);
    // The next run: table_0 is back, table_1 now fails for another reason.
    let mut next = missing_dataset();
    for r in next.results.iter_mut() {
        let id = r["unique_id"].as_str().unwrap().to_owned();
        if id.ends_with(".stg_table_0") {
            r["status"] = json!("success");
            r["message"] = Value::Null;
        } else if id.ends_with(".stg_table_1") {
            r["message"] = json!(
                "Database Error in model stg_table_1 (models/staging/stg_table_1.sql)\n  Access Denied: Table my-project:raw.table_1: User does not have permission to query table"
            );
        }
    }
    push(&bot, next.artifacts("inv-2")).await;
    let issues = bot.app().issues(&IssueFilter::default()).unwrap();
    let on = |suffix: &str| {
        issues
            .iter()
            .find(|i| i.asset.ends_with(suffix))
            .unwrap()
            .clone()
    };
    let (recovered, changed, stayed) = (on(".stg_table_0"), on(".stg_table_1"), on(".stg_table_2"));
    assert!(
        !recovered.is_active() && recovered.storm.is_some(),
        "recovers in place"
    );
    assert_eq!(changed.storm, None, "a changed error leaves the storm");
    assert_eq!(stayed.storm, recovered.storm);
    let top = bot.top_level(ALERTS);
    assert_eq!(
        top.len(),
        2,
        "the storm, and the member that left: {:#?}",
        top.iter().map(|m| &m.text).collect::<Vec<_>>()
    );
    let storm_text = blocks_text(&top[0]);
    assert!(storm_text.contains("15 still failing"), "{storm_text}");
    assert!(
        blocks_text(&top[1]).contains("Access Denied"),
        "{}",
        blocks_text(&top[1])
    );
    // The same bad night in another environment is another storm and another message.
    let app = bot.app().clone();
    let mut staging = missing_dataset().artifacts("inv-staging");
    staging.env = Some("staging".into());
    tokio::task::spawn_blocking(move || app.ingest_dbt(staging).unwrap())
        .await
        .unwrap();
    outbox_drained(&bot).await;
    assert_eq!(bot.top_level(ALERTS).len(), 3);
    bot.stop().await;
}

#[test]
fn storms_form_across_ingests_within_the_window_only() {
    use steward::clock::ManualClock;
    let clock = std::sync::Arc::new(ManualClock::new(
        chrono::DateTime::parse_from_rfc3339("2026-01-10T02:00:00Z")
            .unwrap()
            .into(),
    ));
    let t = crate::support::TestApp::with_clock(steward::config::Config::default(), clock.clone());
    // Two models of the raw dataset fail in one run: below storm_min, no storm yet.
    let mut p = missing_dataset();
    let keep: Vec<String> = (0..17)
        .map(|i| format!("model.shop.stg_table_{i}"))
        .collect();
    let only = |p: &mut Project, ids: &[&str]| {
        for r in p.results.iter_mut() {
            let id = r["unique_id"].as_str().unwrap().to_owned();
            if keep.contains(&id) && !ids.contains(&id.as_str()) {
                r["status"] = json!("success");
                r["message"] = Value::Null;
            }
        }
    };
    only(
        &mut p,
        &["model.shop.stg_table_0", "model.shop.stg_table_1"],
    );
    t.app.ingest_dbt(p.artifacts("inv-1")).unwrap();
    let stormed = |t: &crate::support::TestApp| {
        t.app
            .issues(&IssueFilter {
                active: true,
                ..Default::default()
            })
            .unwrap()
            .iter()
            .filter(|i| i.storm.is_some())
            .count()
    };
    assert_eq!(stormed(&t), 0);
    // Five minutes later a third fails the same way: the three make a storm.
    clock.advance(chrono::Duration::minutes(5));
    let mut p = missing_dataset();
    only(
        &mut p,
        &[
            "model.shop.stg_table_0",
            "model.shop.stg_table_1",
            "model.shop.stg_table_2",
        ],
    );
    t.app.ingest_dbt(p.artifacts("inv-2")).unwrap();
    assert_eq!(stormed(&t), 3);
    // An hour later, a fourth: the storm is closed (its window passed), and one root alone
    // makes none.
    clock.advance(chrono::Duration::hours(1));
    let mut p = missing_dataset();
    only(
        &mut p,
        &[
            "model.shop.stg_table_0",
            "model.shop.stg_table_1",
            "model.shop.stg_table_2",
            "model.shop.stg_table_3",
        ],
    );
    t.app.ingest_dbt(p.artifacts("inv-3")).unwrap();
    let issues = t
        .app
        .issues(&IssueFilter {
            active: true,
            ..Default::default()
        })
        .unwrap();
    let fourth = issues
        .iter()
        .find(|i| i.asset.ends_with("stg_table_3"))
        .unwrap();
    assert_eq!(fourth.storm, None);
    assert_eq!(stormed(&t), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn declaring_from_a_storm_preselects_every_member() {
    let bot = TestBot::start().await;
    push(&bot, missing_dataset().artifacts("inv-declare")).await;
    let top = bot.top_level(ALERTS);
    assert_eq!(top.len(), 1);
    let members = bot
        .app()
        .issues(&IssueFilter {
            active: true,
            ..Default::default()
        })
        .unwrap();
    let roots: Vec<i64> = members
        .iter()
        .filter(|i| i.storm.is_some())
        .map(|i| i.id)
        .collect();
    assert_eq!(roots.len(), 17);
    let trigger = bot.fake.issue_trigger_id();
    let payload = block_action(
        "U0ANA",
        &top[0].channel,
        &top[0].ts,
        "steward.declare",
        &format!("steward.issue.{}", roots[0]),
        ActionValue::Button(roots[0].to_string()),
        &trigger,
    );
    let env = bot
        .fake
        .send_envelope(EnvelopeKind::Interactive, payload)
        .await;
    bot.fake
        .wait_for_ack(&env, std::time::Duration::from_secs(5))
        .await
        .unwrap();
    let view = bot.modal("steward.declare").await;
    let initial: Vec<i64> = view.view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["element"]["action_id"] == "steward.issues")
        .and_then(|b| b["element"]["initial_options"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|o| o["value"].as_str()?.parse().ok())
        .collect();
    for id in &roots {
        assert!(initial.contains(id), "#{id} preselected: {initial:?}");
    }
    bot.stop().await;
}

/// Three staging models fail with three different errors after the Airflow job that loads their
/// raw tables failed (and was retried): the lineage sees the job, so they share it as a cause.
#[test]
fn roots_below_a_failed_airflow_job_are_one_storm() {
    use steward::clock::ManualClock;
    let start: chrono::DateTime<chrono::Utc> =
        chrono::DateTime::parse_from_rfc3339("2026-01-10T02:00:00Z")
            .unwrap()
            .into();
    let clock = std::sync::Arc::new(ManualClock::new(start));
    let t = crate::support::TestApp::with_clock(steward::config::Config::default(), clock.clone());
    let mut p = missing_dataset();
    for r in p.results.iter_mut() {
        r["status"] = json!("success");
        r["message"] = Value::Null;
    }
    t.app.ingest_dbt(p.artifacts("inv-healthy")).unwrap();
    let event = |kind: &str, run: &str, at: chrono::DateTime<chrono::Utc>| {
        json!({
            "eventType": kind,
            "eventTime": at.to_rfc3339(),
            "run": {"runId": run},
            "job": {"namespace": "airflow://prod", "name": "load_raw"},
            "inputs": [],
            "outputs": (0..3).map(|i| json!({"namespace": "bigquery", "name": format!("my-project.raw.table_{i}")})).collect::<Vec<_>>(),
        })
    };
    let send = |events: Vec<Value>| {
        t.app
            .ingest_openlineage(
                Input::new("events.json", serde_json::to_vec(&events).unwrap()),
                Some("prod".into()),
            )
            .unwrap();
    };
    send(vec![
        event("START", "r1", start),
        event("FAIL", "r1", start),
    ]);
    clock.advance(chrono::Duration::minutes(2));
    let retried = start + chrono::Duration::minutes(2);
    send(vec![
        event("START", "r2", retried),
        event("COMPLETE", "r2", retried),
    ]);
    clock.advance(chrono::Duration::minutes(2));
    let mut p = missing_dataset();
    let errors = [
        "division by zero",
        "Resources exceeded during query execution",
        "Syntax error: Unexpected end of script",
    ];
    for r in p.results.iter_mut() {
        let id = r["unique_id"].as_str().unwrap().to_owned();
        match (0..3).find(|i| id == format!("model.shop.stg_table_{i}")) {
            Some(i) => {
                r["message"] = json!(format!(
                    "Database Error in model stg_table_{i} (x.sql)\n  {}",
                    errors[i]
                ))
            }
            None => {
                r["status"] = json!("success");
                r["message"] = Value::Null;
            }
        }
    }
    t.app.ingest_dbt(p.artifacts("inv-after-load")).unwrap();
    let issues = t
        .app
        .issues(&IssueFilter {
            active: true,
            ..Default::default()
        })
        .unwrap();
    let roots: Vec<_> = issues
        .iter()
        .filter(|i| i.asset.contains("stg_table_"))
        .collect();
    assert_eq!(roots.len(), 3, "{issues:#?}");
    let storm = roots[0].storm.expect("one storm");
    assert!(
        roots
            .iter()
            .all(|i| i.storm == Some(storm) && i.symptom_of.is_none())
    );
    let s = t
        .app
        .store
        .read(|c| steward::domain::issues::get_storm(c, storm))
        .unwrap()
        .unwrap();
    assert_eq!(s.kind, "upstream");
    assert!(s.label.contains("load_raw"), "{}", s.label);
}
