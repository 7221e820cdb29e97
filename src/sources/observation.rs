//! One result seen from any source (a dbt result, a freshness check, an alert, an OpenLineage
//! event), normalised to what the issue engine needs: the asset, the check and the outcome.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

/// `error` or `warn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warn,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warn => "warn",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "warn" | "warning" => Some(Severity::Warn),
            "error" | "err" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// What a result says about its check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail(Severity),
    /// Not run because something upstream failed: no issue of its own, a symptom of its root.
    Skipped,
}

/// Where a result came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Dbt,
    Freshness,
    Alert,
    OpenLineage,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Dbt => "dbt",
            Origin::Freshness => "freshness",
            Origin::Alert => "alert",
            Origin::OpenLineage => "openlineage",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Observation {
    /// Idempotence key: the same key seen twice is applied once.
    pub key: Option<String>,
    pub origin: Origin,
    /// For alerts: the system that sent it (`airflow`, `monitor`, …).
    pub source_system: Option<String>,
    /// The node the check is about: a unique_id when the asset resolves, else the raw reference.
    pub asset: String,
    pub asset_known: bool,
    /// What failed: a test's unique_id, `run`, `freshness`, or an alert's check.
    pub check: String,
    /// The node whose result this is (a test, a model, a source); may differ from `asset`.
    pub node: Option<String>,
    pub outcome: Outcome,
    /// The status as the source wrote it, e.g. `fail`, `runtime error`.
    pub raw_status: String,
    pub message: Option<String>,
    pub failures: Option<i64>,
    pub url: Option<String>,
    pub run_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
    /// The compiled SQL dbt ran, kept for failures only.
    #[serde(skip)]
    pub compiled_sql: Option<String>,
}

impl Observation {
    /// Failing in the sense that makes an issue a root over what is below it: any error, and
    /// freshness warnings (a stale source explains what is built on it). Test warnings do not.
    pub fn counts_as_failing_for_lineage(&self) -> bool {
        match self.outcome {
            Outcome::Fail(Severity::Error) => true,
            Outcome::Fail(Severity::Warn) => self.origin == Origin::Freshness,
            _ => false,
        }
    }
}

/// Parses the timestamps dbt, Airflow and OpenLineage write: RFC 3339, or naive ISO as UTC.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc());
        }
    }
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%:z") {
        return Some(t.with_timezone(&Utc));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_timestamp_shapes_dbt_writes() {
        for s in [
            "2021-08-23T15:06:44.629950Z",
            "2024-01-01T00:00:00+00:00",
            "2024-01-01T00:00:00.123456",
            "2024-01-01 00:00:00",
            "2024-01-01 00:00:00.5+00:00",
        ] {
            assert!(parse_time(s).is_some(), "{s}");
        }
        assert!(parse_time("yesterday").is_none());
    }
}
