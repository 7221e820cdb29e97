//! Messages for many roots: a storm's message (planned from its members, replacing the messages
//! they had before the storm formed) and the flood guard (one ingest may post at most
//! `[alerts] flood_max` top-level messages to a channel; a summary stands for the rest and
//! takes their later updates).

use super::Posted;
use super::alerts::{GroupPlan, Shape};
use crate::domain::issues::{self, Issue, IssueFilter};
use crate::faces::slack::blocks::{self, FloodRoot};
use crate::faces::slack::context::Context;
use anyhow::Result;
use rusqlite::{Connection, OptionalExtension, params};
use std::sync::Arc;

/// The storm's message, if it was posted.
fn storm_message(c: &Connection, storm: i64) -> Result<Option<Posted>> {
    Ok(c.query_row(
        "SELECT channel, ts FROM slack_messages WHERE purpose = 'storm' AND storm_id = ?1 AND state = 'posted' ORDER BY id LIMIT 1",
        [storm],
        |r| Ok(Posted { channel: r.get(0)?, ts: r.get(1)? }),
    )
    .optional()?)
}

/// The flood summary that shows this issue, if one does.
pub(super) fn flood_message(c: &Connection, issue: i64) -> Result<Option<Posted>> {
    Ok(c.query_row(
        "SELECT channel, ts FROM slack_messages WHERE purpose = 'flood' AND issue_id = ?1 AND state = 'posted' ORDER BY id DESC LIMIT 1",
        [issue],
        |r| Ok(Posted { channel: r.get(0)?, ts: r.get(1)? }),
    )
    .optional()?)
}

fn last_event(c: &Connection, issue: i64) -> Result<String> {
    Ok(c.query_row(
        "SELECT kind FROM events WHERE issue_id = ?1 ORDER BY id DESC LIMIT 1",
        [issue],
        |r| r.get(0),
    )
    .optional()?
    .unwrap_or_default())
}

fn incident_of(c: &Connection, group: &[Issue]) -> Option<(i64, String)> {
    let n = group.iter().find_map(|i| i.incident_id)?;
    c.query_row("SELECT title FROM incidents WHERE id = ?1", [n], |r| {
        r.get::<_, String>(0)
    })
    .optional()
    .ok()
    .flatten()
    .map(|t| (n, t))
}

