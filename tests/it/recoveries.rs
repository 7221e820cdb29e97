//! A recovered root keeps what it explained: the demo's broken run, then its healthy run, through
//! the fake Slack.

use crate::slack_support::{alert_of, blocks_text, outbox_drained};
use crate::support::TestBot;
use steward::domain::issues::IssueFilter;

#[tokio::test(flavor = "multi_thread")]
async fn a_recovered_root_says_what_it_was_the_root_of() {
    let bot = TestBot::start().await;
    bot.ingest("broken").await;
    outbox_drained(&bot).await;
    let roots: Vec<_> = bot
        .app()
        .issues(&IssueFilter::default())
        .unwrap()
        .into_iter()
        .filter(|i| i.symptom_of.is_none())
        .collect();
    let root = roots
        .iter()
        .max_by_key(|i| i.symptoms.iter().filter(|s| s.status == "skipped").count())
        .expect("a root");
    let skipped = root
        .symptoms
        .iter()
        .filter(|s| s.status == "skipped")
        .count();
    assert!(
        skipped > 1,
        "the demo's broken run skips nodes below a root"
    );

    bot.ingest("healthy").await;
    outbox_drained(&bot).await;
    let after = bot.app().issue(root.id).unwrap();
    assert_eq!(after.issue.status, "resolved");
    assert_eq!(
        after
            .issue
            .symptoms
            .iter()
            .filter(|s| s.status == "skipped")
            .count(),
        skipped,
        "the recovered root keeps its skipped nodes"
    );

    let (channel, ts) = alert_of(&bot, root.id);
    let messages = bot.fake.messages(&channel);
    let alert = messages.iter().find(|m| m.ts == ts).unwrap();
    let body = blocks_text(alert);
    assert!(
        body.contains(&format!("*Was the root* of {skipped} skipped nodes")),
        "{body}"
    );
    assert!(!body.contains("nothing downstream"), "{body}");
    let replies: Vec<&str> = messages
        .iter()
        .filter(|m| m.thread_ts.as_deref() == Some(&ts))
        .map(|m| m.text.as_str())
        .collect();
    assert!(
        replies
            .iter()
            .any(|r| r.contains(&format!("was the root of {skipped} skipped nodes"))),
        "{replies:#?}"
    );
    bot.stop().await;
}
