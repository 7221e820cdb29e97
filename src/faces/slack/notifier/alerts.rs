//! Alert groups: root issues on one asset share one living message, planned from the store,
//! rendered with [`blocks::alert_message`], routed, posted once and edited in place, with a
//! thread reply saying what changed.

use super::{Posted, State, explained, storms};
use crate::domain::issues::{self, Issue, IssueFilter, ts};
use crate::faces::slack::blocks::{self, AlertView, Links};
use crate::faces::slack::context::Context;
use crate::faces::slack::routing;
use anyhow::Result;
use rusqlite::{OptionalExtension, params};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// What a message stands for.
pub(super) enum Shape {
    /// Root issues on one asset.
    Asset,
    /// Roots that share a cause (see [`crate::domain::issues::assign_storms`]).
    Storm(issues::Storm),
    /// The flood guard's summary of one ingest's roots, worst first.
    Flood(Vec<blocks::FloodRoot>),
}

impl Shape {
    /// The `slack_messages.purpose` of its message.
    fn purpose(&self) -> &'static str {
        match self {
            Shape::Asset => "alert",
            Shape::Storm(_) => "storm",
            Shape::Flood(_) => "flood",
        }
    }
}

/// Everything needed to render and route one message.
pub(super) struct GroupPlan {
    pub(super) anchor: i64,
    pub(super) group: Vec<Issue>,
    pub(super) existing: Option<Posted>,
    pub(super) impact: Option<crate::lineage::Impact>,
    pub(super) recent_comments: Vec<issues::Comment>,
    pub(super) incident: Option<(i64, String)>,
    pub(super) last_event: String,
    pub(super) muted: bool,
    pub(super) shape: Shape,
    /// Messages the members had before a storm formed, pointed at the storm once it is posted.
    pub(super) superseded: Vec<Posted>,
    /// Messages the changed issue had as a root, now explained by this group's root.
    pub(super) explained: Vec<(Posted, Issue)>,
}

fn plan_group(app: &crate::app::App, issue_id: i64) -> Result<Option<GroupPlan>> {
    let now = app.clock.now();
    app.store.read(|c| {
        let Some(issue) = issues::get(c, issue_id)? else { return Ok(None) };
        let anchor_id = issue.symptom_of.unwrap_or(issue.id);
        let Some(anchor) = issues::get(c, anchor_id)? else { return Ok(None) };
        if let Some(storm) = anchor.storm {
            return storms::plan_storm(app, c, storm, issue_id);
        }
        if let Some(posted) = storms::flood_message(c, anchor.id)? {
            return storms::plan_flood(app, c, posted, issue_id);
        }
        let mut group: Vec<Issue> = issues::list(
            c,
            &IssueFilter {
                env: Some(anchor.env.clone()),
                asset: Some(anchor.asset.clone()),
                ..Default::default()
            },
        )?
        .into_iter()
        .filter(|i| i.asset == anchor.asset && i.symptom_of.is_none() && i.storm.is_none() && (i.is_active() || i.id == anchor.id || i.id == issue.id))
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
        let explained = if issue.id == anchor.id {
            Vec::new()
        } else {
            explained::explained_messages(c, &issue)?
                .into_iter()
                .map(|p| (p, issue.clone()))
                .collect()
        };
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
            shape: Shape::Asset,
            superseded: Vec::new(),
            explained,
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
    let now = ctx.app.clock.now();
    let message = match &plan.shape {
        Shape::Storm(storm) => blocks::storm_message(&blocks::StormView {
            storm,
            members: &plan.group,
            impact: plan.impact.as_ref(),
            owner_mentions: &owner_mentions,
            tell_mentions: &tell_mentions,
            incident: plan.incident.as_ref().map(|(n, t)| (*n, t.as_str())),
            list_url: None,
            now,
        }),
        Shape::Flood(roots) => blocks::flood_message(&blocks::FloodView {
            env: plan
                .group
                .first()
                .map(|i| i.env.as_str())
                .unwrap_or_default(),
            roots,
            flood_max: ctx.app.config.alerts.flood_max,
            now,
        }),
        Shape::Asset => {
            let trackers: Vec<&str> = [
                ("jira", ctx.app.config.jira.is_some()),
                ("linear", ctx.app.config.linear.is_some()),
            ]
            .into_iter()
            .filter_map(|(t, on)| on.then_some(t))
            .collect();
            let tickets = if trackers.is_empty() {
                Vec::new()
            } else {
                let (app, ids) = (
                    ctx.app.clone(),
                    plan.group.iter().map(|i| i.id).collect::<Vec<_>>(),
                );
                tokio::task::spawn_blocking(move || app.issue_deliveries(&ids))
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .map(|d| crate::faces::integrations::tickets(&d))
                    .unwrap_or_default()
            };
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
                trackers: &trackers,
                tickets: &tickets,
                now,
            };
            let open = crate::faces::http::pages::signed::page_url(
                &ctx.app.config,
                &format!("/issues/{}", plan.group[0].id),
                now,
            );
            blocks::with_open_link(blocks::alert_message(&view), open.as_deref())
        }
    };
    (message, routing)
}

pub(super) async fn issues_changed(
    ctx: &Arc<Context>,
    state: &Arc<State>,
    payload: &Value,
) -> Result<()> {
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
        let key = match (&plan.existing, &plan.shape) {
            (Some(p), _) => format!("{}:{}", p.channel, p.ts),
            (None, Shape::Storm(storm)) => format!("storm:{}", storm.id),
            (None, _) => format!("new:{}", plan.anchor),
        };
        match plans.entry(key) {
            // Another change of the same group: keep the first plan, and the old messages this
            // one found explained by it.
            std::collections::btree_map::Entry::Occupied(mut planned) => {
                let (first, changed) = planned.get_mut();
                first.explained.extend(plan.explained);
                changed.push(id);
            }
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert((plan, vec![id]));
            }
        }
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
                crate::domain::text::short_name(&i.check),
                crate::domain::text::short_name(&i.asset)
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
    // The flood guard: one ingest posts at most `flood_max` new top-level messages to a
    // channel; past that, one summary stands for them all and takes their updates.
    let flood_max = ctx.app.config.alerts.flood_max;
    if reason == "ingest" {
        for work in by_channel.values_mut() {
            let new = |(p, _, _): &(GroupPlan, Vec<i64>, blocks::Message)| {
                p.existing.is_none() && !p.muted && p.group.iter().any(Issue::is_active)
            };
            if work.iter().filter(|w| new(w)).count() <= flood_max {
                continue;
            }
            let (flooded, kept): (Vec<_>, Vec<_>) = std::mem::take(work).into_iter().partition(new);
            *work = kept;
            let changed: Vec<i64> = flooded
                .iter()
                .flat_map(|(_, c, _)| c.iter().copied())
                .collect();
            let app = ctx.app.clone();
            let plans: Vec<GroupPlan> = flooded.into_iter().map(|(p, _, _)| p).collect();
            let flood =
                tokio::task::spawn_blocking(move || storms::merge_into_flood(&app, plans)).await?;
            let (message, _) = render(ctx, &flood).await;
            tracing::info!(
                roots = flood.group.len(),
                flood_max,
                "flood guard: one summary instead of many messages"
            );
            work.push((flood, changed, message));
        }
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
            super::incidents::incident_changed(ctx, &payload).await?;
        }
    }
    Ok(())
}

