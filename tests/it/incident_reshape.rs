//! Merging and splitting incidents from their Slack messages, through the fake Slack: the
//! buttons open their modals, the submissions change the incidents, and both threads say so.

use crate::slack_support::outbox_drained;
use crate::support::{INCIDENTS, TestBot};
use serde_json::json;
use std::time::Duration;
use steward::domain::incidents::Declaration;
use steward::faces::slack::fake::{ActionValue, EnvelopeKind, block_action};

async fn press(bot: &TestBot, n: i64, action: &str) {
    let ts = message_of(bot, n);
    let payload = block_action(
        "U0ANA",
        INCIDENTS,
        &ts,
        action,
        &format!("steward.incident.{n}"),
        ActionValue::Button(n.to_string()),
        &bot.fake.issue_trigger_id(),
    );
    let env = bot
        .fake
        .send_envelope(EnvelopeKind::Interactive, payload)
        .await;
    bot.fake
        .wait_for_ack(&env, Duration::from_secs(5))
        .await
        .unwrap();
}

fn message_of(bot: &TestBot, n: i64) -> String {
    bot.top_level(INCIDENTS)
        .into_iter()
        .find(|m| m.text.contains(&format!("INC-{n}")))
        .unwrap_or_else(|| panic!("no message for INC-{n}"))
        .ts
}

fn declare(bot: &TestBot, title: &str, issues: Vec<i64>) {
    let app = bot.app().clone();
    tokio::task::block_in_place(|| {
        app.declare(
            Declaration {
                title: title.into(),
                description: None,
                severity: "SEV2".into(),
                commander: Some("<@U0ANA>".into()),
                issues,
                declared_by: "<@U0ANA>".into(),
            },
            &steward::domain::access::Actor::admin("<@U0ANA>"),
        )
        .unwrap()
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn split_and_merge_from_the_incident_messages() {
    let bot = TestBot::start().await;
    bot.ingest("broken").await;
    outbox_drained(&bot).await;
    declare(&bot, "Payments", vec![1, 7]);
    declare(&bot, "Customers", vec![3]);
    outbox_drained(&bot).await;
    assert_eq!(bot.top_level(INCIDENTS).len(), 2);

    // Split #7 off INC-1.
    press(&bot, 1, "steward.incident.split").await;
    let view = bot.modal("steward.incident_split").await;
    let ack = bot
        .submit(
            &view,
            "U0ANA",
            json!({"title": {"steward.split_title": {"type": "plain_text_input", "value": ""}}}),
        )
        .await;
    let errors = ack
        .payload
        .as_ref()
        .map(|p| p["errors"].clone())
        .unwrap_or_default();
    assert!(
        errors["issues"].is_string() && errors["title"].is_string(),
        "{ack:?}"
    );
    bot.submit(&view, "U0ANA", json!({
        "issues": {"steward.split_issues": {"type": "multi_static_select", "selected_options": [{"value": "7", "text": {"type": "plain_text", "text": "#7"}}]}},
        "title": {"steward.split_title": {"type": "plain_text_input", "value": "Ad spend is stale"}}
    })).await;
    bot.until("INC-3 split off", |_| {
        bot.app().incidents(true).unwrap().len() == 3
    })
    .await;
    let three = bot.app().incident(3).unwrap();
    assert_eq!(three.issues, vec![7]);
    assert_eq!(three.title, "Ad spend is stale");
    assert_eq!(bot.app().incident(1).unwrap().issues, vec![1]);
    outbox_drained(&bot).await;
    assert_eq!(
        bot.top_level(INCIDENTS).len(),
        3,
        "the new incident has its message"
    );

    // Merge INC-2 into INC-1.
    press(&bot, 2, "steward.incident.merge").await;
    let view = bot.modal("steward.incident_merge").await;
    bot.submit(&view, "U0ANA", json!({
        "into": {"steward.merge_into": {"type": "static_select", "selected_option": {"value": "1", "text": {"type": "plain_text", "text": "INC-1"}}}}
    })).await;
    bot.until("INC-2 merged", |_| {
        bot.app().incident(2).unwrap().merged_into == Some(1)
    })
    .await;
    assert_eq!(bot.app().incident(1).unwrap().issues, vec![1, 3]);
    outbox_drained(&bot).await;
    let thread_of = |n: i64| {
        let ts = message_of(&bot, n);
        bot.fake
            .messages(INCIDENTS)
            .into_iter()
            .filter(|m| m.thread_ts.as_deref() == Some(ts.as_str()))
            .map(|m| m.text)
            .collect::<Vec<_>>()
    };
    assert!(
        thread_of(1)
            .iter()
            .any(|t| t.contains("merged INC-2 into this incident")),
        "{:?}",
        thread_of(1)
    );
    assert!(
        thread_of(2)
            .iter()
            .any(|t| t.contains("merged this incident into INC-1")),
        "{:?}",
        thread_of(2)
    );
    assert!(
        thread_of(1)
            .iter()
            .any(|t| t.contains("split #7 off into INC-3")),
        "{:?}",
        thread_of(1)
    );
    bot.stop().await;
}
