//! The Slack bot against a misbehaving wire: redelivered envelopes, rate limits, server errors and
//! dropped sockets, every real Slack sample, and `steward serve` connecting with Slack tokens.

use crate::slack_support::{click, issue_id, outbox_drained};
use crate::support::{ALERTS, INCIDENTS, MARKETING, TestBot};
use serde_json::Value;
use std::time::Duration;
use steward::faces::slack::fake::{ActionValue, EnvelopeKind, Fault};

#[tokio::test(flavor = "multi_thread")]
async fn a_redelivered_envelope_acts_once_and_two_assigners_both_land() {
    let bot = TestBot::start().await;
    bot.ingest("broken").await;
    outbox_drained(&bot).await;
    let id = issue_id(&bot, "stg_shop__payments", "run");
    let env = click(
        &bot,
        "U0ANA",
        id,
        "steward.assign",
        ActionValue::UserSelect("U0BRUNO".into()),
    )
    .await;
    bot.fake.redeliver(&env).await;
    bot.fake
        .wait_for_ack(&env, Duration::from_secs(5))
        .await
        .unwrap();
    // Two people assign at once: both land in the timeline, the last one wins.
    click(
        &bot,
        "U0CARLA",
        id,
        "steward.assign",
        ActionValue::UserSelect("U0CARLA".into()),
    )
    .await;
    click(
        &bot,
        "U0DMITRI",
        id,
        "steward.assign",
        ActionValue::UserSelect("U0DMITRI".into()),
    )
    .await;
    bot.until("three assignments", |_| {
        bot.app()
            .issue(id)
            .unwrap()
            .events
            .iter()
            .filter(|e| e.kind == "assigned")
            .count()
            == 3
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let d = bot.app().issue(id).unwrap();
    assert_eq!(
        d.events.iter().filter(|e| e.kind == "assigned").count(),
        3,
        "the redelivery did nothing"
    );
    assert_eq!(d.issue.assignee.as_deref(), Some("<@U0DMITRI>"));
    assert!(bot.fake.unacked().is_empty());
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limits_server_errors_and_dropped_sockets_lose_nothing() {
    let bot = TestBot::start().await;
    for _ in 0..3 {
        bot.fake.inject(
            "chat.postMessage",
            Fault::RateLimited {
                retry_after_secs: 1,
            },
        );
    }
    bot.fake.inject("chat.postMessage", Fault::ServerError);
    bot.ingest("broken").await;
    bot.fake.drop_sockets().await;
    outbox_drained(&bot).await;
    assert_eq!(
        bot.top_level(ALERTS).len() + bot.top_level(MARKETING).len(),
        5
    );
    // The socket comes back and work continues.
    bot.fake
        .wait_for_socket(Duration::from_secs(10))
        .await
        .unwrap();
    bot.fake.disconnect("refresh_requested").await;
    bot.fake
        .wait_for_socket(Duration::from_secs(10))
        .await
        .unwrap();
    let id = issue_id(&bot, "stg_shop__payments", "run");
    click(
        &bot,
        "U0ANA",
        id,
        "steward.comment",
        ActionValue::Button(id.to_string()),
    )
    .await;
    bot.until("comment modal after reconnect", |f| {
        f.views()
            .iter()
            .any(|v| v.view["callback_id"] == "steward.comment")
    })
    .await;
    assert!(bot.fake.connections_opened() >= 2);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_real_slack_sample_is_handled_or_ignored() {
    let Some(fx) = crate::support::fixtures("every_real_slack_sample_is_handled_or_ignored") else {
        return;
    };
    let bot = TestBot::start().await;
    let dir = fx.join("slack");
    let mut sent = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let (kind, payload) = match v.get("type").and_then(Value::as_str) {
            Some("events_api") => (EnvelopeKind::EventsApi, v["payload"].clone()),
            Some("interactive") => (EnvelopeKind::Interactive, v["payload"].clone()),
            Some("slash_commands") => (EnvelopeKind::SlashCommands, v["payload"].clone()),
            Some("event_callback") => (EnvelopeKind::EventsApi, v.clone()),
            Some("block_actions") | Some("view_submission") => {
                (EnvelopeKind::Interactive, v.clone())
            }
            _ if v.get("command").is_some() => (EnvelopeKind::SlashCommands, v.clone()),
            other => {
                println!("{name}: not an envelope payload ({other:?}), skipped");
                continue;
            }
        };
        let env = bot.fake.send_envelope(kind, payload).await;
        bot.fake
            .wait_for_ack(&env, Duration::from_secs(5))
            .await
            .unwrap_or_else(|e| panic!("{name} was not acked: {e}"));
        sent += 1;
    }
    assert!(sent >= 8, "sent {sent} samples");
    // The bot is still alive and answering.
    bot.ingest("broken").await;
    outbox_drained(&bot).await;
    assert_eq!(
        bot.top_level(ALERTS).len() + bot.top_level(MARKETING).len(),
        5
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn steward_serve_with_slack_tokens_turns_a_push_into_alerts() {
    use std::io::{BufRead, BufReader};
    use steward::faces::slack::fake::{FAKE_APP_TOKEN, FAKE_BOT_TOKEN, FakeSlack};
    let fake = FakeSlack::start().await.unwrap();
    for (id, name) in [
        (ALERTS, "data-alerts"),
        (INCIDENTS, "data-incidents"),
        (MARKETING, "marketing-data"),
    ] {
        fake.add_channel(id, name, false, true);
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("steward.toml");
    std::fs::write(&config, format!("[slack]\nalerts_channel = \"{ALERTS}\"\nincidents_channel = \"{INCIDENTS}\"\npost_interval = \"20ms\"\n")).unwrap();
    let mut child = crate::support::steward_bin()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("STEWARD_DB", dir.path().join("s.db"))
        .env("STEWARD_CONFIG", &config)
        .env("STEWARD_TOKEN", "serve-token")
        .env("SLACK_BOT_TOKEN", FAKE_BOT_TOKEN)
        .env("SLACK_APP_TOKEN", FAKE_APP_TOKEN)
        .env("SLACK_API_URL", fake.api_url())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut base = None;
    let mut connected = false;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while (base.is_none() || !connected) && std::time::Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            if let Some(rest) = line.strip_prefix("steward listening on ") {
                base = Some(rest.trim().to_owned());
            }
            connected |= line.contains("connected to Slack");
        }
    }
    let base = base.expect("serve printed its address");
    assert!(connected, "serve connected to Slack");
    let read = |f: &str| {
        Some(
            steward::app::ingest::Input::read(&crate::support::demo_artifact("broken", f)).unwrap(),
        )
    };
    let artifacts = steward::app::ingest::DbtArtifacts {
        manifest: read("manifest.json"),
        run_results: read("run_results.json"),
        sources: read("sources.json"),
        env: None,
        allow_empty: false,
        run_url: None,
    };
    steward::faces::cli::push::push(&base, Some("serve-token"), artifacts)
        .await
        .unwrap();
    let top = |f: &FakeSlack, c: &str| {
        f.messages(c)
            .iter()
            .filter(|m| m.thread_ts.is_none() && !m.ephemeral)
            .count()
    };
    let waited = fake
        .wait_until(Duration::from_secs(15), |f| {
            top(f, ALERTS) + top(f, MARKETING) == 5
        })
        .await;
    let _ = child.kill();
    let _ = child.wait();
    waited.expect("the push became five alerts");
    fake.assert_no_violations();
}
