//! `steward mute`, `steward unmute` and `steward mutes` through the CLI binary, and the same
//! words of `/steward` through the fake Slack.

use crate::support::{cli_clock_offset, ingest_demo, stderr, steward, steward_command, steward_ok};
use serde_json::Value;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn mutes_at(db: &std::path::Path, later: chrono::Duration) -> Vec<Value> {
    let offset = (cli_clock_offset() + later).num_seconds();
    let out = steward_command(db, &["mutes", "--json"])
        .env("STEWARD_CLOCK_OFFSET", format!("{offset}s"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    json(&String::from_utf8_lossy(&out.stdout))
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn mute_an_issue_an_asset_and_a_check_then_unmute() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("steward.db");
    ingest_demo(&db, "broken");
    assert_eq!(steward_ok(&db, &["mutes"]).trim(), "no mutes in force");

    // An issue until fixed, with a reason.
    let m = json(&steward_ok(
        &db,
        &[
            "mute",
            "1",
            "--reason",
            "known, fixing",
            "--actor",
            "ana",
            "--json",
        ],
    ));
    assert_eq!(m["issue_id"], 1);
    assert!(m["until"].is_null());
    assert_eq!(m["reason"], "known, fixing");
    let issue = json(&steward_ok(&db, &["issue", "1", "--json"]));
    assert_eq!(issue["muted_until"], "until fixed");
    assert!(
        issue["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "muted" && e["actor"] == "ana"),
        "{issue}"
    );

    // An asset by node name, for 7 days: stored by unique_id in the graph's environment.
    let text = steward_ok(&db, &["mute", "stg_shop__orders", "--for", "7d"]);
    assert!(
        text.starts_with("muted model.jaffle_analytics.stg_shop__orders in prod until "),
        "{text}"
    );
    // One check of an asset, for 2 hours.
    steward_ok(
        &db,
        &[
            "mute",
            "stg_shop__customers",
            "--check",
            "not_null_stg_shop__customers_email",
            "--for",
            "2h",
        ],
    );
    let now = mutes_at(&db, chrono::Duration::zero());
    assert_eq!(now.len(), 3, "{now:?}");
    assert_eq!(now[2]["check"], "not_null_stg_shop__customers_email");
    // Three hours on, the check's mute is over; eight days on, only the until-fixed one is left.
    assert_eq!(mutes_at(&db, chrono::Duration::hours(3)).len(), 2);
    let later = mutes_at(&db, chrono::Duration::days(8));
    assert_eq!(later.len(), 1);
    assert_eq!(later[0]["issue_id"], 1);

    // Unmute the issue: its mute ends, the issue is no longer marked muted.
    let ended = json(&steward_ok(&db, &["unmute", "1", "--json"]));
    assert_eq!(ended.as_array().unwrap().len(), 1);
    let issue = json(&steward_ok(&db, &["issue", "1", "--json"]));
    assert!(issue["muted_until"].is_null(), "{issue}");
    assert!(
        issue["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "unmuted")
    );
    // Unmuting what is not muted is a one-line not-found error.
    let again = steward(&db, &["unmute", "1"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("no mute in force"),
        "{}",
        stderr(&again)
    );
    // Only the check's mute of an asset.
    steward_ok(
        &db,
        &[
            "unmute",
            "stg_shop__customers",
            "--check",
            "not_null_stg_shop__customers_email",
        ],
    );
    let left = mutes_at(&db, chrono::Duration::zero());
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["asset"], "model.jaffle_analytics.stg_shop__orders");
}

#[test]
fn bad_mutes_are_refused_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("steward.db");
    ingest_demo(&db, "broken");
    for args in [
        vec!["mute", "stg_shop__orders"],      // an asset needs a duration
        vec!["mute", "1", "--for", "forever"], // not a duration
        vec!["mute", "1", "--for", "0m"],      // zero
        vec!["mute", "1", "--check", "x"],     // a check needs a duration
        vec!["mute", "999", "--for", "1h"],    // no such issue
    ] {
        let out = steward(&db, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out).trim().lines().count(), 1, "{args:?}");
    }
    assert!(mutes_at(&db, chrono::Duration::zero()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_mute_mutes_and_unmute() {
    use crate::slack_support::command;
    let bot = crate::support::TestBot::start().await;
    bot.ingest("broken").await;
    let ephemeral = |bot: &crate::support::TestBot, needle: &'static str| {
        bot.fake
            .messages(crate::support::ALERTS)
            .iter()
            .filter(|m| {
                m.ephemeral
                    && (m.text.contains(needle)
                        || m.blocks
                            .as_ref()
                            .is_some_and(|b| b.to_string().contains(needle)))
            })
            .count()
    };
    command(&bot, "mute stg_shop__orders 7d").await;
    bot.until("muted", |_| ephemeral(&bot, "Muted ") == 1).await;
    command(&bot, "mutes").await;
    bot.until("the list", |_| {
        ephemeral(&bot, "🔕 `stg_shop__orders`") == 1
    })
    .await;
    command(&bot, "unmute stg_shop__orders").await;
    bot.until("unmuted", |_| {
        ephemeral(
            &bot,
            "Unmuted model.jaffle_analytics.stg_shop__orders (1 mute)",
        ) == 1
    })
    .await;
    assert!(bot.app().mutes().unwrap().is_empty());
    command(&bot, "mutes").await;
    bot.until("nothing muted", |_| {
        ephemeral(&bot, "Nothing is muted.") == 1
    })
    .await;
    // Unmuting again says why nothing happened.
    command(&bot, "unmute stg_shop__orders").await;
    bot.until("not muted", |_| ephemeral(&bot, "no mute in force") == 1)
        .await;
    command(&bot, "help").await;
    bot.until("help lists them", |_| {
        ephemeral(&bot, "`/steward unmute ") == 1 && ephemeral(&bot, "`/steward mutes`") == 1
    })
    .await;
    bot.stop().await;
}
