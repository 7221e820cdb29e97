//! Incidents and conversation on Slack end to end: declaring from an alert, the incident's
//! buttons, thread replies as comments, slash commands and stakeholder updates.

use crate::slack_support::{alert_of, click, command, issue_id, outbox_drained};
use crate::support::{ALERTS, INCIDENTS, TestBot};
use serde_json::{Value, json};
use std::time::Duration;
use steward::faces::slack::fake::{ActionValue, EnvelopeKind, block_action, slash_command};

#[tokio::test(flavor = "multi_thread")]
async fn declaring_from_an_alert_opens_an_incident_with_related_issues() {
    let bot = TestBot::start().await;
    bot.ingest("broken").await;
    outbox_drained(&bot).await;
    let id = issue_id(&bot, "stg_shop__payments", "run");
    click(
        &bot,
        "U0ANA",
        id,
        "steward.declare",
        ActionValue::Button(id.to_string()),
    )
    .await;
    let view = bot.modal("steward.declare").await;
    // The severity select pre-selects the `[incidents]` suggestion (SEV3 with no rules).
    let preselected = view.view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["element"]["action_id"] == "steward.severity")
        .map(|b| b["element"]["initial_option"]["value"].clone());
    assert_eq!(preselected, Some(json!("SEV3")), "{:#}", view.view);

    // An empty title is refused inside the modal (response_action errors in the ack).
    let ack = bot
        .submit(
            &view,
            "U0ANA",
            json!({"title": {"steward.title": {"type": "plain_text_input", "value": ""}}}),
        )
        .await;
    assert_eq!(
        ack.payload
            .as_ref()
            .and_then(|p| p.get("response_action"))
            .and_then(Value::as_str),
        Some("errors"),
        "{ack:?}"
    );

    bot.submit(&view, "U0ANA", json!({
                "title": {"steward.title": {"type": "plain_text_input", "value": "Revenue is stale"}},
                "severity": {"steward.severity": {"type": "static_select", "selected_option": {"value": "SEV2", "text": {"type": "plain_text", "text": "SEV2"}}}},
                "commander": {"steward.commander": {"type": "users_select", "selected_user": "U0ANA"}}
            })).await;
    bot.until("incident declared", |_| {
        !bot.app().incidents(true).unwrap().is_empty()
    })
    .await;
    let incident = bot.app().incidents(true).unwrap().remove(0);
    assert_eq!(
        (incident.id.as_str(), incident.severity.as_str()),
        ("INC-1", "SEV2")
    );
    assert_eq!(incident.commander.as_deref(), Some("<@U0ANA>"));
    assert!(incident.issues.contains(&id));
    bot.until("incident message", |_| !bot.top_level(INCIDENTS).is_empty())
        .await;
    assert!(bot.top_level(INCIDENTS)[0].text.contains("INC-1"));
    outbox_drained(&bot).await;
    let (channel, ts) = alert_of(&bot, id);
    bot.until("alert shows the incident", |f| {
        f.messages(&channel).iter().any(|m| {
            m.ts == ts
                && m.blocks
                    .as_ref()
                    .is_some_and(|b| b.to_string().contains("INC-1"))
        })
    })
    .await;
    incident_buttons(&bot).await;
    bot.stop().await;
}

