//! The dead man's switch: `[[expect]]` says a run of a dbt project (or of an OpenLineage job)
//! must arrive in an environment at least every so often. When none arrived within the window,
//! an issue with check `no_recent_run` opens on the project (or the job) through the normal issue
//! engine, so it is alerted and routed like any other; it recovers when a run arrives.
//!
//! A dbt project's runs are its ingested results (any node of its package) and manifests; a
//! job's runs are its OpenLineage events. Nothing here writes: the app feeds the verdicts to
//! the engine as observations.

use crate::clock::ts;
use crate::config::{ExpectConfig, Expected};
use crate::sources::observation::{Observation, Origin, Outcome, Severity};
use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

/// The check of the issues this module opens.
pub const CHECK: &str = "no_recent_run";

/// One `[[expect]]` resolved against the configuration: where it looks and what it names.
#[derive(Debug, Clone, Serialize)]
pub struct Watch {
    /// `project analytics` or `job airflow.load.orders`.
    pub what: String,
    pub env: String,
    /// The asset of its issue: `project.<name>`, or the job's node id `<namespace>.<name>`.
    pub asset: String,
    #[serde(skip)]
    pub every: chrono::Duration,
    #[serde(skip)]
    project: Option<String>,
}

impl Watch {
    pub fn new(expect: &ExpectConfig, default_env: &str) -> Option<Watch> {
        let env = expect.env.clone().unwrap_or_else(|| default_env.to_owned());
        let every = chrono::Duration::from_std(expect.every).ok()?;
        Some(match expect.expected()? {
            Expected::Project(p) => Watch {
                what: format!("dbt project {p}"),
                env,
                asset: format!("project.{p}"),
                every,
                project: Some(p.to_owned()),
            },
            Expected::Job { source, job } => Watch {
                what: format!("job {source}.{job}"),
                env,
                asset: format!("{source}.{job}"),
                every,
                project: None,
            },
        })
    }
}

/// What a pass decided for one watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// A run arrived within the window and no issue is open: nothing to do.
    Fine,
    /// No run within the window and no issue open yet: open one.
    Overdue,
    /// No run within the window; its issue is already open.
    StillOverdue,
    /// A run arrived and the issue is open: it recovers.
    Arrived,
    /// Not watched for a whole window yet (since the server started), and no run seen.
    Waiting,
}

/// The latest run of `w` after `since`, if any.
pub fn last_run(conn: &Connection, w: &Watch, since: DateTime<Utc>) -> Result<Option<String>> {
    let since = ts(since);
    let found: Option<String> = match &w.project {
        Some(project) => {
            let pattern = format!("*.{}.*", glob_escape(project));
            let results: Option<String> = conn
                .query_row(
                    "SELECT o.received_at FROM observations o JOIN ingests i ON i.id = o.ingest_id
                     WHERE o.received_at > ?1 AND o.env = ?2 AND i.kind = 'dbt'
                       AND (o.node GLOB ?3 OR o.asset GLOB ?3)
                     ORDER BY o.received_at DESC LIMIT 1",
                    params![since, w.env, pattern],
                    |r| r.get(0),
                )
                .optional()?;
            let manifest: Option<String> = conn
                .query_row(
                    "SELECT max(loaded_at) FROM lineage_parts WHERE env = ?1 AND project = ?2 AND loaded_at > ?3",
                    params![w.env, project, since],
                    |r| r.get(0),
                )?;
            results.max(manifest)
        }
        None => conn.query_row(
            "SELECT max(updated_at) FROM lineage_jobs WHERE env = ?1 AND job = ?2 AND updated_at > ?3",
            params![w.env, w.asset, since],
            |r| r.get(0),
        )?,
    };
    Ok(found)
}

/// The unresolved `no_recent_run` issue of `w`, if any.
pub fn open_issue(conn: &Connection, w: &Watch) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT id FROM issues WHERE env = ?1 AND asset = ?2 AND check_name = ?3 AND status != 'resolved'",
            params![w.env, w.asset, CHECK],
            |r| r.get(0),
        )
        .optional()?)
}

/// The verdict for `w` at `now`, watched since `watching_since`.
pub fn judge(
    w: &Watch,
    last_run: Option<&str>,
    open_issue: bool,
    watching_since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Verdict {
    match (last_run.is_some(), open_issue) {
        (true, true) => Verdict::Arrived,
        (true, false) => Verdict::Fine,
        (false, true) => Verdict::StillOverdue,
        (false, false) if now - watching_since >= w.every => Verdict::Overdue,
        (false, false) => Verdict::Waiting,
    }
}

/// The observation that tells the engine: failing when overdue, passing when a run arrived.
pub fn observation(
    w: &Watch,
    verdict: Verdict,
    asset_known: bool,
    now: DateTime<Utc>,
) -> Option<Observation> {
    let (outcome, raw, message) = match verdict {
        Verdict::Overdue => (
            Outcome::Fail(Severity::Error),
            "fail",
            format!(
                "No run of {} arrived in {} in the last {} (expected at least that often)",
                w.what,
                w.env,
                crate::config::format_duration(w.every.to_std().unwrap_or_default()),
            ),
        ),
        Verdict::Arrived => (
            Outcome::Pass,
            "pass",
            format!("A run of {} arrived in {}", w.what, w.env),
        ),
        _ => return None,
    };
    Some(Observation {
        key: None,
        origin: Origin::Alert,
        source_system: Some("steward".to_owned()),
        asset: w.asset.clone(),
        asset_known,
        check: CHECK.to_owned(),
        node: None,
        outcome,
        raw_status: raw.to_owned(),
        message: Some(message),
        failures: None,
        url: None,
        run_id: None,
        occurred_at: now,
        compiled_sql: None,
    })
}

/// Escapes GLOB's special characters in a literal.
fn glob_escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '*' | '?' | '[' => format!("[{c}]"),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn watch() -> Watch {
        let e = ExpectConfig {
            project: Some("analytics".into()),
            source: None,
            job: None,
            env: Some("prod".into()),
            every: Duration::from_secs(24 * 3600),
        };
        Watch::new(&e, "default").unwrap()
    }

    #[test]
    fn verdicts() {
        let w = watch();
        assert_eq!(w.asset, "project.analytics");
        let start = chrono::DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let h = chrono::Duration::hours;
        assert_eq!(
            judge(&w, None, false, start, start + h(23)),
            Verdict::Waiting
        );
        assert_eq!(
            judge(&w, None, false, start, start + h(24)),
            Verdict::Overdue
        );
        assert_eq!(
            judge(&w, None, true, start, start + h(30)),
            Verdict::StillOverdue
        );
        assert_eq!(
            judge(&w, Some("x"), true, start, start + h(30)),
            Verdict::Arrived
        );
        assert_eq!(
            judge(&w, Some("x"), false, start, start + h(30)),
            Verdict::Fine
        );
        let o = observation(&w, Verdict::Overdue, false, start).unwrap();
        assert_eq!(o.check, CHECK);
        assert!(o.message.unwrap().contains("dbt project analytics"));
        assert!(observation(&w, Verdict::Waiting, false, start).is_none());
        assert_eq!(glob_escape("a*b[c"), "a[*]b[[]c");
    }
}
