//! `[access]`: who may do each guarded action (declare, resolve issues, resolve incidents, mute,
//! change severity or commander, merge or split), as lists of Slack user IDs, user-group IDs and
//! `@handles`. An absent action is open to everyone; the rules themselves live in
//! [`crate::domain::access`].

use super::text::duration_text;
use crate::error::InputError;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[access]`, as written. Each list names who may take that action; absent = everyone.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AccessConfig {
    /// Declare an incident (the alert's Declare, `/steward declare`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declare: Option<Vec<String>>,
    /// Resolve issues (fixed, expected, false positive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolve_issues: Option<Vec<String>>,
    /// Resolve incidents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolve_incidents: Option<Vec<String>>,
    /// Mute or unmute alerts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mute: Option<Vec<String>>,
    /// Change an incident's severity or commander.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity_commander: Option<Vec<String>>,
    /// Merge or split incidents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merge_split: Option<Vec<String>>,
    /// How often the Slack bot re-reads the members of the user groups named here.
    #[serde(with = "duration_text")]
    pub refresh: Duration,
}

/// The default refresh of user-group members.
pub const DEFAULT_ACCESS_REFRESH: Duration = Duration::from_secs(600);

impl Default for AccessConfig {
    fn default() -> Self {
        AccessConfig {
            declare: None,
            resolve_issues: None,
            resolve_incidents: None,
            mute: None,
            severity_commander: None,
            merge_split: None,
            refresh: DEFAULT_ACCESS_REFRESH,
        }
    }
}

/// One name in an `[access]` list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AccessEntry {
    /// A Slack user ID: `U0123ABCD` (or `W…` on Enterprise Grid).
    User(String),
    /// A user group's ID: `S0123ABCD`.
    Group(String),
    /// A user group's handle, without the `@`, lowercased: `data-oncall`.
    Handle(String),
}

impl AccessEntry {
    /// Reads one entry as written; None when it is none of the three.
    pub fn parse(text: &str) -> Option<AccessEntry> {
        let t = text.trim();
        if let Some(handle) = t.strip_prefix('@') {
            let ok = !handle.is_empty()
                && handle.len() <= 80
                && handle
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            return ok.then(|| AccessEntry::Handle(handle.to_ascii_lowercase()));
        }
        let id_like = t.len() >= 2
            && t.len() <= 30
            && t.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        match t.chars().next() {
            Some('U' | 'W') if id_like => Some(AccessEntry::User(t.to_owned())),
            Some('S') if id_like => Some(AccessEntry::Group(t.to_owned())),
            _ => None,
        }
    }

    /// As written in the config (`U0123`, `S0123`, `@data-oncall`).
    pub fn shown(&self) -> String {
        match self {
            AccessEntry::User(id) | AccessEntry::Group(id) => id.clone(),
            AccessEntry::Handle(h) => format!("@{h}"),
        }
    }
}

impl AccessConfig {
    pub fn is_default(&self) -> bool {
        *self == AccessConfig::default()
    }

    /// Every action's key and list, in the order of the config's documentation.
    pub fn lists(&self) -> [(&'static str, Option<&Vec<String>>); 6] {
        [
            ("declare", self.declare.as_ref()),
            ("resolve_issues", self.resolve_issues.as_ref()),
            ("resolve_incidents", self.resolve_incidents.as_ref()),
            ("mute", self.mute.as_ref()),
            ("severity_commander", self.severity_commander.as_ref()),
            ("merge_split", self.merge_split.as_ref()),
        ]
    }

    /// Every user group named in any list (IDs and handles), once each, in order.
    pub fn groups(&self) -> Vec<AccessEntry> {
        let mut out: Vec<AccessEntry> = Vec::new();
        for (_, list) in self.lists() {
            for e in list
                .into_iter()
                .flatten()
                .filter_map(|e| AccessEntry::parse(e))
            {
                if !matches!(e, AccessEntry::User(_)) && !out.contains(&e) {
                    out.push(e);
                }
            }
        }
        out
    }

    /// Each entry must be a user ID, a user-group ID or a `@handle`; one line naming the key.
    pub(super) fn validate(&self, origin: &str) -> Result<(), InputError> {
        for (key, list) in self.lists() {
            for entry in list.into_iter().flatten() {
                if AccessEntry::parse(entry).is_none() {
                    return Err(InputError::new(
                        origin,
                        format!(
                            "access.{key}: {} is not a Slack user ID (U…), a user group ID (S…) or a @handle",
                            crate::error::quoted(entry)
                        ),
                    ));
                }
            }
        }
        if self.refresh < Duration::from_secs(60) {
            return Err(InputError::new(
                origin,
                "access.refresh must be at least 1m (usergroups.users.list is rate-limited)",
            ));
        }
        Ok(())
    }
}
