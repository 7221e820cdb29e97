//! `[access]` through every face: Slack buttons, modals and slash commands against the fake
//! Slack (members of user groups read with `usergroups.users.list`, refreshed on demand), the
//! CLI acting as an administrator under `--as`, config errors, and `steward slack check`.

use crate::slack_check::{by, check_with_good_tokens, parse, workspace};
use crate::slack_support::{click, issue_id, outbox_drained};
use crate::support::{ALERTS, INCIDENTS, TestBot, stderr, steward, steward_ok};
use serde_json::{Value, json};
use std::time::Duration;
use steward::domain::access::Actor;
use steward::faces::slack::fake::{ActionValue, EnvelopeKind, slash_command};

const RULES: &str = r#"
[access]
declare = ["@data-oncall"]
mute = ["U0ANA"]
resolve_issues = ["S0ONCALL"]
severity_commander = ["S0ONCALL", "U0ANA"]
merge_split = ["S0ONCALL"]
"#;

async fn start() -> TestBot {
    let access = steward::config::Config::parse("steward.toml", RULES)
        .unwrap()
        .access;
    TestBot::start_configured(
        Vec::new(),
        |c| {
            c.access = access;
            if let Some(s) = c.slack.as_mut() {
                s.product_updates = steward::config::ProductUpdates::Off;
            }
        },
        std::sync::Arc::new(steward::faces::demo::story_clock()),
        |_| {},
    )
    .await
}

/// Whether `user` was told something containing `needle`, ephemerally, in any channel.
fn told(bot: &TestBot, user: &str, needle: &str) -> bool {
    [ALERTS, INCIDENTS].iter().any(|c| {
        bot.fake.messages(c).iter().any(|m| {
            m.ephemeral && m.ephemeral_user.as_deref() == Some(user) && m.text.contains(needle)
        })
    })
}

async fn command_as(bot: &TestBot, user: &str, text: &str) {
    let payload = slash_command(user, ALERTS, "/steward", text, &bot.fake.issue_trigger_id());
    let env = bot
        .fake
        .send_envelope(EnvelopeKind::SlashCommands, payload)
        .await;
    bot.fake
        .wait_for_ack(&env, Duration::from_secs(5))
        .await
        .unwrap();
}

/// Sets the members of the on-call group in the fake and has the bot read them again.
async fn oncall(bot: &TestBot, members: &[&str]) {
    bot.fake.set_usergroup_users("S0ONCALL", members);
    let problems = bot.bot.as_ref().unwrap().refresh_access().await;
    assert!(problems.is_empty(), "{problems:?}");
}

