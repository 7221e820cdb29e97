//! Tickets beyond the first ones: the Linear button on incident messages, follow-ups created in
//! Jira or Linear, and their state read back from the trackers (strict fakes on port 0).

use crate::incident_story::press;
use crate::integrations::keys;
use crate::support::{INCIDENTS, TestBot};
use std::collections::HashMap;
use std::sync::Arc;
use steward::clock::{Clock, ManualClock};
use steward::domain::incidents::Declaration;
use steward::faces::integrations::fake::{FakeVendors, Keys};
use steward::faces::integrations::http::Http;
use steward::faces::integrations::{Secrets, pass};
use steward::faces::slack::fake::FakeSlack;

/// The fakes with a Jira account (`bot@example.com`, `jira-token`, project `DATA`) and Linear's
/// `lin_api_key` on team `team-1`.
fn tracker_keys(clock: &Arc<ManualClock>) -> Keys {
    let mut k = keys(clock, 0);
    k.jira_email = "bot@example.com".into();
    k.jira_token = "jira-token".into();
    k.jira_project = "DATA".into();
    k
}

pub(crate) fn tracker_secrets() -> Secrets {
    let map: HashMap<&str, &str> = [
        ("JIRA_EMAIL", "bot@example.com"),
        ("JIRA_TOKEN", "jira-token"),
        ("LINEAR_KEY", "lin_api_key"),
    ]
    .into();
    Arc::new(move |v: &str| map.get(v).map(|s| s.to_string()))
}

fn jira_config(url: &str) -> steward::config::integrations::JiraConfig {
    steward::config::integrations::JiraConfig {
        url: url.to_owned(),
        email_env: "JIRA_EMAIL".into(),
        token_env: "JIRA_TOKEN".into(),
        project: "DATA".into(),
        issue_type: "Task".into(),
    }
}

fn linear_config(url: &str) -> steward::config::integrations::LinearConfig {
    steward::config::integrations::LinearConfig {
        team_id: "team-1".into(),
        token_env: "LINEAR_KEY".into(),
        url: format!("{url}/graphql"),
    }
}

/// The incident channel's top-level messages' blocks, as text.
pub(crate) fn incident_blocks(f: &FakeSlack) -> String {
    f.messages(INCIDENTS)
        .into_iter()
        .filter(|m| m.thread_ts.is_none() && !m.deleted)
        .map(|m| m.blocks.map(|b| b.to_string()).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Declares a SEV2 incident over issue 1 on the bot's app; its number.
pub(crate) async fn declare_on(bot: &TestBot) -> i64 {
    let app = bot.app().clone();
    tokio::task::spawn_blocking(move || {
        app.declare(Declaration {
            title: "Revenue dashboard is stale".into(),
            description: None,
            severity: "SEV2".into(),
            commander: None,
            issues: vec![1],
            declared_by: "ana@example.com".into(),
        })
        .unwrap()
        .number
    })
    .await
    .unwrap()
}

/// Waits (short polls) until incident `n` has a delivery of `kind`, e.g. after a press.
pub(crate) async fn deliveries_of(bot: &TestBot, n: i64, kind: &str) {
    for _ in 0..100 {
        if bot
            .app()
            .incident_deliveries(n)
            .unwrap()
            .iter()
            .any(|d| d.kind == kind)
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no {kind} delivery for INC-{n}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_incident_message_creates_one_linear_issue_from_its_button() {
    let clock = Arc::new(steward::faces::demo::story_clock());
    let vendor_clock = Arc::new(ManualClock::new(clock.now()));
    let fake = FakeVendors::start(tracker_keys(&vendor_clock))
        .await
        .unwrap();
    let url = fake.url();
    let bot = TestBot::start_configured(
        Vec::new(),
        move |c| {
            c.jira = Some(jira_config(&url));
            c.linear = Some(linear_config(&url));
        },
        clock,
        |_| {},
    )
    .await;
    bot.ingest("broken").await;
    let n = declare_on(&bot).await;
    bot.until("the incident message with both buttons", |f| {
        let t = incident_blocks(f);
        t.contains("steward.incident.ticket.linear") && t.contains("\"steward.incident.ticket\"")
    })
    .await;
    // Pressed twice (a double click): one issue.
    for _ in 0..2 {
        press(&bot, "U0ANA", n, "steward.incident.ticket.linear").await;
    }
    deliveries_of(&bot, n, "linear").await;
    // Let the second press land before sending.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let http = Http::new(std::time::Duration::from_secs(5)).unwrap();
    pass(bot.app(), &http, &tracker_secrets()).await.unwrap();
    bot.until("the Linear issue on the incident message", |f| {
        let t = incident_blocks(f);
        t.contains("Linear: <https://linear.app/acme/issue/ENG-1|ENG-1>")
            && !t.contains("steward.incident.ticket.linear")
            && t.contains("\"steward.incident.ticket\"")
    })
    .await;
    // A third press, after the ticket exists, creates nothing either.
    press(&bot, "U0ANA", n, "steward.incident.ticket.linear").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(pass(bot.app(), &http, &tracker_secrets()).await.unwrap(), 0);
    {
        let s = fake.state.lock().unwrap();
        assert_eq!(s.linear.len(), 1, "one Linear issue for three presses");
        assert!(s.jira.is_empty(), "Jira was not asked");
        let input = &s.linear[0].1;
        assert!(
            input["title"]
                .as_str()
                .unwrap()
                .starts_with(&format!("INC-{n} SEV2: Revenue dashboard is stale")),
            "{input}"
        );
    }
    let linear = bot
        .app()
        .incident_deliveries(n)
        .unwrap()
        .into_iter()
        .filter(|d| d.kind == "linear")
        .count();
    assert_eq!(linear, 1);
    bot.stop().await;
}
