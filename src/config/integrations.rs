//! `[[pagerduty]]`, `[[incidentio]]`, `[[opsgenie]]` and `[[webhooks]]`: the targets that hear of
//! issues and incidents through the deliveries outbox, their filters, and `[integrations]`
//! (retries). Secrets are never here: each target names the environment variable holding it.

use super::{SEVERITIES, text::duration_ms_text};
use crate::error::InputError;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The vendor a target speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    #[default]
    PagerDuty,
    IncidentIo,
    Opsgenie,
    Webhook,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::PagerDuty => "pagerduty",
            TargetKind::IncidentIo => "incidentio",
            TargetKind::Opsgenie => "opsgenie",
            TargetKind::Webhook => "webhook",
        }
    }

    pub fn parse(s: &str) -> Option<TargetKind> {
        [
            TargetKind::PagerDuty,
            TargetKind::IncidentIo,
            TargetKind::Opsgenie,
            TargetKind::Webhook,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// How people call it ("PagerDuty").
    pub fn display(self) -> &'static str {
        match self {
            TargetKind::PagerDuty => "PagerDuty",
            TargetKind::IncidentIo => "incident.io",
            TargetKind::Opsgenie => "Opsgenie",
            TargetKind::Webhook => "webhook",
        }
    }

    /// The public endpoint used when `url` is not set (webhooks have none).
    pub fn default_url(self) -> Option<&'static str> {
        match self {
            TargetKind::PagerDuty => Some("https://events.pagerduty.com/v2/enqueue"),
            TargetKind::IncidentIo => Some("https://api.incident.io"),
            TargetKind::Opsgenie => Some("https://api.opsgenie.com"),
            TargetKind::Webhook => None,
        }
    }

    /// Pagers wake people: they hear incidents unless told otherwise; webhooks hear everything.
    pub fn is_pager(self) -> bool {
        self != TargetKind::Webhook
    }
}

/// The webhook event types, in the order `docs/webhooks.md` lists them.
pub const WEBHOOK_EVENTS: [&str; 7] = [
    "issue.opened",
    "issue.updated",
    "issue.status_changed",
    "issue.resolved",
    "incident.declared",
    "incident.updated",
    "incident.resolved",
];

/// One target of any kind. The fields that only some kinds take are refused on the others.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    /// Unique among all targets; shown by `steward outbox` and on incidents.
    pub name: String,
    /// Overrides the public endpoint (proxies, EU regions, tests); required for webhooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `["alerts", "incidents"]`; pagers default to `["incidents"]`, webhooks to both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<Vec<String>>,
    /// Filters, each a list (empty: any). Environments of the issues.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// Issue severities (`error`, `warn`) and incident severities (`SEV1` … `SEV4`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<String>,
    /// Data products affected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product: Vec<String>,
    /// Tiers of the data products affected (1 most critical).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tier: Vec<u8>,
    /// Teams owning the products affected, or the failing assets' dbt groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub team: Vec<String>,
    /// PagerDuty: the variable holding the Events API v2 integration (routing) key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_key_env: Option<String>,
    /// incident.io: the bearer token's variable; Opsgenie: the API key's (`GenieKey`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_env: Option<String>,
    /// incident.io: the HTTP alert source's config id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_source_config_id: Option<String>,
    /// Webhooks: the variable holding the signing secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_env: Option<String>,
    /// Webhooks: the event types sent (empty: all of [`WEBHOOK_EVENTS`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
    /// Which table the entry came from (set while validating).
    #[serde(skip)]
    pub kind: TargetKind,
}

impl TargetConfig {
    /// Whether the target hears of issues (`alerts`) or incidents.
    pub fn hears(&self, what: &str) -> bool {
        match &self.on {
            Some(on) => on.iter().any(|o| o == what),
            None => what == "incidents" || !self.kind.is_pager(),
        }
    }

    /// Whether a webhook target sends `event` (pagers decide by action, not event name).
    pub fn sends_event(&self, event: &str) -> bool {
        self.events.is_empty() || self.events.iter().any(|e| e == event)
    }

    /// The endpoint: `url`, else the vendor's public one.
    pub fn endpoint(&self) -> &str {
        self.url
            .as_deref()
            .or(self.kind.default_url())
            .unwrap_or_default()
    }

    /// The environment variable holding this target's secret.
    pub fn secret_var(&self) -> Option<&str> {
        match self.kind {
            TargetKind::PagerDuty => self.routing_key_env.as_deref(),
            TargetKind::IncidentIo | TargetKind::Opsgenie => self.token_env.as_deref(),
            TargetKind::Webhook => self.secret_env.as_deref(),
        }
    }
}

