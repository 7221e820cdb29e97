//! What a person does to an issue: set its status, assign it, comment on it, resolve it.

use super::{Comment, Issue, Resolution, Status, get, log_event, ts};
use crate::error::{InputError, InputErrorKind};
use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};

pub(super) fn load_for_action(tx: &Transaction, id: i64) -> Result<Issue> {
    get(tx, id)?.ok_or_else(|| InputError::not_found(format!("issue {id}"), "no such issue").into())
}

fn refuse_if_resolved(issue: &Issue, action: &str) -> Result<()> {
    if issue.status == "resolved" {
        return Err(InputError::new(
            format!("issue {}", issue.id),
            format!(
                "it is already resolved ({}); cannot {action}",
                issue.resolution.as_deref().unwrap_or("no resolution")
            ),
        )
        .kind(InputErrorKind::Conflict)
        .into());
    }
    Ok(())
}

/// A person moves an issue to `open`, `acknowledged` or `investigating`.
pub fn set_status(
    tx: &Transaction,
    id: i64,
    status: Status,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Issue> {
    let issue = load_for_action(tx, id)?;
    if !matches!(
        status,
        Status::Open | Status::Acknowledged | Status::Investigating
    ) {
        return Err(InputError::new(
            format!("issue {id}"),
            format!(
                "status {} is set by Steward or by resolving, not directly",
                status.as_str()
            ),
        )
        .into());
    }
    refuse_if_resolved(&issue, "change its status")?;
    tx.execute(
        "UPDATE issues SET status = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, status.as_str(), ts(now)],
    )?;
    log_event(
        tx,
        Some(id),
        "status_changed",
        Some(actor),
        serde_json::json!({"from": issue.status, "to": status.as_str()}),
        now,
    )?;
    load_for_action(tx, id)
}

/// Assigns an issue; an open issue becomes acknowledged.
pub fn assign(
    tx: &Transaction,
    id: i64,
    assignee: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Issue> {
    let issue = load_for_action(tx, id)?;
    refuse_if_resolved(&issue, "assign it")?;
    tx.execute(
        "UPDATE issues SET assignee = ?2, status = CASE WHEN status = 'open' THEN 'acknowledged' ELSE status END, updated_at = ?3 WHERE id = ?1",
        params![id, assignee, ts(now)],
    )?;
    log_event(
        tx,
        Some(id),
        "assigned",
        Some(actor),
        serde_json::json!({"from": issue.assignee, "to": assignee}),
        now,
    )?;
    load_for_action(tx, id)
}

/// Adds a comment (also recorded on the timeline).
pub fn comment(
    tx: &Transaction,
    id: i64,
    author: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<Comment> {
    load_for_action(tx, id)?;
    if body.trim().is_empty() {
        return Err(InputError::new(format!("issue {id}"), "the comment is empty").into());
    }
    tx.execute(
        "INSERT INTO comments (issue_id, author, body, at) VALUES (?1, ?2, ?3, ?4)",
        params![id, author, body, ts(now)],
    )?;
    let cid = tx.last_insert_rowid();
    log_event(
        tx,
        Some(id),
        "commented",
        Some(author),
        serde_json::json!({"comment": cid}),
        now,
    )?;
    Ok(Comment {
        id: cid,
        author: author.to_owned(),
        body: body.to_owned(),
        at: ts(now),
    })
}

/// How long resolving as `expected` mutes the check when no duration is given.
pub const DEFAULT_EXPECTED_MUTE: chrono::Duration = chrono::Duration::hours(24);

/// The longest mute resolving as `expected` may set.
pub const MAX_EXPECTED_MUTE: chrono::Duration = chrono::Duration::days(365);

/// A person resolves an issue as `fixed`, `expected` or `false_positive`, with a reason.
///
/// `expected` also mutes the issue's check (env, asset, check) for `mute_for` (default
/// [`DEFAULT_EXPECTED_MUTE`]): a new failure of it posts no new alert until then. The mute is
/// written with the resolution, shown as the issue's `muted_until` and logged as `muted`.
/// `mute_for` with any other resolution is an [`InputError`].
/// How a person resolves an issue beyond the resolution and reason.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResolveOptions {
    /// With `expected`: how long the check stays muted (default 24h).
    pub mute_for: Option<chrono::Duration>,
    /// The person confirmed resolving an issue of an open incident.
    pub despite_open_incident: bool,
}

pub fn resolve(
    tx: &Transaction,
    id: i64,
    resolution: Resolution,
    reason: Option<&str>,
    options: ResolveOptions,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Issue> {
    let ResolveOptions {
        mute_for,
        despite_open_incident,
    } = options;
    let issue = load_for_action(tx, id)?;
    refuse_if_resolved(&issue, "resolve it again")?;
    // Closing one issue of an open incident by hand needs a confirmation: the incident is what
    // people follow, and its resolution is what the SLA counts.
    if let Some(n) = issue.incident_id
        && !despite_open_incident
    {
        let open: bool = tx
            .query_row(
                "SELECT status != 'resolved' FROM incidents WHERE id = ?1",
                [n],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(false);
        if open {
            return Err(InputError::new(
                format!("issue {id}"),
                format!(
                    "it is part of INC-{n}, which is still open; confirm to resolve it anyway (--confirm, or the checkbox in Slack), or unlink it first"
                ),
            )
            .into());
        }
    }
    if resolution == Resolution::Recovered {
        return Err(InputError::new(
            format!("issue {id}"),
            "`recovered` is set by passing runs, not by hand",
        )
        .into());
    }
    let mute_until = match (resolution, mute_for) {
        (Resolution::Expected, d) => {
            let d = d.unwrap_or(DEFAULT_EXPECTED_MUTE);
            if d <= chrono::Duration::zero() || d > MAX_EXPECTED_MUTE {
                return Err(InputError::new(
                    format!("issue {id}"),
                    "an `expected` mute lasts more than zero minutes and at most 365 days",
                )
                .into());
            }
            Some(now + d)
        }
        (_, Some(_)) => {
            return Err(InputError::new(
                format!("issue {id}"),
                format!(
                    "only an `expected` resolution mutes the check, not `{}`",
                    resolution.as_str()
                ),
            )
            .into());
        }
        (_, None) => None,
    };
    let until_text = mute_until.map(ts);
    tx.execute(
        "UPDATE issues SET status = 'resolved', resolution = ?2, resolution_reason = ?3, resolved_at = ?4, updated_at = ?4,
             muted_until = coalesce(?5, muted_until) WHERE id = ?1",
        params![id, resolution.as_str(), reason, ts(now), until_text],
    )?;
    log_event(
        tx,
        Some(id),
        "resolved",
        Some(actor),
        serde_json::json!({
            "resolution": resolution.as_str(),
            "reason": reason,
            "incident_open": despite_open_incident && issue.incident_id.is_some(),
        }),
        now,
    )?;
    if let Some(until) = &until_text {
        tx.execute(
            "INSERT INTO mutes (env, asset, check_name, issue_id, until, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![issue.env, issue.asset, issue.check, id, until, actor, ts(now)],
        )?;
        log_event(
            tx,
            Some(id),
            "muted",
            Some(actor),
            serde_json::json!({"until": until, "check": issue.check, "because": "expected"}),
            now,
        )?;
    }
    load_for_action(tx, id)
}
