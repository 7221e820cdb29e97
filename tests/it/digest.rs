//! The weekly digest end to end: the scheduler on a manual clock posts one digest per week to
//! the `[digest]` channel through the fake Slack (a missed one late, once), and
//! `steward digest --json` prints the same content without Slack.

use crate::support::{DIGEST, TestBot, steward, steward_ok};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::Value;
use std::sync::Arc;
use steward::clock::ManualClock;
use steward::config::DigestConfig;
use steward::domain::incidents::Declaration;

/// Wednesdays at 09:00 in Paris: 2026-11-25 09:00 CET is 08:00Z.
fn digest_config() -> DigestConfig {
    DigestConfig {
        channel: DIGEST.into(),
        day: chrono::Weekday::Wed,
        hour: 9,
        timezone: chrono_tz::Europe::Paris,
    }
}

fn slot() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap()
}

async fn start(clock: Arc<ManualClock>) -> TestBot {
    TestBot::start_configured(
        Vec::new(),
        |c| c.digest = Some(digest_config()),
        clock,
        |_| {},
    )
    .await
}

fn digests(bot: &TestBot) -> Vec<steward::faces::slack::fake::StoredMessage> {
    bot.top_level(DIGEST)
}

fn digest_items(bot: &TestBot) -> i64 {
    bot.app()
        .store
        .read(|c| {
            Ok(c.query_row(
                "SELECT count(*) FROM outbox WHERE topic = ?1",
                [steward::store::outbox::DIGEST_WEEKLY],
                |r| r.get(0),
            )?)
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn advancing_past_the_scheduled_time_posts_one_digest() {
    // Wednesday 04:00 in Paris; the last digest was due a week ago, too old to send late.
    let clock = Arc::new(ManualClock::new(slot() - Duration::hours(5)));
    let bot = start(clock.clone()).await;
    bot.ingest("broken").await;
    let app = bot.app().clone();
    let first_issue = tokio::task::spawn_blocking(move || {
        let issue = app.issues(&Default::default()).unwrap()[0].id;
        app.declare(
            Declaration {
                title: "Payments model fails".into(),
                severity: "SEV2".into(),
                issues: vec![issue],
                declared_by: "ana".into(),
                ..Declaration::default()
            },
            &steward::domain::access::Actor::admin("ana"),
        )
        .unwrap();
        issue
    })
    .await
    .unwrap();
    assert!(first_issue > 0);
    bot.until("the incident message", |f| {
        !f.messages(crate::support::INCIDENTS).is_empty()
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        digests(&bot).is_empty(),
        "nothing before the scheduled time"
    );
    assert_eq!(digest_items(&bot), 0);

    // Just past 09:00 in Paris: one digest.
    clock.set(slot() + Duration::seconds(30));
    bot.until("the weekly digest", |f| {
        f.messages(DIGEST).iter().any(|m| !m.ephemeral)
    })
    .await;
    let posted = digests(&bot);
    assert_eq!(posted.len(), 1);
    let m = &posted[0];
    assert!(
        m.text
            .starts_with("Weekly reliability digest (week of 2026-11-25): 1 incident declared"),
        "{}",
        m.text
    );
    let blocks = serde_json::to_string(m.blocks.as_ref().unwrap()).unwrap();
    assert!(blocks.contains("Payments model fails"), "{blocks}");
    assert!(blocks.contains("Data products"), "{blocks}");
    assert!(blocks.contains("Europe/Paris"), "{blocks}");

    // Later the same week, and a wake-up of every kind: still one.
    clock.advance(Duration::hours(1));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    clock.advance(Duration::days(2));
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_eq!(digests(&bot).len(), 1, "one digest per week");
    assert_eq!(digest_items(&bot), 1);

    // The next Wednesday: the next one.
    clock.set(slot() + Duration::days(7));
    bot.until("the next week's digest", |f| {
        f.messages(DIGEST).iter().filter(|m| !m.ephemeral).count() == 2
    })
    .await;
    assert!(
        digests(&bot)[1].text.contains("week of 2026-12-02"),
        "{}",
        digests(&bot)[1].text
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_digest_missed_while_down_is_sent_late_once_but_not_days_later() {
    // Started 3 hours after the scheduled time: sent at once.
    let clock = Arc::new(ManualClock::new(slot() + Duration::hours(3)));
    let bot = start(clock.clone()).await;
    bot.until("the late digest", |f| {
        f.messages(DIGEST).iter().any(|m| !m.ephemeral)
    })
    .await;
    clock.advance(Duration::minutes(5));
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_eq!(digests(&bot).len(), 1);
    assert!(digests(&bot)[0].text.contains("week of 2026-11-25"));
    bot.stop().await;

    // Started two days after: that week's digest is stale, nothing is sent.
    let clock = Arc::new(ManualClock::new(slot() + Duration::days(2)));
    let bot = start(clock.clone()).await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert!(digests(&bot).is_empty());
    assert_eq!(digest_items(&bot), 0);
    bot.stop().await;
}

#[test]
fn steward_digest_prints_the_week_as_json_and_text() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("steward.db");
    let config = dir.path().join("steward.toml");
    std::fs::write(
        &config,
        "[digest]\nchannel = \"C0DIGEST01\"\nday = \"wed\"\ntimezone = \"Europe/Paris\"\n",
    )
    .unwrap();
    let config = config.display().to_string();
    crate::support::ingest_demo(&db, "broken");
    // `config check` says a digest without [slack] will never be posted.
    let out = crate::support::steward(&db, &["--config", &config, "config", "check"]);
    assert!(out.status.success());
    assert!(
        crate::support::stderr(&out).contains("[digest] is set but [slack] is not"),
        "{}",
        crate::support::stderr(&out)
    );
    steward_ok(
        &db,
        &[
            "--config",
            &config,
            "declare",
            "--title",
            "Revenue is wrong",
            "--issue",
            "1",
        ],
    );
    steward_ok(
        &db,
        &[
            "--config",
            &config,
            "incident",
            "INC-1",
            "status",
            "resolved",
            "--summary",
            "Fixed the payments model",
        ],
    );

    let d: Value =
        serde_json::from_str(&steward_ok(&db, &["--config", &config, "digest", "--json"]))
            .expect("JSON output");
    assert_eq!(d["timezone"], "Europe/Paris");
    let today = crate::support::cli_now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(d["week"], today.as_str());
    for key in [
        "window_start",
        "window_end",
        "issues_opened",
        "mtta_seconds",
        "mttr_seconds",
        "noisiest_assets",
        "teams",
    ] {
        assert!(d.get(key).is_some(), "{key} in {d:#}");
    }
    let ids = |key: &str| -> Vec<String> {
        d[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids("incidents_declared"), ["INC-1"]);
    assert_eq!(ids("incidents_resolved"), ["INC-1"]);
    let inc = &d["incidents_resolved"][0];
    assert_eq!(
        (&inc["title"], &inc["severity"], &inc["ongoing"]),
        (
            &Value::from("Revenue is wrong"),
            &Value::from("SEV3"),
            &Value::from(false)
        )
    );
    assert!(inc["duration_seconds"].as_f64().unwrap() >= 0.0);
    let revenue = d["data_products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "revenue")
        .unwrap_or_else(|| panic!("no revenue product: {d:#}"));
    assert!(revenue["uptime"].as_f64().unwrap() < 1.0, "{revenue:#}");
    for key in [
        "status",
        "sla_met",
        "error_budget_minutes_left",
        "burn_rate",
    ] {
        assert!(revenue.get(key).is_some(), "{key} in {revenue:#}");
    }
    assert_eq!(d["previous_week"]["incidents_declared"], 0);
    assert!(d["noisiest_assets"].as_array().unwrap().len() <= 3);

    let text = steward_ok(&db, &["--config", &config, "digest"]);
    assert!(
        text.contains(&format!("Weekly digest, week of {today} (Europe/Paris)"))
            && text.contains("Revenue is wrong")
            && text.contains("PRODUCT"),
        "{text}"
    );

    // Without [digest] the preview is in UTC.
    let d: Value = serde_json::from_str(&steward_ok(&db, &["digest", "--json"])).unwrap();
    assert_eq!(d["timezone"], "UTC");
    // A bad [digest] is a config error (exit 2) naming the line.
    std::fs::write(
        dir.path().join("bad.toml"),
        "[digest]\nchannel = \"C0DIGEST01\"\nhour = 24\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.toml").display().to_string();
    let out = steward(&db, &["--config", &bad, "digest"]);
    assert_eq!(out.status.code(), Some(2));
    let err = crate::support::stderr(&out);
    assert!(err.contains("line 3") && err.contains("hour"), "{err}");
}