/// Records which issues a message shows (one row per issue) and what it stands for.
async fn remember(ctx: &Arc<Context>, at: &Posted, plan: &GroupPlan) -> Result<()> {
    let (app, channel, message_ts) = (ctx.app.clone(), at.channel.clone(), at.ts.clone());
    let ids: Vec<i64> = plan.group.iter().map(|i| i.id).collect();
    let purpose = plan.shape.purpose();
    let storm = match &plan.shape {
        Shape::Storm(s) => Some(s.id),
        _ => None,
    };
    let now = ctx.app.clock.now();
    tokio::task::spawn_blocking(move || {
        app.store.write(move |tx| {
            for id in ids {
                tx.execute(
                    "INSERT INTO slack_messages (issue_id, channel, ts, purpose, state, updated_at, storm_id)
                     SELECT ?1, ?2, ?3, ?5, 'posted', ?4, ?6
                     WHERE NOT EXISTS (SELECT 1 FROM slack_messages WHERE issue_id = ?1 AND channel = ?2 AND ts = ?3)",
                    params![id, channel, message_ts, ts(now), purpose, storm],
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
    let acted_on = plan
        .group
        .iter()
        .filter(|i| change.issues.contains(&i.id))
        .count();
    let this = if acted_on > 1 {
        format!("{acted_on} issues")
    } else if plan.group.len() > 1 {
        format!(
            "`{}`",
            crate::domain::text::short_name(if matches!(plan.shape, Shape::Asset) {
                &subject.check
            } else {
                &subject.asset
            })
        )
    } else {
        "this".to_owned()
    };
    // A storm or a flood summary speaks of the member that changed; an asset's group of itself.
    let about = if matches!(plan.shape, Shape::Asset) {
        anchor.clone()
    } else {
        subject.clone()
    };
    let posted = match &plan.existing {
        Some(p) => {
            ctx.api.update(&p.channel, &p.ts, &message).await?;
            remember(ctx, p, &plan).await?;
            storms::retire_superseded(ctx, &plan, p).await?;
            explained::retire_explained(ctx, &plan, p).await?;
            p.clone()
        }
        None => {
            if plan.muted || !plan.group.iter().any(Issue::is_active) {
                return Ok(()); // nothing to announce: muted, or already over before it was posted
            }
            let posted = Posted {
                channel: channel.to_owned(),
                ts: ctx.api.post(channel, &message, None).await?,
            };
            remember(ctx, &posted, &plan).await?;
            storms::retire_superseded(ctx, &plan, &posted).await?;
            explained::retire_explained(ctx, &plan, &posted).await?;
            // A brand-new message says it all; no thread reply.
            return Ok(());
        }
    };
    // The thread says what changed.
    let reply = match reason {
        // A muted group's message stays true (edited above), but its thread stays quiet: a
        // mute means "we know, don't tell us again", so only a recovery is said.
        "ingest" if plan.muted && plan.last_event != "recovered" => None,
        "ingest" => match plan.last_event.as_str() {
            "recovered" => Some(blocks::recovery_reply(&about, ctx.app.clock.now())),
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
                    Some(blocks::repeat_failure_reply(&about))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::App;
    use crate::clock::ManualClock;
    use crate::domain::issues::Resolution;
    use chrono::TimeZone;

    /// A failing alert for `check` on the asset `orders`; returns its active issue.
    fn fail(app: &App, key: &str, check: &str) -> i64 {
        let body =
            serde_json::json!({"id": key, "asset": "orders", "check": check, "status": "fail"});
        app.ingest_alerts(
            crate::app::ingest::Input::new("test", body.to_string().into_bytes()),
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
            &crate::domain::access::Actor::admin("U1"),
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
        app.resolve(
            other,
            Resolution::Fixed,
            None,
            &crate::domain::access::Actor::admin("U1"),
        )
        .unwrap();
        assert!(muted(&app, second));

        // Once the 7 days are over, the check alerts again.
        clock.advance(chrono::Duration::days(5) + chrono::Duration::minutes(1));
        assert!(!muted(&app, second));
    }
}
