//! Alerts whose cause is found later: when a root's issue becomes a symptom of a failure
//! upstream (an Airflow load, another project's model), its own message becomes a pointer to the
//! root's alert, so one cause keeps one message and the old one stops saying "root cause".

use super::Posted;
use super::alerts::GroupPlan;
use crate::domain::issues::Issue;
use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use anyhow::Result;
use rusqlite::params;
use std::sync::Arc;

/// The alert messages `symptom` had while it was a root, which show no other active root: they
/// are retired into pointers once the root's message exists.
pub(super) fn explained_messages(c: &rusqlite::Connection, symptom: &Issue) -> Result<Vec<Posted>> {
    if symptom.symptom_of.is_none() {
        return Ok(Vec::new());
    }
    let mut own = c.prepare_cached(
        "SELECT DISTINCT channel, ts FROM slack_messages
          WHERE purpose = 'alert' AND state = 'posted' AND issue_id = ?1",
    )?;
    let mine: Vec<Posted> = own
        .query_map([symptom.id], |r| {
            Ok(Posted {
                channel: r.get(0)?,
                ts: r.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut roots_left = c.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM slack_messages m JOIN issues i ON i.id = m.issue_id
          WHERE m.purpose = 'alert' AND m.channel = ?1 AND m.ts = ?2 AND i.id != ?3
            AND i.symptom_of IS NULL AND i.status != 'resolved')",
    )?;
    let mut out = Vec::new();
    for p in mine {
        let shared: bool =
            roots_left.query_row(params![p.channel, p.ts, symptom.id], |r| r.get(0))?;
        if !shared {
            out.push(p);
        }
    }
    Ok(out)
}

/// Edits each message in `plan.explained` into a pointer to the root's message at `root_at`, and
/// forgets that it showed the symptoms there: their news goes to the root's message from now on.
pub(super) async fn retire_explained(
    ctx: &Arc<Context>,
    plan: &GroupPlan,
    root_at: &Posted,
) -> Result<()> {
    let Some(root) = plan.group.first() else {
        return Ok(());
    };
    for (old, symptom) in plan.explained.iter().filter(|(p, _)| p != root_at) {
        let pointer = blocks::explained_upstream(symptom, root, &root_at.channel, &root_at.ts);
        ctx.api.update(&old.channel, &old.ts, &pointer).await?;
        let (app, old, symptom_id) = (ctx.app.clone(), old.clone(), symptom.id);
        tokio::task::spawn_blocking(move || {
            app.store.write(move |tx| {
                tx.execute(
                    "DELETE FROM slack_messages WHERE purpose = 'alert' AND channel = ?1 AND ts = ?2
                       AND issue_id IN (SELECT id FROM issues WHERE id = ?3 OR symptom_of IS NOT NULL)",
                    params![old.channel, old.ts, symptom_id],
                )?;
                Ok(())
            })
        })
        .await??;
    }
    Ok(())
}
