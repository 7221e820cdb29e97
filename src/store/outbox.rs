//! The outbox: work for integrations (Slack today), written in the same transaction as the
//! change that caused it, so a crash or a restart never loses a notification. Consumers claim
//! rows, and mark them done or schedule a retry.

use crate::clock::ts;
use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, params};

/// Issues that changed in an ingest or by a person: `{"issues": [ids], "reason": "..."}`.
pub const ISSUES_CHANGED: &str = "issues.changed";
/// An incident that was declared or changed: `{"incident": n}`.
pub const INCIDENT_CHANGED: &str = "incident.changed";
/// A stakeholder update on an incident, for its thread and its products' channels:
/// `{"incident": n, "actor": "...", "text": "...", "channels": ["C…"]}`.
pub const STAKEHOLDER_UPDATE: &str = "incident.update";
/// Someone asked for the post-incident report in Slack: `{"incident": n, "actor": "<@U…>"}`.
pub const POSTMORTEM_SHARED: &str = "incident.postmortem";
/// The weekly digest is due: `{"week": "2025-03-31", "at": "<scheduled instant>", "channel": "C…"}`
/// (see [`crate::domain::digest`]); enqueued once per week.
pub const DIGEST_WEEKLY: &str = "digest.weekly";

pub fn enqueue(
    tx: &Transaction,
    topic: &str,
    payload: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<i64> {
    tx.prepare_cached(
        "INSERT INTO outbox (created_at, topic, payload, next_attempt_at) VALUES (?1, ?2, ?3, ?1)",
    )?
    .execute(params![ts(now), topic, payload.to_string()])?;
    Ok(tx.last_insert_rowid())
}

#[derive(Debug, Clone)]
pub struct Item {
    pub id: i64,
    pub topic: String,
    pub payload: serde_json::Value,
    pub attempts: i64,
}

/// Items due at `now`, oldest first.
pub fn due(conn: &Connection, now: DateTime<Utc>, limit: usize) -> Result<Vec<Item>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, topic, payload, attempts FROM outbox WHERE done_at IS NULL AND next_attempt_at <= ?1 ORDER BY id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![ts(now), limit as i64], |r| {
        let payload: String = r.get(2)?;
        Ok(Item {
            id: r.get(0)?,
            topic: r.get(1)?,
            payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
            attempts: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn done(tx: &Transaction, id: i64, now: DateTime<Utc>) -> Result<()> {
    tx.execute(
        "UPDATE outbox SET done_at = ?2, last_error = NULL WHERE id = ?1",
        params![id, ts(now)],
    )?;
    Ok(())
}

/// Schedules another attempt after `delay`, keeping the error for `steward` to show.
pub fn retry(
    tx: &Transaction,
    id: i64,
    error: &str,
    delay: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3 WHERE id = ?1",
        params![id, error, ts(now + delay)],
    )?;
    Ok(())
}

pub fn pending_count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM outbox WHERE done_at IS NULL",
        [],
        |r| r.get(0),
    )?)
}

/// Undelivered items and the creation time of the oldest (RFC 3339), for `/metrics`.
pub fn pending_stats(conn: &Connection) -> Result<(i64, Option<String>)> {
    Ok(conn.query_row(
        "SELECT count(*), min(created_at) FROM outbox WHERE done_at IS NULL",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}
