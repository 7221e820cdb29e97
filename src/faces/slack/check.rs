//! `steward slack check`: confirms an install works before the first alert depends on it —
//! the bot token (`auth.test`), the app-level token (`apps.connections.open`, which Socket Mode
//! needs), every configured channel (alerts, incidents, routes, data products, teams, the
//! digest: joining public ones, naming private ones the bot must be invited to), that the bot
//! can read the user groups `[[teams]]` and `[access]` name (`usergroups.list`, scope
//! `usergroups:read`; `[access]` handles are matched by handle), and
//! that the slash command in the app manifest is `[slack] command`.

use crate::config::{Config, SlackConfig};
use crate::faces::slack::api::{CallError, SlackApi};
use serde::Serialize;
use serde_json::{Value, json};

/// The app manifest this build ships (`manifests/slack-app.yaml`), for when no file is given.
pub const BUILT_IN_MANIFEST: &str = include_str!("../../../manifests/slack-app.yaml");

#[derive(Debug, Clone, Serialize)]
pub struct CheckLine {
    pub ok: bool,
    pub what: String,
    pub detail: String,
}

impl CheckLine {
    fn new(ok: bool, what: impl Into<String>, detail: impl Into<String>) -> CheckLine {
        CheckLine {
            ok,
            what: what.into(),
            detail: detail.into(),
        }
    }
}

/// What is checked besides the bot token.
pub struct Install<'a> {
    pub slack: &'a SlackConfig,
    /// The whole config: products', teams' and the digest's channels, teams' user groups.
    pub config: &'a Config,
    /// The Web API with `SLACK_APP_TOKEN`, for `apps.connections.open`.
    pub app_api: &'a SlackApi,
    /// Whether `SLACK_APP_TOKEN` starts with `xapp-` (the token itself is never shown).
    pub app_token_is_xapp: bool,
    /// The app manifest: where it was read from and its text.
    pub manifest: (&'a str, &'a str),
}

/// Runs every check; each line says what was checked and what to do when it failed.
pub async fn run(api: &SlackApi, install: &Install<'_>) -> Vec<CheckLine> {
    let mut out = Vec::new();
    match api.auth_test().await {
        Ok(v) => out.push(CheckLine::new(
            true,
            "bot token (auth.test)",
            format!(
                "works: bot user {} in team {}",
                v.get("user_id").and_then(Value::as_str).unwrap_or("?"),
                v.get("team")
                    .or(v.get("team_id"))
                    .and_then(Value::as_str)
                    .unwrap_or("?")
            ),
        )),
        Err(e) => {
            out.push(CheckLine::new(
                false,
                "bot token (auth.test)",
                format!("{e}: check SLACK_BOT_TOKEN (xoxb-…)"),
            ));
            return out;
        }
    }
    out.push(check_app_token(install).await);
    for (keys, id) in channels(install.config, install.slack) {
        out.push(check_channel(api, &keys.join(", "), &id).await);
    }
    if let Some(line) = check_usergroups(api, install.config).await {
        out.push(line);
    }
    out.push(check_command(install.slack, install.manifest));
    out
}

async fn check_app_token(install: &Install<'_>) -> CheckLine {
    let what = "app token (apps.connections.open)";
    // An empty JSON body: the method takes no arguments.
    match install
        .app_api
        .call("apps.connections.open", &json!({}))
        .await
    {
        Ok(_) if install.app_token_is_xapp => CheckLine::new(
            true,
            what,
            "works: Socket Mode can connect (the URL it handed out is left unused)",
        ),
        Ok(_) => CheckLine::new(
            false,
            what,
            "SLACK_APP_TOKEN must be an app-level token (xapp-…)",
        ),
        Err(CallError::Api(code)) if code == "not_allowed_token_type" => CheckLine::new(
            false,
            what,
            "not_allowed_token_type: SLACK_APP_TOKEN must be an app-level token (xapp-…, Basic Information → App-Level Tokens, scope connections:write), not the bot token",
        ),
        Err(CallError::Api(code)) if code == "invalid_auth" || code == "not_authed" => {
            CheckLine::new(
                false,
                what,
                format!(
                    "{code}: SLACK_APP_TOKEN is wrong or revoked; generate an app-level token with connections:write"
                ),
            )
        }
        Err(e) => CheckLine::new(false, what, format!("{e}: check SLACK_APP_TOKEN (xapp-…)")),
    }
}

