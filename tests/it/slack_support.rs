//! Helpers shared by the Slack bot tests: finding an issue and its alert, waiting for the outbox
//! to drain, and pressing buttons or typing `/steward` commands on the fake Slack.

use crate::support::{ALERTS, TestBot};
use std::time::Duration;
use steward::domain::issues::IssueFilter;
use steward::faces::slack::fake::{ActionValue, EnvelopeKind, block_action, slash_command};

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