/// The incident's own buttons: a status update with a note, then resolving with a summary.
async fn incident_buttons(bot: &TestBot) {
    let inc_ts = bot.top_level(INCIDENTS)[0].ts.clone();
    let press = |action: &str| {
        block_action(
            "U0ANA",
            INCIDENTS,
            &inc_ts,
            action,
            "steward.incident.1",
            ActionValue::Button("1".into()),
            &bot.fake.issue_trigger_id(),
        )
    };
    let env = bot
        .fake
        .send_envelope(EnvelopeKind::Interactive, press("steward.incident.status"))
        .await;
    bot.fake
        .wait_for_ack(&env, Duration::from_secs(5))
        .await
        .unwrap();
    let view = bot.modal("steward.incident_status").await;
    bot.submit(&view, "U0ANA", json!({
                "status": {"steward.incident_status_value": {"type": "static_select", "selected_option": {"value": "monitoring", "text": {"type": "plain_text", "text": "Monitoring"}}}},
                "note": {"steward.incident_note": {"type": "plain_text_input", "value": "fix deployed, watching the next run"}}
            })).await;
    bot.until("monitoring", |_| {
        bot.app().incident(1).unwrap().status == "monitoring"
    })
    .await;
    assert!(bot.app().incident(1).unwrap().mitigated.is_some());
    bot.until("timeline in the incident thread", |f| {
        f.messages(INCIDENTS)
            .iter()
            .any(|m| m.thread_ts.as_deref() == Some(&inc_ts) && m.text.contains("monitoring"))
    })
    .await;

    let env = bot
        .fake
        .send_envelope(EnvelopeKind::Interactive, press("steward.incident.resolve"))
        .await;
    bot.fake
        .wait_for_ack(&env, Duration::from_secs(5))
        .await
        .unwrap();
    let view = bot.modal("steward.incident_resolve").await;
    bot.submit(&view, "U0ANA", json!({
                "summary": {"steward.incident_summary": {"type": "plain_text_input", "value": "A renamed column broke payments; reverted."}},
                "category": {"steward.reason_category": {"type": "static_select", "selected_option": {"value": "code_change", "text": {"type": "plain_text", "text": "Code change"}}}}
            })).await;
    bot.until("resolved", |_| {
        bot.app().incident(1).unwrap().status == "resolved"
    })
    .await;
    let inc = bot.app().incident(1).unwrap();
    assert_eq!(inc.resolution_reason.as_deref(), Some("code_change"));
    assert!(inc.summary.unwrap().contains("reverted"));
}

