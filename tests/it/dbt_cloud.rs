//! `POST /v1/dbt-cloud` end to end: dbt Cloud's real webhook bodies (signed as dbt Cloud signs
//! them) sent to the running server, the run's artifacts fetched from a fake Admin API serving
//! the demo project's broken run, and the issues that come of it.

use crate::dbt_cloud_fake::FakeDbtCloud;
use crate::support::{TestServer, demo_artifact, fixtures};
use std::time::Duration;
use steward::config::{Config, DbtCloudConfig};
use steward::domain::issues::{Issue, IssueFilter};
use steward::faces::http::dbt_cloud::sign;

const SECRET: &str = "whsec-test-secret";
const API_TOKEN: &str = "dbtc_service_token";

/// A webhook body from the shared fixtures, or None (with a skip message).
fn webhook(test: &str, name: &str) -> Option<Vec<u8>> {
    let dir = fixtures(test)?.join("dbtcloud/webhooks");
    Some(std::fs::read(dir.join(name)).expect("webhook fixture"))
}

/// The demo project's broken run, as dbt Cloud serves a run's artifacts.
fn broken_run() -> Vec<(&'static str, Vec<u8>)> {
    ["manifest.json", "run_results.json", "sources.json"]
        .into_iter()
        .map(|f| (f, std::fs::read(demo_artifact("broken", f)).unwrap()))
        .collect()
}

/// A server with `[dbt_cloud]` pointed at `fake`, the secrets in env vars named for `test`
/// (each test its own, so tests running at once never share one), and a bearer token the
/// webhook must not need.
async fn server(test: &str, fake: &FakeDbtCloud) -> TestServer {
    let secret_env = format!("STEWARD_TEST_DBTC_SECRET_{test}");
    let token_env = format!("STEWARD_TEST_DBTC_TOKEN_{test}");
    // SAFETY: names unique to this test; nothing else reads or writes them.
    unsafe {
        std::env::set_var(&secret_env, SECRET);
        std::env::set_var(&token_env, &fake.token);
    }
    let mut config = Config::default();
    config.issues.default_environment = "default".into();
    config.dbt_cloud = Some(DbtCloudConfig {
        url: fake.base.clone(),
        account_id: fake.account_id,
        token_env,
        webhook_secret_env: secret_env,
        environments: [("1234".to_owned(), "prod".to_owned())].into(),
        attempts: 4,
        backoff: Duration::from_millis(20),
        max_wait: Duration::from_secs(5),
    });
    TestServer::start_with(config, Some("the-bearer-token")).await
}

