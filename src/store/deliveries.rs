//! Deliveries: one row per (event, target) for the integrations (PagerDuty, incident.io,
//! Opsgenie, webhooks), inserted in the same transaction as the change, sent by the delivery
//! worker, retried with backoff and dead-lettered after too many attempts. Rows of one target
//! and dedup key go out in id order: a resolve never overtakes its trigger.

use crate::clock::ts;
use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use serde::Serialize;

/// A delivery to insert.
#[derive(Debug, Clone)]
pub struct NewDelivery<'a> {
    pub target: &'a str,
    pub kind: &'a str,
    pub event: &'a str,
    pub action: &'a str,
    pub dedup_key: &'a str,
    pub issue_id: Option<i64>,
    pub incident_id: Option<i64>,
    /// The follow-up a ticket is created for.
    pub followup_id: Option<i64>,
    pub payload: &'a serde_json::Value,
}

/// A stored delivery.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Delivery {
    pub id: i64,
    pub event_id: String,
    pub target: String,
    pub kind: String,
    pub event: String,
    pub action: String,
    pub dedup_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub followup_id: Option<i64>,
    #[serde(skip)]
    pub payload: serde_json::Value,
    pub state: String,
    pub attempts: i64,
    pub created_at: String,
    pub next_attempt_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub done_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// What the target answered: its id, dedup key or link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<serde_json::Value>,
}

impl Delivery {
    /// The incident the delivery is about: its own, or its follow-up's (for links back).
    pub fn about_incident(&self) -> Option<i64> {
        self.incident_id
            .or_else(|| self.payload["followup"]["incident"]["number"].as_i64())
    }
}

const COLUMNS: &str = "id, event_id, target, kind, event, action, dedup_key, issue_id, incident_id, payload, state, attempts, created_at, next_attempt_at, done_at, last_error, response, followup_id";

fn read(r: &Row) -> rusqlite::Result<Delivery> {
    let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    Ok(Delivery {
        id: r.get(0)?,
        event_id: r.get(1)?,
        target: r.get(2)?,
        kind: r.get(3)?,
        event: r.get(4)?,
        action: r.get(5)?,
        dedup_key: r.get(6)?,
        issue_id: r.get(7)?,
        incident_id: r.get(8)?,
        payload: json(r.get(9)?).unwrap_or(serde_json::Value::Null),
        state: r.get(10)?,
        attempts: r.get(11)?,
        created_at: r.get(12)?,
        next_attempt_at: r.get(13)?,
        done_at: r.get(14)?,
        last_error: r.get(15)?,
        response: json(r.get(16)?),
        followup_id: r.get(17)?,
    })
}

/// A fresh event id, shared by the deliveries of one event (`evt_<n>`, increasing).
pub fn next_event_id(tx: &Transaction) -> Result<String> {
    let n: i64 = tx.query_row("SELECT coalesce(max(id), 0) + 1 FROM deliveries", [], |r| {
        r.get(0)
    })?;
    Ok(format!("evt_{n}"))
}

pub fn insert(
    tx: &Transaction,
    event_id: &str,
    d: &NewDelivery,
    now: DateTime<Utc>,
) -> Result<i64> {
    tx.prepare_cached(
        "INSERT INTO deliveries (event_id, target, kind, event, action, dedup_key, issue_id, incident_id, payload, created_at, next_attempt_at, followup_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11)",
    )?
    .execute(params![
        event_id,
        d.target,
        d.kind,
        d.event,
        d.action,
        d.dedup_key,
        d.issue_id,
        d.incident_id,
        d.payload.to_string(),
        ts(now),
        d.followup_id
    ])?;
    Ok(tx.last_insert_rowid())
}

/// The last trigger, acknowledge or resolve queued for `target` and `dedup_key`, whatever its state.
pub fn last_action(tx: &Connection, target: &str, dedup_key: &str) -> Result<Option<String>> {
    Ok(tx
        .prepare_cached(
            "SELECT action FROM deliveries WHERE target = ?1 AND dedup_key = ?2 AND action != 'update' ORDER BY id DESC LIMIT 1",
        )?
        .query_row(params![target, dedup_key], |r| r.get(0))
        .optional()?)
}

