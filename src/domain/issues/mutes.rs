//! Mutes: an asset muted for a while or until its issue is fixed, and a check muted by
//! resolving it as `expected` (or by `steward mute --check`). `unmute` ends them early.

use super::actions::load_for_action;
use super::{log_event, ts};
use crate::error::{InputError, InputErrorKind, quoted};
use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, params};
use serde::Serialize;

/// An active mute on an asset.
#[derive(Debug, Clone, Serialize)]
pub struct Mute {
    pub id: i64,
    pub asset: String,
    /// Only this check on the asset (resolving as `expected`); None: the whole asset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    pub issue_id: Option<i64>,
    /// RFC 3339; None means until the issue is fixed.
    pub until: Option<String>,
    pub created_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// RFC 3339, when it was set.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub created_at: String,
}

/// A mute as a person asks for it (`steward mute`, `/steward mute`, the Mute menu).
#[derive(Debug, Clone, Default)]
pub struct MuteRequest {
    /// Mute this issue's asset (and, with `check`, that check of it in the issue's environment).
    pub issue_id: Option<i64>,
    /// Or this asset (a unique_id).
    pub asset: Option<String>,
    /// Only this check of the asset; needs `until`.
    pub check: Option<String>,
    /// The environment of a check mute on a named asset.
    pub env: Option<String>,
    /// None: until the issue is fixed (an issue's mute only).
    pub until: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

/// What `unmute` names: an issue's asset, or an asset, optionally one check of it.
#[derive(Debug, Clone, Default)]
pub struct UnmuteRequest {
    pub issue_id: Option<i64>,
    pub asset: Option<String>,
    pub check: Option<String>,
}

/// The SQL condition of a mute in force at `?now` (mutes aliased `m`, issues `i`).
const IN_FORCE: &str = "m.ended_at IS NULL AND ((m.until IS NOT NULL AND m.until > :now)
     OR (m.until IS NULL AND i.status IS NOT NULL AND i.status != 'resolved'))";

