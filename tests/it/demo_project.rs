//! The demo dbt project's real runs, through the real `steward` binary: the erroring model is a
//! root with its skipped descendants as symptoms, the stale source is a separate root, impact
//! reaches the right products and exposures, and the healthy run resolves everything.

use crate::support::{demo_artifact, stderr, stdout, steward};
use serde_json::Value;

const PAYMENTS: &str = "model.jaffle_analytics.stg_shop__payments";
const AD_SPEND: &str = "source.jaffle_analytics.marketing.ad_spend";

fn ingest(db: &std::path::Path, run: &str) -> String {
    crate::support::ingest_demo(db, run)
}

fn issues(db: &std::path::Path) -> Vec<Value> {
    let out = steward(db, &["issues", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str::<Value>(&stdout(&out))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn statuses(run: &str) -> Vec<(String, String)> {
    let rr: Value =
        serde_json::from_slice(&std::fs::read(demo_artifact(run, "run_results.json")).unwrap())
            .unwrap();
    rr["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["unique_id"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn broken_run_roots_symptoms_impact_and_recovery() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let summary = ingest(&db, "broken");
    assert!(
        summary.contains("env prod"),
        "the env defaults to the dbt target: {summary}"
    );
    let all = issues(&db);

    // Every failing result (and the stale source) is exactly one issue.
    let failing: Vec<(String, String)> = statuses("broken")
        .into_iter()
        .filter(|(_, s)| matches!(s.as_str(), "error" | "fail" | "warn" | "runtime error"))
        .collect();
    assert_eq!(all.len(), failing.len() + 1, "{all:#?}");
    for field in [
        "id",
        "asset",
        "check",
        "status",
        "resolution",
        "severity",
        "occurrences",
        "symptom_of",
        "root_cause_of",
        "symptoms",
    ] {
        assert!(
            all.iter().all(|i| i.get(field).is_some()),
            "every issue has `{field}`"
        );
    }

    // The erroring model is a root; every skipped node is listed among its symptoms.
    let payments = all
        .iter()
        .find(|i| i["asset"] == PAYMENTS && i["check"] == "run")
        .expect("payments run issue");
    assert!(payments["symptom_of"].is_null());
    assert_eq!(payments["severity"], "error");
    let listed: Vec<&str> = payments["symptoms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["unique_id"].as_str().unwrap())
        .collect();
    let skipped: Vec<String> = statuses("broken")
        .into_iter()
        .filter(|(_, s)| s == "skipped")
        .map(|(u, _)| u)
        .collect();
    assert!(!skipped.is_empty());
    for s in &skipped {
        assert!(
            listed.contains(&s.as_str()),
            "{s} should be a symptom of the payments error; listed: {listed:?}"
        );
    }
    assert!(
        payments["symptoms"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "skipped" && s["issue"].is_null())
    );

    // The stale source is a separate root, on its own branch.
    let stale = all
        .iter()
        .find(|i| i["asset"] == AD_SPEND)
        .expect("freshness issue");
    assert_eq!(stale["check"], "freshness");
    assert!(stale["symptom_of"].is_null());
    assert_ne!(stale["id"], payments["id"]);

    // Warnings are reported but never the root of an error.
    for i in all.iter().filter(|i| i["severity"] == "error") {
        if let Some(root) = i["symptom_of"].as_i64() {
            let r = all.iter().find(|x| x["id"] == root).unwrap();
            assert_eq!(r["severity"], "error", "{i:#?} is a symptom of a warning");
        }
    }

    // Impact, with no --manifest: the last ingested lineage.
    let out = steward(&db, &["lineage", "impact", PAYMENTS, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let impact: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let products: Vec<&str> = impact["data_products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for p in ["revenue", "customer_360", "marketing_attribution"] {
        assert!(products.contains(&p), "{products:?}");
    }
    assert!(
        !products.contains(&"product_engagement"),
        "the product branch is not below payments"
    );
    let exposures: Vec<&str> = impact["exposures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(exposures.contains(&"exposure.jaffle_analytics.revenue_dashboard"));
    assert!(exposures.contains(&"exposure.jaffle_analytics.budget_allocator"));
    assert!(
        impact["owners"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o == "ana@example.com")
    );
    assert!(impact["downstream_count"].as_u64().unwrap() >= 5);

    let out = steward(&db, &["lineage", "impact", AD_SPEND, "--json"]);
    let impact: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        impact["data_products"],
        serde_json::json!(["marketing_attribution"])
    );
    assert_eq!(
        impact["exposures"],
        serde_json::json!(["exposure.jaffle_analytics.budget_allocator"])
    );

    // The same ingest again changes nothing.
    ingest(&db, "broken");
    let again = issues(&db);
    assert_eq!(again.len(), all.len());
    assert!(
        again
            .iter()
            .zip(&all)
            .all(|(a, b)| a["occurrences"] == b["occurrences"])
    );

    // The healthy run resolves everything as recovered.
    let summary = ingest(&db, "healthy");
    assert!(
        summary.contains(&format!("{} resolved", all.len())),
        "{summary}"
    );
    let after = issues(&db);
    assert!(
        after
            .iter()
            .all(|i| i["status"] == "resolved" && i["resolution"] == "recovered"),
        "{after:#?}"
    );

    // Filters.
    let out = steward(
        &db,
        &[
            "issues", "--status", "resolved", "--owner", "ana@", "--json",
        ],
    );
    let filtered: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(!filtered.is_empty() && filtered.len() < after.len());
    let out = steward(&db, &["issues", "--asset", "stg_shop__payments", "--json"]);
    let filtered: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(filtered.len(), 1);
    let out = steward(&db, &["issue", &payments["id"].to_string(), "--json"]);
    let detail: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let kinds: Vec<&str> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["opened", "recovered"]);
}

#[test]
fn lineage_stats_interface() {
    let dir = tempfile::tempdir().unwrap();
    let m = demo_artifact("broken", "manifest.json");
    let out = steward(
        &dir.path().join("unused.db"),
        &[
            "lineage",
            "stats",
            "--manifest",
            m.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let stats: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(stats["schema_version"], 12);
    for key in [
        "model",
        "test",
        "seed",
        "snapshot",
        "source",
        "exposure",
        "metric",
        "semantic_model",
        "saved_query",
        "unit_test",
        "analysis",
    ] {
        assert!(stats["nodes"][key].is_u64(), "nodes.{key}");
    }
    assert_eq!(stats["nodes"]["model"], 13);
    assert_eq!(stats["nodes"]["exposure"], 3);
    assert_eq!(stats["nodes"]["unit_test"], 1);
    assert!(stats["edges"].as_u64().unwrap() > 20);
    assert!(
        !dir.path().join("unused.db").exists(),
        "stats with --manifest touches no database"
    );
}

#[test]
fn bad_files_get_one_line_errors_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let manifest = std::fs::read(demo_artifact("broken", "manifest.json")).unwrap();
    let truncated = dir.path().join("truncated.json");
    std::fs::write(&truncated, &manifest[..manifest.len() / 2]).unwrap();
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, b"").unwrap();
    let rr = demo_artifact("broken", "run_results.json");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "ingest".into(),
                "dbt".into(),
                "--manifest".into(),
                truncated.display().to_string(),
            ],
            "truncated",
        ),
        (
            vec![
                "ingest".into(),
                "dbt".into(),
                "--manifest".into(),
                empty.display().to_string(),
            ],
            "empty",
        ),
        (
            vec![
                "ingest".into(),
                "dbt".into(),
                "--manifest".into(),
                rr.display().to_string(),
            ],
            "run_results",
        ),
        (
            vec![
                "ingest".into(),
                "dbt".into(),
                "--run-results".into(),
                truncated.display().to_string(),
            ],
            "truncated",
        ),
        (
            vec![
                "ingest".into(),
                "dbt".into(),
                "--manifest".into(),
                dir.path().join("missing.json").display().to_string(),
            ],
            "missing.json",
        ),
    ];
    for (args, needle) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = steward(&db, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(err.contains(needle), "{err} should mention {needle}");
    }
    let out = steward(&db, &["issues", "--json"]);
    assert_eq!(stdout(&out).trim(), "[]", "nothing was written");
}

#[test]
fn demo_tells_the_story() {
    let dir = tempfile::tempdir().unwrap();
    let out = steward(&dir.path().join("demo.db"), &["demo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains(&format!("ROOT {PAYMENTS}")), "{text}");
    assert!(text.contains(&format!("ROOT {AD_SPEND}")), "{text}");
    assert!(text.contains("0 still open"), "{text}");
    assert!(
        text.contains("6 of 7 issues resolved as recovered, 1 resolved by hand"),
        "{text}"
    );

    // The Slack story, as a transcript of the simulated workspace.
    let transcript = text
        .split("6. Slack, as the team sees it now")
        .nth(1)
        .and_then(|t| t.split("7. Recoveries").next())
        .unwrap_or_else(|| panic!("no transcript: {text}"));
    for needle in [
        "#data-alerts",
        "#marketing-data",
        "#data-incidents",
        "INC-1",
        "edited",
        "recovered",
        "[buttons:",
        "Ana opened “Declare incident”",
        "Carla opened “Resolve: expected”",
    ] {
        assert!(transcript.contains(needle), "{needle} in {transcript}");
    }
    assert!(
        transcript.lines().any(|l| l.starts_with("    ")
            && l.contains("↳ @bruno: Found it: the payment_method_v2 column was renamed upstream")),
        "an indented thread reply from Bruno: {transcript}"
    );
    assert!(
        transcript.contains("@ana assigned this to @bruno"),
        "mentions are names: {transcript}"
    );
    assert!(!transcript.contains("<@U"), "no raw mentions: {transcript}");
    assert!(!transcript.contains("<!date"), "no raw dates: {transcript}");
    assert!(
        transcript.contains("Ana opened “") && transcript.contains("submitted “Code change”"),
        "the resolve modal in the transcript: {transcript}"
    );

    // The commander resolved INC-1; its post-incident report and the SLA report follow.
    let postmortem = text
        .split("8. The post-incident report")
        .nth(1)
        .and_then(|t| t.split("9. The SLA report").next())
        .unwrap_or_else(|| panic!("no post-incident report: {text}"));
    for heading in ["## Summary", "## Timeline", "## Root cause", "## Impact"] {
        assert!(postmortem.contains(heading), "{heading} in {postmortem}");
    }
    assert!(postmortem.contains("renamed column"), "{postmortem}");
    let sla = text
        .split("9. The SLA report")
        .nth(1)
        .and_then(|t| t.split("\nDone:").next())
        .unwrap_or_else(|| panic!("no SLA report: {text}"));
    assert!(sla.contains("revenue"), "{sla}");
    assert!(sla.contains("customer_360"), "{sla}");
    assert!(
        text.contains("INC-1 resolved by its commander") && text.contains("thread replies"),
        "the closing summary: {text}"
    );
    assert!(!text.contains("still open (its commander"), "{text}");

    // Part 10: the second team's project and the Airflow load, in one lineage.
    let across = text
        .split("10. Across teams")
        .nth(1)
        .unwrap_or_else(|| panic!("no part 10: {text}"));
    assert!(
        across.contains(&format!(
            "ROOT {PAYMENTS} (#1) explains #8 fin_revenue_daily in finance_reporting"
        )),
        "{across}"
    );
    assert!(
        across.contains("projects reached: finance_reporting, jaffle_analytics"),
        "{across}"
    );
    assert!(across.contains("board_pack_dashboard"), "{across}");
    assert!(
        across.contains("priya@example.com") && across.contains("ana@example.com"),
        "whom to tell in both teams: {across}"
    );
    assert!(
        across.contains("0 new top-level message(s) for finance_reporting's error"),
        "{across}"
    );
    assert!(
        across.contains("ROOT Airflow load_ad_spend (#9")
            && across.contains("#7 freshness on marketing.ad_spend"),
        "the Airflow failure explains the stale source: {across}"
    );
}

#[test]
fn a_failing_unit_test_is_counted_but_raises_no_issue() {
    let dir = tempfile::tempdir().unwrap();
    let mut rr: Value = serde_json::from_slice(
        &std::fs::read(demo_artifact("healthy", "run_results.json")).unwrap(),
    )
    .unwrap();
    let mut found = false;
    for r in rr["results"].as_array_mut().unwrap() {
        if r["unique_id"].as_str().unwrap().starts_with("unit_test.") {
            r["status"] = "fail".into();
            found = true;
        }
    }
    assert!(found, "the demo project has a unit test");
    let rr_path = dir.path().join("run_results.json");
    std::fs::write(&rr_path, serde_json::to_vec(&rr).unwrap()).unwrap();
    let m = demo_artifact("healthy", "manifest.json");
    let db = dir.path().join("s.db");
    let out = steward(
        &db,
        &[
            "ingest",
            "dbt",
            "--manifest",
            m.to_str().unwrap(),
            "--run-results",
            rr_path.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(issues(&db).len(), 0);
}
