//! Code-change correlation: whether a failing node's dbt code changed since its check last
//! passed, read from the manifest checksum history in `node_checksums`.

use crate::domain::issues::Issue;
use anyhow::Result;
use rusqlite::{Connection, OptionalExtension, params};

/// Whether the manifest checksum of the issue's node (its `node`, else its asset) differs now
/// from the one in force at the last passing observation of the same env, asset and check.
/// `None` when the check never passed before or the node has no recorded checksum then or now.
pub fn changed_since_last_pass(conn: &Connection, issue: &Issue) -> Result<Option<bool>> {
    let node = issue.node.as_deref().unwrap_or(&issue.asset);
    let pass_ingest: Option<i64> = conn
        .query_row(
            "SELECT ingest_id FROM observations
             WHERE env = ?1 AND asset = ?2 AND check_name = ?3 AND outcome = 'pass'
             ORDER BY occurred_at DESC, id DESC LIMIT 1",
            params![issue.env, issue.asset, issue.check],
            |r| r.get(0),
        )
        .optional()?;
    let Some(pass_ingest) = pass_ingest else {
        return Ok(None);
    };
    let then: Option<String> = conn
        .query_row(
            "SELECT checksum FROM node_checksums WHERE unique_id = ?1 AND ingest_id <= ?2
             ORDER BY ingest_id DESC LIMIT 1",
            params![node, pass_ingest],
            |r| r.get(0),
        )
        .optional()?;
    let now: Option<String> = conn
        .query_row(
            "SELECT checksum FROM node_checksums WHERE unique_id = ?1
             ORDER BY ingest_id DESC LIMIT 1",
            params![node],
            |r| r.get(0),
        )
        .optional()?;
    Ok(match (then, now) {
        (Some(a), Some(b)) => Some(a != b),
        _ => None,
    })
}
