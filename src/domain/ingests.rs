//! The record of ingests: what arrived, when, in which environment, and who pushed it (the HTTP
//! token's name, the CLI's `--as`, a dbt Cloud job, or Steward's own dead man's switch).

use anyhow::Result;
use rusqlite::{Connection, params};
use serde::Serialize;

/// One ingest as recorded.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IngestRecord {
    pub id: i64,
    /// `dbt`, `alert`, `openlineage`, `dbt_cloud` or `expect`.
    pub kind: String,
    pub env: String,
    pub received_at: String,
    /// The face it came through: `http`, `cli`, `dbt_cloud` or `steward` (None before v12).
    pub via: Option<String>,
    /// The name it was pushed under.
    pub pushed_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invocation_id: Option<String>,
    /// What it did, counted from the ingest's stored summary.
    pub counts: IngestCounts,
}

/// How many results an ingest brought and what they did to the issues.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct IngestCounts {
    pub results: u64,
    pub failing: u64,
    pub passing: u64,
    pub skipped: u64,
    pub opened: u64,
    pub reopened: u64,
    pub recovered: u64,
}

impl IngestCounts {
    /// Counts from a stored summary (numbers, and the lengths of the id lists); what is
    /// missing counts as 0.
    fn from_summary(summary: &serde_json::Value) -> IngestCounts {
        let n = |key: &str| match summary.get(key) {
            Some(serde_json::Value::Array(ids)) => ids.len() as u64,
            Some(v) => v.as_u64().unwrap_or(0),
            None => 0,
        };
        IngestCounts {
            results: n("results"),
            failing: n("failing"),
            passing: n("passing"),
            skipped: n("skipped"),
            opened: n("opened"),
            reopened: n("reopened"),
            recovered: n("recovered"),
        }
    }
}

impl IngestRecord {
    /// "airflow (http)", "dana (cli)", "http", or "unknown".
    pub fn who(&self) -> String {
        match (&self.pushed_by, &self.via) {
            (Some(name), Some(via)) => format!("{name} ({via})"),
            (Some(name), None) => name.clone(),
            (None, Some(via)) => via.clone(),
            (None, None) => "unknown".to_owned(),
        }
    }
}

/// Which ingests to list: newest first, at most `limit`.
#[derive(Debug, Clone, Default)]
pub struct IngestFilter {
    pub env: Option<String>,
    pub pushed_by: Option<String>,
    pub limit: usize,
}

const COLUMNS: &str = "id, kind, env, received_at, via, pushed_by, invocation_id, summary";

fn row(r: &rusqlite::Row) -> rusqlite::Result<IngestRecord> {
    let summary: String = r.get(7)?;
    Ok(IngestRecord {
        id: r.get(0)?,
        kind: r.get(1)?,
        env: r.get(2)?,
        received_at: r.get(3)?,
        via: r.get(4)?,
        pushed_by: r.get(5)?,
        invocation_id: r.get(6)?,
        counts: IngestCounts::from_summary(
            &serde_json::from_str(&summary).unwrap_or(serde_json::Value::Null),
        ),
    })
}

/// The ingests matching `filter`, newest first.
pub fn list(c: &Connection, filter: &IngestFilter) -> Result<Vec<IngestRecord>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM ingests
         WHERE (?1 IS NULL OR env = ?1) AND (?2 IS NULL OR pushed_by = ?2)
         ORDER BY id DESC LIMIT ?3"
    ))?;
    let rows = stmt.query_map(
        params![filter.env, filter.pushed_by, filter.limit.max(1) as i64],
        row,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The ingests that brought an issue's results, newest first, at most `limit` (results older
/// than `[issues] retention` are pruned, and with them what they say of their ingest).
pub fn of_issue(c: &Connection, issue_id: i64, limit: usize) -> Result<Vec<IngestRecord>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM ingests
         WHERE id IN (SELECT ingest_id FROM observations WHERE issue_id = ?1)
         ORDER BY id DESC LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![issue_id, limit as i64], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_come_from_the_stored_summary() {
        let summary = serde_json::json!({
            "results": 12, "failing": 3, "passing": 8, "skipped": 1,
            "opened": [4, 5], "reopened": [], "recovered": [2], "kind": "dbt"
        });
        assert_eq!(
            IngestCounts::from_summary(&summary),
            IngestCounts {
                results: 12,
                failing: 3,
                passing: 8,
                skipped: 1,
                opened: 2,
                reopened: 0,
                recovered: 1
            }
        );
        assert_eq!(
            IngestCounts::from_summary(&serde_json::Value::Null),
            IngestCounts::default()
        );
    }

    #[test]
    fn who_names_the_pusher_and_the_face() {
        let mut r = IngestRecord {
            id: 1,
            kind: "dbt".into(),
            env: "prod".into(),
            received_at: "2026-12-05T10:00:00Z".into(),
            via: Some("http".into()),
            pushed_by: Some("airflow".into()),
            invocation_id: None,
            counts: IngestCounts::default(),
        };
        assert_eq!(r.who(), "airflow (http)");
        r.pushed_by = None;
        assert_eq!(r.who(), "http");
        r.via = None;
        assert_eq!(r.who(), "unknown");
    }
}
