//! `steward slack check` against the fake Slack: both tokens, every configured channel (alerts,
//! incidents, routes, products, teams, digest), the user groups teams name, and the slash command
//! against the app manifest; and the CLI's lines and exit code.

use std::time::Duration;
use steward::config::Config;
use steward::faces::slack::api::{SlackApi, client};
use steward::faces::slack::check::{BUILT_IN_MANIFEST, CheckLine, Install, run};
use steward::faces::slack::fake::{FAKE_APP_TOKEN, FAKE_BOT_TOKEN, FakeSlack};

/// Every kind of channel setting, and two teams with user groups (one not in the workspace).
const CONFIG: &str = r#"
[slack]
alerts_channel = "C0ALERTS01"
incidents_channel = "C0INCIDEN1"
post_interval = "10ms"
[[slack.routes]]
channel = "C0NOWHERE1"
tag = "finance"

[[products]]
name = "revenue"
team = "finance"
channel = "C0PRODUCT1"
select = ["tag:finance"]

[[teams]]
name = "analytics"
slack_group = "S0ANALYTIC"
channel = "C0TEAMCHA1"

[[teams]]
name = "finance"
slack_group = "S0GHOST001"

[digest]
channel = "C0ALERTS01"
"#;

pub(crate) fn parse(text: &str) -> Config {
    Config::parse("steward.toml", text).expect("config")
}

pub(crate) async fn workspace() -> FakeSlack {
    let fake = FakeSlack::start().await.unwrap();
    fake.add_channel("C0ALERTS01", "data-alerts", false, false);
    fake.add_channel("C0INCIDEN1", "data-incidents", true, false);
    fake.add_channel("C0PRODUCT1", "revenue-status", false, true);
    fake.add_channel("C0TEAMCHA1", "analytics", true, true);
    fake.add_usergroup("S0ANALYTIC", "analytics");
    fake
}

fn api(fake: &FakeSlack, token: &str) -> SlackApi {
    SlackApi::new(
        client(&fake.api_url()).unwrap(),
        token,
        Duration::from_millis(10),
        3,
    )
}

pub(crate) async fn check(
    fake: &FakeSlack,
    config: &Config,
    bot: &str,
    app: &str,
    manifest: &str,
) -> Vec<CheckLine> {
    let app_api = api(fake, app);
    let install = Install {
        slack: config.slack.as_ref().unwrap(),
        config,
        app_api: &app_api,
        app_token_is_xapp: app.starts_with("xapp-"),
        manifest: ("manifests/slack-app.yaml", manifest),
    };
    run(&api(fake, bot), &install).await
}

/// [`check`] with the fake's good tokens and the built-in manifest.
pub(crate) async fn check_with_good_tokens(fake: &FakeSlack, config: &Config) -> Vec<CheckLine> {
    check(
        fake,
        config,
        FAKE_BOT_TOKEN,
        FAKE_APP_TOKEN,
        BUILT_IN_MANIFEST,
    )
    .await
}

pub(crate) fn by<'a>(lines: &'a [CheckLine], what: &str) -> &'a CheckLine {
    lines
        .iter()
        .find(|l| l.what.contains(what))
        .unwrap_or_else(|| panic!("no line for {what}: {lines:#?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn slack_check_confirms_tokens_channels_groups_and_the_command() {
    let fake = workspace().await;
    let config = parse(CONFIG);
    let lines = check(
        &fake,
        &config,
        FAKE_BOT_TOKEN,
        FAKE_APP_TOKEN,
        BUILT_IN_MANIFEST,
    )
    .await;
    assert!(by(&lines, "auth.test").ok);
    let app = by(&lines, "apps.connections.open");
    assert!(app.ok, "{app:?}");
    assert_eq!(
        fake.calls_to("apps.connections.open")[0].token.as_deref(),
        Some(FAKE_APP_TOKEN)
    );
    // One line per channel; the digest shares the alerts channel and is named on its line.
    let alerts = by(&lines, "C0ALERTS01");
    assert!(alerts.ok && alerts.detail.contains("joined"), "{alerts:?}");
    assert!(alerts.what.contains("slack.alerts_channel") && alerts.what.contains("digest.channel"));
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.what.contains("C0ALERTS01"))
            .count(),
        1
    );
    let private = by(&lines, "C0INCIDEN1");
    assert!(
        !private.ok && private.detail.contains("/invite"),
        "{private:?}"
    );
    let nowhere = by(&lines, "slack.routes[0] C0NOWHERE1");
    assert!(!nowhere.ok && nowhere.detail.contains("channel_not_found"));
    let product = by(&lines, "products[revenue].channel C0PRODUCT1");
    assert!(
        product.ok && product.detail.contains("member"),
        "{product:?}"
    );
    assert!(by(&lines, "teams[analytics].channel C0TEAMCHA1").ok);
    let groups = by(&lines, "usergroups.list");
    assert!(
        !groups.ok
            && groups
                .detail
                .contains("teams[finance].slack_group S0GHOST001")
            && !groups.detail.contains("S0ANALYTIC"),
        "{groups:?}"
    );
    let command = by(&lines, "slash command");
    assert!(
        command.ok && command.detail.contains("/steward"),
        "{command:?}"
    );
    assert!(fake.calls_to("conversations.join").iter().any(|c| c.ok()));
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());

    // Fixed: the ghost group exists, the bot is invited, the route goes to a real channel.
    fake.add_usergroup("S0GHOST001", "finance");
    fake.add_channel("C0INCIDEN1", "data-incidents", true, true);
    fake.add_channel("C0NOWHERE1", "finance-alerts", false, true);
    let lines = check(
        &fake,
        &config,
        FAKE_BOT_TOKEN,
        FAKE_APP_TOKEN,
        BUILT_IN_MANIFEST,
    )
    .await;
    assert!(lines.iter().all(|l| l.ok), "{lines:#?}");
    assert!(by(&lines, "usergroups.list").detail.contains("all 2"));
}

