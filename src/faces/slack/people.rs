//! Learning people's names from Slack (`users.info`, scope `users:read`) so the faces that are
//! not Slack (the CLI, the pages, the Markdown report) can show `@Ana Lima` for `<@U0ANA>`.

use super::api::{CallError, SlackApi};
use crate::app::App;
use anyhow::Result;
use serde_json::Value;
use std::time::Duration;

/// How often the bot looks for people it has no name for.
pub const INTERVAL: Duration = Duration::from_secs(300);

/// Most `users.info` calls in one pass (Tier 4: well inside Slack's 100+ per minute).
const PER_PASS: usize = 50;

/// Asks Slack for the name of every stored person whose name is unknown or stale, and stores
/// them; returns how many names were new or changed. A user Slack does not know is remembered by
/// id, so it is not asked for again every pass; a network failure ends the pass (next one retries).
pub async fn learn_names(app: &App, api: &SlackApi) -> Result<usize> {
    let reader = app.clone();
    let ids = tokio::task::spawn_blocking(move || reader.people_to_look_up(PER_PASS)).await??;
    let mut names = Vec::new();
    for id in ids {
        match api.call_get("users.info", &[("user", &id)]).await {
            Ok(v) => {
                if let Some(name) = display_name(&v["user"]) {
                    names.push((id, name));
                }
            }
            Err(CallError::Api(code)) => {
                tracing::debug!(user = id, code, "users.info refused");
                if code == "user_not_found" {
                    names.push((id.clone(), id));
                }
            }
            Err(CallError::Transient(e)) => {
                tracing::debug!(error = e, "users.info failed; trying again next pass");
                break;
            }
        }
    }
    let writer = app.clone();
    tokio::task::spawn_blocking(move || writer.remember_people(names)).await?
}

/// The name Slack shows for a user object: the profile's display name, else the real name,
/// else the handle.
pub fn display_name(user: &Value) -> Option<String> {
    [
        "/profile/display_name",
        "/profile/real_name",
        "/real_name",
        "/name",
    ]
    .iter()
    .filter_map(|p| user.pointer(p).and_then(Value::as_str))
    .map(str::trim)
    .find(|s| !s.is_empty())
    .map(str::to_owned)
}

/// The bot's task: a pass at start, then every [`INTERVAL`].
pub async fn run(app: App, api: std::sync::Arc<SlackApi>) {
    loop {
        if let Err(e) = learn_names(&app, &api).await {
            tracing::warn!(error = format!("{e:#}"), "learning people's names failed");
        }
        tokio::time::sleep(INTERVAL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_display_name_wins_then_the_real_name_then_the_handle() {
        let full = json!({"name": "ana", "real_name": "Ana Lima",
            "profile": {"display_name": "ana.l", "real_name": "Ana Lima"}});
        assert_eq!(display_name(&full).as_deref(), Some("ana.l"));
        let no_display =
            json!({"name": "ana", "profile": {"display_name": "", "real_name": "Ana Lima"}});
        assert_eq!(display_name(&no_display).as_deref(), Some("Ana Lima"));
        assert_eq!(
            display_name(&json!({"name": "ana"})).as_deref(),
            Some("ana")
        );
        assert_eq!(display_name(&json!({})), None);
    }
}
