//! `/steward incident INC-n followup …`: follow-ups added, closed and listed from Slack, and one
//! tracked in Jira (the strict fake) whose ticket is told in the incident's thread.

use crate::slack_support::{blocks_text, command};
use crate::support::{ALERTS, INCIDENTS, TestBot};
use crate::tickets::{declare_on, tracker_bot, tracker_secrets};
use steward::faces::integrations::http::Http;
use steward::faces::integrations::pass;

/// The ephemeral answers in the alerts channel (where `command` types), text and blocks.
fn answers(bot: &TestBot) -> Vec<String> {
    bot.fake
        .messages(ALERTS)
        .iter()
        .filter(|m| m.ephemeral)
        .map(|m| format!("{}\n{}", m.text, blocks_text(m)))
        .collect()
}

async fn answered(bot: &TestBot, what: &str, needle: &str) -> String {
    bot.until(what, |_| answers(bot).iter().any(|a| a.contains(needle)))
        .await;
    answers(bot)
        .into_iter()
        .rev()
        .find(|a| a.contains(needle))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followups_are_added_closed_and_listed_from_slack() {
    let (bot, fake) = tracker_bot(false).await;
    let n = declare_on(&bot).await;
    let inc = format!("INC-{n}");

    // Nothing yet: the answer says how to add one.
    command(&bot, &format!("incident {inc} followups")).await;
    answered(&bot, "the empty list", "has no follow-ups").await;

    // An owner given as Slack's escaped mention, spaces and all; the flags anywhere.
    command(
        &bot,
        &format!("incident {inc} followup add --owner <@U0BRUNO|bruno m> Add a freshness test on raw_payments"),
    )
    .await;
    answered(&bot, "the first follow-up", "Follow-up 1 added").await;
    command(
        &bot,
        &format!("incident {inc} followup add Backfill Tuesday's revenue --jira"),
    )
    .await;
    answered(
        &bot,
        "the tracked follow-up",
        "its Jira issue is being created",
    )
    .await;
    let followups = bot.app().followups(n).unwrap();
    assert_eq!(followups.len(), 2, "{followups:?}");
    assert_eq!(followups[0].text, "Add a freshness test on raw_payments");
    assert_eq!(followups[0].owner.as_deref(), Some("<@U0BRUNO>"));
    assert_eq!(followups[0].created_by, "<@U0ANA>");
    assert_eq!(followups[1].text, "Backfill Tuesday's revenue");

    // The worker creates the Jira issue once; the incident's thread is told.
    let http = Http::new(std::time::Duration::from_secs(5)).unwrap();
    assert_eq!(pass(bot.app(), &http, &tracker_secrets()).await.unwrap(), 1);
    assert_eq!(fake.state.lock().unwrap().jira.len(), 1);
    bot.until("the ticket told in the incident's thread", |f| {
        f.messages(INCIDENTS).iter().any(|m| {
            m.thread_ts.is_some()
                && m.text.contains("tracks the follow-up")
                && m.text.contains("DATA-1")
        })
    })
    .await;

    // Done, then the list: open ones first, the ticket linked.
    command(&bot, &format!("incident {inc} followup done 1")).await;
    answered(&bot, "done", "Follow-up 1 of").await;
    command(&bot, &format!("incident {inc} followup list")).await;
    let list = answered(&bot, "the list", "(1 open)").await;
    let open = list.find("Backfill Tuesday").expect("the open follow-up");
    let done = list
        .find("Add a freshness test")
        .expect("the done follow-up");
    assert!(open < done, "open ones first: {list}");
    assert!(list.contains("|DATA-1>"), "{list}");
    assert!(list.contains("<@U0BRUNO>"), "{list}");

    // A follow-up of another incident, or a number that is none, is refused by name.
    command(&bot, &format!("incident INC-{} followup drop 2", n + 1)).await;
    answered(&bot, "another incident's", "belongs to").await;
    command(&bot, &format!("incident {inc} followup drop two")).await;
    answered(&bot, "not a number", "is not a follow-up number").await;
    assert_eq!(bot.app().followup(2).unwrap().state, "open");
    bot.stop().await;
}
