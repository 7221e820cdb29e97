//! `steward.toml`: where the database lives and how issues behave. Secrets never live here; they
//! come from the environment (`STEWARD_TOKEN`, `SLACK_BOT_TOKEN`, `SLACK_APP_TOKEN`).

pub mod access;
mod dbt_cloud;
pub mod integrations;
mod operate;
pub mod selector;
#[cfg(test)]
mod tests;
mod text;

use crate::error::InputError;
pub use access::{AccessConfig, AccessEntry};
pub use dbt_cloud::{DEFAULT_DBT_CLOUD_URL, DbtCloudConfig};
pub use integrations::{IntegrationsConfig, TargetConfig, TargetKind};
pub use operate::{ErrorBudget, ExpectConfig, Expected};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;
use text::{digest_text, duration_ms_text, duration_text, size_text};
pub use text::{
    format_duration, looks_like_channel_id, parse_duration, parse_size, parse_timezone,
    parse_weekday, weekday_name,
};

/// The incident severities, most severe first.
pub const SEVERITIES: [&str; 4] = ["SEV1", "SEV2", "SEV3", "SEV4"];

/// The slash command Steward registers unless `[slack] command` says otherwise.
pub const DEFAULT_SLASH_COMMAND: &str = "/steward";

/// Which product changes are announced (`[slack] product_updates`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProductUpdates {
    /// Every status change, degraded included.
    #[default]
    All,
    /// Only incidents starting or stopping to affect a product.
    Incidents,
    /// Nothing.
    Off,
}

impl ProductUpdates {
    pub fn parse(s: &str) -> Option<ProductUpdates> {
        match s.trim().to_ascii_lowercase().as_str() {
            "all" => Some(ProductUpdates::All),
            "incidents" => Some(ProductUpdates::Incidents),
            "off" | "none" => Some(ProductUpdates::Off),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// SQLite database file. `--db` / `STEWARD_DB` override it.
    pub database: PathBuf,
    pub issues: IssuesConfig,
    /// `[alerts]`: storms and the flood guard (how many Slack messages a bad night makes).
    #[serde(skip_serializing_if = "AlertsConfig::is_default")]
    pub alerts: AlertsConfig,
    pub http: HttpConfig,
    /// Slack channels and routing; absent means no Slack.
    pub slack: Option<SlackConfig>,
    /// `[[products]]`: data products (see [`crate::domain::products`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<ProductConfig>,
    /// `[incidents]`: the severity suggested when an incident is declared without one.
    #[serde(skip_serializing_if = "IncidentsConfig::is_default")]
    pub incidents: IncidentsConfig,
    /// `[digest]`: the weekly reliability digest (see [`crate::domain::digest`]); absent means none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<DigestConfig>,
    /// `[[teams]]`: how to reach each team an incident affects (see
    /// [`crate::domain::incidents::teams_to_contact`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<TeamConfig>,
    /// `[dbt_cloud]`: the `POST /v1/dbt-cloud` webhook and the Admin API it fetches from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dbt_cloud: Option<DbtCloudConfig>,
    /// `[[expect]]`: runs that must keep arriving (see [`crate::domain::expect`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expect: Vec<ExpectConfig>,
    /// `[integrations]`: retries of deliveries to the targets below.
    #[serde(skip_serializing_if = "IntegrationsConfig::is_default")]
    pub integrations: IntegrationsConfig,
    /// `[[pagerduty]]`, `[[incidentio]]`, `[[opsgenie]]`, `[[webhooks]]`: who hears of issues
    /// and incidents (see [`integrations`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pagerduty: Vec<TargetConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub incidentio: Vec<TargetConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub opsgenie: Vec<TargetConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<TargetConfig>,
    /// `[jira]`: where `steward ticket jira` creates issues; absent means none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jira: Option<integrations::JiraConfig>,
    /// `[linear]`: where `steward ticket linear` creates issues; absent means none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linear: Option<integrations::LinearConfig>,
    /// `[access]`: who may declare, resolve, mute, change severity or commander, merge or split
    /// (see [`crate::domain::access`]); absent means everyone.
    #[serde(skip_serializing_if = "AccessConfig::is_default")]
    pub access: AccessConfig,
}

/// `[[teams]]`: a team (a data product's `team`, a dbt group, or an owner) and how to reach it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TeamConfig {
    pub name: String,
    /// A Slack user group id (`S0123ABC`), mentioned as `<!subteam^S0123ABC>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack_group: Option<String>,
    /// The team's channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Failing-check hours the team may spend per window, e.g. "40h/30d" (see
    /// [`crate::domain::metrics::budgets`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_budget: Option<ErrorBudget>,
}

/// `[incidents]`: `default_severity` and `[[incidents.severity_rules]]`, first match wins.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct IncidentsConfig {
    /// The severity when no rule matches.
    pub default_severity: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub severity_rules: Vec<SeverityRule>,
}

