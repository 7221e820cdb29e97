//! The state `/metrics` reports at each scrape: unresolved issues by environment and severity,
//! unresolved incidents by severity, and the outbox's backlog.

use crate::clock::parse_ts;
use crate::store::outbox;
use crate::telemetry::Gauges;
use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::Connection;

/// The consumer of the `outbox` table (integrations with tables of their own report theirs).
pub const OUTBOX_CONSUMER: &str = "slack";

pub fn read(conn: &Connection, now: DateTime<Utc>) -> Result<Gauges> {
    let mut stmt = conn.prepare_cached(
        "SELECT env, severity, count(*) FROM issues WHERE status != 'resolved'
         GROUP BY env, severity ORDER BY env, severity",
    )?;
    let open_issues = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT severity, count(*) FROM incidents WHERE status != 'resolved'
         GROUP BY severity ORDER BY severity",
    )?;
    let open_incidents = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let (pending, oldest) = outbox::pending_stats(conn)?;
    let age = oldest.as_deref().and_then(parse_ts).map_or(0.0, |t| {
        ((now - t).num_milliseconds().max(0) as f64) / 1000.0
    });
    Ok(Gauges {
        open_issues,
        open_incidents,
        outbox: vec![(OUTBOX_CONSUMER.to_owned(), pending, age)],
    })
}
