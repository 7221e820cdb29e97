//! The Slack bot end to end: the real slack-morphism client against the fake Slack, driving
//! every button, modal, command and thread path, and checking both Slack and the store.

use crate::support::{ALERTS, INCIDENTS, MARKETING, TestBot};
use serde_json::{Value, json};
use std::time::Duration;
use steward::domain::issues::IssueFilter;
use steward::faces::slack::fake::{ActionValue, EnvelopeKind, Fault, block_action, slash_command};

pub(crate) fn blocks_text(m: &steward::faces::slack::fake::StoredMessage) -> String {
    m.blocks.as_ref().map(|b| b.to_string()).unwrap_or_default()
}

/// The channel and ts of issue `id`'s alert.
pub(crate) fn alert_of(bot: &TestBot, id: i64) -> (String, String) {
    let d = bot.app().issue(id).unwrap();
    let s = d
        .slack
        .unwrap_or_else(|| panic!("issue {id} has no Slack message"));
    (s.channel, s.ts.unwrap())
}

pub(crate) fn issue_id(bot: &TestBot, asset_suffix: &str, check_prefix: &str) -> i64 {
    bot.app()
        .issues(&IssueFilter::default())
        .unwrap()
        .into_iter()
        .find(|i| i.asset.ends_with(asset_suffix) && i.check.starts_with(check_prefix))
        .unwrap_or_else(|| panic!("no issue on {asset_suffix}/{check_prefix}"))
        .id
}