/// `[integrations]`: how deliveries are retried.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct IntegrationsConfig {
    /// Attempts before a delivery is dead-lettered (`steward outbox retry` revives it).
    pub max_attempts: u32,
    /// The first retry's delay; each next one doubles, with jitter, up to `max_delay`.
    #[serde(with = "duration_ms_text")]
    pub retry_base: Duration,
    #[serde(with = "duration_ms_text")]
    pub max_delay: Duration,
    /// One request's deadline (a timeout is retried).
    #[serde(with = "duration_ms_text")]
    pub timeout: Duration,
    /// How often `serve` reads open follow-ups' ticket states back from Jira and Linear
    /// (`"off"`: only when `followup list` looks).
    #[serde(with = "super::text::period_or_off")]
    pub ticket_sync: Option<Duration>,
}

impl Default for IntegrationsConfig {
    fn default() -> Self {
        IntegrationsConfig {
            max_attempts: 8,
            retry_base: Duration::from_secs(2),
            max_delay: Duration::from_secs(15 * 60),
            timeout: Duration::from_secs(10),
            ticket_sync: Some(Duration::from_secs(15 * 60)),
        }
    }
}

impl IntegrationsConfig {
    pub fn is_default(&self) -> bool {
        *self == IntegrationsConfig::default()
    }
}

/// Every target of `[[pagerduty]]`, `[[incidentio]]`, `[[opsgenie]]` and `[[webhooks]]`, kinds
/// set, in that order.
pub fn all_targets(config: &super::Config) -> impl Iterator<Item = &TargetConfig> {
    config
        .pagerduty
        .iter()
        .chain(&config.incidentio)
        .chain(&config.opsgenie)
        .chain(&config.webhooks)
}

/// Sets each target's kind from the table it came from.
pub(super) fn set_kinds(config: &mut super::Config) {
    for (list, kind) in [
        (&mut config.pagerduty, TargetKind::PagerDuty),
        (&mut config.incidentio, TargetKind::IncidentIo),
        (&mut config.opsgenie, TargetKind::Opsgenie),
        (&mut config.webhooks, TargetKind::Webhook),
    ] {
        for t in list.iter_mut() {
            t.kind = kind;
        }
    }
}

fn table(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::PagerDuty => "[[pagerduty]]",
        TargetKind::IncidentIo => "[[incidentio]]",
        TargetKind::Opsgenie => "[[opsgenie]]",
        TargetKind::Webhook => "[[webhooks]]",
    }
}

pub(super) fn is_env_name(s: &str) -> bool {
    !s.is_empty()
        && !s.as_bytes()[0].is_ascii_digit()
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Names unique and well formed, each kind's required fields present and the others absent,
/// filters and events known.
pub(super) fn validate(config: &super::Config, origin: &str) -> Result<(), InputError> {
    let i = &config.integrations;
    if i.max_attempts == 0 {
        return Err(InputError::new(
            origin,
            "integrations.max_attempts must be at least 1",
        ));
    }
    if i.retry_base.is_zero() || i.timeout.is_zero() || i.max_delay < i.retry_base {
        return Err(InputError::new(
            origin,
            "integrations: retry_base and timeout must be above 0, and max_delay at least retry_base",
        ));
    }
    let mut seen: Vec<&str> = Vec::new();
    for t in all_targets(config) {
        let place = format!("{} {:?}", table(t.kind), t.name);
        let err = |msg: String| InputError::new(origin, format!("{place}: {msg}"));
        if t.name.is_empty()
            || !t
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(err(
                "name must be letters, digits, - or _ (and not empty)".into()
            ));
        }
        if seen.iter().any(|n| n.eq_ignore_ascii_case(&t.name)) {
            return Err(err("another target has this name".into()));
        }
        seen.push(&t.name);
        if let Some(u) = &t.url
            && !(u.starts_with("https://") || u.starts_with("http://"))
        {
            return Err(err(format!(
                "url {u:?} must start with https:// or http://"
            )));
        }
        for o in t.on.iter().flatten() {
            if o != "alerts" && o != "incidents" {
                return Err(err(format!(
                    "on {o:?}: use \"alerts\" and/or \"incidents\""
                )));
            }
        }
        for s in &t.severity {
            if !(SEVERITIES.contains(&s.as_str()) || s == "error" || s == "warn") {
                return Err(err(format!(
                    "severity {s:?}: use error, warn, SEV1, SEV2, SEV3 or SEV4"
                )));
            }
        }
        validate_fields(t).map_err(err)?;
    }
    Ok(())
}