/// Every configured channel once, with the settings that name it, in config order.
pub fn channels(config: &Config, slack: &SlackConfig) -> Vec<(Vec<String>, String)> {
    let mut named: Vec<(String, String)> = vec![
        ("slack.alerts_channel".into(), slack.alerts_channel.clone()),
        (
            "slack.incidents_channel".into(),
            slack.incidents_channel.clone(),
        ),
    ];
    for (i, r) in slack.routes.iter().enumerate() {
        named.push((format!("slack.routes[{i}]"), r.channel.clone()));
    }
    for p in &config.products {
        if let Some(c) = &p.channel {
            named.push((format!("products[{}].channel", p.name), c.clone()));
        }
    }
    for t in &config.teams {
        if let Some(c) = &t.channel {
            named.push((format!("teams[{}].channel", t.name), c.clone()));
        }
    }
    if let Some(d) = &config.digest {
        named.push(("digest.channel".into(), d.channel.clone()));
    }
    let mut out: Vec<(Vec<String>, String)> = Vec::new();
    for (key, id) in named {
        match out.iter_mut().find(|(_, seen)| *seen == id) {
            Some((keys, _)) => keys.push(key),
            None => out.push((vec![key], id)),
        }
    }
    out
}

async fn check_channel(api: &SlackApi, key: &str, id: &str) -> CheckLine {
    let what = format!("{key} {id}");
    let info = match api.channel_info(id).await {
        Ok(v) => v,
        Err(CallError::Api(code)) if code == "channel_not_found" => {
            return CheckLine::new(
                false,
                what,
                "channel_not_found: the ID is wrong, or it is a private channel the bot was not invited to (/invite @Steward there)",
            );
        }
        Err(CallError::Api(code)) if code == "missing_scope" => {
            return CheckLine::new(
                false,
                what,
                "missing_scope: the bot needs channels:read and groups:read (manifests/slack-app.yaml); reinstall the app",
            );
        }
        Err(e) => return CheckLine::new(false, what, e.to_string()),
    };
    let channel = info.get("channel").cloned().unwrap_or(Value::Null);
    let name = channel
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned();
    let flag = |k: &str| channel.get(k).and_then(Value::as_bool).unwrap_or(false);
    if flag("is_archived") {
        return CheckLine::new(
            false,
            what,
            format!("#{name} is archived: nothing can be posted there; pick another channel"),
        );
    }
    if flag("is_member") {
        return CheckLine::new(true, what, format!("#{name}: the bot is a member"));
    }
    if flag("is_private") {
        return CheckLine::new(
            false,
            what,
            format!(
                "#{name} is private and the bot is not in it: invite it with /invite @Steward in #{name}"
            ),
        );
    }
    match api.join(id).await {
        Ok(()) => CheckLine::new(true, what, format!("#{name}: joined")),
        Err(e) => CheckLine::new(false, what, format!("#{name}: could not join: {e}")),
    }
}

/// The user groups config names (`[[teams]] slack_group`, and every group or `@handle` in an
/// `[access]` list), with the setting naming each.
pub fn configured_usergroups(config: &Config) -> Vec<(String, String)> {
    let teams = config.teams.iter().filter_map(|t| {
        let g = t.slack_group.as_ref()?;
        Some((format!("teams[{}].slack_group", t.name), g.clone()))
    });
    let access = config.access.lists().into_iter().flat_map(|(key, list)| {
        list.into_iter()
            .flatten()
            .filter_map(|e| crate::config::AccessEntry::parse(e))
            .filter(|e| !matches!(e, crate::config::AccessEntry::User(_)))
            .map(move |e| (format!("access.{key}"), e.shown()))
    });
    teams.chain(access).collect()
}