impl Default for IncidentsConfig {
    fn default() -> Self {
        IncidentsConfig {
            default_severity: "SEV3".to_owned(),
            severity_rules: Vec::new(),
        }
    }
}

impl IncidentsConfig {
    fn is_default(&self) -> bool {
        *self == IncidentsConfig::default()
    }
}

/// One severity rule: `severity` and exactly one condition.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeverityRule {
    pub severity: String,
    /// A data product of this tier or lower (more critical) is affected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<u8>,
    /// This data product is affected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_product: Option<String>,
    /// An impacted exposure has this type (`dashboard`, `ml`, `application`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure_type: Option<String>,
    /// The line of `severity` in the file (0 when not read from a file).
    #[serde(skip)]
    pub line: usize,
}

/// `[[products]]`: a data product, the team that owns it and the dbt nodes it is made of.
/// A product named like a `meta.data_product` value in the manifest also gets the nodes
/// carrying it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProductConfig {
    pub name: String,
    /// The owning team.
    pub team: String,
    /// Where the product's status changes go: a channel ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// 1 is the most critical.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<u8>,
    /// The uptime target, a percentage such as "99.5%".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<String>,
    /// The window the SLA is measured over.
    #[serde(default = "default_sla_window", with = "duration_text")]
    pub window: Duration,
    /// dbt-style selectors, unioned: `tag:x`, `path:x`, `group:x`, `exposure:x`, `fqn:a.b`,
    /// `+model`, `model+`, a name or a unique_id.
    #[serde(default)]
    pub select: Vec<String>,
    /// The line of `name` in the file (0 when not read from a file).
    #[serde(skip)]
    pub line: usize,
    /// The line of each entry of `select`.
    #[serde(skip)]
    pub select_lines: Vec<usize>,
}

impl ProductConfig {
    /// The SLA target as a fraction (99.5% → 0.995); None when unset or invalid.
    pub fn sla_target(&self) -> Option<f64> {
        self.sla.as_deref().and_then(parse_percent)
    }

    /// The line of `select[i]`, else the product's.
    pub fn select_line(&self, i: usize) -> usize {
        self.select_lines.get(i).copied().unwrap_or(self.line)
    }
}

fn default_sla_window() -> Duration {
    Duration::from_secs(30 * 86_400)
}

/// `"99.5%"` → 0.995. The percent sign is required, so 0.995 is never mistaken for 0.995%.
pub fn parse_percent(s: &str) -> Option<f64> {
    let n: f64 = s.trim().strip_suffix('%')?.trim().parse().ok()?;
    (n > 0.0 && n <= 100.0).then_some(n / 100.0)
}

