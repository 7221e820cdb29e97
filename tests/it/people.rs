//! People by name outside Slack: the bot learns names with `users.info` from the fake Slack, and
//! the CLI, the pages and the Markdown report show `@bruno` where Slack stores `<@U0BRUNO>`.

use crate::slack_support::{click, issue_id, outbox_drained};
use crate::support::{TestBot, steward_ok};
use steward::domain::people::Style;
use steward::faces::slack::fake::ActionValue;

#[tokio::test(flavor = "multi_thread")]
async fn names_learnt_from_slack_replace_ids_in_the_cli_pages_and_report() {
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
    bot.until("assigned", |_| {
        bot.app().issue(id).unwrap().issue.assignee.as_deref() == Some("<@U0BRUNO>")
    })
    .await;
    let app = bot.app().clone();
    tokio::task::spawn_blocking(move || {
        app.comment(
            id,
            "<@U0BRUNO>",
            "asked <@U0ANA> &amp; <@U0NOBODY> in <#C0ALERTS01|data-alerts>",
        )
    })
    .await
    .unwrap()
    .unwrap();

    // Before the bot's pass, the ids are all anyone outside Slack could see.
    let before = bot.app().people().unwrap();
    assert_eq!(before.person("<@U0BRUNO>"), "@U0BRUNO");
    let wanted = bot.app().people_to_look_up(50).unwrap();
    assert!(
        wanted.contains(&"U0ANA".to_owned()) && wanted.contains(&"U0BRUNO".to_owned()),
        "{wanted:?}"
    );

    let api = bot.bot.as_ref().unwrap().api.clone();
    let learnt = steward::faces::slack::people::learn_names(bot.app(), &api)
        .await
        .unwrap();
    assert!(learnt >= 2, "{learnt}");
    // users.info went through the strict fake, with nothing it refused.
    bot.fake.assert_no_violations();
    assert!(
        bot.app().people_to_look_up(50).unwrap().is_empty(),
        "nothing left to ask for"
    );
    let people = bot.app().people().unwrap();
    assert_eq!(people.person("<@U0BRUNO>"), "@bruno");
    assert_eq!(
        people.humanize("<@U0ANA> and <@U0NOBODY>", Style::Plain),
        "@ana and @U0NOBODY"
    );

    // The CLI (a separate process on the same database).
    let db = bot.test_app.dir.path().join("steward.db");
    let text = steward_ok(&db, &["issue", &id.to_string()]);
    assert!(text.contains("assignee:    @bruno"), "{text}");
    assert!(
        text.contains("@bruno: asked @ana & @U0NOBODY in #data-alerts"),
        "{text}"
    );
    assert!(!text.contains("<@U0"), "{text}");

    // The issue page.
    let html = steward::faces::http::pages::issue_html(
        bot.app(),
        id,
        &steward::faces::http::pages::signed::Linker::plain(),
    )
    .unwrap();
    assert!(html.contains("assigned to @bruno"), "{html}");
    assert!(
        html.contains("asked @ana &amp; @U0NOBODY in #data-alerts"),
        "comment made readable (and HTML-escaped once)"
    );
    assert!(!html.contains("&lt;@U0"), "no raw Slack ids on the page");
    bot.stop().await;
}