pub(crate) async fn outbox_drained(bot: &TestBot) {
    let app = bot.app().clone();
    for _ in 0..300 {
        let pending = app
            .store
            .read(steward::store::outbox::pending_count)
            .unwrap();
        // Product channels are told after the items that changed them are done.
        if pending == 0 && app.product_announcements().unwrap().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the outbox never drained");
}

pub(crate) async fn click(
    bot: &TestBot,
    user: &str,
    issue: i64,
    action: &str,
    value: ActionValue,
) -> String {
    let (channel, ts) = alert_of(bot, issue);
    let trigger = bot.fake.issue_trigger_id();
    let payload = block_action(
        user,
        &channel,
        &ts,
        action,
        &format!("steward.issue.{issue}"),
        value,
        &trigger,
    );
    let env = bot
        .fake
        .send_envelope(EnvelopeKind::Interactive, payload)
        .await;
    bot.fake
        .wait_for_ack(&env, Duration::from_secs(5))
        .await
        .expect("acked");
    env
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_run_posts_one_living_alert_per_root_cause_group() {
    let bot = TestBot::start().await;
    bot.ingest("broken").await;
    outbox_drained(&bot).await;
    // Roots: payments (run error), product events (warn), customers (2 checks), orders
    // (2 checks), ad_spend freshness: five groups, five messages.
    let alerts = bot.top_level(ALERTS);
    let marketing = bot.top_level(MARKETING);
    assert_eq!(
        alerts.len() + marketing.len(),
        5,
        "alerts: {:#?}",
        alerts.iter().map(|m| &m.text).collect::<Vec<_>>()
    );
    assert_eq!(
        marketing.len(),
        1,
        "the stale source routes by meta.steward.channel"
    );
    assert!(
        marketing[0].text.contains("ad_spend"),
        "{}",
        marketing[0].text
    );
    let payments = alerts
        .iter()
        .find(|m| m.text.contains("stg_shop__payments"))
        .expect("payments alert");
    let body = blocks_text(payments);
    assert!(body.contains("<@U0ANA>"), "owners are mentioned: {body}");
    assert!(
        body.contains(
            "https://docs.example.com/#!/model/model.jaffle_analytics.stg_shop__payments"
        ),
        "docs link: {body}"
    );
    for action in [
        "steward.declare",
        "steward.assign",
        "steward.status",
        "steward.comment",
        "steward.mute",
    ] {
        assert!(body.contains(action), "{action} in {body}");
    }
    // The store knows where each message is.
    let id = issue_id(&bot, "stg_shop__payments", "run");
    assert_eq!(alert_of(&bot, id).0, ALERTS);

    // Ingesting the same run again posts nothing new.
    let before = bot.fake.calls_to("chat.postMessage").len();
    bot.ingest("broken").await;
    outbox_drained(&bot).await;
    assert_eq!(bot.fake.calls_to("chat.postMessage").len(), before);

    // The healthy run edits every alert and says so in its thread.
    bot.ingest("healthy").await;
    outbox_drained(&bot).await;
    let (channel, ts) = alert_of(&bot, id);
    let msg = bot
        .fake
        .messages(&channel)
        .into_iter()
        .find(|m| m.ts == ts)
        .unwrap();
    assert!(!msg.history.is_empty(), "edited in place");
    assert!(
        msg.text.contains('✅') || msg.text.to_lowercase().contains("recovered"),
        "{}",
        msg.text
    );
    let replies: Vec<_> = bot
        .fake
        .messages(&channel)
        .into_iter()
        .filter(|m| m.thread_ts.as_deref() == Some(&ts))
        .collect();
    assert!(
        replies.iter().any(|r| r.text.contains("recovered")),
        "{replies:#?}"
    );
    assert_eq!(
        bot.top_level(ALERTS).len(),
        alerts.len(),
        "no new top-level alert on recovery"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn buttons_assign_resolve_with_reason_and_refuse_stale_clicks() {
    let bot = TestBot::start().await;
    bot.ingest("broken").await;
    outbox_drained(&bot).await;
    let id = issue_id(&bot, "stg_shop__payments", "run");

    click(
        &bot,
        "U0ANA",
        id,
        "steward.assign",
        ActionValue::UserSelect("U0BRUNO".into()),
    )
    .await;
    bot.until("assignment stored", |_| {
        bot.app().issue(id).unwrap().issue.assignee.as_deref() == Some("<@U0BRUNO>")
    })
    .await;
    let issue = bot.app().issue(id).unwrap().issue;
    assert_eq!(issue.status, "acknowledged");
    outbox_drained(&bot).await;
    let (channel, ts) = alert_of(&bot, id);
    bot.until("thread reply about the assignment", |f| {
        f.messages(&channel)
            .iter()
            .any(|m| m.thread_ts.as_deref() == Some(&ts) && m.text.contains("assigned"))
    })
    .await;

    // "Fixed" asks for a reason in a modal, then resolves.
    click(
        &bot,
        "U0ANA",
        id,
        "steward.status",
        ActionValue::StaticSelect {
            value: "fixed".into(),
            text: "Fixed".into(),
        },
    )
    .await;
    let view = bot.modal("steward.reason").await;
    bot.submit(&view, "U0ANA", json!({
                "category": {"steward.reason_category": {"type": "static_select", "selected_option": {"value": "code_change", "text": {"type": "plain_text", "text": "Code change"}}}},
                "reason": {"steward.reason_text": {"type": "plain_text_input", "value": "reverted the column rename"}}
            })).await;
    bot.until("resolved as fixed", |_| {
        bot.app().issue(id).unwrap().issue.status == "resolved"
    })
    .await;
    let issue = bot.app().issue(id).unwrap().issue;
    assert_eq!(issue.resolution.as_deref(), Some("fixed"));
    assert!(issue.resolution_reason.unwrap().contains("reverted"));

    // A stale button on the resolved issue: an ephemeral explanation, nothing changes.
    click(
        &bot,
        "U0CARLA",
        id,
        "steward.assign",
        ActionValue::UserSelect("U0CARLA".into()),
    )
    .await;
    bot.until("stale-button answer", |f| {
        f.messages(&channel)
            .iter()
            .any(|m| m.ephemeral && m.text.contains("already resolved"))
    })
    .await;
    assert_eq!(
        bot.app().issue(id).unwrap().issue.assignee.as_deref(),
        Some("<@U0BRUNO>")
    );
    bot.stop().await;
}

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

pub(crate) async fn command(bot: &TestBot, text: &str) {
    let env = bot
        .fake
        .send_envelope(
            EnvelopeKind::SlashCommands,
            slash_command(
                "U0ANA",
                ALERTS,
                "/steward",
                text,
                &bot.fake.issue_trigger_id(),
            ),
        )
        .await;
    bot.fake
        .wait_for_ack(&env, Duration::from_secs(5))
        .await
        .unwrap();
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
async fn alerts_waiting_in_the_store_are_sent_when_the_bot_starts() {
    // The ingest happens while Slack is unreachable (no bot yet): the alerts wait in the
    // outbox and go out when the bot connects, as after a restart.
    let bot = TestBot::start_with(Vec::new(), |app| {
        let read = |f: &str| {
            Some(
                steward::app::ingest::Input::read(&crate::support::demo_artifact("broken", f))
                    .unwrap(),
            )
        };
        app.ingest_dbt(steward::app::ingest::DbtArtifacts {
            manifest: read("manifest.json"),
            run_results: read("run_results.json"),
            sources: read("sources.json"),
            env: None,
            allow_empty: false,
            run_url: None,
        })
        .unwrap();
    })
    .await;
    outbox_drained(&bot).await;
    assert_eq!(
        bot.top_level(ALERTS).len() + bot.top_level(MARKETING).len(),
        5
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn routing_rules_send_groups_to_their_channel() {
    let route = steward::config::Route {
        channel: crate::support::FINANCE.into(),
        data_product: Some("product_engagement".into()),
        ..Default::default()
    };
    let bot = TestBot::start_with(vec![route], |_| {}).await;
    bot.ingest("broken").await;
    outbox_drained(&bot).await;
    let finance = bot.top_level(crate::support::FINANCE);
    assert_eq!(
        finance.len(),
        1,
        "{:?}",
        finance.iter().map(|m| &m.text).collect::<Vec<_>>()
    );
    assert!(finance[0].text.contains("stg_product__events"));
    // meta.steward.channel beats the rules.
    assert_eq!(bot.top_level(MARKETING).len(), 1);
    assert_eq!(bot.top_level(ALERTS).len(), 3);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn show_sql_mute_and_the_home_tab() {
    let bot = TestBot::start().await;
    bot.ingest("broken").await;
    outbox_drained(&bot).await;
    let id = issue_id(&bot, "stg_shop__payments", "run");

    click(
        &bot,
        "U0ANA",
        id,
        "steward.show_sql",
        ActionValue::Button(id.to_string()),
    )
    .await;
    bot.until("SQL modal", |f| {
        f.views()
            .iter()
            .any(|v| v.view["callback_id"] == "steward.sql")
    })
    .await;
    let sql = bot
        .fake
        .views()
        .into_iter()
        .find(|v| v.view["callback_id"] == "steward.sql")
        .unwrap();
    assert!(
        sql.view.to_string().contains("payment_method_v2"),
        "the compiled SQL is shown"
    );

    // The Home tab: published when opened, republished after a change.
    bot.open_home("U0BRUNO").await;
    bot.until("home published", |f| f.home_view("U0BRUNO").is_some())
        .await;
    let home = bot.fake.home_view("U0BRUNO").unwrap();
    assert!(
        home.view.to_string().contains("revenue"),
        "open issues by data product"
    );
    click(
        &bot,
        "U0ANA",
        id,
        "steward.assign",
        ActionValue::UserSelect("U0BRUNO".into()),
    )
    .await;
    bot.until("home republished with Bruno's issue", |f| {
        f.home_view("U0BRUNO").is_some_and(|h| {
            h.updates > home.updates && h.view.to_string().contains("stg_shop__payments")
        })
    })
    .await;

    // Mute for 24 h from the overflow menu.
    click(
        &bot,
        "U0ANA",
        id,
        "steward.mute",
        ActionValue::Overflow {
            value: "24h".into(),
            text: "24 hours".into(),
        },
    )
    .await;
    bot.until("muted", |_| {
        bot.app().issue(id).unwrap().issue.muted_until.is_some()
    })
    .await;
    let (channel, ts) = alert_of(&bot, id);
    bot.until("mute reply", |f| {
        f.messages(&channel)
            .iter()
            .any(|m| m.thread_ts.as_deref() == Some(&ts) && m.text.contains("muted"))
    })
    .await;
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

#[tokio::test(flavor = "multi_thread")]
async fn resolving_as_expected_in_the_modal_mutes_the_check_and_the_thread_says_until_when() {
    let bot = TestBot::start().await;
    bot.ingest("broken").await;
    outbox_drained(&bot).await;
    let id = issue_id(&bot, "stg_shop__payments", "run");
    let (channel, ts) = alert_of(&bot, id);

    click(
        &bot,
        "U0CARLA",
        id,
        "steward.status",
        ActionValue::StaticSelect {
            value: "expected".into(),
            text: "🤷 Expected".into(),
        },
    )
    .await;
    let view = bot.modal("steward.reason").await;
    assert!(
        view.view["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["block_id"] == "mute_for"),
        "the expected modal asks how long to mute: {:#}",
        view.view
    );
    let started = bot.app().clock.now();
    bot.submit(&view, "U0CARLA", json!({
        "category": {"steward.reason_category": {"type": "static_select", "selected_option": {"value": "upstream_source_late", "text": {"type": "plain_text", "text": "Upstream source late"}}}},
        "reason": {"steward.reason_text": {"type": "plain_text_input", "value": "payments backfill"}},
        "mute_for": {"steward.mute_for": {"type": "static_select", "selected_option": {"value": "7d", "text": {"type": "plain_text", "text": "7 days"}}}}
    }))
    .await;
    bot.until("resolved as expected", |_| {
        bot.app().issue(id).unwrap().issue.status == "resolved"
    })
    .await;
    let issue = bot.app().issue(id).unwrap().issue;
    assert_eq!(issue.resolution.as_deref(), Some("expected"));
    let until = chrono::DateTime::parse_from_rfc3339(issue.muted_until.as_deref().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let week = chrono::Duration::days(7);
    assert!(
        until >= started + week && until <= bot.app().clock.now() + week,
        "muted for the 7 days chosen: {until}"
    );
    bot.until("the thread says resolved as expected, muted until", |f| {
        f.messages(&channel).iter().any(|m| {
            m.thread_ts.as_deref() == Some(&ts)
                && m.text.contains("resolved this as expected: upstream_source_late: payments backfill · muted until ")
        })
    })
    .await;
    outbox_drained(&bot).await;

    // The check fails again while muted: the alert is edited (and says it is muted), no new
    // top-level message.
    let top_before = bot.top_level(ALERTS).len();
    let thread_before = bot
        .fake
        .messages(&channel)
        .iter()
        .filter(|m| m.thread_ts.as_deref() == Some(&ts))
        .count();
    let app = bot.app().clone();
    let env = issue.env.clone();
    tokio::task::spawn_blocking(move || {
        let alert = json!({"id": "again-1", "asset": "model.jaffle_analytics.stg_shop__payments", "check": "run", "status": "fail", "source": "airflow"});
        app.ingest_alerts(
            steward::app::ingest::Input::new("test", alert.to_string().into_bytes()),
            Some(env),
        )
    })
    .await
    .unwrap()
    .unwrap();
    bot.until("the alert is edited and shows the mute", |f| {
        f.messages(&channel)
            .iter()
            .any(|m| m.ts == ts && blocks_text(m).contains("Muted until"))
    })
    .await;
    outbox_drained(&bot).await;
    assert_eq!(
        bot.app().issue(id).unwrap().issue.status,
        "open",
        "reopened"
    );
    assert_eq!(
        bot.top_level(ALERTS).len(),
        top_before,
        "no new alert for a muted check"
    );
    // The mute means "we know": the thread is not told it failed again.
    let thread: Vec<String> = bot
        .fake
        .messages(&channel)
        .iter()
        .filter(|m| m.thread_ts.as_deref() == Some(&ts))
        .map(|m| m.text.clone())
        .collect();
    assert_eq!(
        thread.len(),
        thread_before,
        "no thread reply while muted: {thread:?}"
    );
    bot.stop().await;
}
