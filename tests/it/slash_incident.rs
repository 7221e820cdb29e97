//! `/steward incident INC-n …`: every change to an incident from the slash command, through the
//! fake Slack.

use crate::slack_support::command;
use crate::support::{ALERTS, TestBot};
use steward::domain::incidents::Declaration;

fn replies(bot: &TestBot, needle: &str) -> usize {
    bot.fake
        .messages(ALERTS)
        .iter()
        .filter(|m| m.ephemeral && m.text.contains(needle))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_is_run_from_the_slash_command() {
    let bot = TestBot::start().await;
    bot.ingest("broken").await;
    let app = bot.app().clone();
    let (n, issue) = tokio::task::spawn_blocking(move || {
        let issues = app.issues(&Default::default()).unwrap();
        let inc = app
            .declare(
                Declaration {
                    title: "Payments model fails".into(),
                    severity: "SEV3".into(),
                    issues: vec![issues[0].id],
                    declared_by: "ana".into(),
                    ..Declaration::default()
                },
                &steward::domain::access::Actor::admin("ana"),
            )
            .unwrap();
        (inc.number, issues[1].id)
    })
    .await
    .unwrap();
    let label = format!("INC-{n}");
    let incident = |bot: &TestBot| bot.app().incident(n).unwrap();

    command(&bot, &format!("incident {label} severity sev1")).await;
    bot.until("severity", |_| replies(&bot, "is now SEV1") == 1)
        .await;
    command(&bot, &format!("incident {label} commander <@U0BRUNO>")).await;
    bot.until("commander", |_| {
        replies(&bot, "commander is now <@U0BRUNO>") == 1
    })
    .await;
    command(&bot, &format!("incident {label} link #{issue}")).await;
    bot.until("link", |_| replies(&bot, "linked to") == 1).await;
    assert!(incident(&bot).issues.contains(&issue));
    command(&bot, &format!("incident {label} status monitoring")).await;
    bot.until("status", |_| replies(&bot, "is now monitoring") == 1)
        .await;
    command(&bot, &format!("incident {label} severity SEV9")).await;
    bot.until("refused", |_| replies(&bot, "SEV9") >= 1).await;
    command(
        &bot,
        &format!("incident {label} resolve code_change Reverted the rename"),
    )
    .await;
    bot.until("resolved", |_| replies(&bot, "resolved.") == 1)
        .await;
    let i = incident(&bot);
    assert_eq!(i.status, "resolved");
    assert_eq!(i.severity, "SEV1");
    assert_eq!(i.commander.as_deref(), Some("<@U0BRUNO>"));
    command(&bot, &format!("incident {label} postmortem")).await;
    bot.until("postmortem", |_| replies(&bot, "post-incident report") == 1)
        .await;
    bot.stop().await;
}
