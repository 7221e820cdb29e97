//! Incident messages: each incident's living message in the incidents channel (its thread is
//! the timeline as it happens), stakeholder updates and the shared post-incident report.

use super::Posted;
use crate::domain::issues::{IssueFilter, ts};
use crate::faces::slack::api::CallError;
use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::store::outbox;
use anyhow::Result;
use rusqlite::{OptionalExtension, params};
use serde_json::Value;
use std::sync::Arc;

/// Incident `n`'s living message (its thread carries the timeline).
fn incident_message(c: &rusqlite::Connection, n: i64) -> Result<Option<Posted>> {
    Ok(c.query_row(
        "SELECT channel, ts FROM slack_messages WHERE purpose = 'incident' AND incident_id = ?1 ORDER BY id LIMIT 1",
        [n],
        |r| Ok(Posted { channel: r.get(0)?, ts: r.get(1)? }),
    )
    .optional()?)
}

pub(super) async fn incident_changed(ctx: &Arc<Context>, payload: &Value) -> Result<()> {
    let Some(n) = payload.get("incident").and_then(Value::as_i64) else {
        return Ok(());
    };
    let app = ctx.app.clone();
    let (incident, linked, existing, paged, tickets) =
        tokio::task::spawn_blocking(move || -> Result<_> {
            let incident = app.incident(n)?;
            let deliveries = app.incident_deliveries(n)?;
            let paged = crate::faces::integrations::paged(&deliveries);
            let tickets: Vec<(&str, Option<(String, String)>)> = ["jira", "linear"]
                .into_iter()
                .filter(|t| match *t {
                    "jira" => app.config.jira.is_some(),
                    _ => app.config.linear.is_some(),
                })
                .map(|t| (t, crate::faces::integrations::ticket(&deliveries, t)))
                .collect();
            let linked = app.issues(&IssueFilter {
                ids: Some(incident.issues.clone()),
                ..Default::default()
            })?;
            let existing = app.store.read(|c| incident_message(c, n))?;
            Ok((incident, linked, existing, paged, tickets))
        })
        .await??;
    let trackers: Vec<(&str, Option<(&str, &str)>)> = tickets
        .iter()
        .map(|(t, ticket)| (*t, ticket.as_ref().map(|(k, u)| (k.as_str(), u.as_str()))))
        .collect();
    let view = blocks::IncidentView {
        number: incident.number,
        title: &incident.title,
        severity: &incident.severity,
        status: &incident.status,
        commander: incident.commander.as_deref(),
        issues: &linked,
        impact: Some(&incident.impact),
        declared_by: &incident.declared_by,
        declared_at: &incident.declared,
        teams: &incident.teams,
        paged: &paged,
        trackers: &trackers,
    };
    let open = crate::faces::http::pages::signed::page_url(
        &ctx.app.config,
        &format!("/incidents/{}", incident.id),
        ctx.app.clock.now(),
    );
    let message = blocks::with_open_link(blocks::incident_message(&view), open.as_deref());
    match existing {
        Some(p) => {
            ctx.api.update(&p.channel, &p.ts, &message).await?;
            // The thread carries the timeline as it happens.
            if let (Some(actor), Some(text)) = (
                payload.get("actor").and_then(Value::as_str),
                payload.get("text").and_then(Value::as_str),
            ) {
                ctx.api
                    .post(
                        &p.channel,
                        &blocks::activity_reply(actor, text),
                        Some(&p.ts),
                    )
                    .await?;
            }
        }
        None => {
            let channel = ctx.config.incidents_channel.clone();
            let ts_posted = ctx.api.post(&channel, &message, None).await?;
            let app = ctx.app.clone();
            let now = ctx.app.clock.now();
            tokio::task::spawn_blocking(move || {
                app.store.write(move |tx| {
                    tx.execute(
                        "INSERT INTO slack_messages (incident_id, channel, ts, purpose, state, updated_at) VALUES (?1, ?2, ?3, 'incident', 'posted', ?4)",
                        params![n, channel, ts_posted, ts(now)],
                    )?;
                    crate::domain::incidents::record_notification(tx, n, &channel, "incident message posted", now)?;
                    // Every linked issue's alert shows the incident: re-render them.
                    crate::store::outbox::enqueue(tx, outbox::ISSUES_CHANGED, &serde_json::json!({"issues": incident.issues, "reason": "incident"}), now)?;
                    Ok(())
                })
            })
            .await??;
            ctx.app.outbox_signal.notify_one();
        }
    }
    Ok(())
}

/// A stakeholder update: a reply in the incident message's thread, and a post in each affected
/// product's channel (deduplicated). A channel Slack does not know is skipped, not retried.
pub(super) async fn stakeholder_update(ctx: &Arc<Context>, payload: &Value) -> Result<()> {
    let Some(n) = payload.get("incident").and_then(Value::as_i64) else {
        return Ok(());
    };
    let actor = payload.get("actor").and_then(Value::as_str).unwrap_or("");
    let text = payload.get("text").and_then(Value::as_str).unwrap_or("");
    let mut channels: Vec<&str> = Vec::new();
    for c in payload
        .get("channels")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !c.trim().is_empty() && !channels.contains(&c) {
            channels.push(c);
        }
    }
    let app = ctx.app.clone();
    let thread =
        tokio::task::spawn_blocking(move || app.store.read(|c| incident_message(c, n))).await??;
    let message = blocks::stakeholder_update(actor, n, text);
    if let Some(p) = &thread {
        ctx.api.post(&p.channel, &message, Some(&p.ts)).await?;
    }
    let mut reached: Vec<String> = thread.iter().map(|p| p.channel.clone()).collect();
    for channel in channels {
        match ctx.api.post(channel, &message, None).await {
            Ok(_) => reached.push(channel.to_owned()),
            Err(CallError::Api(code)) if code == "channel_not_found" => {
                tracing::warn!(
                    incident = n,
                    channel,
                    "stakeholder update skipped: channel not found"
                );
            }
            Err(e) => return Err(e.into()),
        }
    }
    let app = ctx.app.clone();
    tokio::task::spawn_blocking(move || {
        for channel in reached {
            app.incident_notified(n, &channel, "stakeholder update")?;
        }
        Ok::<(), anyhow::Error>(())
    })
    .await??;
    Ok(())
}

/// Posts the post-incident report in the incident message's thread (or the incidents channel
/// when the incident has no message), then logs where it went.
pub(super) async fn share_postmortem(ctx: &Arc<Context>, payload: &Value) -> Result<()> {
    let Some(n) = payload.get("incident").and_then(Value::as_i64) else {
        return Ok(());
    };
    let app = ctx.app.clone();
    let (markdown, thread) = tokio::task::spawn_blocking(move || -> Result<_> {
        let data = app.postmortem(n)?;
        let thread = app.store.read(|c| incident_message(c, n))?;
        Ok((crate::domain::postmortem::render(&data), thread))
    })
    .await??;
    let (channel, thread_ts) = match &thread {
        Some(p) => (p.channel.clone(), Some(p.ts.as_str())),
        None => (ctx.config.incidents_channel.clone(), None),
    };
    for message in blocks::postmortem_messages(n, &markdown) {
        ctx.api.post(&channel, &message, thread_ts).await?;
    }
    let app = ctx.app.clone();
    tokio::task::spawn_blocking(move || {
        app.incident_notified(n, &channel, "post-incident report shared")
    })
    .await??;
    Ok(())
}
