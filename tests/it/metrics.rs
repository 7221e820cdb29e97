//! `GET /metrics`: the Prometheus text over HTTP (token unless `public_metrics`), and the
//! counters the Slack face feeds, through the fake Slack.

use crate::support::{TestBot, TestServer};
use serde_json::json;
use steward::config::Config;

/// The value of the sample `name{labels}` in the text, if present.
fn sample(text: &str, name_and_labels: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name_and_labels)?.trim().parse().ok())
}

async fn scrape(s: &TestServer) -> String {
    let (status, body) = s.send("GET", "/metrics", &[], Vec::new()).await;
    assert_eq!(status, 200, "{body}");
    body.as_str().expect("text").to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_need_the_token_and_count_ingests_issues_and_requests() {
    let s = TestServer::start(Some("metrics-token")).await;
    let anonymous = TestServer {
        token: None,
        base: s.base.clone(),
        ..TestServer::start(None).await
    };
    let (status, _) = anonymous.send("GET", "/metrics", &[], Vec::new()).await;
    assert_eq!(status, 401);
    let (status, _) = s.send("POST", "/metrics", &[], Vec::new()).await;
    assert_eq!(status, 405);

    let before = scrape(&s).await;
    let ok_before = sample(
        &before,
        "steward_ingests_total{source=\"alert\",outcome=\"ok\"}",
    )
    .unwrap_or(0.0);
    let alert = json!({"source": "airflow", "asset": "orders_dag", "check": "load", "status": "fail",
                       "severity": "error", "id": "m-1"});
    let (status, reply) = s
        .send("POST", "/v1/alerts", &[], alert.to_string().into_bytes())
        .await;
    assert_eq!(status, 200, "{reply}");
    let (status, _) = s
        .send("POST", "/v1/alerts", &[], b"{not json".to_vec())
        .await;
    assert_eq!(status, 400);
    let (status, _) = s.send("GET", "/v1/issues/999999", &[], Vec::new()).await;
    assert_eq!(status, 404);

    let text = scrape(&s).await;
    assert!(text.starts_with("# HELP"), "{text}");
    assert!(text.ends_with("# EOF\n"));
    let ok = sample(
        &text,
        "steward_ingests_total{source=\"alert\",outcome=\"ok\"}",
    )
    .unwrap();
    assert!(ok >= ok_before + 1.0, "{ok} {ok_before}");
    assert!(
        sample(
            &text,
            "steward_ingests_total{source=\"alert\",outcome=\"rejected\"}"
        )
        .unwrap()
            >= 1.0
    );
    // This server's database: one open error issue in the default environment.
    assert_eq!(
        sample(
            &text,
            "steward_open_issues{env=\"default\",severity=\"error\"}"
        ),
        Some(1.0),
        "{text}"
    );
    // Nothing consumes the outbox here (no Slack): the issue's item waits.
    assert!(sample(&text, "steward_outbox_pending{consumer=\"slack\"}").unwrap() >= 1.0);
    assert!(
        sample(
            &text,
            "steward_http_requests_total{route=\"/v1/issues/{id}\",status=\"404\"}"
        )
        .unwrap()
            >= 1.0,
        "{text}"
    );
    assert!(
        sample(
            &text,
            "steward_http_requests_total{route=\"/metrics\",status=\"401\"}"
        )
        .unwrap()
            >= 1.0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn public_metrics_need_no_token() {
    let mut config = Config::default();
    config.http.public_metrics = true;
    let s = TestServer::start_with(config, Some("secret")).await;
    let anonymous = TestServer {
        token: None,
        base: s.base.clone(),
        ..TestServer::start(None).await
    };
    let (status, body) = anonymous.send("GET", "/metrics", &[], Vec::new()).await;
    assert_eq!(status, 200, "{body}");
    // The API itself still needs it.
    let (status, _) = anonymous.send("GET", "/v1/issues", &[], Vec::new()).await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_calls_acks_and_reconnects_are_counted() {
    let bot = TestBot::start().await;
    let gauges = steward::telemetry::Gauges::default();
    let before = steward::telemetry::render(&gauges);
    let reconnects = |t: &str| sample(t, "steward_slack_socket_reconnects_total").unwrap_or(0.0);
    let posts = |t: &str| {
        sample(
            t,
            "steward_slack_api_calls_total{method=\"chat.postMessage\",outcome=\"ok\"}",
        )
        .unwrap_or(0.0)
    };
    bot.ingest("broken").await;
    bot.until("alerts posted", |f| {
        !f.messages(crate::support::ALERTS).is_empty()
    })
    .await;
    bot.fake.disconnect("refresh_requested").await;
    bot.fake
        .wait_for_socket(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    bot.open_home("U0ANA").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let text = loop {
        let text = steward::telemetry::render(&gauges);
        if reconnects(&text) > reconnects(&before) {
            break text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no reconnect counted:\n{text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(posts(&text) > posts(&before), "{text}");
    assert!(sample(&text, "steward_slack_ack_duration_seconds_count").unwrap() >= 1.0);
    bot.stop().await;
}