fn modals(bot: &TestBot, callback: &str) -> usize {
    bot.fake
        .views()
        .iter()
        .filter(|v| v.view["callback_id"] == callback)
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn slack_buttons_modals_and_commands_obey_access_and_group_membership() {
    let bot = start().await;
    bot.ingest("broken").await;
    outbox_drained(&bot).await;
    let id = issue_id(&bot, "stg_shop__payments", "run");

    // Before the group exists nobody is in it: Declare is refused before any modal opens.
    let declare = ActionValue::Button(id.to_string());
    click(&bot, "U0CARLA", id, "steward.declare", declare.clone()).await;
    bot.until("declare refused", |_| {
        told(
            &bot,
            "U0CARLA",
            "only [access] declare may declare incidents: @data-oncall",
        )
    })
    .await;
    assert_eq!(modals(&bot, "steward.declare"), 0);

    // A refused press changes nothing in the store.
    let mute = ActionValue::Overflow {
        value: "24h".into(),
        text: "24 hours".into(),
    };
    click(&bot, "U0CARLA", id, "steward.mute", mute).await;
    bot.until("mute refused", |_| {
        told(
            &bot,
            "U0CARLA",
            "only [access] mute may mute or unmute alerts: U0ANA",
        )
    })
    .await;
    assert!(bot.app().mutes().unwrap().is_empty());
    assert!(bot.app().issue(id).unwrap().issue.muted_until.is_none());

    // The group appears with Bruno in it: read by handle (usergroups.list) and by ID
    // (usergroups.users.list), Bruno may declare.
    bot.fake.add_usergroup("S0ONCALL", "data-oncall");
    oncall(&bot, &["U0BRUNO"]).await;
    let read = bot.fake.calls_to("usergroups.users.list");
    assert!(
        read.iter()
            .any(|c| c.ok() && c.params["usergroup"] == "S0ONCALL"),
        "{read:?}"
    );
    click(&bot, "U0BRUNO", id, "steward.declare", declare).await;
    let view = bot.modal("steward.declare").await;
    let form = json!({"title": {"steward.title": {"type": "plain_text_input", "value": "Revenue is stale"}}});

    // Bruno leaves the group while the modal is open: the submission is refused in the modal.
    oncall(&bot, &[]).await;
    let ack = bot.submit(&view, "U0BRUNO", form.clone()).await;
    let payload = ack.payload.clone().unwrap_or(Value::Null);
    assert_eq!(payload["response_action"], "errors", "{payload}");
    let shown = payload["errors"]["title"].as_str().unwrap_or_default();
    assert!(shown.contains("only [access] declare"), "{payload}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(bot.app().incidents(false).unwrap().is_empty());

    // Back in the group: the same submission declares, recorded as Bruno.
    oncall(&bot, &["U0BRUNO"]).await;
    bot.submit(&view, "U0BRUNO", form).await;
    bot.until("declared", |_| {
        !bot.app().incidents(true).unwrap().is_empty()
    })
    .await;
    let inc = bot.app().incident(1).unwrap();
    assert_eq!(inc.declared_by, "<@U0BRUNO>");

    // A refused slash command names the rule and changes nothing.
    command_as(&bot, "U0CARLA", "incident INC-1 severity SEV1").await;
    bot.until("severity refused", |_| {
        told(&bot, "U0CARLA", "only [access] severity_commander")
    })
    .await;
    assert_eq!(bot.app().incident(1).unwrap().severity, inc.severity);
    // Ana is named directly.
    command_as(&bot, "U0ANA", "incident INC-1 severity SEV1").await;
    bot.until("severity set", |_| told(&bot, "U0ANA", "INC-1 is now SEV1"))
        .await;

    // Split and merge from the slash command, for a member of the group only.
    let app = bot.app().clone();
    let other = tokio::task::spawn_blocking(move || {
        let linked = app.incident(1).unwrap().issues;
        let issues = app.issues(&Default::default()).unwrap();
        let other = issues.iter().find(|i| !linked.contains(&i.id)).unwrap().id;
        app.incident_link(1, other, "ops", false).unwrap();
        other
    })
    .await
    .unwrap();
    command_as(
        &bot,
        "U0CARLA",
        &format!("incident INC-1 split #{other} Revenue model late"),
    )
    .await;
    bot.until("split refused", |_| {
        told(&bot, "U0CARLA", "only [access] merge_split")
    })
    .await;
    assert_eq!(bot.app().incidents(false).unwrap().len(), 1);
    command_as(
        &bot,
        "U0BRUNO",
        &format!("incident INC-1 split #{other} Revenue model late"),
    )
    .await;
    bot.until("split", |_| told(&bot, "U0BRUNO", "INC-2 split off INC-1"))
        .await;
    let two = bot.app().incident(2).unwrap();
    assert_eq!(
        (two.title.as_str(), two.issues.as_slice()),
        ("Revenue model late", [other].as_slice())
    );
    assert_eq!(two.declared_by, "<@U0BRUNO>");
    command_as(&bot, "U0BRUNO", "incident INC-2 merge-into INC-1").await;
    bot.until("merged", |_| {
        told(&bot, "U0BRUNO", "INC-2 merged into INC-1")
    })
    .await;
    assert_eq!(bot.app().incident(2).unwrap().merged_into, Some(1));
    assert!(bot.app().incident(1).unwrap().issues.contains(&other));

    // Help lists every incident change, merge and split included.
    command_as(&bot, "U0BRUNO", "help").await;
    bot.until("help", |_| told(&bot, "U0BRUNO", "merge-into INC-m"))
        .await;
    assert!(told(&bot, "U0BRUNO", "split n… TITLE"));
    assert!(told(&bot, "U0BRUNO", "/steward mutes"));
    bot.stop().await;
}

/// The CLI acts as an administrator: `[access]` never refuses it, and `--as` (or the older
/// `--actor`) is who the timeline records.
#[test]
fn the_cli_acts_as_an_administrator_recorded_under_as() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("steward.db");
    let config = dir.path().join("steward.toml");
    std::fs::write(
        &config,
        "[access]\ndeclare = []\nseverity_commander = [\"U0ANA\"]\nresolve_incidents = []\n",
    )
    .unwrap();
    let cfg = config.display().to_string();
    let run = |args: &[&str]| {
        let mut all = vec!["--config", cfg.as_str()];
        all.extend_from_slice(args);
        steward_ok(&db, &all)
    };
    let out = run(&["declare", "--title", "Revenue is stale", "--as", "dana"]);
    assert!(out.contains("declared INC-1"), "{out}");
    run(&["incident", "INC-1", "severity", "SEV1", "--actor", "erik"]);
    run(&[
        "incident",
        "INC-1",
        "status",
        "resolved",
        "--summary",
        "Backfilled",
        "--reason",
        "code_change",
        "--as",
        "dana",
    ]);
    let shown = run(&["incident", "INC-1", "--json"]);
    let inc: Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(inc["declared_by"], "dana");
    assert_eq!(inc["status"], "resolved");
    let timeline =
        steward::app::App::open(steward::config::Config::load(Some(&config)).unwrap(), &db)
            .unwrap()
            .incident_timeline(1)
            .unwrap();
    let actors: Vec<String> = timeline
        .iter()
        .map(|e| serde_json::to_value(e).unwrap()["actor"].to_string())
        .collect();
    assert!(actors.iter().any(|a| a.contains("erik")), "{actors:?}");
    assert!(actors.iter().any(|a| a.contains("dana")), "{actors:?}");
}

/// The core refuses a person the same whichever face carries them, as a Forbidden input error.
#[test]
fn the_core_refuses_people_and_never_administrators() {
    let mut config = steward::config::Config::parse("steward.toml", RULES).unwrap();
    config.slack = None;
    let t = crate::support::TestApp::with_config(config);
    let app = &t.app;
    let d = steward::domain::incidents::Declaration {
        title: "Late".into(),
        severity: "SEV3".into(),
        ..Default::default()
    };
    let e = app.declare(d.clone(), &Actor::user("U0CARLA")).unwrap_err();
    let input = steward::error::as_input_error(&e).unwrap();
    assert_eq!(input.kind, steward::error::InputErrorKind::Forbidden);
    assert_eq!(
        input.to_string(),
        "Not allowed: only [access] declare may declare incidents: @data-oncall"
    );
    let inc = app.declare(d, &Actor::admin("ops")).unwrap();
    assert_eq!(inc.declared_by, "ops");
    let e = app
        .incident_merge(1, 2, &Actor::user("U0ANA"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("only [access] merge_split"), "{e}");
    // Severity: Ana is named; she is recorded as a mention.
    app.incident_severity(1, "SEV2", &Actor::user("U0ANA"))
        .unwrap();
    let timeline = app.incident_timeline(1).unwrap();
    let last = serde_json::to_value(timeline.last().unwrap()).unwrap();
    assert_eq!(last["actor"], "<@U0ANA>", "{last}");
}

#[test]
fn bad_access_config_is_one_line_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("steward.db");
    let config = dir.path().join("steward.toml");
    for (text, expected) in [
        ("[access]\nmerge = [\"U1\"]\n", "unknown field `merge`"),
        (
            "[access]\nmute = [\"#data-team\"]\n",
            "access.mute: \"#data-team\" is not a Slack user ID",
        ),
    ] {
        std::fs::write(&config, text).unwrap();
        let out = steward(
            &db,
            &["--config", &config.display().to_string(), "incidents"],
        );
        assert_eq!(out.status.code(), Some(2), "{text}");
        let err = stderr(&out);
        assert!(err.contains(expected), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}

/// `steward slack check` reads the groups `[access]` names: an unknown ID or handle fails.
#[tokio::test(flavor = "multi_thread")]
async fn slack_check_finds_the_groups_access_names() {
    let fake = workspace().await;
    let config = parse(&format!(
        "[slack]\nalerts_channel = \"C0ALERTS01\"\nincidents_channel = \"C0INCIDEN1\"\n{RULES}"
    ));
    let lines = check_with_good_tokens(&fake, &config).await;
    let groups = by(&lines, "usergroups.list");
    assert!(
        !groups.ok
            && groups.detail.contains("access.declare @data-oncall")
            && groups.detail.contains("access.resolve_issues S0ONCALL"),
        "{groups:?}"
    );
    fake.add_usergroup("S0ONCALL", "data-oncall");
    let lines = check_with_good_tokens(&fake, &config).await;
    assert!(by(&lines, "usergroups.list").ok, "{lines:#?}");
    fake.set_bot_scopes(&["chat:write", "commands"]);
    let lines = check_with_good_tokens(&fake, &config).await;
    let groups = by(&lines, "usergroups.list");
    assert!(
        !groups.ok && groups.detail.contains("usergroups:read"),
        "{groups:?}"
    );
}
