//! Mutes: an asset muted for a while or until its issue is fixed, and a check muted by
//! resolving it as `expected`.

use super::actions::load_for_action;
use super::{log_event, ts};
use crate::error::InputError;
use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, params};
use serde::Serialize;

/// An active mute on an asset.
#[derive(Debug, Clone, Serialize)]
pub struct Mute {
    pub asset: String,
    /// Only this check on the asset (resolving as `expected`); None: the whole asset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    pub issue_id: Option<i64>,
    /// RFC 3339; None means until the issue is fixed.
    pub until: Option<String>,
    pub created_by: String,
}

/// Mutes an issue's asset (or a named asset) until a time, or until the issue resolves.
pub fn mute(
    tx: &Transaction,
    issue_id: Option<i64>,
    asset: Option<&str>,
    until: Option<DateTime<Utc>>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Mute> {
    let (asset, env) = match (issue_id, asset) {
        (Some(id), _) => {
            let issue = load_for_action(tx, id)?;
            (issue.asset, Some(issue.env))
        }
        (None, Some(a)) => (a.to_owned(), None),
        (None, None) => return Err(InputError::new("mute", "name an issue or an asset").into()),
    };
    if issue_id.is_none() && until.is_none() {
        return Err(InputError::new(
            "mute",
            "muting an asset needs a duration; `until fixed` needs an issue",
        )
        .into());
    }
    let until_text = until.map(ts);
    tx.execute(
        "INSERT INTO mutes (env, asset, issue_id, until, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![env, asset, issue_id, until_text, actor, ts(now)],
    )?;
    if let Some(id) = issue_id {
        tx.execute(
            "UPDATE issues SET muted_until = ?2, updated_at = ?3 WHERE id = ?1",
            params![
                id,
                until_text
                    .clone()
                    .unwrap_or_else(|| "until fixed".to_owned()),
                ts(now)
            ],
        )?;
        log_event(
            tx,
            Some(id),
            "muted",
            Some(actor),
            serde_json::json!({"until": until_text}),
            now,
        )?;
    }
    Ok(Mute {
        asset,
        check: None,
        issue_id,
        until: until_text,
        created_by: actor.to_owned(),
    })
}

/// Whether alerts for `asset` are muted at `now`: a timed mute not yet over, or an
/// until-fixed mute whose issue is still unresolved. Mutes of one check are not counted
/// (see [`check_muted_until`]).
pub fn is_muted(conn: &Connection, asset: &str, now: DateTime<Utc>) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM mutes m LEFT JOIN issues i ON i.id = m.issue_id
           WHERE m.asset = ?1 AND m.check_name IS NULL AND ((m.until IS NOT NULL AND m.until > ?2)
                 OR (m.until IS NULL AND i.status IS NOT NULL AND i.status != 'resolved')))",
        params![asset, ts(now)],
        |r| r.get(0),
    )?)
}

/// Until when alerts for one check (env, asset, check) are muted at `now` by a mute of that
/// check (resolving as `expected`); None when it is not.
pub fn check_muted_until(
    conn: &Connection,
    env: &str,
    asset: &str,
    check: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT max(until) FROM mutes WHERE asset = ?2 AND env = ?1 AND check_name = ?3 AND until > ?4",
        )?
        .query_row(params![env, asset, check, ts(now)], |r| r.get(0))?)
}

/// Mutes in force at `now`.
pub fn active_mutes(conn: &Connection, now: DateTime<Utc>) -> Result<Vec<Mute>> {
    let mut stmt = conn.prepare(
        "SELECT m.asset, m.issue_id, m.until, m.created_by, m.check_name FROM mutes m LEFT JOIN issues i ON i.id = m.issue_id
         WHERE (m.until IS NOT NULL AND m.until > ?1) OR (m.until IS NULL AND i.status IS NOT NULL AND i.status != 'resolved')
         ORDER BY m.id",
    )?;
    let rows = stmt.query_map([ts(now)], |r| {
        Ok(Mute {
            asset: r.get(0)?,
            check: r.get(4)?,
            issue_id: r.get(1)?,
            until: r.get(2)?,
            created_by: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
