//! Reading issues: filtered lists with their lineage links, one issue, its timeline and its
//! comments.

use super::{Issue, Status, Symptom};
use anyhow::Result;
use rusqlite::{Connection, Row};
use serde::Serialize;
use std::collections::HashMap;

/// Filters for listing issues.
#[derive(Debug, Clone, Default)]
pub struct IssueFilter {
    pub status: Option<Status>,
    /// Matches the asset's unique_id exactly or by its last component.
    pub asset: Option<String>,
    /// Case-insensitive substring of any owner.
    pub owner: Option<String>,
    pub env: Option<String>,
    pub ids: Option<Vec<i64>>,
    /// Issues linked to this incident (by number).
    pub incident: Option<i64>,
    /// Only issues not resolved.
    pub active: bool,
    /// The members of this storm.
    pub storm: Option<i64>,
}

const ISSUE_COLUMNS: &str = "id, env, asset, asset_known, check_name, node, origin, source_system, status, resolution,
    resolution_reason, severity, raw_status, message, failures, url, run_id, owners, occurrences, consecutive_passes,
    first_seen, last_seen, resolved_at, assignee, symptom_of, muted_until, incident_id, created_at, updated_at, compiled_sql, storm_id";

fn issue_from_row(r: &Row) -> rusqlite::Result<Issue> {
    let owners: String = r.get(17)?;
    Ok(Issue {
        id: r.get(0)?,
        env: r.get(1)?,
        asset: r.get(2)?,
        asset_known: r.get(3)?,
        check: r.get(4)?,
        node: r.get(5)?,
        origin: r.get(6)?,
        source_system: r.get(7)?,
        status: r.get(8)?,
        resolution: r.get(9)?,
        resolution_reason: r.get(10)?,
        severity: r.get(11)?,
        dbt_status: r.get(12)?,
        message: r.get(13)?,
        failures: r.get(14)?,
        url: r.get(15)?,
        run_id: r.get(16)?,
        owners: serde_json::from_str(&owners).unwrap_or_default(),
        occurrences: r.get(18)?,
        consecutive_passes: r.get(19)?,
        first_seen: r.get(20)?,
        last_seen: r.get(21)?,
        resolved_at: r.get(22)?,
        assignee: r.get(23)?,
        symptom_of: r.get(24)?,
        root_cause_of: Vec::new(),
        symptoms: Vec::new(),
        muted_until: r.get(25)?,
        incident_id: r.get(26)?,
        created_at: r.get(27)?,
        updated_at: r.get(28)?,
        compiled_sql: r.get(29)?,
        storm: r.get(30)?,
    })
}

/// Lists issues, newest first, with their root-cause links and symptoms filled in.
pub fn list(conn: &Connection, filter: &IssueFilter) -> Result<Vec<Issue>> {
    let mut sql = format!("SELECT {ISSUE_COLUMNS} FROM issues WHERE 1 = 1");
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(s) = filter.status {
        args.push(s.as_str().to_owned().into());
        sql.push_str(&format!(" AND status = ?{}", args.len()));
    }
    if let Some(env) = &filter.env {
        args.push(env.clone().into());
        sql.push_str(&format!(" AND env = ?{}", args.len()));
    }
    if let Some(asset) = &filter.asset {
        args.push(asset.clone().into());
        let n = args.len();
        sql.push_str(&format!(
            " AND (asset = ?{n} COLLATE NOCASE OR asset LIKE '%.' || ?{n} ESCAPE '\\' OR node = ?{n})"
        ));
    }
    if let Some(ids) = &filter.ids {
        let list: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
        sql.push_str(&format!(" AND id IN ({})", list.join(",")));
    }
    if filter.active {
        sql.push_str(" AND status != 'resolved'");
    }
    if let Some(n) = filter.incident {
        args.push(n.into());
        sql.push_str(&format!(" AND incident_id = ?{}", args.len()));
    }
    if let Some(n) = filter.storm {
        args.push(n.into());
        sql.push_str(&format!(" AND storm_id = ?{}", args.len()));
    }
    sql.push_str(" ORDER BY id");
    let mut stmt = conn.prepare(&sql)?;
    let mut issues: Vec<Issue> = stmt
        .query_map(rusqlite::params_from_iter(args), issue_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    if let Some(owner) = &filter.owner {
        let needle = owner.to_ascii_lowercase();
        issues.retain(|i| {
            i.owners
                .iter()
                .any(|o| o.to_ascii_lowercase().contains(&needle))
        });
    }
    attach_links(conn, &mut issues)?;
    Ok(issues)
}

/// Fills `root_cause_of` and `symptoms`.
fn attach_links(conn: &Connection, issues: &mut [Issue]) -> Result<()> {
    if issues.is_empty() {
        return Ok(());
    }
    // Only the links of the listed issues: a small list (one alert group) must not pay for the
    // whole table. The ids travel as one JSON array parameter.
    let ids = serde_json::to_string(&issues.iter().map(|i| i.id).collect::<Vec<_>>())?;
    let mut children: HashMap<i64, Vec<(i64, String, String)>> = HashMap::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT id, symptom_of, coalesce(node, asset), CASE WHEN status = 'resolved' THEN 'resolved' ELSE raw_status END
             FROM issues WHERE symptom_of IN (SELECT value FROM json_each(?1)) ORDER BY id",
        )?;
        let rows = stmt.query_map([&ids], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get(2)?,
                r.get(3)?,
            ))
        })?;
        for row in rows {
            let (id, root, uid, status) = row?;
            children.entry(root).or_default().push((id, uid, status));
        }
    }
    let mut skipped: HashMap<i64, Vec<String>> = HashMap::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT root_issue_id, unique_id FROM symptoms
             WHERE root_issue_id IN (SELECT value FROM json_each(?1)) ORDER BY unique_id",
        )?;
        let rows = stmt.query_map([&ids], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (root, uid) = row?;
            skipped.entry(root).or_default().push(uid);
        }
    }
    for issue in issues.iter_mut() {
        if let Some(list) = children.get(&issue.id) {
            issue.root_cause_of = list.iter().map(|(id, _, _)| *id).collect();
            issue
                .symptoms
                .extend(list.iter().map(|(id, uid, status)| Symptom {
                    unique_id: uid.clone(),
                    status: status.clone(),
                    issue: Some(*id),
                }));
        }
        if let Some(list) = skipped.get(&issue.id) {
            issue.symptoms.extend(list.iter().map(|uid| Symptom {
                unique_id: uid.clone(),
                status: "skipped".to_owned(),
                issue: None,
            }));
        }
    }
    Ok(())
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Issue>> {
    Ok(list(
        conn,
        &IssueFilter {
            ids: Some(vec![id]),
            ..Default::default()
        },
    )?
    .pop())
}

/// A timeline entry.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub at: String,
    pub kind: String,
    pub actor: Option<String>,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comment {
    pub id: i64,
    pub author: String,
    pub body: String,
    pub at: String,
}

pub fn events(conn: &Connection, issue_id: i64) -> Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, kind, actor, detail FROM events WHERE issue_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([issue_id], |r| {
        let detail: String = r.get(3)?;
        Ok(Event {
            at: r.get(0)?,
            kind: r.get(1)?,
            actor: r.get(2)?,
            detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn comments(conn: &Connection, issue_id: i64) -> Result<Vec<Comment>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, author, body, at FROM comments WHERE issue_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([issue_id], |r| {
        Ok(Comment {
            id: r.get(0)?,
            author: r.get(1)?,
            body: r.get(2)?,
            at: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
