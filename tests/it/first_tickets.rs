//! The first tickets: the page shown on the incident message, one Jira ticket from an incident's
//! or an alert's button however often it is pressed, and `steward ticket` for Jira and Linear.

use crate::integrations_support::{keys, secrets};
use crate::support::{stderr, stdout};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use steward::clock::{Clock, ManualClock};
use steward::faces::integrations::fake::FakeVendors;
use steward::faces::integrations::http::Http;
use steward::faces::integrations::{Secrets, pass};

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
    crate::slack_support::outbox_drained(&bot).await;
    let (channel, ts) = crate::slack_support::alert_of(&bot, 1);
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