#[tokio::test(flavor = "multi_thread")]
async fn thread_replies_become_comments_and_follow_edits_and_deletes() {
    let bot = TestBot::start().await;
    bot.ingest("broken").await;
    outbox_drained(&bot).await;
    let id = issue_id(&bot, "stg_shop__payments", "run");
    let (channel, ts) = alert_of(&bot, id);
    let reply_ts = bot
        .fake
        .post_as_user(
            "U0BRUNO",
            &channel,
            "looking at the payments load",
            Some(&ts),
        )
        .await;
    bot.until("comment stored", |_| {
        bot.app().issue(id).unwrap().comments.len() == 1
    })
    .await;
    let c = &bot.app().issue(id).unwrap().comments[0];
    assert_eq!(
        (c.author.as_str(), c.body.as_str()),
        ("<@U0BRUNO>", "looking at the payments load")
    );

    let changed = steward::faces::slack::fake::message_changed_event(
        "U0BRUNO",
        &channel,
        &reply_ts,
        "the payments load is late",
        "looking at the payments load",
        Some(&ts),
    );
    bot.fake
        .send_envelope(EnvelopeKind::EventsApi, changed)
        .await;
    bot.until("comment edited", |_| {
        bot.app().issue(id).unwrap().comments[0].body == "the payments load is late"
    })
    .await;

    let deleted = steward::faces::slack::fake::message_deleted_event(
        "U0BRUNO",
        &channel,
        &reply_ts,
        "the payments load is late",
        Some(&ts),
    );
    bot.fake
        .send_envelope(EnvelopeKind::EventsApi, deleted)
        .await;
    bot.until("comment removed", |_| {
        bot.app().issue(id).unwrap().comments.is_empty()
    })
    .await;

    // A message outside any alert thread is not a comment.
    bot.fake
        .post_as_user("U0BRUNO", &channel, "lunch?", None)
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(bot.app().issue(id).unwrap().comments.is_empty());
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn slash_commands_answer_and_unknown_input_gets_usage() {
    let bot = TestBot::start().await;
    bot.ingest("broken").await;
    outbox_drained(&bot).await;
    let trigger = bot.fake.issue_trigger_id();
    let env = bot
        .fake
        .send_envelope(
            EnvelopeKind::SlashCommands,
            slash_command("U0ANA", ALERTS, "/steward", "issues", &trigger),
        )
        .await;
    bot.fake
        .wait_for_ack(&env, Duration::from_secs(5))
        .await
        .unwrap();
    bot.until("issues answer", |f| {
        f.messages(ALERTS)
            .iter()
            .any(|m| m.ephemeral && m.text.contains("issue"))
    })
    .await;

    let id = issue_id(&bot, "stg_shop__orders", "test.");
    let text = format!("comment {id} checking the source system");
    let env = bot
        .fake
        .send_envelope(
            EnvelopeKind::SlashCommands,
            slash_command(
                "U0ANA",
                ALERTS,
                "/steward",
                &text,
                &bot.fake.issue_trigger_id(),
            ),
        )
        .await;
    bot.fake
        .wait_for_ack(&env, Duration::from_secs(5))
        .await
        .unwrap();
    bot.until("comment via command", |_| {
        bot.app().issue(id).unwrap().comments.len() == 1
    })
    .await;

    let env = bot
        .fake
        .send_envelope(
            EnvelopeKind::SlashCommands,
            slash_command(
                "U0ANA",
                ALERTS,
                "/steward",
                "frobnicate",
                &bot.fake.issue_trigger_id(),
            ),
        )
        .await;
    bot.fake
        .wait_for_ack(&env, Duration::from_secs(5))
        .await
        .unwrap();
    bot.until("usage answer", |f| {
        f.messages(ALERTS)
            .iter()
            .any(|m| m.ephemeral && m.text.contains("frobnicate"))
    })
    .await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stakeholder_updates_reach_the_thread_and_product_channels_and_sla_answers() {
    let revenue = steward::config::ProductConfig {
        name: "revenue".into(),
        team: "finance".into(),
        channel: Some(crate::support::FINANCE.into()),
        tier: Some(1),
        sla: Some("99.5%".into()),
        window: Duration::from_secs(30 * 86_400),
        select: vec!["fct_revenue".into()],
        line: 0,
        select_lines: Vec::new(),
    };
    let bot = TestBot::start_with_products(Vec::new(), vec![revenue], |_| {}).await;
    bot.ingest("broken").await;
    outbox_drained(&bot).await;
    let id = issue_id(&bot, "stg_shop__payments", "run");
    let incident = tokio::task::block_in_place(|| {
        bot.app().declare(
            steward::domain::incidents::Declaration {
                title: "Payments are late".into(),
                severity: "SEV2".into(),
                declared_by: "<@U0ANA>".into(),
                issues: vec![id],
                ..Default::default()
            },
            &steward::domain::access::Actor::admin("<@U0ANA>"),
        )
    })
    .unwrap();
    assert_eq!(incident.number, 1);
    outbox_drained(&bot).await;
    let thread_ts = bot
        .top_level(INCIDENTS)
        .first()
        .expect("the incident message")
        .ts
        .clone();

    command(&bot, "update INC-1 Backfill running, ETA 2h").await;
    bot.until("update in the incident thread", |f| {
        f.messages(INCIDENTS).iter().any(|m| {
            m.thread_ts.as_deref() == Some(thread_ts.as_str())
                && m.text.contains("update on INC-1")
                && m.text.contains("Backfill running, ETA 2h")
        })
    })
    .await;
    bot.until("update in the finance channel", |f| {
        f.messages(crate::support::FINANCE)
            .iter()
            .any(|m| m.thread_ts.is_none() && m.text.contains("Backfill running, ETA 2h"))
    })
    .await;
    outbox_drained(&bot).await;
    let timeline = bot.app().incident_timeline(1).unwrap();
    assert!(
        timeline
            .iter()
            .any(|e| format!("{e:?}").contains("Backfill running, ETA 2h")),
        "{timeline:?}"
    );

    // A missing incident is refused, ephemerally.
    command(&bot, "update INC-9 hello").await;
    bot.until("missing incident refused", |f| {
        f.messages(ALERTS)
            .iter()
            .any(|m| m.ephemeral && m.text.contains("INC-9"))
    })
    .await;

    command(&bot, "sla").await;
    bot.until("sla answer", |f| {
        f.messages(ALERTS)
            .iter()
            .any(|m| m.ephemeral && m.text.contains("revenue") && m.text.contains("99.50%"))
    })
    .await;
    command(&bot, "sla nope").await;
    bot.until("sla usage", |f| {
        f.messages(ALERTS)
            .iter()
            .any(|m| m.ephemeral && m.text.contains("`nope`") && m.text.contains("Usage"))
    })
    .await;
    bot.stop().await;
}