/// `[slack]`: where alerts and incidents go. `alerts_channel` and `incidents_channel` alone are
/// a valid table. Channels are given by ID (`C…`/`G…`), never by name.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    /// The default route for alerts.
    pub alerts_channel: String,
    /// Where incident messages live.
    pub incidents_channel: String,
    /// The slash command's name, as configured in the Slack app.
    #[serde(default = "default_command")]
    pub command: String,
    /// Minimum time between two posts to the same channel (Slack allows about 1/s).
    #[serde(default = "default_post_interval", with = "duration_ms_text")]
    pub post_interval: Duration,
    /// Posts a channel may send at once before pacing applies.
    #[serde(default = "default_burst")]
    pub burst: u32,
    /// Routing rules, first match wins; `meta.steward.channel` in dbt beats them all.
    #[serde(default)]
    pub routes: Vec<Route>,
    /// Where the team's dbt docs site lives, for a link to the failing node in each alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs_url: Option<String>,
    /// What data products' channels are told: `all` status changes (default), only
    /// `incidents` starting and ending, or `off`.
    #[serde(default)]
    pub product_updates: ProductUpdates,
}

/// One routing rule: every condition given must match.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub channel: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_product: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
}

fn default_command() -> String {
    DEFAULT_SLASH_COMMAND.to_owned()
}

fn default_post_interval() -> Duration {
    Duration::from_secs(1)
}

fn default_burst() -> u32 {
    3
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct IssuesConfig {
    /// A failure this soon after an issue resolved reopens it instead of opening a new one.
    #[serde(with = "duration_text")]
    pub reopen_window: Duration,
    /// Consecutive passes that resolve an issue as `recovered`.
    pub recover_after_passes: u32,
    /// Observations older than this are pruned.
    #[serde(with = "duration_text")]
    pub retention: Duration,
    /// Environments that raise issues; empty means all.
    pub environments: Vec<String>,
    /// The environment of an ingest that names none and has no dbt target.
    pub default_environment: String,
}

/// `[alerts]`: root issues that share a cause become one message (a storm), and one ingest
/// posts at most `flood_max` top-level messages to a channel (a summary stands for the rest).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// Fold roots that share a cause into storms.
    pub storm: bool,
    /// The fewest roots that make a storm.
    pub storm_min: usize,
    /// Roots failing this close together (across ingests of one environment) can share a storm.
    #[serde(with = "duration_text")]
    pub storm_window: Duration,
    /// Top-level messages one ingest may post to a channel before a summary replaces them.
    pub flood_max: usize,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            storm: true,
            storm_min: 3,
            storm_window: Duration::from_secs(600),
            flood_max: 20,
        }
    }
}

impl AlertsConfig {
    fn is_default(&self) -> bool {
        *self == AlertsConfig::default()
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    pub listen: String,
    /// Largest accepted request body, after decompression, e.g. "128MiB".
    #[serde(with = "size_text")]
    pub body_limit: u64,
    /// How long a client has to send a request's headers, from the first byte or from the end
    /// of the previous response (so it is the idle keep-alive timeout too), e.g. "10s".
    #[serde(with = "duration_ms_text")]
    pub header_timeout: Duration,
    /// How long a client has to send a request's whole body, e.g. "60s".
    #[serde(with = "duration_ms_text")]
    pub body_timeout: Duration,
    /// Open connections at most; the next one is answered 503 and closed.
    pub max_connections: usize,
    /// Bodies over 1 MiB read and processed at once, at most; each may hold up to `body_limit`
    /// in memory, so peak memory stays near `body_limit` times this.
    pub max_large_bodies: usize,
    /// Where people reach this server, e.g. `https://steward.example.com`: Slack messages, the
    /// Home tab and the digest link to its pages when set.
    pub public_url: Option<String>,
    /// Serve incident, issue and product pages without a signed link (behind a VPN).
    pub public_pages: bool,
    /// Serve `GET /metrics` without the bearer token.
    pub public_metrics: bool,
    /// The environment variable holding the secret that signs page links.
    pub pages_secret_env: String,
    /// How long a signed page link stays valid, e.g. "30d".
    #[serde(with = "duration_ms_text")]
    pub link_ttl: Duration,
    /// The name pushes with `STEWARD_TOKEN` are recorded under.
    pub token_name: String,
    /// More tokens, each with its own name (Airflow's, CI's, dbt Cloud's jobs…).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<operate::HttpTokenConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database: PathBuf::from("steward.db"),
            issues: IssuesConfig::default(),
            alerts: AlertsConfig::default(),
            http: HttpConfig::default(),
            slack: None,
            products: Vec::new(),
            incidents: IncidentsConfig::default(),
            digest: None,
            teams: Vec::new(),
            dbt_cloud: None,
            expect: Vec::new(),
            integrations: IntegrationsConfig::default(),
            pagerduty: Vec::new(),
            incidentio: Vec::new(),
            opsgenie: Vec::new(),
            webhooks: Vec::new(),
            jira: None,
            linear: None,
            access: AccessConfig::default(),
        }
    }
}