/// Pending deliveries due at `now` whose target and dedup key have no older pending one.
pub fn due(conn: &Connection, now: DateTime<Utc>, limit: usize) -> Result<Vec<Delivery>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM deliveries d WHERE state = 'pending' AND next_attempt_at <= ?1
         AND NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.target = d.target AND o.dedup_key = d.dedup_key
                         AND o.state = 'pending' AND o.id < d.id)
         ORDER BY id LIMIT ?2"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![ts(now), limit as i64], read)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// When the next pending delivery is due, if any.
pub fn next_due(conn: &Connection) -> Result<Option<String>> {
    Ok(conn.query_row(
        "SELECT min(next_attempt_at) FROM deliveries WHERE state = 'pending'",
        [],
        |r| r.get(0),
    )?)
}

/// Marks a delivery done with what the target answered. A delivery no longer pending (revived
/// and re-sent elsewhere, say) is left alone; returns whether it was pending.
pub fn done(
    tx: &Transaction,
    id: i64,
    response: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<bool> {
    let n = tx.execute(
        "UPDATE deliveries SET state = 'done', attempts = attempts + 1, done_at = ?2, last_error = NULL, response = ?3
         WHERE id = ?1 AND state = 'pending'",
        params![id, ts(now), response.to_string()],
    )?;
    Ok(n == 1)
}

/// Counts a failed attempt: another one at `next`, or dead when `next` is None.
pub fn failed(
    tx: &Transaction,
    id: i64,
    error: &str,
    next: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<()> {
    match next {
        Some(at) => tx.execute(
            "UPDATE deliveries SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3 WHERE id = ?1 AND state = 'pending'",
            params![id, error, ts(at)],
        )?,
        None => tx.execute(
            "UPDATE deliveries SET state = 'dead', attempts = attempts + 1, last_error = ?2, done_at = ?3 WHERE id = ?1 AND state = 'pending'",
            params![id, error, ts(now)],
        )?,
    };
    Ok(())
}

/// Makes dead deliveries pending again, due now, with their attempts reset: one (`Some(id)`) or
/// all. Returns the ids revived.
pub fn revive(tx: &Transaction, id: Option<i64>, now: DateTime<Utc>) -> Result<Vec<i64>> {
    let ids: Vec<i64> = {
        let mut stmt = tx.prepare(
            "SELECT id FROM deliveries WHERE state = 'dead' AND (?1 IS NULL OR id = ?1) ORDER BY id",
        )?;
        stmt.query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    for i in &ids {
        tx.execute(
            "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?2, done_at = NULL WHERE id = ?1",
            params![i, ts(now)],
        )?;
    }
    Ok(ids)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Delivery>> {
    let sql = format!("SELECT {COLUMNS} FROM deliveries WHERE id = ?1");
    Ok(conn.query_row(&sql, [id], read).optional()?)
}

/// Deliveries not done: pending and dead ones, oldest first.
pub fn unfinished(conn: &Connection) -> Result<Vec<Delivery>> {
    let sql = format!("SELECT {COLUMNS} FROM deliveries WHERE state != 'done' ORDER BY id");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], read)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The deliveries about incident `n`, oldest first.
/// The deliveries about any of these issues (their tickets, their alert groups' pages).
pub fn for_issues(conn: &Connection, ids: &[i64]) -> Result<Vec<Delivery>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM deliveries WHERE issue_id IN (SELECT value FROM json_each(?1)) ORDER BY id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([serde_json::to_string(ids)?], read)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn for_incident(conn: &Connection, n: i64) -> Result<Vec<Delivery>> {
    let sql = format!("SELECT {COLUMNS} FROM deliveries WHERE incident_id = ?1 ORDER BY id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([n], read)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
