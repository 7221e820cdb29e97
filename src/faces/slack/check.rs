//! `steward slack check`: confirms an install works before the first alert depends on it —
//! the tokens, every configured channel (joining public ones, naming private ones the bot must be
//! invited to), and the slash command name.

use crate::config::SlackConfig;
use crate::faces::slack::api::{CallError, SlackApi};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize)]
pub struct CheckLine {
    pub ok: bool,
    pub what: String,
    pub detail: String,
}

/// Runs every check; each line says what was checked and what to do when it failed.
pub async fn run(api: &SlackApi, config: &SlackConfig) -> Vec<CheckLine> {
    let mut out = Vec::new();
    match api.auth_test().await {
        Ok(v) => out.push(CheckLine {
            ok: true,
            what: "bot token (auth.test)".into(),
            detail: format!(
                "works: bot user {} in team {}",
                v.get("user_id").and_then(Value::as_str).unwrap_or("?"),
                v.get("team")
                    .or(v.get("team_id"))
                    .and_then(Value::as_str)
                    .unwrap_or("?")
            ),
        }),
        Err(e) => {
            out.push(CheckLine {
                ok: false,
                what: "bot token (auth.test)".into(),
                detail: format!("{e}: check SLACK_BOT_TOKEN (xoxb-…)"),
            });
            return out;
        }
    }
    let mut channels: Vec<(String, String)> = vec![
        ("slack.alerts_channel".into(), config.alerts_channel.clone()),
        (
            "slack.incidents_channel".into(),
            config.incidents_channel.clone(),
        ),
    ];
    for (i, r) in config.routes.iter().enumerate() {
        channels.push((format!("slack.routes[{i}]"), r.channel.clone()));
    }
    channels.dedup_by(|a, b| a.1 == b.1);
    for (key, id) in channels {
        out.push(check_channel(api, &key, &id).await);
    }
    out.push(CheckLine {
        ok: config.command.starts_with('/'),
        what: "slash command".into(),
        detail: format!(
            "{} (must match the command in manifests/slack-app.yaml, default {})",
            config.command,
            crate::faces::slack::DEFAULT_SLASH_COMMAND
        ),
    });
    out
}

async fn check_channel(api: &SlackApi, key: &str, id: &str) -> CheckLine {
    let what = format!("{key} {id}");
    let info = match api.channel_info(id).await {
        Ok(v) => v,
        Err(CallError::Api(code)) if code == "channel_not_found" => {
            return CheckLine {
                ok: false,
                what,
                detail: "channel_not_found: the ID is wrong, or it is a private channel the bot was not invited to (/invite @Steward there)".into(),
            };
        }
        Err(e) => {
            return CheckLine {
                ok: false,
                what,
                detail: e.to_string(),
            };
        }
    };
    let channel = info.get("channel").cloned().unwrap_or(Value::Null);
    let name = channel
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned();
    let private = channel
        .get("is_private")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let member = channel
        .get("is_member")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if member {
        return CheckLine {
            ok: true,
            what,
            detail: format!("#{name}: the bot is a member"),
        };
    }
    if private {
        return CheckLine {
            ok: false,
            what,
            detail: format!(
                "#{name} is private and the bot is not in it: invite it with /invite @Steward in #{name}"
            ),
        };
    }
    match api.join(id).await {
        Ok(()) => CheckLine {
            ok: true,
            what,
            detail: format!("#{name}: joined"),
        },
        Err(e) => CheckLine {
            ok: false,
            what,
            detail: format!("#{name}: could not join: {e}"),
        },
    }
}
