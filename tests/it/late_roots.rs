//! A root found late: the stale source already has its own alert when Airflow's OpenLineage
//! events arrive and explain it. Its old message must point at the new root's, not stay a
//! second "root cause" for the same night.

use crate::slack_support::{alert_of, blocks_text, outbox_drained};
use crate::support::{MARKETING, TestBot};
use steward::app::ingest::Input;
use steward::domain::issues::IssueFilter;

const AIRFLOW_BROKEN: &[u8] = include_bytes!("../../manifests/demo/openlineage/broken.json");

#[tokio::test(flavor = "multi_thread")]
async fn an_alert_whose_cause_is_found_later_points_at_the_root() {
    let bot = TestBot::start().await;
    bot.ingest("broken").await;
    outbox_drained(&bot).await;
    let issues = bot.app().issues(&IssueFilter::default()).unwrap();
    let stale = issues
        .iter()
        .find(|i| i.asset.ends_with("marketing.ad_spend") && i.check == "freshness")
        .expect("the stale source's issue");
    assert!(stale.symptom_of.is_none(), "a root before Airflow speaks");
    let (channel, ts) = alert_of(&bot, stale.id);
    assert_eq!(channel, MARKETING);
    let top_before = bot.top_level(MARKETING).len();

    let (app, env) = (bot.app().clone(), stale.env.clone());
    tokio::task::spawn_blocking(move || {
        app.ingest_openlineage(
            Input::new("broken.json", AIRFLOW_BROKEN.to_vec()),
            Some(env),
        )
    })
    .await
    .unwrap()
    .unwrap();
    outbox_drained(&bot).await;

    let now = bot.app().issue(stale.id).unwrap().issue;
    let root_id = now
        .symptom_of
        .expect("the failed load explains the stale source");
    let (root_channel, root_ts) = alert_of(&bot, root_id);
    assert_ne!(
        (root_channel.as_str(), root_ts.as_str()),
        (channel.as_str(), ts.as_str())
    );
    // The old message now says where its cause is, and offers no buttons of its own.
    let old = bot
        .fake
        .messages(&channel)
        .into_iter()
        .find(|m| m.ts == ts)
        .unwrap();
    let text = blocks_text(&old);
    assert!(text.contains("load_ad_spend"), "names the root: {text}");
    assert!(
        text.contains(&format!("{}/p{}", root_channel, root_ts.replace('.', ""))),
        "links the root's alert: {text}"
    );
    assert!(!text.contains("Root cause: nothing downstream"), "{text}");
    assert!(
        !old.blocks
            .as_ref()
            .is_some_and(|b| b.to_string().contains("\"actions\"")),
        "no buttons on a pointer: {:?}",
        old.blocks
    );
    assert_eq!(bot.top_level(MARKETING).len(), top_before, "no new message");
    // The root's alert lists the stale source below it.
    let root_msg = bot
        .fake
        .messages(&root_channel)
        .into_iter()
        .find(|m| m.ts == root_ts)
        .unwrap();
    assert!(
        blocks_text(&root_msg).contains(&format!("#{}", stale.id)),
        "{}",
        blocks_text(&root_msg)
    );
    // Later news of the symptom goes to the root's message only: the pointer stays as it is.
    let edits = old.history.len();
    bot.ingest("healthy").await;
    outbox_drained(&bot).await;
    let old = bot
        .fake
        .messages(&channel)
        .into_iter()
        .find(|m| m.ts == ts)
        .unwrap();
    assert_eq!(old.history.len(), edits, "the pointer is not edited again");
    bot.fake.assert_no_violations();
    bot.stop().await;
}