impl Default for IssuesConfig {
    fn default() -> Self {
        IssuesConfig {
            reopen_window: Duration::from_secs(24 * 3600),
            recover_after_passes: 1,
            retention: Duration::from_secs(90 * 86_400),
            environments: Vec::new(),
            default_environment: "default".to_owned(),
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: "127.0.0.1:8080".to_owned(),
            body_limit: 128 * 1024 * 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(60),
            max_connections: 256,
            max_large_bodies: 2,
            public_url: None,
            public_pages: false,
            public_metrics: false,
            pages_secret_env: "STEWARD_PAGES_SECRET".to_owned(),
            link_ttl: Duration::from_secs(30 * 86_400),
            token_name: "api".to_owned(),
            tokens: Vec::new(),
        }
    }
}

impl IssuesConfig {
    pub fn raises_issues(&self, env: &str) -> bool {
        self.environments.is_empty() || self.environments.iter().any(|e| e == env)
    }
}

impl Config {
    /// Parses and validates config text; errors name the file and line.
    pub fn parse(origin: &str, text: &str) -> Result<Config, InputError> {
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let location = e
                .span()
                .map(|s| {
                    let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                    format!("line {line}")
                })
                .unwrap_or_default();
            InputError::new(origin, e.message().to_owned()).at(location)
        })?;
        if !config.products.is_empty() {
            note_product_lines(text, &mut config.products);
        }
        if !config.incidents.severity_rules.is_empty() {
            note_rule_lines(text, &mut config.incidents.severity_rules);
        }
        integrations::set_kinds(&mut config);
        config.validate(origin)?;
        Ok(config)
    }

    /// Loads `path`; when `path` is None, `./steward.toml` if it exists, else the defaults.
    pub fn load(path: Option<&Path>) -> Result<Config, InputError> {
        let (path, required) = match path {
            Some(p) => (p.to_owned(), true),
            None => (PathBuf::from("steward.toml"), false),
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Config::parse(&path.display().to_string(), &text),
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
                Ok(Config::default())
            }
            Err(e) => Err(InputError::new(
                path.display().to_string(),
                format!("cannot read: {e}"),
            )),
        }
    }

    fn validate(&self, origin: &str) -> Result<(), InputError> {
        if self.issues.recover_after_passes == 0 {
            return Err(InputError::new(
                origin,
                "issues.recover_after_passes must be at least 1",
            ));
        }
        if self.alerts.storm_min < 2 {
            return Err(InputError::new(
                origin,
                "alerts.storm_min must be at least 2 (one root is not a storm)",
            ));
        }
        if self.alerts.flood_max == 0 {
            return Err(InputError::new(
                origin,
                "alerts.flood_max must be at least 1",
            ));
        }
        if self.http.body_limit < 1024 {
            return Err(InputError::new(
                origin,
                "http.body_limit must be at least 1KiB",
            ));
        }
        operate::validate_http_tokens(&self.http.token_name, &self.http.tokens, origin)?;
        for (key, d) in [
            ("header_timeout", self.http.header_timeout),
            ("body_timeout", self.http.body_timeout),
        ] {
            if d < Duration::from_millis(100) {
                return Err(InputError::new(
                    origin,
                    format!("http.{key} must be at least 100ms"),
                ));
            }
        }
        for (key, n) in [
            ("max_connections", self.http.max_connections),
            ("max_large_bodies", self.http.max_large_bodies),
        ] {
            if n == 0 {
                return Err(InputError::new(
                    origin,
                    format!("http.{key} must be at least 1"),
                ));
            }
        }
        if let Some(slack) = &self.slack {
            for (key, id) in [
                ("alerts_channel", &slack.alerts_channel),
                ("incidents_channel", &slack.incidents_channel),
            ]
            .into_iter()
            .chain(slack.routes.iter().map(|r| ("routes.channel", &r.channel)))
            {
                if !looks_like_channel_id(id) {
                    return Err(InputError::new(
                        origin,
                        format!(
                            "slack.{key} {id:?} is not a channel ID (like C0123ABCD); names change, IDs do not"
                        ),
                    ));
                }
            }
            if !slack.command.starts_with('/') {
                return Err(InputError::new(
                    origin,
                    format!("slack.command {:?} must start with /", slack.command),
                ));
            }
        }
        if self.issues.default_environment.trim().is_empty() {
            return Err(InputError::new(
                origin,
                "issues.default_environment must not be empty",
            ));
        }
        if let Some(dbt_cloud) = &self.dbt_cloud {
            dbt_cloud.validate(origin)?;
        }
        for (i, e) in self.expect.iter().enumerate() {
            e.validate(origin, i)?;
        }
        self.validate_products(origin)?;
        self.validate_incidents(origin)?;
        self.access.validate(origin)?;
        integrations::validate(self, origin)?;
        if let Some(j) = &self.jira {
            integrations::validate_jira(j, origin)?;
        }
        match &self.linear {
            Some(l) => integrations::validate_linear(l, origin),
            None => Ok(()),
        }
    }

    /// `[incidents]`: known severities and exactly one condition per rule.
    fn validate_incidents(&self, origin: &str) -> Result<(), InputError> {
        let known = |s: &str| SEVERITIES.contains(&s);
        let inc = &self.incidents;
        if !known(&inc.default_severity) {
            return Err(InputError::new(
                origin,
                format!(
                    "incidents.default_severity {:?} must be SEV1, SEV2, SEV3 or SEV4",
                    inc.default_severity
                ),
            ));
        }
        for r in &inc.severity_rules {
            let err = |msg: String| {
                let e = InputError::new(origin, msg);
                if r.line > 0 {
                    e.at(format!("line {}", r.line))
                } else {
                    e
                }
            };
            if !known(&r.severity) {
                return Err(err(format!(
                    "incidents.severity_rules: severity {:?} must be SEV1, SEV2, SEV3 or SEV4",
                    r.severity
                )));
            }
            let conditions = usize::from(r.tier.is_some())
                + usize::from(r.data_product.is_some())
                + usize::from(r.exposure_type.is_some());
            if conditions != 1 {
                return Err(err(
                    "incidents.severity_rules: give exactly one of tier, data_product or exposure_type"
                        .to_owned(),
                ));
            }
            if r.tier == Some(0) {
                return Err(err(
                    "incidents.severity_rules: tier must be at least 1 (1 is the most critical)"
                        .to_owned(),
                ));
            }
        }
        Ok(())
    }

    /// Static checks of `[[products]]`: names, channels, SLA, tiers and selector syntax.
    /// Whether selectors match anything needs a lineage: see [`crate::domain::products::check_config`].
    fn validate_products(&self, origin: &str) -> Result<(), InputError> {
        let at = |line: usize| {
            if line > 0 {
                format!("line {line}")
            } else {
                String::new()
            }
        };
        let mut seen: Vec<(&str, usize)> = Vec::new();
        for p in &self.products {
            let err = |msg: String| InputError::new(origin, msg).at(at(p.line));
            if p.name.trim().is_empty() {
                return Err(err("products.name must not be empty".into()));
            }
            if let Some((_, first)) = seen.iter().find(|(n, _)| n.eq_ignore_ascii_case(&p.name)) {
                let first = if *first > 0 {
                    format!(" (first defined on line {first})")
                } else {
                    String::new()
                };
                return Err(err(format!("duplicate product name {:?}{first}", p.name)));
            }
            seen.push((&p.name, p.line));
            if let Some(c) = &p.channel
                && !looks_like_channel_id(c)
            {
                return Err(err(format!(
                    "product {:?}: channel {c:?} is not a channel ID (like C0123ABCD)",
                    p.name
                )));
            }
            if p.tier == Some(0) {
                return Err(err(format!(
                    "product {:?}: tier must be at least 1 (1 is the most critical)",
                    p.name
                )));
            }
            if let Some(sla) = &p.sla
                && parse_percent(sla).is_none()
            {
                return Err(err(format!(
                    "product {:?}: sla {sla:?} is not a percentage like \"99.5%\"",
                    p.name
                )));
            }
            if p.window.is_zero() {
                return Err(err(format!(
                    "product {:?}: window must be longer than 0",
                    p.name
                )));
            }
            for (i, sel) in p.select.iter().enumerate() {
                if let Err(e) = selector::parse_selector(sel) {
                    return Err(
                        InputError::new(origin, format!("product {:?}: {e}", p.name))
                            .at(at(p.select_line(i))),
                    );
                }
            }
        }
        Ok(())
    }
}