/// Each kind's own fields: required ones present, others' refused.
fn validate_fields(t: &TargetConfig) -> Result<(), String> {
    let fields: [(&str, bool); 5] = [
        ("routing_key_env", t.routing_key_env.is_some()),
        ("token_env", t.token_env.is_some()),
        ("alert_source_config_id", t.alert_source_config_id.is_some()),
        ("secret_env", t.secret_env.is_some()),
        ("events", !t.events.is_empty()),
    ];
    let (required, allowed): (&[&str], &[&str]) = match t.kind {
        TargetKind::PagerDuty => (&["routing_key_env"], &["routing_key_env"]),
        TargetKind::IncidentIo => (
            &["token_env", "alert_source_config_id"],
            &["token_env", "alert_source_config_id"],
        ),
        TargetKind::Opsgenie => (&["token_env"], &["token_env"]),
        TargetKind::Webhook => (&["secret_env"], &["secret_env", "events"]),
    };
    for (field, set) in fields {
        if set && !allowed.contains(&field) {
            return Err(format!("{field} does not apply to {}", table(t.kind)));
        }
        if !set && required.contains(&field) {
            return Err(format!("{field} is required"));
        }
    }
    for var in [&t.routing_key_env, &t.token_env, &t.secret_env]
        .into_iter()
        .flatten()
    {
        if !is_env_name(var) {
            return Err(format!(
                "{var:?} is not an environment variable name (the secret itself never goes in steward.toml)"
            ));
        }
    }
    if t.kind == TargetKind::Webhook && t.url.is_none() {
        return Err("url is required".into());
    }
    if let Some(id) = &t.alert_source_config_id
        && (id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err(format!(
            "alert_source_config_id {id:?} must be letters and digits"
        ));
    }
    for e in &t.events {
        if !WEBHOOK_EVENTS.contains(&e.as_str()) {
            return Err(format!(
                "event {e:?}: use one of {}",
                WEBHOOK_EVENTS.join(", ")
            ));
        }
    }
    Ok(())
}

/// `[jira]`: Jira Cloud (REST v3), where `steward ticket jira` creates issues.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct JiraConfig {
    /// The site, e.g. `https://example.atlassian.net`.
    pub url: String,
    /// The variables holding the account's email and its API token (basic auth).
    pub email_env: String,
    pub token_env: String,
    /// The project key, e.g. `DATA`.
    pub project: String,
    /// Default `Task`.
    #[serde(default = "default_issue_type")]
    pub issue_type: String,
}

fn default_issue_type() -> String {
    "Task".to_owned()
}

/// `[jira]`: a URL, variable names, a project key.
pub(super) fn validate_jira(jira: &JiraConfig, origin: &str) -> Result<(), InputError> {
    let err = |m: String| Err(InputError::new(origin, format!("[jira]: {m}")));
    if !(jira.url.starts_with("https://") || jira.url.starts_with("http://")) {
        return err(format!(
            "url {:?} must start with https:// or http://",
            jira.url
        ));
    }
    for var in [&jira.email_env, &jira.token_env] {
        if !is_env_name(var) {
            return err(format!(
                "{var:?} is not an environment variable name (the secret itself never goes in steward.toml)"
            ));
        }
    }
    if jira.project.is_empty() || jira.issue_type.trim().is_empty() {
        return err("project and issue_type must not be empty".into());
    }
    Ok(())
}

/// `[linear]`: Linear (GraphQL `issueCreate`), where `steward ticket linear` creates issues.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LinearConfig {
    /// The team's id (a UUID).
    pub team_id: String,
    /// The variable holding the API key.
    pub token_env: String,
    /// Default `https://api.linear.app/graphql`.
    #[serde(default = "default_linear_url")]
    pub url: String,
}

fn default_linear_url() -> String {
    "https://api.linear.app/graphql".to_owned()
}

/// `[linear]`: a team id, a variable name, a URL.
pub(super) fn validate_linear(linear: &LinearConfig, origin: &str) -> Result<(), InputError> {
    let err = |m: String| Err(InputError::new(origin, format!("[linear]: {m}")));
    if !(linear.url.starts_with("https://") || linear.url.starts_with("http://")) {
        return err(format!(
            "url {:?} must start with https:// or http://",
            linear.url
        ));
    }
    if !is_env_name(&linear.token_env) {
        return err(format!(
            "{:?} is not an environment variable name (the secret itself never goes in steward.toml)",
            linear.token_env
        ));
    }
    if linear.team_id.trim().is_empty() {
        return err("team_id must not be empty".into());
    }
    Ok(())
}
