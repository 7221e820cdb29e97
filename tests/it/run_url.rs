//! Alerts link to the run: `steward push --run-url`, `steward ingest dbt` reading the CI's
//! variables, and `run_url` over `POST /v1/dbt`, through to the alert's "Run" link and the
//! postmortem.

use crate::http_api::{multipart_body, multipart_type};
use crate::slack_support::{alert_of, blocks_text, outbox_drained};
use crate::support::{TestBot, TestServer, demo_artifact, stderr, stdout, steward, steward_bin};
use serde_json::Value;
use steward::domain::issues::{Issue, IssueFilter};

const RUN: &str = "https://ci.example.com/acme/dbt/runs/4711?attempt=2&x=(1)";

fn dbt_roots(issues: Vec<Issue>) -> Vec<Issue> {
    issues
        .into_iter()
        .filter(|i| i.origin == "dbt" && i.symptom_of.is_none())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn push_with_run_url_links_the_alert_and_the_postmortem() {
    let bot = TestBot::start().await;
    let server = steward::faces::http::start(bot.app().clone(), "127.0.0.1:0", None)
        .await
        .unwrap();
    let base = format!("http://{}", server.addr);
    let dir = demo_artifact("broken", "manifest.json");
    let dir = dir.parent().unwrap().display().to_string();
    let out = tokio::task::spawn_blocking(move || {
        steward_bin()
            .args(["push", &dir, "--url", &base, "--run-url", RUN])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("; run {RUN}")),
        "{}",
        stdout(&out)
    );
    outbox_drained(&bot).await;

    let roots = dbt_roots(bot.app().issues(&IssueFilter::default()).unwrap());
    assert!(!roots.is_empty());
    for root in &roots {
        assert_eq!(root.url.as_deref(), Some(RUN), "issue #{}", root.id);
    }
    let (channel, ts) = alert_of(&bot, roots[0].id);
    let alert = bot
        .fake
        .messages(&channel)
        .into_iter()
        .find(|m| m.ts == ts)
        .unwrap();
    let blocks: Value = alert.blocks.clone().unwrap();
    let context: Vec<String> = blocks
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "context")
        .flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| e["text"].as_str().map(str::to_owned))
        .collect();
    let run_link = format!("<{RUN}|▶️ Run>");
    assert!(
        context.iter().any(|t| t.contains(&run_link)),
        "{run_link} in {context:#?}"
    );
    assert!(
        !blocks_text(&alert).contains("🔗 Source"),
        "the run is linked once: {}",
        blocks_text(&alert)
    );

    let report = tokio::task::block_in_place(|| {
        let incident = bot
            .app()
            .declare(
                steward::domain::incidents::Declaration {
                    title: "Payments are broken".into(),
                    severity: "SEV2".into(),
                    declared_by: "ana".into(),
                    issues: vec![roots[0].id],
                    ..Default::default()
                },
                &steward::domain::access::Actor::admin("ana"),
            )
            .unwrap();
        steward::domain::postmortem::render(&bot.app().postmortem(incident.number).unwrap())
    });
    assert!(report.contains(&format!("[run](<{RUN}>)")), "{report}");
    server.stop().await;
    bot.stop().await;
}

#[test]
fn ingest_dbt_reads_the_ci_run_and_the_flag_wins() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let f = |name: &str| demo_artifact("broken", name).display().to_string();
    let (m, r) = (f("manifest.json"), f("run_results.json"));
    let ingest = |extra: &[&str], env: &[(&str, &str)]| {
        let mut cmd = steward_bin();
        cmd.arg("--db")
            .arg(&db)
            .args(["ingest", "dbt", "--manifest", &m, "--run-results", &r])
            .args(extra);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let github = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_REPOSITORY", "acme/analytics"),
        ("GITHUB_RUN_ID", "8123456789"),
    ];
    let out = ingest(&[], &github);
    assert!(out.status.success(), "{}", stderr(&out));
    let urls = |db: &std::path::Path| -> Vec<Option<String>> {
        let out = steward(db, &["issues", "--json"]);
        let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .filter(|i| i["origin"] == "dbt")
            .map(|i| i["url"].as_str().map(str::to_owned))
            .collect()
    };
    let got = urls(&db);
    assert!(!got.is_empty());
    assert!(
        got.iter()
            .all(|u| u.as_deref()
                == Some("https://github.com/acme/analytics/actions/runs/8123456789")),
        "{got:?}"
    );

    // A bad --run-url is refused before anything is written.
    let out = ingest(&["--run-url", "javascript:alert(1)"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--run-url"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("http:// or https://"),
        "{}",
        stderr(&out)
    );

    // The flag beats the variables (a fresh database: the same results are not seen twice).
    let db2 = dir.path().join("t.db");
    let mut cmd = steward_bin();
    let out = cmd
        .arg("--db")
        .arg(&db2)
        .args([
            "ingest",
            "dbt",
            "--manifest",
            &m,
            "--run-results",
            &r,
            "--run-url",
            RUN,
        ])
        .envs(github)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(urls(&db2).iter().all(|u| u.as_deref() == Some(RUN)));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_http_api_takes_run_url_as_a_field_a_part_or_a_query_parameter() {
    let read = |name: &str| std::fs::read(demo_artifact("broken", name)).unwrap();
    let (manifest, run_results) = (read("manifest.json"), read("run_results.json"));
    let urls = |s: &TestServer| -> Vec<Option<String>> {
        s.test_app
            .app
            .issues(&IssueFilter::default())
            .unwrap()
            .into_iter()
            .filter(|i| i.origin == "dbt")
            .map(|i| i.url)
            .collect()
    };

    // Multipart part.
    let s = TestServer::start(None).await;
    let body = multipart_body(&[
        ("manifest", &manifest),
        ("run_results", &run_results),
        ("run_url", RUN.as_bytes()),
    ]);
    let (status, v) = s
        .send(
            "POST",
            "/v1/dbt",
            &[("content-type", &multipart_type())],
            body,
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["run_url"], RUN);
    assert!(urls(&s).iter().all(|u| u.as_deref() == Some(RUN)));

    // JSON field, and the query parameter when the body has none.
    for (path, field) in [
        (
            "/v1/dbt",
            format!(",\"run_url\":{}", serde_json::to_string(RUN).unwrap()),
        ),
        (
            "/v1/dbt?run_url=https%3A%2F%2Fci.example.com%2Fq%2F1",
            String::new(),
        ),
    ] {
        let s = TestServer::start(None).await;
        let mut body = b"{\"manifest\":".to_vec();
        body.extend_from_slice(&manifest);
        body.extend_from_slice(b",\"run_results\":");
        body.extend_from_slice(&run_results);
        body.extend_from_slice(field.as_bytes());
        body.push(b'}');
        let (status, v) = s
            .send("POST", path, &[("content-type", "application/json")], body)
            .await;
        assert_eq!(status, 200, "{v}");
        let want = if field.is_empty() {
            "https://ci.example.com/q/1"
        } else {
            RUN
        };
        assert!(
            urls(&s).iter().all(|u| u.as_deref() == Some(want)),
            "{path}"
        );
    }

    // Not a URL: 400, nothing written.
    let s = TestServer::start(None).await;
    let body = multipart_body(&[("run_results", &run_results), ("run_url", b"ftp://x")]);
    let (status, v) = s
        .send(
            "POST",
            "/v1/dbt",
            &[("content-type", &multipart_type())],
            body,
        )
        .await;
    assert_eq!(status, 400, "{v}");
    assert!(v["error"].as_str().unwrap().contains("run_url"), "{v}");
    assert!(urls(&s).is_empty());
}
