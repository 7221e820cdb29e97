//! People's changes to a declared incident: status, comments, linked issues, severity and commander, each logged on its timeline.

use super::*;

/// Moves an incident through its lifecycle (a resolved one may be reopened to any earlier
/// status; it keeps its number and history). The first change records `acknowledged`, the first
/// move to monitoring `mitigated`, resolving `resolved` with the summary and reason.
pub fn set_status(
    tx: &Transaction,
    n: i64,
    status: &str,
    actor: &str,
    summary: Option<&str>,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let status = status.to_ascii_lowercase();
    if !STATUSES.contains(&status.as_str()) {
        return Err(InputError::new(
            label(n),
            format!("status {status:?} is not one of {}", STATUSES.join(", ")),
        )
        .into());
    }
    let current: String = tx
        .query_row("SELECT status FROM incidents WHERE id = ?1", [n], |r| {
            r.get(0)
        })
        .optional()?
        .ok_or_else(|| InputError::not_found(label(n), "no such incident"))?;
    if status == "resolved" && current == "resolved" {
        return Err(InputError::new(label(n), "it is already resolved")
            .kind(InputErrorKind::Conflict)
            .into());
    }
    if status == "resolved" && summary.is_none_or(|s| s.trim().is_empty()) {
        return Err(InputError::new(label(n), "resolving needs a summary").into());
    }
    let t = ts(now);
    tx.execute(
        "UPDATE incidents SET status = ?2, updated_at = ?3,
             acknowledged_at = coalesce(acknowledged_at, ?3),
             mitigated_at = CASE WHEN ?2 = 'monitoring' THEN coalesce(mitigated_at, ?3) ELSE mitigated_at END,
             resolved_at = CASE WHEN ?2 = 'resolved' THEN ?3 ELSE NULL END,
             summary = coalesce(?4, summary), resolution_reason = CASE WHEN ?2 = 'resolved' THEN ?5 ELSE resolution_reason END
         WHERE id = ?1",
        params![n, status, t, summary, reason],
    )?;
    let kind = if current == "resolved" && status != "resolved" {
        "reopened"
    } else {
        "status_changed"
    };
    log(
        tx,
        n,
        None,
        kind,
        actor,
        serde_json::json!({"from": current, "to": status, "summary": summary, "reason": reason}),
        now,
    )?;
    Ok(())
}

/// A comment (a status update) on an incident.
pub fn comment(
    tx: &Transaction,
    n: i64,
    author: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let status: Option<String> = tx
        .query_row("SELECT status FROM incidents WHERE id = ?1", [n], |r| {
            r.get(0)
        })
        .optional()?;
    match status.as_deref() {
        None => return Err(InputError::not_found(label(n), "no such incident").into()),
        Some("resolved") => {
            return Err(
                InputError::new(label(n), "it is resolved; reopen it to post updates")
                    .kind(InputErrorKind::Conflict)
                    .into(),
            );
        }
        _ => {}
    }
    if body.trim().is_empty() {
        return Err(InputError::new(label(n), "the update is empty").into());
    }
    tx.execute(
        "INSERT INTO comments (incident_id, author, body, at) VALUES (?1, ?2, ?3, ?4)",
        params![n, author, body, ts(now)],
    )?;
    log(
        tx,
        n,
        None,
        "commented",
        author,
        serde_json::json!({"text": body}),
        now,
    )?;
    Ok(())
}

/// Refuses changes to a missing incident (not found) or a resolved one (conflict), naming the
/// action; returns the current status, severity and commander.
pub(super) fn open_for_change(
    conn: &Connection,
    n: i64,
    action: &str,
) -> Result<(String, Option<String>)> {
    let (status, severity, commander): (String, String, Option<String>) = conn
        .query_row(
            "SELECT status, severity, commander FROM incidents WHERE id = ?1",
            [n],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or_else(|| InputError::not_found(label(n), "no such incident"))?;
    if status == "resolved" {
        return Err(InputError::new(
            label(n),
            format!("it is resolved; cannot {action} (a status change reopens it)"),
        )
        .kind(InputErrorKind::Conflict)
        .into());
    }
    Ok((severity, commander))
}

/// Sets `impact_started` to the earliest first failure of the linked issues (kept when none).
pub(super) fn recompute_impact_started(tx: &Transaction, n: i64) -> Result<()> {
    tx.execute(
        "UPDATE incidents SET impact_started = coalesce(
             (SELECT min(first_seen) FROM issues WHERE incident_id = ?1), impact_started)
         WHERE id = ?1",
        [n],
    )?;
    Ok(())
}

