//! `[access]`'s user groups as Slack knows them: at start and every `[access] refresh`, each
//! group the rules name is read with `usergroups.users.list` (handles first mapped to IDs with
//! `usergroups.list`), through [`SlackApi`] so pacing and retries apply, and the core's
//! membership snapshot is replaced whole. A group Slack fails to answer for keeps the members it
//! had, so a blip never locks people out (or in) until the next good read.

use crate::config::AccessEntry;
use crate::domain::access::{Access, Membership};
use crate::faces::slack::api::SlackApi;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// Reads every group `access` names and replaces its membership; returns the problems met
/// (one line each: a group Slack does not know, a missing scope), also logged.
pub async fn refresh(api: &SlackApi, access: &Access) -> Vec<String> {
    let wanted = access.groups();
    if wanted.is_empty() {
        return Vec::new();
    }
    let before = access.membership();
    let mut next = Membership::default();
    let mut problems = Vec::new();
    if wanted.iter().any(|g| matches!(g, AccessEntry::Handle(_))) {
        match api.call_get("usergroups.list", &[]).await {
            Ok(list) => next.handles = handles(&list),
            Err(e) => {
                problems.push(format!("usergroups.list: {e}"));
                next.handles = before.handles.clone();
            }
        }
    }
    let mut ids: Vec<String> = Vec::new();
    for g in wanted {
        let id = match g {
            AccessEntry::Group(id) => Some(id.clone()),
            AccessEntry::Handle(h) => next.handles.get(h).cloned().or_else(|| {
                problems.push(format!("@{h}: no user group has this handle"));
                None
            }),
            AccessEntry::User(_) => None,
        };
        if let Some(id) = id.filter(|id| !ids.contains(id)) {
            ids.push(id);
        }
    }
    for id in ids {
        match api
            .call_get("usergroups.users.list", &[("usergroup", &id)])
            .await
        {
            Ok(v) => {
                let users: HashSet<String> = v
                    .get("users")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                next.groups.insert(id, users);
            }
            Err(e) => {
                problems.push(format!("{id}: usergroups.users.list: {e}"));
                if let Some(kept) = before.groups.get(&id) {
                    next.groups.insert(id, kept.clone());
                }
            }
        }
    }
    for p in &problems {
        tracing::warn!(problem = %p, "[access] user groups");
    }
    access.set_membership(next);
    problems
}

/// Handle (lowercase) → group ID, from a `usergroups.list` answer.
fn handles(list: &Value) -> std::collections::HashMap<String, String> {
    list.get("usergroups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|g| {
            let id = g.get("id")?.as_str()?;
            let handle = g.get("handle")?.as_str()?;
            Some((handle.to_ascii_lowercase(), id.to_owned()))
        })
        .collect()
}

/// Refreshes every `every` (the first read is made by the bot before it listens).
pub async fn run(api: Arc<SlackApi>, access: Arc<Access>, every: Duration) {
    if access.groups().is_empty() {
        return;
    }
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        refresh(&api, &access).await;
    }
}