/// Every member of a storm in one message: the union of their impact, and the messages members
/// had before the storm formed (to be pointed at the storm).
pub(super) fn plan_storm(
    app: &crate::app::App,
    c: &Connection,
    storm: i64,
    issue_id: i64,
) -> Result<Option<GroupPlan>> {
    let now = app.clock.now();
    let Some(info) = issues::get_storm(c, storm)? else {
        return Ok(None);
    };
    let mut group = issues::list(
        c,
        &IssueFilter {
            storm: Some(storm),
            ..Default::default()
        },
    )?;
    if group.is_empty() {
        return Ok(None);
    }
    group.sort_by_key(|i| (!i.is_active(), i.id));
    let lineage = app.lineage.env(Some(&info.env));
    let nodes: Vec<_> = group.iter().filter_map(|i| lineage.get(&i.asset)).collect();
    let impact = (!nodes.is_empty()).then(|| lineage.impact(&nodes));
    let ids: Vec<i64> = group.iter().map(|i| i.id).collect();
    let existing = storm_message(c, storm)?;
    let superseded: Vec<Posted> = {
        let mut stmt = c.prepare(
            "SELECT DISTINCT channel, ts FROM slack_messages WHERE purpose = 'alert' AND state = 'posted'
               AND issue_id IN (SELECT value FROM json_each(?1))",
        )?;
        stmt.query_map([serde_json::to_string(&ids)?], |r| {
            Ok(Posted {
                channel: r.get(0)?,
                ts: r.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?
    };
    let mut muted = true;
    for i in group.iter().filter(|i| i.is_active()) {
        if !issues::is_muted(c, &i.asset, now)?
            && issues::check_muted_until(c, &i.env, &i.asset, &i.check, now)?.is_none()
        {
            muted = false;
            break;
        }
    }
    Ok(Some(GroupPlan {
        anchor: ids.iter().copied().min().unwrap_or(issue_id),
        incident: incident_of(c, &group),
        last_event: last_event(c, issue_id)?,
        group,
        existing,
        impact,
        recent_comments: Vec::new(),
        muted,
        shape: Shape::Storm(info),
        superseded,
        explained: Vec::new(),
    }))
}

/// A flood summary's roots as they are now, each with its group, products and reach.
pub(super) fn plan_flood(
    app: &crate::app::App,
    c: &Connection,
    posted: Posted,
    issue_id: i64,
) -> Result<Option<GroupPlan>> {
    let ids: Vec<i64> = {
        let mut stmt = c.prepare_cached(
            "SELECT DISTINCT issue_id FROM slack_messages WHERE purpose = 'flood' AND channel = ?1 AND ts = ?2 AND issue_id IS NOT NULL",
        )?;
        stmt.query_map(params![posted.channel, posted.ts], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    let group = issues::list(
        c,
        &IssueFilter {
            ids: Some(ids),
            ..Default::default()
        },
    )?;
    if group.is_empty() {
        return Ok(None);
    }
    let roots = flood_roots(app, group.iter().map(|i| (i.clone(), None)));
    Ok(Some(GroupPlan {
        anchor: group.iter().map(|i| i.id).min().unwrap_or(issue_id),
        incident: None,
        last_event: last_event(c, issue_id)?,
        group,
        existing: Some(posted),
        impact: None,
        recent_comments: Vec::new(),
        muted: false,
        shape: Shape::Flood(roots),
        superseded: Vec::new(),
        explained: Vec::new(),
    }))
}

/// Each root with its dbt group, data products and reach, worst first; an impact already
/// computed for the root's message is reused.
fn flood_roots(
    app: &crate::app::App,
    issues: impl Iterator<Item = (Issue, Option<crate::lineage::Impact>)>,
) -> Vec<FloodRoot> {
    let mut roots: Vec<FloodRoot> = issues
        .map(|(issue, impact)| {
            let lineage = app.lineage.env(Some(&issue.env));
            let node = lineage.get(&issue.asset);
            let impact = impact.or_else(|| node.map(|n| lineage.impact(&[n])));
            FloodRoot {
                group: node.and_then(|n| lineage.node(n).group.clone()),
                products: impact
                    .as_ref()
                    .map(|i| i.data_products.clone())
                    .unwrap_or_default(),
                reach: impact
                    .as_ref()
                    .map(|i| i.downstream_count)
                    .unwrap_or_default(),
                issue,
            }
        })
        .collect();
    blocks::rank_flood(&mut roots);
    roots
}

/// One flood summary standing for new messages that one ingest would have posted to a channel.
pub(super) fn merge_into_flood(app: &crate::app::App, plans: Vec<GroupPlan>) -> GroupPlan {
    let anchor = plans.iter().map(|p| p.anchor).min().unwrap_or_default();
    let mut group: Vec<Issue> = Vec::new();
    let mut with_impact = Vec::new();
    for p in plans {
        for (n, i) in p.group.into_iter().enumerate() {
            if group.iter().any(|g| g.id == i.id) {
                continue;
            }
            // The plan's impact is its anchor asset's; it stands for the plan's first issue.
            let impact = if n == 0 { p.impact.clone() } else { None };
            group.push(i.clone());
            with_impact.push((i, impact));
        }
    }
    let roots = flood_roots(app, with_impact.into_iter());
    GroupPlan {
        anchor,
        incident: None,
        last_event: String::new(),
        group,
        existing: None,
        impact: None,
        recent_comments: Vec::new(),
        muted: false,
        shape: Shape::Flood(roots),
        superseded: Vec::new(),
        explained: Vec::new(),
    }
}

/// Points the messages members had before their storm formed at the storm's message, and
/// forgets them, so later updates go to the storm.
pub(super) async fn retire_superseded(
    ctx: &Arc<Context>,
    plan: &GroupPlan,
    storm_at: &Posted,
) -> Result<()> {
    let Shape::Storm(storm) = &plan.shape else {
        return Ok(());
    };
    for old in plan.superseded.iter().filter(|p| *p != storm_at) {
        let stub =
            blocks::moved_into_storm(storm, plan.group.len(), &storm_at.channel, &storm_at.ts);
        ctx.api.update(&old.channel, &old.ts, &stub).await?;
        let (app, old, ids) = (
            ctx.app.clone(),
            old.clone(),
            plan.group.iter().map(|i| i.id).collect::<Vec<_>>(),
        );
        tokio::task::spawn_blocking(move || {
            app.store.write(move |tx| {
                tx.execute(
                    "DELETE FROM slack_messages WHERE purpose = 'alert' AND channel = ?1 AND ts = ?2
                       AND issue_id IN (SELECT value FROM json_each(?3))",
                    params![old.channel, old.ts, serde_json::to_string(&ids)?],
                )?;
                Ok(())
            })
        })
        .await??;
    }
    Ok(())
}
