//! Every Web API request the real bot makes over a whole story goes to exactly `/api/<method>`,
//! with the verb, content type and token Slack reads: the fake records each request and says
//! which ones Slack would not read as meant.

use crate::slack_support::{alert_of, click, command, issue_id, outbox_drained};
use crate::support::{ALERTS, INCIDENTS, TestBot};
use serde_json::json;
use std::time::Duration;
use steward::faces::slack::fake::{
    ActionValue, Call, EnvelopeKind, FAKE_APP_TOKEN, FAKE_BOT_TOKEN, FakeSlack, block_action,
};

/// The methods Slack reads no JSON body for: the bot must send them as GET with a query.
const READ_METHODS: &[&str] = &["auth.test", "users.lookupByEmail", "conversations.info"];

/// The error codes Slack gives a request whose shape is wrong (path, verb, body, token), as
/// opposed to a workspace answer such as `users_not_found`.
const SHAPE_ERRORS: &[&str] = &[
    "unknown_method",
    "invalid_post_type",
    "invalid_charset",
    "invalid_json",
    "json_not_object",
    "invalid_arg_name",
    "invalid_form_data",
    "invalid_arguments",
    "not_authed",
    "invalid_auth",
    "not_allowed_token_type",
    "method_not_allowed",
    "not_found",
];