/// `usergroups.list` when any user group is configured: the scope, and that each exists.
async fn check_usergroups(api: &SlackApi, config: &Config) -> Option<CheckLine> {
    let wanted = configured_usergroups(config);
    if wanted.is_empty() {
        return None;
    }
    let what = "user groups (usergroups.list)";
    let list = match api.call_get("usergroups.list", &[]).await {
        Ok(v) => v,
        Err(CallError::Api(code)) if code == "missing_scope" => {
            return Some(CheckLine::new(
                false,
                what,
                "missing_scope: the bot token lacks usergroups:read; add it under OAuth & Permissions (manifests/slack-app.yaml lists it) and reinstall the app",
            ));
        }
        Err(e) => return Some(CheckLine::new(false, what, e.to_string())),
    };
    let groups = list.get("usergroups").and_then(Value::as_array);
    let field = |name: &'static str| -> Vec<String> {
        groups
            .into_iter()
            .flatten()
            .filter_map(|g| g.get(name).and_then(Value::as_str))
            .map(str::to_ascii_lowercase)
            .collect()
    };
    let (ids, handles) = (field("id"), field("handle"));
    let unknown: Vec<String> = wanted
        .iter()
        .filter(|(_, g)| match g.strip_prefix('@') {
            Some(h) => !handles.contains(&h.to_ascii_lowercase()),
            None => !ids.contains(&g.to_ascii_lowercase()),
        })
        .map(|(key, id)| format!("{key} {id}"))
        .collect();
    Some(if unknown.is_empty() {
        CheckLine::new(
            true,
            what,
            format!("readable; all {} configured groups exist", wanted.len()),
        )
    } else {
        CheckLine::new(
            false,
            what,
            format!(
                "not in this workspace (or disabled): {}; use the group's ID (S…)",
                unknown.join(", ")
            ),
        )
    })
}

/// The slash commands an app manifest registers (`features.slash_commands[].command`), read
/// line by line as the manifest is plain block-style YAML.
pub fn manifest_commands(manifest: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = None;
    for line in manifest.lines() {
        let text = line.split(" #").next().unwrap_or("").trim_end();
        if text.trim().is_empty() || text.trim_start().starts_with('#') {
            continue;
        }
        let indent = text.len() - text.trim_start().len();
        let t = text.trim_start();
        match inside {
            None if t == "slash_commands:" => inside = Some(indent),
            Some(depth) if indent <= depth && !t.starts_with('-') => inside = None,
            Some(_) => {
                let item = t.trim_start_matches('-').trim_start();
                if let Some(v) = item.strip_prefix("command:") {
                    out.push(v.trim().trim_matches(['"', '\'']).to_owned());
                }
            }
            None => {}
        }
    }
    out
}

fn check_command(slack: &SlackConfig, (origin, manifest): (&str, &str)) -> CheckLine {
    let what = "slash command";
    let registered = manifest_commands(manifest);
    if registered.contains(&slack.command) {
        CheckLine::new(
            true,
            what,
            format!("{} matches the command in {origin}", slack.command),
        )
    } else if registered.is_empty() {
        CheckLine::new(
            false,
            what,
            format!(
                "{origin} registers no slash command; add {} under features.slash_commands",
                slack.command
            ),
        )
    } else {
        CheckLine::new(
            false,
            what,
            format!(
                "[slack] command is {} but {origin} registers {}: make them the same (and update the app in Slack)",
                slack.command,
                registered.join(", ")
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_manifest_registers_the_default_command() {
        assert_eq!(
            manifest_commands(BUILT_IN_MANIFEST),
            vec![crate::config::DEFAULT_SLASH_COMMAND.to_owned()]
        );
        let yaml = "features:\n  slash_commands:\n    - command: \"/data\" # ours\n      description: x\n    - description: y\n      command: /other\n  bot_user:\n    command: /not-a-slash-command\n";
        assert_eq!(manifest_commands(yaml), vec!["/data", "/other"]);
        assert!(manifest_commands("features: {}\n").is_empty());
    }
}