/// Posts like dbt Cloud: the body and, if given, `Authorization` (no bearer token).
async fn deliver(
    t: &TestServer,
    body: &[u8],
    authorization: Option<&str>,
) -> (u16, serde_json::Value) {
    use http_body_util::{BodyExt, Full};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let client: Client<_, Full<bytes::Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut req = hyper::Request::post(format!("{}/v1/dbt-cloud", t.base))
        .header("content-type", "application/json");
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    let resp = client
        .request(
            req.body(Full::new(bytes::Bytes::from(body.to_vec())))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

/// Waits (up to 15 s) until the issues matching `filter` satisfy `done`.
async fn until_issues(
    t: &TestServer,
    filter: IssueFilter,
    done: impl Fn(&[Issue]) -> bool,
) -> Vec<Issue> {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let issues = t.test_app.app.issues(&filter).unwrap();
        if done(&issues) {
            return issues;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out; issues now: {:#?}",
            issues
                .iter()
                .map(|i| (&i.asset, &i.check, &i.env))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn ingests(t: &TestServer) -> i64 {
    let db = rusqlite::Connection::open(t.test_app.db_path()).unwrap();
    db.query_row("SELECT count(*) FROM ingests", [], |r| r.get(0))
        .unwrap()
}

fn env(name: &str) -> IssueFilter {
    IssueFilter {
        env: Some(name.into()),
        ..Default::default()
    }
}

const RUN_URL: &str = "/deploy/1/projects/167194/runs/12345";

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_completed_run_becomes_issues_linked_to_the_run() {
    let Some(body) = webhook(
        "dbt_cloud good signature",
        "zulip__job_run_completed_success.json",
    ) else {
        return;
    };
    let fake = FakeDbtCloud::start(1, API_TOKEN).await;
    fake.add_run("12345", &broken_run());
    let t = server("good", &fake).await;
    let (status, answer) = deliver(&t, &body, Some(&sign(SECRET, &body))).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["env"], "prod", "{answer}");
    let issues = until_issues(&t, env("prod"), |i| i.len() >= 3).await;
    let run_url = format!("{}{RUN_URL}", fake.base);
    for i in &issues {
        assert_eq!(
            i.url.as_deref(),
            Some(run_url.as_str()),
            "{}: {:?}",
            i.asset,
            i.url
        );
    }
    assert!(
        issues.iter().any(|i| i.check == "freshness"),
        "sources.json was fetched and ingested: {:?}",
        issues.iter().map(|i| &i.check).collect::<Vec<_>>()
    );
    assert!(
        !issues.iter().any(|i| i.check == "no_artifacts"),
        "a run with its artifacts is no no_artifacts issue"
    );
    // The artifacts were asked for with the token, as dbt Cloud documents.
    let seen = fake.seen();
    for file in ["run_results.json", "manifest.json", "sources.json"] {
        let s = seen
            .iter()
            .find(|s| s.path == format!("/api/v2/accounts/1/runs/12345/artifacts/{file}"))
            .unwrap_or_else(|| panic!("{file} not fetched: {seen:?}"));
        assert_eq!(
            s.authorization.as_deref(),
            Some(format!("Token {API_TOKEN}").as_str())
        );
        assert_eq!((s.method.as_str(), s.status), ("GET", 200));
    }
    // The same run delivered again (dbt Cloud retries) changes nothing.
    let before = t.test_app.app.issues(&env("prod")).unwrap();
    let (status, _) = deliver(&t, &body, Some(&sign(SECRET, &body))).await;
    assert_eq!(status, 202);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = t.test_app.app.issues(&env("prod")).unwrap();
    assert_eq!(before.len(), after.len());
    assert!(
        before
            .iter()
            .zip(&after)
            .all(|(a, b)| a.occurrences == b.occurrences)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_or_missing_signature_is_refused_and_writes_nothing() {
    let Some(body) = webhook(
        "dbt_cloud bad signature",
        "zulip__job_run_completed_success.json",
    ) else {
        return;
    };
    let fake = FakeDbtCloud::start(1, API_TOKEN).await;
    fake.add_run("12345", &broken_run());
    let t = server("bad", &fake).await;
    let other_body = br#"{"eventType":"job.run.completed"}"#;
    for auth in [
        None,
        Some(String::new()),
        Some(sign("not the secret", &body)),
        Some(sign(SECRET, other_body)),
        Some(format!("Bearer {}", "the-bearer-token")),
        Some("zz".repeat(32)),
    ] {
        let (status, answer) = deliver(&t, &body, auth.as_deref()).await;
        assert_eq!(status, 401, "{auth:?}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().contains("signature"),
            "{answer}"
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(fake.seen().is_empty(), "nothing fetched: {:?}", fake.seen());
    assert_eq!(ingests(&t), 0);
    assert!(
        t.test_app
            .app
            .issues(&IssueFilter::default())
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_errored_run_without_artifacts_is_an_issue_on_its_job() {
    let Some(body) = webhook("dbt_cloud no artifacts", "zulip__job_run_errored.json") else {
        return;
    };
    let fake = FakeDbtCloud::start(1, API_TOKEN).await;
    fake.add_run("12345", &[]); // the run exists, its artifacts do not
    let t = server("noartifacts", &fake).await;
    let (status, answer) = deliver(&t, &body, Some(&sign(SECRET, &body))).await;
    assert_eq!(status, 202, "{answer}");
    let issues = until_issues(&t, env("prod"), |i| !i.is_empty()).await;
    assert_eq!(issues.len(), 1, "{issues:#?}");
    let i = &issues[0];
    assert_eq!(
        (i.asset.as_str(), i.check.as_str()),
        ("dbt_cloud.job.123", "no_artifacts")
    );
    assert_eq!(i.status, "open");
    let message = i.message.as_deref().unwrap();
    assert!(
        message.contains("dbt Cloud run 12345 finished with no artifacts"),
        "{message}"
    );
    assert!(
        message.contains("run_results.json") && message.contains("manifest.json"),
        "{message}"
    );
    assert_eq!(
        i.url.as_deref(),
        Some(format!("{}{RUN_URL}", fake.base).as_str())
    );
    // dbt Cloud also sends job.run.completed for the same errored run: still one issue, seen once.
    let Some(completed) = webhook(
        "dbt_cloud no artifacts",
        "zulip__job_run_completed_errored.json",
    ) else {
        return;
    };
    let (status, _) = deliver(&t, &completed, Some(&sign(SECRET, &completed))).await;
    assert_eq!(status, 202);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let again = t.test_app.app.issues(&env("prod")).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].occurrences, 1, "the same run is applied once");

    // A later run with its artifacts recovers the job's issue.
    fake.add_run("12346", &broken_run());
    let next = String::from_utf8(completed)
        .unwrap()
        .replace("\"12345\"", "\"12346\"");
    let (status, _) = deliver(&t, next.as_bytes(), Some(&sign(SECRET, next.as_bytes()))).await;
    assert_eq!(status, 202);
    until_issues(&t, env("prod"), |all| {
        all.iter()
            .any(|i| i.check == "no_artifacts" && i.status != "open")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_throttled_api_is_waited_for_then_read() {
    let Some(body) = webhook("dbt_cloud 429", "zulip__job_run_completed_success.json") else {
        return;
    };
    let fake = FakeDbtCloud::start(1, API_TOKEN).await;
    fake.add_run("12345", &broken_run());
    fake.throttle(1, 1);
    fake.fail(1, 503);
    let t = server("throttled", &fake).await;
    let (status, _) = deliver(&t, &body, Some(&sign(SECRET, &body))).await;
    assert_eq!(status, 202);
    let issues = until_issues(&t, env("prod"), |i| i.len() >= 3).await;
    assert!(!issues.iter().any(|i| i.check == "no_artifacts"));
    let seen = fake.seen();
    let rr: Vec<_> = seen
        .iter()
        .filter(|s| s.path.ends_with("/run_results.json"))
        .collect();
    assert_eq!(
        rr.iter().map(|s| s.status).collect::<Vec<_>>(),
        vec![429, 503, 200],
        "{seen:?}"
    );
    assert!(
        rr[1].at.duration_since(rr[0].at) >= Duration::from_millis(950),
        "Retry-After: 1 was honoured"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unmapped_environment_goes_to_the_default_one() {
    let Some(body) = webhook(
        "dbt_cloud unmapped env",
        "grai__job_run_completed_real_capture.json",
    ) else {
        return;
    };
    // This capture is from account 165072, run 146889586, environment 189767 (not mapped).
    let fake = FakeDbtCloud::start(165072, API_TOKEN).await;
    fake.add_run("146889586", &broken_run());
    let t = server("unmapped", &fake).await;
    let (status, answer) = deliver(&t, &body, Some(&sign(SECRET, &body))).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["env"], "default");
    let issues = until_issues(&t, env("default"), |i| i.len() >= 3).await;
    let url = format!("{}/deploy/165072/projects/242841/runs/146889586", fake.base);
    assert!(
        issues
            .iter()
            .all(|i| i.url.as_deref() == Some(url.as_str()))
    );
    assert!(t.test_app.app.issues(&env("prod")).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn other_events_and_other_accounts_are_not_fetched() {
    let Some(started) = webhook("dbt_cloud other events", "zulip__job_run_started.json") else {
        return;
    };
    let fake = FakeDbtCloud::start(1, API_TOKEN).await;
    let t = server("others", &fake).await;
    let (status, answer) = deliver(&t, &started, Some(&sign(SECRET, &started))).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["ignored"], true);
    assert!(
        answer["reason"]
            .as_str()
            .unwrap()
            .contains("job.run.started")
    );
    // A delivery for another account is refused: this server's token cannot read its runs.
    let other = br#"{"accountId": 2, "eventType": "job.run.completed", "data": {"runId": "5", "jobId": "6"}}"#;
    let (status, answer) = deliver(&t, other, Some(&sign(SECRET, other))).await;
    assert_eq!(status, 400, "{answer}");
    // Not JSON, but signed: a 400 naming the route.
    let (status, answer) = deliver(&t, b"nope", Some(&sign(SECRET, b"nope"))).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("/v1/dbt-cloud"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(fake.seen().is_empty());
    assert_eq!(ingests(&t), 0);
}

/// The fake answers as dbt Cloud's Admin API does.
#[tokio::test(flavor = "multi_thread")]
async fn the_fake_admin_api_is_strict() {
    let fake = FakeDbtCloud::start(1, API_TOKEN).await;
    fake.add_run("7", &[("run_results.json", b"{}".to_vec())]);
    let get = |path: &str, auth: Option<String>| {
        let url = format!("{}{path}", fake.base);
        async move {
            use http_body_util::{BodyExt, Empty};
            let client: hyper_util::client::legacy::Client<_, Empty<bytes::Bytes>> =
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build_http();
            let mut req = hyper::Request::get(url);
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            let resp = client
                .request(req.body(Empty::new()).unwrap())
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let retry = resp
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            (
                status,
                retry,
                serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
            )
        }
    };
    let good = || Some(format!("Token {API_TOKEN}"));
    let rr = "/api/v2/accounts/1/runs/7/artifacts/run_results.json";
    assert_eq!(get(rr, None).await.0, 401);
    let (status, _, body) = get(rr, Some("Token wrong".into())).await;
    assert_eq!(
        (status, body["status"]["is_success"].clone()),
        (401, serde_json::json!(false))
    );
    assert_eq!(get(rr, good()).await.0, 200);
    assert_eq!(get(rr, Some(format!("Bearer {API_TOKEN}"))).await.0, 200);
    assert_eq!(
        get("/api/v2/accounts/1/runs/7/artifacts/manifest.json", good())
            .await
            .0,
        404
    );
    assert_eq!(
        get(
            "/api/v2/accounts/1/runs/8/artifacts/run_results.json",
            good()
        )
        .await
        .0,
        404
    );
    assert_eq!(
        get(
            "/api/v2/accounts/2/runs/7/artifacts/run_results.json",
            good()
        )
        .await
        .0,
        403
    );
    let (status, _, list) = get("/api/v2/accounts/1/runs/7/artifacts/", good()).await;
    assert_eq!(
        (status, list["data"].clone()),
        (200, serde_json::json!(["run_results.json"]))
    );
    fake.throttle(1, 3);
    let (status, retry, _) = get(rr, good()).await;
    assert_eq!((status, retry.as_deref()), (429, Some("3")));
    assert_eq!(get(rr, good()).await.0, 200);
}

/// Without `[dbt_cloud]` the route is 404; with it but its secrets unset, 503 naming the
/// variables (never their values) and nothing fetched or written.
#[tokio::test(flavor = "multi_thread")]
async fn an_unconfigured_server_says_what_is_missing() {
    let body = br#"{"accountId": 1, "eventType": "job.run.completed", "data": {"runId": "5", "jobId": "6"}}"#;
    let plain = TestServer::start(None).await;
    let (status, answer) = deliver(&plain, body, Some(&sign(SECRET, body))).await;
    assert_eq!(status, 404, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("[dbt_cloud]"));

    let fake = FakeDbtCloud::start(1, API_TOKEN).await;
    let config = Config {
        dbt_cloud: Some(DbtCloudConfig {
            url: fake.base.clone(),
            account_id: 1,
            token_env: "STEWARD_TEST_DBTC_UNSET_TOKEN".into(),
            webhook_secret_env: "STEWARD_TEST_DBTC_UNSET_SECRET".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let t = TestServer::start_with(config, None).await;
    let (status, answer) = deliver(&t, body, Some(&sign(SECRET, body))).await;
    assert_eq!(status, 503, "{answer}");
    let error = answer["error"].as_str().unwrap();
    assert!(
        error.contains("STEWARD_TEST_DBTC_UNSET_SECRET")
            && error.contains("STEWARD_TEST_DBTC_UNSET_TOKEN"),
        "{error}"
    );
    let (status, _) = deliver(&t, body, None).await;
    assert_eq!(status, 503);
    assert!(fake.seen().is_empty());
    assert_eq!(ingests(&t), 0);
}