/// Records the line of each product's `name` and `select` entries, read from the spans of a
/// second, lenient parse of the same text.
fn note_product_lines(text: &str, products: &mut [ProductConfig]) {
    #[derive(Deserialize)]
    struct Doc {
        #[serde(default)]
        products: Vec<Spans>,
    }
    #[derive(Deserialize)]
    struct Spans {
        name: toml::Spanned<String>,
        #[serde(default)]
        select: Vec<toml::Spanned<String>>,
    }
    let Ok(doc) = toml::from_str::<Doc>(text) else {
        return;
    };
    let line = |at: usize| text[..at.min(text.len())].matches('\n').count() + 1;
    for (p, spans) in products.iter_mut().zip(doc.products) {
        p.line = line(spans.name.span().start);
        p.select_lines = spans.select.iter().map(|s| line(s.span().start)).collect();
    }
}

/// Records the line of each severity rule's `severity`, from a lenient second parse.
fn note_rule_lines(text: &str, rules: &mut [SeverityRule]) {
    #[derive(Deserialize)]
    struct Doc {
        #[serde(default)]
        incidents: Option<Incidents>,
    }
    #[derive(Deserialize)]
    struct Incidents {
        #[serde(default)]
        severity_rules: Vec<Spans>,
    }
    #[derive(Deserialize)]
    struct Spans {
        severity: toml::Spanned<String>,
    }
    let Ok(Doc {
        incidents: Some(inc),
    }) = toml::from_str::<Doc>(text)
    else {
        return;
    };
    let line = |at: usize| text[..at.min(text.len())].matches('\n').count() + 1;
    for (r, spans) in rules.iter_mut().zip(inc.severity_rules) {
        r.line = line(spans.severity.span().start);
    }
}

/// `[digest]`: where and when the weekly digest is posted. Invalid values are refused while
/// parsing, so their errors name the line.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DigestConfig {
    /// A channel ID (`C…`).
    #[serde(deserialize_with = "digest_text::channel")]
    pub channel: String,
    /// `monday` … `sunday` (any case, or `mon` … `sun`); default monday.
    #[serde(default = "default_digest_day", with = "digest_text::day")]
    pub day: chrono::Weekday,
    /// The local hour, 0–23; default 9.
    #[serde(
        default = "default_digest_hour",
        deserialize_with = "digest_text::hour"
    )]
    pub hour: u32,
    /// An IANA time zone such as `Europe/Paris`; default `UTC`.
    #[serde(default = "default_digest_timezone", with = "digest_text::timezone")]
    pub timezone: chrono_tz::Tz,
}

fn default_digest_day() -> chrono::Weekday {
    chrono::Weekday::Mon
}

fn default_digest_hour() -> u32 {
    9
}

fn default_digest_timezone() -> chrono_tz::Tz {
    chrono_tz::UTC
}
