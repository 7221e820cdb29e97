//! The bot token's scopes and the scope each Web API method needs, from the methods' pages on
//! api.slack.com ("Required scopes", bot token). A bot token without it gets Slack's answer:
//! `{"ok": false, "error": "missing_scope", "needed": "…", "provided": "…"}`.

use super::Reply;
use serde_json::json;

/// Method → the bot scope it needs. Methods not listed need none the fake checks
/// (`auth.test` needs none at all; `conversations.info` needs the scope of the channel's type).
const NEEDS: &[(&str, &str)] = &[
    ("chat.postMessage", "chat:write"),
    ("chat.update", "chat:write"),
    ("chat.postEphemeral", "chat:write"),
    ("chat.delete", "chat:write"),
    ("conversations.join", "channels:join"),
    ("users.info", "users:read"),
    ("users.lookupByEmail", "users:read.email"),
    ("usergroups.list", "usergroups:read"),
    ("usergroups.users.list", "usergroups:read"),
];

/// The scopes a fake bot token has unless a test says otherwise: the app manifest's.
pub fn default_bot_scopes() -> Vec<String> {
    crate::faces::slack::BOT_SCOPES
        .iter()
        .map(|(s, _)| (*s).to_owned())
        .collect()
}

/// Slack's `missing_scope` answer when a bot token with `granted` calls `method` without the
/// scope it needs.
pub fn missing(method: &str, granted: &[String]) -> Option<Reply> {
    let needed = NEEDS.iter().find(|(m, _)| *m == method)?.1;
    if granted.iter().any(|g| g == needed) {
        return None;
    }
    Some(Reply::with_status(
        200,
        json!({"ok": false, "error": "missing_scope", "needed": needed, "provided": granted.join(",")}),
    ))
}