/// Runs `steward slack check` against the fake, with `SLACK_API_URL` ending in a slash as people
/// write it, and a route to a public channel the bot must join.
fn slack_check_cli(fake: &FakeSlack) -> String {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("steward.toml");
    std::fs::write(
        &config,
        format!(
            "[slack]\nalerts_channel = \"{ALERTS}\"\nincidents_channel = \"{INCIDENTS}\"\n\
             [[slack.routes]]\nchannel = \"C0JOINME01\"\ntag = \"finance\"\n"
        ),
    )
    .unwrap();
    let out = crate::support::steward_bin()
        .args(["slack", "check"])
        .env("STEWARD_DB", dir.path().join("s.db"))
        .env("STEWARD_CONFIG", &config)
        .env("SLACK_BOT_TOKEN", FAKE_BOT_TOKEN)
        .env("SLACK_APP_TOKEN", FAKE_APP_TOKEN)
        .env("SLACK_API_URL", format!("{}/", fake.api_url()))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "steward slack check: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn describe(c: &Call) -> String {
    format!(
        "{} {} ({:?}) -> {} {}",
        c.verb, c.path, c.content_type, c.status, c.response
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn every_call_of_a_whole_story_goes_to_api_method() {
    let bot = TestBot::start().await;
    bot.fake
        .add_channel("C0JOINME01", "finance-joins", false, false);

    // The broken run: alerts, owners looked up by email.
    bot.ingest("broken").await;
    outbox_drained(&bot).await;
    assert!(!bot.top_level(ALERTS).is_empty());
    let id = issue_id(&bot, "stg_shop__payments", "run");
    let (channel, ts) = alert_of(&bot, id);

    // Ana declares an incident from the alert: button, modal, submission.
    click(
        &bot,
        "U0ANA",
        id,
        "steward.declare",
        ActionValue::Button(id.to_string()),
    )
    .await;
    let view = bot.modal("steward.declare").await;
    bot.submit(&view, "U0ANA", json!({
        "title": {"steward.title": {"type": "plain_text_input", "value": "Payments are stale"}},
        "severity": {"steward.severity": {"type": "static_select", "selected_option": {"value": "SEV2", "text": {"type": "plain_text", "text": "SEV2"}}}},
        "commander": {"steward.commander": {"type": "users_select", "selected_user": "U0ANA"}}
    }))
    .await;
    bot.until("the incident message", |_| {
        !bot.top_level(INCIDENTS).is_empty()
    })
    .await;

    // She assigns Bruno; Bruno answers in the alert's thread; a /steward command.
    click(
        &bot,
        "U0ANA",
        id,
        "steward.assign",
        ActionValue::UserSelect("U0BRUNO".into()),
    )
    .await;
    bot.until("the assignment in the thread", |f| {
        f.messages(&channel)
            .iter()
            .any(|m| m.thread_ts.as_deref() == Some(&ts) && m.text.contains("assigned"))
    })
    .await;
    bot.fake
        .post_as_user("U0BRUNO", &channel, "the payments load is late", Some(&ts))
        .await;
    bot.until("the comment", |_| {
        bot.app().issue(id).unwrap().comments.len() == 1
    })
    .await;
    command(&bot, "issues").await;
    bot.until("the ephemeral answer", |f| {
        f.messages(ALERTS).iter().any(|m| m.ephemeral)
    })
    .await;

    // The incident is resolved from its message.
    let inc_ts = bot.top_level(INCIDENTS)[0].ts.clone();
    let env = bot
        .fake
        .send_envelope(
            EnvelopeKind::Interactive,
            block_action(
                "U0ANA",
                INCIDENTS,
                &inc_ts,
                "steward.incident.resolve",
                "steward.incident.1",
                ActionValue::Button("1".into()),
                &bot.fake.issue_trigger_id(),
            ),
        )
        .await;
    bot.fake
        .wait_for_ack(&env, Duration::from_secs(5))
        .await
        .unwrap();
    let view = bot.modal("steward.incident_resolve").await;
    bot.submit(&view, "U0ANA", json!({
        "summary": {"steward.incident_summary": {"type": "plain_text_input", "value": "Reverted the rename."}},
        "category": {"steward.reason_category": {"type": "static_select", "selected_option": {"value": "code_change", "text": {"type": "plain_text", "text": "Code change"}}}}
    }))
    .await;
    bot.until("the incident resolved", |_| {
        bot.app().incident(1).unwrap().status == "resolved"
    })
    .await;

    // The healthy run edits the alerts; Dmitri opens the Home tab.
    bot.ingest("healthy").await;
    outbox_drained(&bot).await;
    assert!(!bot.fake.calls_to("chat.update").is_empty());
    bot.open_home("U0DMITRI").await;
    bot.until("the Home tab", |f| f.home_view("U0DMITRI").is_some())
        .await;

    // `steward slack check`, with a trailing slash on SLACK_API_URL.
    let fake = bot.fake.clone();
    let report = tokio::task::spawn_blocking(move || slack_check_cli(&fake))
        .await
        .unwrap();
    assert!(
        report.contains("bot user UBOT") && report.contains("#finance-joins: joined"),
        "{report}"
    );

    // Every request: exactly /api/<method>, a method Slack has, the verb, body and token Slack
    // reads, and no answer about the request's shape.
    let calls = bot.fake.calls();
    let methods: Vec<&str> = FakeSlack::methods().collect();
    for c in &calls {
        assert_eq!(c.path, format!("/api/{}", c.method), "{}", describe(c));
        assert!(
            methods.contains(&c.method.as_str()),
            "not a method: {}",
            describe(c)
        );
        assert!(c.malformed.is_empty(), "{:?}: {}", c.malformed, describe(c));
        assert_eq!(c.status, 200, "{}", describe(c));
        assert!(
            !c.error().is_some_and(|e| SHAPE_ERRORS.contains(&e)),
            "{}",
            describe(c)
        );
        let want_token = if c.method == "apps.connections.open" {
            FAKE_APP_TOKEN
        } else {
            FAKE_BOT_TOKEN
        };
        assert_eq!(c.token.as_deref(), Some(want_token), "{}", describe(c));
        if READ_METHODS.contains(&c.method.as_str()) {
            assert_eq!(c.verb, "GET", "{}", describe(c));
        } else {
            assert_eq!(c.verb, "POST", "{}", describe(c));
            let ct = c.content_type.as_deref().unwrap_or("");
            assert!(ct.starts_with("application/json"), "{}", describe(c));
        }
    }
    let mut used: Vec<&str> = calls.iter().map(|c| c.method.as_str()).collect();
    used.sort_unstable();
    used.dedup();
    for m in [
        "apps.connections.open",
        "auth.test",
        "chat.postEphemeral",
        "chat.postMessage",
        "chat.update",
        "conversations.info",
        "conversations.join",
        "users.lookupByEmail",
        "views.open",
        "views.publish",
    ] {
        assert!(used.contains(&m), "the story never called {m}: {used:?}");
    }
    // The emails of the demo's owners resolved to users: the lookup's argument arrived.
    assert!(
        bot.fake
            .calls_to("users.lookupByEmail")
            .iter()
            .any(|c| c.ok() && c.params["email"] == json!("ana@example.com")),
        "{:#?}",
        bot.fake
            .calls_to("users.lookupByEmail")
            .iter()
            .map(describe)
            .collect::<Vec<_>>()
    );
    assert!(bot.fake.malformed_calls().is_empty());
    bot.stop().await;
}