#[tokio::test(flavor = "multi_thread")]
async fn slack_check_names_what_is_wrong() {
    let fake = workspace().await;
    let config = parse(CONFIG);

    // The bot token given as SLACK_APP_TOKEN: Slack answers not_allowed_token_type.
    let lines = check(
        &fake,
        &config,
        FAKE_BOT_TOKEN,
        FAKE_BOT_TOKEN,
        BUILT_IN_MANIFEST,
    )
    .await;
    let app = by(&lines, "apps.connections.open");
    assert!(
        !app.ok && app.detail.contains("not_allowed_token_type") && app.detail.contains("xapp-"),
        "{app:?}"
    );
    assert!(
        !app.detail.contains(FAKE_BOT_TOKEN),
        "tokens are never printed"
    );
    let lines = check(
        &fake,
        &config,
        FAKE_BOT_TOKEN,
        "xapp-revoked",
        BUILT_IN_MANIFEST,
    )
    .await;
    assert!(
        by(&lines, "apps.connections.open")
            .detail
            .contains("invalid_auth")
    );

    // A bot installed without usergroups:read.
    let scopes: Vec<&str> = steward::faces::slack::BOT_SCOPES
        .iter()
        .map(|(s, _)| *s)
        .filter(|s| *s != "usergroups:read")
        .collect();
    fake.set_bot_scopes(&scopes);
    let lines = check(
        &fake,
        &config,
        FAKE_BOT_TOKEN,
        FAKE_APP_TOKEN,
        BUILT_IN_MANIFEST,
    )
    .await;
    let groups = by(&lines, "usergroups.list");
    assert!(
        !groups.ok && groups.detail.contains("usergroups:read"),
        "{groups:?}"
    );

    // No team names a group: usergroups.list is not called at all.
    let calls = fake.calls_to("usergroups.list").len();
    let no_groups = parse(
        &CONFIG
            .replace("slack_group = \"S0ANALYTIC\"\n", "")
            .replace("slack_group = \"S0GHOST001\"\n", ""),
    );
    let lines = check(
        &fake,
        &no_groups,
        FAKE_BOT_TOKEN,
        FAKE_APP_TOKEN,
        BUILT_IN_MANIFEST,
    )
    .await;
    assert!(!lines.iter().any(|l| l.what.contains("usergroups")));
    assert_eq!(fake.calls_to("usergroups.list").len(), calls);

    // [slack] command differs from the manifest's.
    let other = parse(&CONFIG.replace("post_interval", "command = \"/data\"\npost_interval"));
    let lines = check(
        &fake,
        &other,
        FAKE_BOT_TOKEN,
        FAKE_APP_TOKEN,
        BUILT_IN_MANIFEST,
    )
    .await;
    let command = by(&lines, "slash command");
    assert!(
        !command.ok && command.detail.contains("/data") && command.detail.contains("/steward"),
        "{command:?}"
    );

    // A wrong bot token stops at the first line.
    let lines = check(
        &fake,
        &config,
        "xoxb-wrong",
        FAKE_APP_TOKEN,
        BUILT_IN_MANIFEST,
    )
    .await;
    assert_eq!(lines.len(), 1);
    assert!(!lines[0].ok && lines[0].detail.contains("SLACK_BOT_TOKEN"));
}

/// The CLI prints one ok/FAIL line per check and exits 1 when any failed.
#[tokio::test(flavor = "multi_thread")]
async fn the_cli_prints_a_line_per_check_and_exits_1_on_failure() {
    let fake = workspace().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("steward.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let manifest = dir.path().join("slack-app.yaml");
    std::fs::write(
        &manifest,
        BUILT_IN_MANIFEST.replace("- command: /steward", "- command: /data"),
    )
    .unwrap();
    let fake_url = fake.api_url();
    let out = tokio::task::spawn_blocking(move || {
        crate::support::steward_bin()
            .args(["slack", "check", "--manifest"])
            .arg(&manifest)
            .env("STEWARD_DB", dir.path().join("s.db"))
            .env("STEWARD_CONFIG", &config)
            .env("SLACK_BOT_TOKEN", FAKE_BOT_TOKEN)
            .env("SLACK_APP_TOKEN", FAKE_APP_TOKEN)
            .env("SLACK_API_URL", fake_url)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("ok   ") || l.starts_with("FAIL ")),
        "{text}"
    );
    for (what, ok) in [
        ("bot token", true),
        ("app token", true),
        ("C0INCIDEN1", false),
        ("products[revenue]", true),
        ("user groups", false),
        ("slash command", false),
    ] {
        let line = lines
            .iter()
            .find(|l| l.contains(what))
            .unwrap_or_else(|| panic!("{what}: {text}"));
        assert_eq!(line.starts_with("ok"), ok, "{line}");
    }
    assert!(text.contains("/data"), "{text}");
    assert!(!text.contains(FAKE_APP_TOKEN) && !text.contains(FAKE_BOT_TOKEN));
}
