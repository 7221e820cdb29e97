//! The notifier: drains the outbox into Slack. One living message per root-cause group (root
//! issues on one asset), edited in place as issues change, with short thread replies saying who
//! did what; incident messages in the incidents channel; the App Home after changes.
//!
//! An outbox item is marked done only when Slack accepted everything it asked for; otherwise it is
//! retried with backoff, across restarts. Re-processing is safe: a group that already has a
//! message is edited, never posted twice.

use crate::issues::{self, Issue, IssueFilter, ts};
use crate::outbox;
use crate::slack::api::CallError;
use crate::slack::blocks::{self, AlertView, Links};
use crate::slack::routing;
use crate::slack::worker::Context;
use anyhow::Result;
use rusqlite::{OptionalExtension, params};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub async fn run(ctx: Arc<Context>) {
    let state = Arc::new(State::default());
    loop {
        match tick(&ctx, &state).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::error!(error = format!("{e:#}"), "notifier pass failed"),
        }
        tokio::select! {
            _ = ctx.app.outbox_signal.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

/// In-memory pacing of repeat-failure replies and who has looked at their Home tab.
#[derive(Default)]
struct State {
    last_repeat_reply: Mutex<HashMap<i64, Instant>>,
    /// A product announcement failed: try again even when the outbox is empty.
    announce_again: std::sync::atomic::AtomicBool,
}

/// One pass over due outbox items; true when there may be more.
async fn tick(ctx: &Arc<Context>, state: &Arc<State>) -> Result<bool> {
    let now = ctx.app.clock.now();
    let items = {
        let app = ctx.app.clone();
        tokio::task::spawn_blocking(move || app.store.read(|c| outbox::due(c, now, 50))).await??
    };
    if items.is_empty() {
        if state
            .announce_again
            .swap(false, std::sync::atomic::Ordering::Relaxed)
            && let Err(e) = announce_products(ctx).await
        {
            state
                .announce_again
                .store(true, std::sync::atomic::Ordering::Relaxed);
            tracing::warn!(
                error = format!("{e:#}"),
                "product status changes not announced yet"
            );
        }
        return Ok(false);
    }
    for item in &items {
        tracing::debug!(item = item.id, topic = item.topic, payload = %item.payload, "outbox item");
        let outcome = match item.topic.as_str() {
            outbox::ISSUES_CHANGED => issues_changed(ctx, state, &item.payload).await,
            outbox::INCIDENT_CHANGED => incident_changed(ctx, &item.payload).await,
            outbox::STAKEHOLDER_UPDATE => stakeholder_update(ctx, &item.payload).await,
            outbox::POSTMORTEM_SHARED => share_postmortem(ctx, &item.payload).await,
            outbox::DIGEST_WEEKLY => weekly_digest(ctx, &item.payload).await,
            _ => Ok(()),
        };
        let (id, attempts) = (item.id, item.attempts);
        let app = ctx.app.clone();
        match outcome {
            Ok(()) => {
                tokio::task::spawn_blocking(move || {
                    app.store.write(move |tx| outbox::done(tx, id, now))
                })
                .await??;
            }
            Err(e) => {
                let permanent = e
                    .downcast_ref::<CallError>()
                    .is_some_and(|c| matches!(c, CallError::Api(_)));
                let msg = format!("{e:#}");
                tracing::warn!(
                    item = id,
                    attempts,
                    error = msg,
                    permanent,
                    "Slack delivery failed"
                );
                let delay = chrono::Duration::seconds((2i64 << attempts.min(8)).min(600));
                tokio::task::spawn_blocking(move || {
                    app.store.write(move |tx| {
                        if permanent {
                            outbox::retry(tx, id, &msg, chrono::Duration::zero(), now)?;
                            outbox::done(tx, id, now)
                        } else {
                            outbox::retry(tx, id, &msg, delay, now)
                        }
                    })
                })
                .await??;
            }
        }
    }
    // Issues and incidents changed: tell data products' channels whose status changed.
    if let Err(e) = announce_products(ctx).await {
        state
            .announce_again
            .store(true, std::sync::atomic::Ordering::Relaxed);
        tracing::warn!(
            error = format!("{e:#}"),
            "product status changes not announced yet"
        );
    }
    // Home tabs show open issues and mutes: republish them for the people who look at them.
    let users: Vec<String> = ctx
        .home_users
        .lock()
        .expect("home users lock")
        .iter()
        .cloned()
        .collect();
    for user in users {
        if let Err(e) = publish_home(ctx, &user).await {
            tracing::warn!(user, error = format!("{e:#}"), "Home tab not republished");
        }
    }
    Ok(items.len() == 50)
}

/// A group's living message.
#[derive(Debug, Clone)]
struct Posted {
    channel: String,
    ts: String,
}

fn find_message(c: &rusqlite::Connection, ids: &[i64]) -> Result<Option<Posted>> {
    if ids.is_empty() {
        return Ok(None);
    }
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    Ok(c.query_row(
        &format!(
            "SELECT channel, ts FROM slack_messages WHERE purpose = 'alert' AND state = 'posted' AND issue_id IN ({}) ORDER BY id LIMIT 1",
            list.join(",")
        ),
        [],
        |r| Ok(Posted { channel: r.get(0)?, ts: r.get(1)? }),
    )
    .optional()?)
}

/// Incident `n`'s living message (its thread carries the timeline).
fn incident_message(c: &rusqlite::Connection, n: i64) -> Result<Option<Posted>> {
    Ok(c.query_row(
        "SELECT channel, ts FROM slack_messages WHERE purpose = 'incident' AND incident_id = ?1 ORDER BY id LIMIT 1",
        [n],
        |r| Ok(Posted { channel: r.get(0)?, ts: r.get(1)? }),
    )
    .optional()?)
}

/// Everything needed to render and route one group.
struct GroupPlan {
    anchor: i64,
    group: Vec<Issue>,
    existing: Option<Posted>,
    impact: Option<crate::lineage::Impact>,
    recent_comments: Vec<issues::Comment>,
    incident: Option<(i64, String)>,
    last_event: String,
    muted: bool,
}

fn plan_group(app: &crate::app::App, issue_id: i64) -> Result<Option<GroupPlan>> {
    let now = app.clock.now();
    app.store.read(|c| {
        let Some(issue) = issues::get(c, issue_id)? else { return Ok(None) };
        let anchor_id = issue.symptom_of.unwrap_or(issue.id);
        let Some(anchor) = issues::get(c, anchor_id)? else { return Ok(None) };
        let mut group: Vec<Issue> = issues::list(
            c,
            &IssueFilter {
                env: Some(anchor.env.clone()),
                asset: Some(anchor.asset.clone()),
                ..Default::default()
            },
        )?
        .into_iter()
        .filter(|i| i.asset == anchor.asset && i.symptom_of.is_none() && (i.is_active() || i.id == anchor.id || i.id == issue.id))
        .collect();
        group.sort_by_key(|i| (!i.is_active(), i.id));
        if group.is_empty() {
            group.push(anchor.clone());
        }
        let mut ids: Vec<i64> = group.iter().map(|i| i.id).collect();
        let existing = find_message(c, &ids)?;
        // A message keeps showing every issue it has shown, so a recovered check does not
        // vanish from it when its sibling recovers first.
        if let Some(p) = &existing {
            let mut stmt = c.prepare_cached(
                "SELECT DISTINCT issue_id FROM slack_messages WHERE purpose = 'alert' AND channel = ?1 AND ts = ?2 AND issue_id IS NOT NULL",
            )?;
            let shown: Vec<i64> = stmt.query_map(params![p.channel, p.ts], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
            for id in shown {
                if !ids.contains(&id)
                    && let Some(i) = issues::get(c, id)?
                {
                    ids.push(id);
                    group.push(i);
                }
            }
            group.sort_by_key(|i| (!i.is_active(), i.id));
        }
        let lineage = app.lineage.env(Some(&anchor.env));
        let impact = lineage.get(&anchor.asset).map(|n| lineage.impact(&[n]));
        let mut recent_comments = Vec::new();
        {
            let mut stmt = c.prepare(
                "SELECT c.id, c.author, c.body, c.at FROM comments c JOIN issues i ON i.id = c.issue_id
                 WHERE i.asset = ?1 AND i.id NOT IN (SELECT value FROM json_each(?2)) ORDER BY c.id DESC LIMIT 3",
            )?;
            let rows = stmt.query_map(params![anchor.asset, serde_json::to_string(&ids)?], |r| {
                Ok(issues::Comment { id: r.get(0)?, author: r.get(1)?, body: r.get(2)?, at: r.get(3)? })
            })?;
            for r in rows {
                recent_comments.push(r?);
            }
        }
        let incident = group
            .iter()
            .find_map(|i| i.incident_id)
            .and_then(|n| {
                c.query_row("SELECT title FROM incidents WHERE id = ?1", [n], |r| r.get::<_, String>(0))
                    .optional()
                    .ok()
                    .flatten()
                    .map(|t| (n, t))
            });
        let last_event: String = c
            .query_row("SELECT kind FROM events WHERE issue_id = ?1 ORDER BY id DESC LIMIT 1", [issue_id], |r| r.get(0))
            .optional()?
            .unwrap_or_default();
        // Muted: the whole asset, or every active issue's own check (resolved as expected).
        let mut muted = issues::is_muted(c, &anchor.asset, now)?;
        if !muted && group.iter().any(Issue::is_active) {
            muted = true;
            for i in group.iter().filter(|i| i.is_active()) {
                if issues::check_muted_until(c, &i.env, &i.asset, &i.check, now)?.is_none() {
                    muted = false;
                    break;
                }
            }
        }
        // Root issues on one asset share one message, keyed by the group's oldest issue.
        let key = group.iter().map(|i| i.id).min().unwrap_or(anchor.id);
        Ok(Some(GroupPlan {
            anchor: key,
            group,
            existing,
            impact,
            recent_comments,
            incident,
            last_event,
            muted,
        }))
    })
}

async fn render(ctx: &Arc<Context>, plan: &GroupPlan) -> (blocks::Message, routing::Routing) {
    let lineage = ctx
        .app
        .lineage
        .env(plan.group.first().map(|i| i.env.as_str()));
    let routing = routing::route(&ctx.config, &lineage, &plan.group, plan.impact.as_ref());
    let mut owners: Vec<String> = plan
        .group
        .iter()
        .flat_map(|i| i.owners.iter().cloned())
        .collect();
    owners.extend(routing.extra_mentions.iter().cloned());
    owners.dedup();
    let owner_mentions = ctx.api.mentions(&owners).await;
    let tell = plan
        .impact
        .as_ref()
        .map(|i| i.owners.clone())
        .unwrap_or_default();
    let tell_mentions = ctx.api.mentions(&tell).await;
    let docs_url = ctx.config.docs_url.as_deref().and_then(|base| {
        let idx = lineage.get(&plan.group[0].asset)?;
        let node = lineage.node(idx);
        Some(format!(
            "{}/#!/{}/{}",
            base.trim_end_matches('/'),
            node.kind.as_str(),
            node.unique_id
        ))
    });
    let links = Links {
        docs_url,
        run_url: plan.group.iter().find_map(|i| i.url.clone()),
        log_url: None,
    };
    let view = AlertView {
        group: &plan.group,
        impact: plan.impact.as_ref(),
        owner_mentions: &owner_mentions,
        tell_mentions: &tell_mentions,
        recent_comments: &plan.recent_comments,
        links: &links,
        incident: plan.incident.as_ref().map(|(n, t)| (*n, t.as_str())),
        compiled_sql_available: plan.group.iter().any(|i| i.compiled_sql.is_some()),
        now: ctx.app.clock.now(),
    };
    let open = crate::http::pages::signed::page_url(
        &ctx.app.config,
        &format!("/issues/{}", plan.group[0].id),
        view.now,
    );
    let message = blocks::with_open_link(blocks::alert_message(&view), open.as_deref());
    (message, routing)
}

async fn issues_changed(ctx: &Arc<Context>, state: &Arc<State>, payload: &Value) -> Result<()> {
    let ids: Vec<i64> = payload
        .get("issues")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    let reason = payload
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or("ingest")
        .to_owned();
    let actor = payload
        .get("actor")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let text = payload
        .get("text")
        .and_then(Value::as_str)
        .map(str::to_owned);

    // Plan every affected group once (symptoms update their root's message).
    let mut plans: BTreeMap<String, (GroupPlan, Vec<i64>)> = BTreeMap::new();
    for id in ids {
        // An issue already shown by a planned group needs no plan of its own.
        if let Some((_, changed)) = plans
            .values_mut()
            .find(|(p, _)| p.group.iter().any(|i| i.id == id))
        {
            changed.push(id);
            continue;
        }
        let app = ctx.app.clone();
        let Some(plan) = tokio::task::spawn_blocking(move || plan_group(&app, id)).await?? else {
            continue;
        };
        let key = match &plan.existing {
            Some(p) => format!("{}:{}", p.channel, p.ts),
            None => format!("new:{}", plan.anchor),
        };
        plans
            .entry(key)
            .or_insert_with(|| (plan, Vec::new()))
            .1
            .push(id);
    }
    let mut incidents: Vec<i64> = plans
        .values()
        .flat_map(|(p, _)| p.group.iter().filter_map(|i| i.incident_id))
        .collect();
    incidents.sort_unstable();
    incidents.dedup();
    // What changed on each incident's issues, for the incident's thread (its timeline as it
    // happens): people's actions and recoveries; repeat failures only edit the messages.
    let mut incident_news: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for (plan, changed) in plans.values() {
        for i in plan.group.iter().filter(|i| changed.contains(&i.id)) {
            let Some(n) = i.incident_id else { continue };
            let what = format!(
                "#{} `{}` on `{}`",
                i.id,
                crate::render::short_name(&i.check),
                crate::render::short_name(&i.asset)
            );
            let line = match reason.as_str() {
                "ingest" if i.resolution.as_deref() == Some("recovered") => {
                    Some(format!("✅ {what} recovered"))
                }
                "assigned" => Some(format!(
                    "assigned {what} to {}",
                    i.assignee.as_deref().unwrap_or("someone")
                )),
                "status" => Some(format!("set {what} to {}", i.status)),
                "resolved" => Some(format!(
                    "resolved {what} as {}",
                    i.resolution.as_deref().unwrap_or("resolved")
                )),
                "commented" => text.as_deref().map(|t| format!("commented on {what}: {t}")),
                _ => None,
            };
            if let Some(line) = line {
                incident_news.entry(n).or_default().push(line);
            }
        }
    }
    // Send per channel, channels in parallel (each is paced on its own).
    let mut by_channel: HashMap<String, Vec<(GroupPlan, Vec<i64>, blocks::Message)>> =
        HashMap::new();
    for (_, (plan, changed)) in plans {
        let (message, routing) = render(ctx, &plan).await;
        tracing::debug!(anchor = plan.anchor, existing = ?plan.existing, muted = routing.muted, channel = routing.channel, "alert group");
        if routing.muted && plan.existing.is_none() {
            continue;
        }
        let channel = plan
            .existing
            .as_ref()
            .map(|p| p.channel.clone())
            .unwrap_or(routing.channel);
        by_channel
            .entry(channel)
            .or_default()
            .push((plan, changed, message));
    }
    let sends = by_channel.into_iter().map(|(channel, work)| {
        let ctx = ctx.clone();
        let state = state.clone();
        let reason = reason.clone();
        let actor = actor.clone();
        let text = text.clone();
        async move {
            for (plan, changed, message) in work {
                let what = Change {
                    reason: &reason,
                    actor: actor.as_deref(),
                    text: text.as_deref(),
                    issues: &changed,
                };
                deliver(&ctx, &state, &channel, plan, message, &what).await?;
            }
            Ok::<(), anyhow::Error>(())
        }
    });
    for r in futures_util::future::join_all(sends).await {
        r?;
    }
    // Incidents show their issues' state: re-render those whose issues changed (but not for
    // the re-render the incident itself asked for).
    if reason != "incident" {
        for n in incidents {
            let payload = match incident_news.get(&n) {
                Some(lines) => serde_json::json!({
                    "incident": n,
                    "actor": actor.as_deref().unwrap_or("Steward"),
                    "text": lines.join("\n"),
                }),
                None => serde_json::json!({"incident": n}),
            };
            incident_changed(ctx, &payload).await?;
        }
    }
    Ok(())
}

/// Records which issues a message shows (one row per issue).
async fn remember(ctx: &Arc<Context>, channel: &str, message_ts: &str, ids: &[i64]) -> Result<()> {
    let (app, channel, message_ts, ids) = (
        ctx.app.clone(),
        channel.to_owned(),
        message_ts.to_owned(),
        ids.to_vec(),
    );
    let now = ctx.app.clock.now();
    tokio::task::spawn_blocking(move || {
        app.store.write(move |tx| {
            for id in ids {
                tx.execute(
                    "INSERT INTO slack_messages (issue_id, channel, ts, purpose, state, updated_at)
                     SELECT ?1, ?2, ?3, 'alert', 'posted', ?4
                     WHERE NOT EXISTS (SELECT 1 FROM slack_messages WHERE issue_id = ?1 AND channel = ?2 AND ts = ?3)",
                    params![id, channel, message_ts, ts(now)],
                )?;
            }
            Ok(())
        })
    })
    .await?
}

/// What happened, for the thread reply.
struct Change<'a> {
    reason: &'a str,
    actor: Option<&'a str>,
    /// A comment's text.
    text: Option<&'a str>,
    /// The issues that changed.
    issues: &'a [i64],
}

async fn deliver(
    ctx: &Arc<Context>,
    state: &Arc<State>,
    channel: &str,
    plan: GroupPlan,
    message: blocks::Message,
    change: &Change<'_>,
) -> Result<()> {
    let (reason, actor) = (change.reason, change.actor);
    let anchor = plan
        .group
        .iter()
        .find(|i| i.id == plan.anchor)
        .cloned()
        .unwrap_or_else(|| plan.group[0].clone());
    // A person acted on one issue: the reply is about that one, named when the message shows
    // several checks.
    let subject = plan
        .group
        .iter()
        .find(|i| change.issues.contains(&i.id))
        .cloned()
        .unwrap_or_else(|| anchor.clone());
    let this = if plan.group.len() > 1 {
        format!("`{}`", crate::render::short_name(&subject.check))
    } else {
        "this".to_owned()
    };
    let shown: Vec<i64> = plan.group.iter().map(|i| i.id).collect();
    let posted = match &plan.existing {
        Some(p) => {
            ctx.api.update(&p.channel, &p.ts, &message).await?;
            remember(ctx, &p.channel, &p.ts, &shown).await?;
            p.clone()
        }
        None => {
            if plan.muted || !anchor.is_active() {
                return Ok(()); // nothing to announce: muted, or already over before it was posted
            }
            let posted_ts = ctx.api.post(channel, &message, None).await?;
            remember(ctx, channel, &posted_ts, &shown).await?;
            // A brand-new message says it all; no thread reply.
            return Ok(());
        }
    };
    // The thread says what changed.
    let reply = match reason {
        "ingest" => match plan.last_event.as_str() {
            "recovered" => Some(blocks::recovery_reply(&anchor, ctx.app.clock.now())),
            "reopened" => Some(blocks::activity_reply(
                "Steward",
                "reopened this: it failed again",
            )),
            "failed_again" | "regressed" => {
                let mut last = state.last_repeat_reply.lock().expect("repeat lock");
                let due = last
                    .get(&plan.anchor)
                    .is_none_or(|t| t.elapsed() >= Duration::from_secs(3600));
                if due {
                    last.insert(plan.anchor, Instant::now());
                    Some(blocks::repeat_failure_reply(&anchor))
                } else {
                    None
                }
            }
            _ => None,
        },
        "assigned" => Some(blocks::activity_reply(
            actor.unwrap_or("someone"),
            &format!(
                "assigned {this} to {}",
                subject.assignee.as_deref().unwrap_or("someone")
            ),
        )),
        "status" => Some(blocks::activity_reply(
            actor.unwrap_or("someone"),
            &if this == "this" {
                format!("set the status to {}", subject.status)
            } else {
                format!("set the status of {this} to {}", subject.status)
            },
        )),
        "resolved" => Some(blocks::activity_reply(
            actor.unwrap_or("someone"),
            &format!(
                "resolved {this} as {}{}{}",
                subject.resolution.as_deref().unwrap_or("resolved"),
                subject
                    .resolution_reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default(),
                subject
                    .muted_until
                    .as_deref()
                    .filter(|_| subject.resolution.as_deref() == Some("expected"))
                    .map(|u| format!(" · muted until {}", blocks::slack_time(u)))
                    .unwrap_or_default()
            ),
        )),
        "muted" => Some(blocks::activity_reply(
            actor.unwrap_or("someone"),
            &format!(
                "muted this {}",
                subject
                    .muted_until
                    .as_deref()
                    .map(|u| format!("until {u}"))
                    .unwrap_or_default()
            ),
        )),
        // A comment made in the thread is already there (and enqueues nothing); one made in a
        // modal or a command is copied into the thread.
        "commented" => change.text.map(|t| {
            blocks::activity_reply(actor.unwrap_or("someone"), &format!("commented: {t}"))
        }),
        _ => None,
    };
    if let Some(reply) = reply {
        ctx.api
            .post(&posted.channel, &reply, Some(&posted.ts))
            .await?;
    }
    Ok(())
}

async fn incident_changed(ctx: &Arc<Context>, payload: &Value) -> Result<()> {
    let Some(n) = payload.get("incident").and_then(Value::as_i64) else {
        return Ok(());
    };
    let app = ctx.app.clone();
    let (incident, linked, existing) = tokio::task::spawn_blocking(move || -> Result<_> {
        let incident = app.incident(n)?;
        let linked = app.issues(&IssueFilter {
            ids: Some(incident.issues.clone()),
            ..Default::default()
        })?;
        let existing = app.store.read(|c| incident_message(c, n))?;
        Ok((incident, linked, existing))
    })
    .await??;
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
    };
    let open = crate::http::pages::signed::page_url(
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
                    crate::incidents::record_notification(tx, n, &channel, "incident message posted", now)?;
                    // Every linked issue's alert shows the incident: re-render them.
                    crate::outbox::enqueue(tx, outbox::ISSUES_CHANGED, &serde_json::json!({"issues": incident.issues, "reason": "incident"}), now)?;
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
async fn stakeholder_update(ctx: &Arc<Context>, payload: &Value) -> Result<()> {
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
async fn share_postmortem(ctx: &Arc<Context>, payload: &Value) -> Result<()> {
    let Some(n) = payload.get("incident").and_then(Value::as_i64) else {
        return Ok(());
    };
    let app = ctx.app.clone();
    let (markdown, thread) = tokio::task::spawn_blocking(move || -> Result<_> {
        let data = crate::postmortem::load(&app, n)?;
        let thread = app.store.read(|c| incident_message(c, n))?;
        Ok((crate::postmortem::render(&data), thread))
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

/// Posts each data product's status change to its channel, then records it as announced (with a
/// `notified` event on the incidents it names). A product with no channel, or a change the
/// `[slack] product_updates` policy leaves out, is recorded without a post. A failed post is
/// left pending and tried again on the next pass.
async fn announce_products(ctx: &Arc<Context>) -> Result<()> {
    let app = ctx.app.clone();
    let pending = tokio::task::spawn_blocking(move || -> Result<_> {
        let pending = app.product_announcements()?;
        let mut named: Vec<crate::incidents::Incident> = Vec::new();
        for id in pending
            .iter()
            .flat_map(|a| a.incidents_added.iter().chain(&a.incidents_removed))
        {
            if let Some(n) = crate::incidents::parse_number(id)
                && !named.iter().any(|i| i.number == n)
                && let Ok(i) = app.incident(n)
            {
                named.push(i);
            }
        }
        Ok((pending, named))
    })
    .await??;
    let (pending, named) = pending;
    let now = ctx.app.clock.now();
    for a in pending {
        let channel = a
            .channel
            .clone()
            .filter(|_| a.worth_posting(ctx.config.product_updates));
        let mut posted_to = None;
        if let Some(channel) = &channel {
            let message = blocks::product_update(&a, &named, &ctx.config.incidents_channel, now);
            match ctx.api.post(channel, &message, None).await {
                Ok(_) => posted_to = Some(channel.clone()),
                Err(CallError::Api(code))
                    if code == "channel_not_found" || code == "not_in_channel" =>
                {
                    tracing::warn!(product = a.product, channel, code, "product update skipped");
                }
                Err(e) => return Err(e.into()),
            }
        }
        let app = ctx.app.clone();
        tokio::task::spawn_blocking(move || app.product_announced(&a, posted_to.as_deref()))
            .await??;
    }
    Ok(())
}

/// Publishes a person's Home tab: open issues by data product, theirs, and muted assets.
pub async fn publish_home(ctx: &Arc<Context>, user: &str) -> Result<()> {
    let app = ctx.app.clone();
    let me = format!("<@{user}>");
    let (by_product, unowned, mine, muted, status, open_incidents) =
        tokio::task::spawn_blocking(move || -> Result<_> {
            let now = app.clock.now();
            let open: Vec<Issue> = app.issues(&IssueFilter {
                active: true,
                ..Default::default()
            })?;
            let mut by_product: BTreeMap<String, Vec<Issue>> = BTreeMap::new();
            let mut unowned = Vec::new();
            for i in &open {
                let lineage = app.lineage.env(Some(&i.env));
                let products = lineage
                    .get(&i.asset)
                    .map(|n| lineage.impact(&[n]).data_products)
                    .unwrap_or_default();
                if products.is_empty() {
                    unowned.push(i.clone());
                }
                for p in products {
                    by_product.entry(p).or_default().push(i.clone());
                }
            }
            let mine: Vec<Issue> = open
                .iter()
                .filter(|i| i.assignee.as_deref() == Some(me.as_str()))
                .cloned()
                .collect();
            let muted: Vec<(String, String)> = app
                .store
                .read(|c| issues::active_mutes(c, now))?
                .into_iter()
                .map(|m| (m.asset, m.until.unwrap_or_else(|| "until fixed".to_owned())))
                .collect();
            let page = app.status_page()?;
            let status: Vec<blocks::HomeProduct> = page
                .data_products
                .into_iter()
                .map(|p| blocks::HomeProduct {
                    name: p.name,
                    status: p.status,
                    uptime: p.uptime,
                    window: p.window,
                    sla_target: p.sla_target,
                    incidents: p.incidents,
                })
                .collect();
            let open_incidents = app.incidents(true)?;
            Ok((
                by_product.into_iter().collect::<Vec<_>>(),
                unowned,
                mine,
                muted,
                status,
                open_incidents,
            ))
        })
        .await??;
    let view = blocks::home_view(&blocks::HomeView {
        by_product: &by_product,
        unowned: &unowned,
        mine: &mine,
        muted: &muted,
        products: &status,
        open_incidents: &open_incidents,
        now: ctx.app.clock.now(),
    });
    let open =
        crate::http::pages::signed::page_url(&ctx.app.config, "/status", ctx.app.clock.now());
    let view = blocks::view_with_open_link(view, open.as_deref());
    ctx.api.publish_home(user, &view).await?;
    Ok(())
}

/// A message event: a person's reply in the thread of an issue message becomes a comment;
/// edits and deletions follow it; the bot's own messages are ignored.
pub async fn thread_message(ctx: &Arc<Context>, event: &Value) -> Result<()> {
    let subtype = event.get("subtype").and_then(Value::as_str);
    let channel = event
        .get("channel")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let (msg, kind) = match subtype {
        None | Some("thread_broadcast") => (event.clone(), "new"),
        Some("message_changed") => (
            event.get("message").cloned().unwrap_or(Value::Null),
            "changed",
        ),
        Some("message_deleted") => (
            event
                .get("previous_message")
                .cloned()
                .unwrap_or(Value::Null),
            "deleted",
        ),
        _ => return Ok(()),
    };
    let user = msg
        .get("user")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if user.is_empty() || user == ctx.bot_user || msg.get("bot_id").is_some() {
        return Ok(());
    }
    // Edits and deletions are matched by the reply's own ts (slack-morphism's model of those
    // events drops `thread_ts`); new messages must be in a thread.
    let thread_ts = msg
        .get("thread_ts")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_default();
    if kind == "new" && thread_ts.is_empty() {
        return Ok(());
    }
    let ts_of_msg = match kind {
        "deleted" => event
            .get("deleted_ts")
            .and_then(Value::as_str)
            .or(msg.get("ts").and_then(Value::as_str)),
        _ => msg.get("ts").and_then(Value::as_str),
    }
    .unwrap_or_default()
    .to_owned();
    if ts_of_msg == thread_ts {
        return Ok(()); // the parent message itself
    }
    let text = msg
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let app = ctx.app.clone();
    tokio::task::spawn_blocking(move || {
        app.thread_comment(
            &channel,
            &thread_ts,
            &ts_of_msg,
            &format!("<@{user}>"),
            &text,
            kind,
        )
    })
    .await??;
    Ok(())
}

/// The weekly digest (see [`crate::digest`]): the 7 days ending at the scheduled instant,
/// computed now (so product statuses are current) and posted to the digest channel.
async fn weekly_digest(ctx: &Arc<Context>, payload: &Value) -> Result<()> {
    let field = |k: &str| payload.get(k).and_then(Value::as_str).unwrap_or_default();
    let (Ok(week), Ok(at), channel) = (
        chrono::NaiveDate::parse_from_str(field("week"), "%Y-%m-%d"),
        chrono::DateTime::parse_from_rfc3339(field("at")),
        field("channel").to_owned(),
    ) else {
        tracing::warn!(%payload, "malformed digest item skipped");
        return Ok(());
    };
    let app = ctx.app.clone();
    let digest = tokio::task::spawn_blocking(move || {
        crate::digest::weekly(&app, week, at.with_timezone(&chrono::Utc))
    })
    .await??;
    ctx.api
        .post(
            &channel,
            &blocks::with_open_link(
                blocks::digest_message(&digest),
                crate::http::pages::signed::page_url(
                    &ctx.app.config,
                    "/status",
                    ctx.app.clock.now(),
                )
                .as_deref(),
            ),
            None,
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::App;
    use crate::clock::ManualClock;
    use crate::issues::Resolution;
    use chrono::TimeZone;

    /// A failing alert for `check` on the asset `orders`; returns its active issue.
    fn fail(app: &App, key: &str, check: &str) -> i64 {
        let body =
            serde_json::json!({"id": key, "asset": "orders", "check": check, "status": "fail"});
        app.ingest_alerts(
            crate::ingest::Input::new("test", body.to_string().into_bytes()),
            None,
        )
        .unwrap();
        app.issues(&IssueFilter::default())
            .unwrap()
            .into_iter()
            .filter(|i| i.check == check && i.is_active())
            .map(|i| i.id)
            .max()
            .unwrap()
    }

    fn muted(app: &App, id: i64) -> bool {
        let plan = plan_group(app, id).unwrap().unwrap();
        assert!(plan.existing.is_none(), "no message was ever posted here");
        plan.muted
    }

    #[test]
    fn a_check_resolved_as_expected_gets_no_new_alert_until_its_mute_ends() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(
            chrono::Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap(),
        ));
        let app = App::open_with_clock(
            crate::config::Config::default(),
            &dir.path().join("s.db"),
            clock.clone(),
        )
        .unwrap();
        let first = fail(&app, "a1", "row_count");
        assert!(!muted(&app, first));
        app.resolve_with_mute(
            first,
            Resolution::Expected,
            Some("known"),
            Some(chrono::Duration::days(7)),
            false,
            "U1",
        )
        .unwrap();

        // Past the reopen window, within the 7 days: a new issue, and no new alert for it.
        clock.advance(chrono::Duration::days(2));
        let second = fail(&app, "a2", "row_count");
        assert_ne!(second, first);
        assert!(muted(&app, second));

        // Another check failing on the same asset is not muted, so the group alerts.
        let other = fail(&app, "a3", "volume");
        assert!(!muted(&app, other));
        app.resolve(other, Resolution::Fixed, None, "U1").unwrap();
        assert!(muted(&app, second));

        // Once the 7 days are over, the check alerts again.
        clock.advance(chrono::Duration::days(5) + chrono::Duration::minutes(1));
        assert!(!muted(&app, second));
    }
}
