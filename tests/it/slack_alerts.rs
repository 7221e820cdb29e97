//! Alerts on Slack end to end (the real slack-morphism client against the fake Slack): one living
//! alert per root-cause group, its buttons and modals, mutes, the Home tab, routing and backlog.

use crate::slack_support::{alert_of, blocks_text, click, issue_id, outbox_drained};
use crate::support::{ALERTS, MARKETING, TestBot};
use serde_json::json;
use steward::faces::slack::fake::ActionValue;

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