/// Links an issue to an open incident. Refuses a missing or resolved incident or issue, an issue
/// already linked here, and one in another open incident unless `move_from_open` (then it is
/// unlinked there, with an event on both). An issue in a resolved incident moves freely.
/// Returns the incident the issue left, if any.
pub fn link(
    tx: &Transaction,
    n: i64,
    issue_id: i64,
    actor: &str,
    move_from_open: bool,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    open_for_change(tx, n, "link issues")?;
    let issue = issues::get(tx, issue_id)?
        .ok_or_else(|| InputError::not_found(format!("issue {issue_id}"), "no such issue"))?;
    if issue.status == "resolved" {
        return Err(InputError::new(
            format!("issue {issue_id}"),
            format!(
                "it is already resolved ({}); cannot link it",
                issue.resolution.as_deref().unwrap_or("no resolution")
            ),
        )
        .kind(InputErrorKind::Conflict)
        .into());
    }
    let previous = issue.incident_id;
    if previous == Some(n) {
        return Err(InputError::new(
            format!("issue {issue_id}"),
            format!("it is already linked to {}", label(n)),
        )
        .kind(InputErrorKind::Conflict)
        .into());
    }
    let previous_open = match previous {
        Some(other) => incident_is_open(tx, other)?,
        None => false,
    };
    if previous_open && !move_from_open {
        let other = previous.unwrap_or_default();
        return Err(InputError::new(
            format!("issue {issue_id}"),
            format!(
                "it already belongs to the open incident {}; move it with --move",
                label(other)
            ),
        )
        .kind(InputErrorKind::Conflict)
        .into());
    }
    if let Some(other) = previous {
        log(
            tx,
            other,
            Some(issue_id),
            "issue_unlinked",
            actor,
            serde_json::json!({"issue": issue_id, "moved_to": n}),
            now,
        )?;
    }
    link_issue(tx, n, issue_id, actor, previous, now)?;
    tx.execute(
        "UPDATE incidents SET updated_at = ?2 WHERE id IN (?1, ?3)",
        params![n, ts(now), previous],
    )?;
    recompute_impact_started(tx, n)?;
    if let Some(other) = previous.filter(|_| previous_open) {
        recompute_impact_started(tx, other)?;
    }
    Ok(previous)
}

/// Removes an issue from an open incident; refuses when it is not linked there.
pub fn unlink(
    tx: &Transaction,
    n: i64,
    issue_id: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    open_for_change(tx, n, "unlink issues")?;
    let issue = issues::get(tx, issue_id)?
        .ok_or_else(|| InputError::not_found(format!("issue {issue_id}"), "no such issue"))?;
    if issue.incident_id != Some(n) {
        return Err(InputError::new(
            format!("issue {issue_id}"),
            format!("it is not linked to {}", label(n)),
        )
        .kind(InputErrorKind::Conflict)
        .into());
    }
    tx.execute(
        "UPDATE issues SET incident_id = NULL, updated_at = ?2 WHERE id = ?1",
        params![issue_id, ts(now)],
    )?;
    tx.execute(
        "UPDATE incidents SET updated_at = ?2 WHERE id = ?1",
        params![n, ts(now)],
    )?;
    recompute_impact_started(tx, n)?;
    log(
        tx,
        n,
        Some(issue_id),
        "issue_unlinked",
        actor,
        serde_json::json!({"issue": issue_id}),
        now,
    )?;
    Ok(())
}

/// Changes the severity of an open incident (SEV1–SEV4); refuses the severity it already has.
pub fn set_severity(
    tx: &Transaction,
    n: i64,
    severity: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let (current, _) = open_for_change(tx, n, "change its severity")?;
    let severity = severity.trim().to_ascii_uppercase();
    if !SEVERITIES.contains(&severity.as_str()) {
        return Err(InputError::new(
            label(n),
            format!("severity {severity:?} is not one of SEV1–SEV4"),
        )
        .into());
    }
    if severity == current {
        return Err(
            InputError::new(label(n), format!("it is already {severity}"))
                .kind(InputErrorKind::Conflict)
                .into(),
        );
    }
    tx.execute(
        "UPDATE incidents SET severity = ?2, updated_at = ?3 WHERE id = ?1",
        params![n, severity, ts(now)],
    )?;
    log(
        tx,
        n,
        None,
        "severity_changed",
        actor,
        serde_json::json!({"from": current, "to": severity}),
        now,
    )?;
    Ok(())
}

/// Hands an open incident to a new commander; refuses an empty name or the current commander.
pub fn set_commander(
    tx: &Transaction,
    n: i64,
    commander: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let (_, current) = open_for_change(tx, n, "change its commander")?;
    let commander = commander.trim();
    if commander.is_empty() {
        return Err(InputError::new(label(n), "the commander is empty").into());
    }
    if current.as_deref() == Some(commander) {
        return Err(
            InputError::new(label(n), format!("{commander} is already the commander"))
                .kind(InputErrorKind::Conflict)
                .into(),
        );
    }
    tx.execute(
        "UPDATE incidents SET commander = ?2, updated_at = ?3 WHERE id = ?1",
        params![n, commander, ts(now)],
    )?;
    log(
        tx,
        n,
        None,
        "commander_changed",
        actor,
        serde_json::json!({"from": current, "to": commander}),
        now,
    )?;
    Ok(())
}
