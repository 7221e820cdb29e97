//! Merging two incidents that turned out to be one, and splitting one that turned out to be
//! several: issues and timeline move, both incidents' timelines say so.

use super::actions::{open_for_change, recompute_impact_started};
use super::*;

/// Merges open incident `from` into open incident `into`: its issues and timeline move, and
/// `from` is closed as merged (`merged_into`), so it counts no downtime of its own.
pub fn merge_into(
    tx: &Transaction,
    from: i64,
    into: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    if from == into {
        return Err(
            InputError::new(label(from), "an incident cannot be merged into itself").into(),
        );
    }
    open_for_change(tx, from, "merge it")?;
    open_for_change(tx, into, "merge into it")?;
    let moved: Vec<i64> = {
        let mut stmt = tx.prepare("SELECT id FROM issues WHERE incident_id = ?1 ORDER BY id")?;
        stmt.query_map([from], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    let t = ts(now);
    tx.execute(
        "UPDATE issues SET incident_id = ?2, updated_at = ?3 WHERE incident_id = ?1",
        params![from, into, t],
    )?;
    // The timeline moves: what happened in `from` is now part of `into`'s story.
    tx.execute(
        "UPDATE events SET incident_id = ?2 WHERE incident_id = ?1",
        params![from, into],
    )?;
    tx.execute(
        "UPDATE followups SET incident_id = ?2, updated_at = ?3 WHERE incident_id = ?1",
        params![from, into, t],
    )?;
    tx.execute(
        "UPDATE incidents SET status = 'resolved', merged_into = ?2, resolved_at = ?3, updated_at = ?3,
             summary = coalesce(summary, ?4), resolution_reason = 'merged'
         WHERE id = ?1",
        params![from, into, t, format!("Merged into {}", label(into))],
    )?;
    recompute_impact_started(tx, into)?;
    tx.execute(
        "UPDATE incidents SET updated_at = ?2 WHERE id = ?1",
        params![into, t],
    )?;
    log(
        tx,
        into,
        None,
        "merged",
        actor,
        serde_json::json!({"from": from, "issues": moved}),
        now,
    )?;
    log(
        tx,
        from,
        None,
        "merged_into",
        actor,
        serde_json::json!({"into": into, "issues": moved}),
        now,
    )?;
    Ok(moved)
}

/// Makes a new incident of some of open incident `n`'s issues (same severity and commander);
/// refuses an issue that is not `n`'s, and taking them all (resolve or merge instead).
pub fn split(
    tx: &Transaction,
    n: i64,
    issue_ids: &[i64],
    title: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    let (severity, commander) = open_for_change(tx, n, "split it")?;
    if issue_ids.is_empty() {
        return Err(InputError::new(label(n), "name the issues to split off").into());
    }
    if title.trim().is_empty() {
        return Err(InputError::new(label(n), "the new incident needs a title").into());
    }
    let linked: Vec<i64> = {
        let mut stmt = tx.prepare("SELECT id FROM issues WHERE incident_id = ?1")?;
        stmt.query_map([n], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    for id in issue_ids {
        if !linked.contains(id) {
            return Err(InputError::new(
                format!("issue {id}"),
                format!("it is not linked to {}", label(n)),
            )
            .kind(InputErrorKind::Conflict)
            .into());
        }
    }
    if linked.iter().all(|id| issue_ids.contains(id)) {
        return Err(InputError::new(
            label(n),
            "that is every issue it has; rename it, or merge instead",
        )
        .kind(InputErrorKind::Conflict)
        .into());
    }
    let t = ts(now);
    tx.execute(
        "INSERT INTO incidents (title, severity, status, commander, declared_by, declared_at, updated_at)
         VALUES (?1, ?2, 'investigating', ?3, ?4, ?5, ?5)",
        params![title.trim(), severity, commander, actor, t],
    )?;
    let new = tx.last_insert_rowid();
    log(
        tx,
        new,
        None,
        "declared",
        actor,
        serde_json::json!({"title": title.trim(), "severity": severity, "issues": issue_ids, "split_from": n}),
        now,
    )?;
    for id in issue_ids {
        log(
            tx,
            n,
            Some(*id),
            "issue_unlinked",
            actor,
            serde_json::json!({"issue": id, "moved_to": new}),
            now,
        )?;
        link_issue(tx, new, *id, actor, Some(n), now)?;
    }
    log(
        tx,
        n,
        None,
        "split",
        actor,
        serde_json::json!({"into": new, "issues": issue_ids}),
        now,
    )?;
    recompute_impact_started(tx, n)?;
    recompute_impact_started(tx, new)?;
    tx.execute(
        "UPDATE incidents SET updated_at = ?2 WHERE id = ?1",
        params![n, t],
    )?;
    Ok(new)
}