/// Mutes an issue's asset (or a named asset) until a time, or until the issue resolves.
pub fn mute(
    tx: &Transaction,
    issue_id: Option<i64>,
    asset: Option<&str>,
    until: Option<DateTime<Utc>>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Mute> {
    let request = MuteRequest {
        issue_id,
        asset: asset.map(str::to_owned),
        until,
        ..MuteRequest::default()
    };
    mute_with(tx, &request, actor, now)
}

/// Mutes what `request` names (see [`MuteRequest`]).
pub fn mute_with(
    tx: &Transaction,
    request: &MuteRequest,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Mute> {
    let (asset, env) = match (request.issue_id, request.asset.as_deref()) {
        (Some(id), _) => {
            let issue = load_for_action(tx, id)?;
            (issue.asset, Some(issue.env))
        }
        (None, Some(a)) => (a.to_owned(), request.env.clone()),
        (None, None) => return Err(InputError::new("mute", "name an issue or an asset").into()),
    };
    let until = request.until;
    if until.is_some_and(|u| u <= now) {
        return Err(InputError::new("mute", "a mute must end in the future").into());
    }
    if request.issue_id.is_none() && until.is_none() {
        return Err(InputError::new(
            "mute",
            "muting an asset needs a duration; `until fixed` needs an issue",
        )
        .into());
    }
    let check = request.check.as_deref().filter(|c| !c.is_empty());
    if check.is_some() && until.is_none() {
        return Err(InputError::new("mute", "muting one check needs a duration").into());
    }
    if check.is_some() && env.is_none() {
        return Err(
            InputError::new("mute", "muting one check of an asset needs its environment").into(),
        );
    }
    let until_text = until.map(ts);
    let reason = request
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    tx.execute(
        "INSERT INTO mutes (env, asset, check_name, issue_id, until, created_by, created_at, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![env, asset, check, request.issue_id, until_text, actor, ts(now), reason],
    )?;
    let id = tx.last_insert_rowid();
    if let Some(id) = request.issue_id {
        if check.is_none() {
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
        }
        log_event(
            tx,
            Some(id),
            "muted",
            Some(actor),
            serde_json::json!({"until": until_text, "check": check, "reason": reason}),
            now,
        )?;
    }
    Ok(Mute {
        id,
        asset,
        check: check.map(str::to_owned),
        issue_id: request.issue_id,
        until: until_text,
        created_by: actor.to_owned(),
        env,
        reason: reason.map(str::to_owned),
        created_at: ts(now),
    })
}

/// Ends the mutes in force on what `request` names (every one on the asset, or only those of
/// `check`); returns them. Issues they silenced are no longer marked muted. Nothing in force is
/// a not-found error.
pub fn unmute(
    tx: &Transaction,
    request: &UnmuteRequest,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Mute>> {
    let asset = match (request.issue_id, request.asset.as_deref()) {
        (Some(id), _) => load_for_action(tx, id)?.asset,
        (None, Some(a)) => a.to_owned(),
        (None, None) => return Err(InputError::new("unmute", "name an issue or an asset").into()),
    };
    let check = request.check.as_deref().filter(|c| !c.is_empty());
    let ended: Vec<Mute> = active_mutes(tx, now)?
        .into_iter()
        .filter(|m| m.asset == asset && (check.is_none() || m.check.as_deref() == check))
        .collect();
    if ended.is_empty() {
        let what = match check {
            Some(c) => format!("{} {}", quoted(&asset), quoted(c)),
            None => quoted(&asset),
        };
        return Err(
            InputError::not_found("unmute", format!("no mute in force on {what}"))
                .kind(InputErrorKind::NotFound)
                .into(),
        );
    }
    let mut issues: Vec<i64> = Vec::new();
    for m in &ended {
        tx.execute(
            "UPDATE mutes SET ended_at = ?2, ended_by = ?3 WHERE id = ?1",
            params![m.id, ts(now), actor],
        )?;
        issues.extend(m.issue_id);
    }
    if let Some(id) = request.issue_id {
        issues.push(id);
    }
    issues.sort_unstable();
    issues.dedup();
    for id in issues {
        tx.execute(
            "UPDATE issues SET muted_until = NULL, updated_at = ?2 WHERE id = ?1 AND muted_until IS NOT NULL",
            params![id, ts(now)],
        )?;
        log_event(
            tx,
            Some(id),
            "unmuted",
            Some(actor),
            serde_json::json!({"asset": asset, "check": check}),
            now,
        )?;
    }
    Ok(ended)
}

/// Whether alerts for `asset` are muted at `now`: a timed mute not yet over, or an
/// until-fixed mute whose issue is still unresolved. Mutes of one check are not counted
/// (see [`check_muted_until`]).
pub fn is_muted(conn: &Connection, asset: &str, now: DateTime<Utc>) -> Result<bool> {
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM mutes m LEFT JOIN issues i ON i.id = m.issue_id
           WHERE m.asset = :asset AND m.check_name IS NULL AND {IN_FORCE})"
    );
    Ok(conn.prepare_cached(&sql)?.query_row(
        rusqlite::named_params! {":asset": asset, ":now": ts(now)},
        |r| r.get(0),
    )?)
}

/// Until when alerts for one check (env, asset, check) are muted at `now` by a mute of that
/// check (resolving as `expected`, `steward mute --check`); None when it is not.
pub fn check_muted_until(
    conn: &Connection,
    env: &str,
    asset: &str,
    check: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT max(until) FROM mutes WHERE asset = ?2 AND env = ?1 AND check_name = ?3 AND until > ?4
               AND ended_at IS NULL",
        )?
        .query_row(params![env, asset, check, ts(now)], |r| r.get(0))?)
}

/// Mutes in force at `now`, oldest first.
pub fn active_mutes(conn: &Connection, now: DateTime<Utc>) -> Result<Vec<Mute>> {
    let sql = format!(
        "SELECT m.id, m.asset, m.issue_id, m.until, m.created_by, m.check_name, m.env, m.reason,
                m.created_at
         FROM mutes m LEFT JOIN issues i ON i.id = m.issue_id WHERE {IN_FORCE} ORDER BY m.id"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(rusqlite::named_params! {":now": ts(now)}, |r| {
        Ok(Mute {
            id: r.get(0)?,
            asset: r.get(1)?,
            issue_id: r.get(2)?,
            until: r.get(3)?,
            created_by: r.get(4)?,
            check: r.get(5)?,
            env: r.get(6)?,
            reason: r.get(7)?,
            created_at: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
