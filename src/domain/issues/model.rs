//! The issue model: workflow status, resolution, engine policy, the issue as every face shows
//! it, and the timestamp format the tables sort by.

use serde::Serialize;

/// The workflow state of an issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Failing, nobody on it.
    Open,
    Acknowledged,
    Investigating,
    /// The check passed, but fewer times than the configured K.
    Recovering,
    Resolved,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Open,
        Status::Acknowledged,
        Status::Investigating,
        Status::Recovering,
        Status::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Acknowledged => "acknowledged",
            Status::Investigating => "investigating",
            Status::Recovering => "recovering",
            Status::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s.to_ascii_lowercase())
    }
}

/// Why an issue is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// K consecutive passes.
    Recovered,
    Fixed,
    Expected,
    FalsePositive,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Recovered => "recovered",
            Resolution::Fixed => "fixed",
            Resolution::Expected => "expected",
            Resolution::FalsePositive => "false_positive",
        }
    }

    /// The resolutions a person may set.
    pub fn parse_manual(s: &str) -> Option<Resolution> {
        match s.to_ascii_lowercase().replace('-', "_").as_str() {
            "fixed" => Some(Resolution::Fixed),
            "expected" => Some(Resolution::Expected),
            "false_positive" | "falsepositive" => Some(Resolution::FalsePositive),
            _ => None,
        }
    }
}

/// How the engine treats results.
#[derive(Debug, Clone)]
pub struct Policy {
    pub reopen_window: chrono::Duration,
    pub recover_after_passes: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            reopen_window: chrono::Duration::hours(24),
            recover_after_passes: 1,
        }
    }
}

/// A skipped or failing node below a root issue.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Symptom {
    pub unique_id: String,
    pub status: String,
    pub issue: Option<i64>,
}

/// An issue as every face shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Issue {
    pub id: i64,
    pub env: String,
    pub asset: String,
    pub asset_known: bool,
    pub check: String,
    pub node: Option<String>,
    pub origin: String,
    pub source_system: Option<String>,
    pub status: String,
    pub resolution: Option<String>,
    pub resolution_reason: Option<String>,
    pub severity: String,
    /// The last failing status as the source wrote it (`error`, `fail`, `warn`, …).
    pub dbt_status: String,
    pub message: Option<String>,
    pub failures: Option<i64>,
    pub url: Option<String>,
    pub run_id: Option<String>,
    pub owners: Vec<String>,
    pub occurrences: i64,
    pub consecutive_passes: i64,
    pub first_seen: String,
    pub last_seen: String,
    pub resolved_at: Option<String>,
    pub assignee: Option<String>,
    pub symptom_of: Option<i64>,
    pub root_cause_of: Vec<i64>,
    pub symptoms: Vec<Symptom>,
    pub muted_until: Option<String>,
    pub incident_id: Option<i64>,
    /// The storm this root belongs to: roots that share a cause, shown as one message.
    pub storm: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
    /// The compiled SQL of the failing check (shown by `steward issue N --json`, not in lists).
    #[serde(skip)]
    pub compiled_sql: Option<String>,
}

impl Issue {
    pub fn is_root(&self) -> bool {
        self.symptom_of.is_none()
    }

    pub fn is_active(&self) -> bool {
        self.status != "resolved"
    }
}

/// Counts of what one ingest did to issues.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ApplySummary {
    pub results: usize,
    pub duplicates: usize,
    pub failing: usize,
    pub passing: usize,
    pub skipped: usize,
    pub opened: Vec<i64>,
    pub updated: Vec<i64>,
    pub reopened: Vec<i64>,
    pub recovering: Vec<i64>,
    pub recovered: Vec<i64>,
    pub unknown_assets: usize,
}

pub use crate::clock::ts;
