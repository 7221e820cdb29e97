//! Settings for operating Steward itself: `[[expect]]` (the dead man's switch), a team's
//! `error_budget` ("40h/30d") and the HTTP API's named tokens (`[[http.tokens]]`).

use super::parse_duration;
use super::text::duration_text;
use crate::error::InputError;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[[expect]]`: a run of a dbt project (`project`), or of an OpenLineage job (`source` = the
/// job's namespace, e.g. `airflow`, and `job`), must arrive in `env` at least `every`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExpectConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// Default: `[issues] default_environment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    #[serde(with = "duration_text")]
    pub every: Duration,
}

/// What an `[[expect]]` watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected<'a> {
    Project(&'a str),
    Job { source: &'a str, job: &'a str },
}

impl ExpectConfig {
    pub fn expected(&self) -> Option<Expected<'_>> {
        match (&self.project, &self.source, &self.job) {
            (Some(p), None, None) => Some(Expected::Project(p)),
            (None, Some(source), Some(job)) => Some(Expected::Job { source, job }),
            _ => None,
        }
    }

    pub(super) fn validate(&self, origin: &str, i: usize) -> Result<(), InputError> {
        let at = |m: &str| InputError::new(origin, format!("expect[{i}]: {m}"));
        if self.expected().is_none() {
            return Err(at(
                "name a dbt `project`, or an OpenLineage `source` (the job's namespace) and `job`",
            ));
        }
        if self.every < Duration::from_secs(60) {
            return Err(at("`every` must be at least 1m"));
        }
        if self.env.as_deref().is_some_and(|e| e.trim().is_empty()) {
            return Err(at("`env` must not be empty"));
        }
        Ok(())
    }
}

/// A team's error budget: `hours` of failing checks per `window` ("40h/30d").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorBudget {
    pub allowed: Duration,
    pub window: Duration,
}

impl ErrorBudget {
    pub fn parse(text: &str) -> Option<ErrorBudget> {
        let (allowed, window) = text.split_once('/')?;
        let (allowed, window) = (parse_duration(allowed)?, parse_duration(window)?);
        (!allowed.is_zero() && !window.is_zero() && allowed <= window * 10_000)
            .then_some(ErrorBudget { allowed, window })
    }
}

impl std::fmt::Display for ErrorBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}",
            super::format_duration(self.allowed),
            super::format_duration(self.window)
        )
    }
}

impl Serialize for ErrorBudget {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ErrorBudget {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        ErrorBudget::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "invalid error budget {text:?}: failing hours per window, e.g. \"40h/30d\""
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_parse_and_print() {
        let b = ErrorBudget::parse("40h/30d").unwrap();
        assert_eq!(b.allowed, Duration::from_secs(40 * 3600));
        assert_eq!(b.window, Duration::from_secs(30 * 86_400));
        assert_eq!(b.to_string(), "40h/30d");
        for bad in ["40h", "0h/30d", "40h/0d", "x/30d", "40h/"] {
            assert!(ErrorBudget::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn an_expectation_names_a_project_or_a_job() {
        let toml = |t: &str| toml::from_str::<ExpectConfig>(t).unwrap();
        let e = toml("project = \"analytics\"\nenv = \"prod\"\nevery = \"24h\"");
        assert_eq!(e.expected(), Some(Expected::Project("analytics")));
        assert!(e.validate("steward.toml", 0).is_ok());
        let j = toml("source = \"airflow\"\njob = \"load.orders\"\nevery = \"1h\"");
        assert_eq!(
            j.expected(),
            Some(Expected::Job {
                source: "airflow",
                job: "load.orders"
            })
        );
        let both = toml("project = \"a\"\nsource = \"airflow\"\nevery = \"1h\"");
        let err = both.validate("steward.toml", 2).unwrap_err().to_string();
        assert!(err.contains("expect[2]"), "{err}");
        let short = toml("project = \"a\"\nevery = \"10s\"");
        assert!(short.validate("steward.toml", 0).is_err());
    }
}

/// `[[http.tokens]]`: one more bearer token for the HTTP API, with the name its pushes are
/// recorded under (`STEWARD_TOKEN` is recorded as `[http] token_name`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HttpTokenConfig {
    pub name: String,
    /// The environment variable holding the token.
    pub token_env: String,
}

/// Token names unique and well formed (`[http] token_name` included), each variable a valid
/// environment variable name.
pub(super) fn validate_http_tokens(
    token_name: &str,
    tokens: &[HttpTokenConfig],
    origin: &str,
) -> Result<(), InputError> {
    let well_formed = |n: &str| {
        !n.is_empty()
            && n.len() <= 64
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    };
    if !well_formed(token_name) {
        return Err(InputError::new(
            origin,
            format!("http.token_name {token_name:?} must be 1-64 letters, digits, '-', '_' or '.'"),
        ));
    }
    let mut seen = vec![token_name];
    for (i, t) in tokens.iter().enumerate() {
        let at = format!("http.tokens[{i}]");
        if !well_formed(&t.name) {
            return Err(InputError::new(
                origin,
                format!(
                    "{at}: name {:?} must be 1-64 letters, digits, '-', '_' or '.'",
                    t.name
                ),
            ));
        }
        if seen.contains(&t.name.as_str()) {
            return Err(InputError::new(
                origin,
                format!(
                    "{at}: the name {:?} is used twice (token_name included)",
                    t.name
                ),
            ));
        }
        seen.push(&t.name);
        if !super::integrations::is_env_name(&t.token_env) || t.token_env == "STEWARD_TOKEN" {
            return Err(InputError::new(
                origin,
                format!(
                    "{at}: token_env {:?} must be an environment variable name other than STEWARD_TOKEN",
                    t.token_env
                ),
            ));
        }
    }
    Ok(())
}
