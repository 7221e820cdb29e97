//! `[dbt_cloud]`: where dbt Cloud's Admin API lives, which env vars hold its token and the
//! webhook's secret, how its environment ids map to Steward's environments, and how hard to retry.

use super::text::duration_ms_text;
use crate::error::InputError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// dbt Cloud's multi-tenant US host; regional and single-tenant accounts have their own.
pub const DEFAULT_DBT_CLOUD_URL: &str = "https://cloud.getdbt.com";

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DbtCloudConfig {
    /// The account's access URL, e.g. `https://cloud.getdbt.com` or `https://emea.dbt.com`.
    pub url: String,
    /// The dbt Cloud account id (the number after `/accounts/` in its URLs).
    pub account_id: u64,
    /// The environment variable holding an API token (service token with read access to runs).
    pub token_env: String,
    /// The environment variable holding the webhook's secret (shown once when it is created).
    pub webhook_secret_env: String,
    /// dbt Cloud environment id → Steward environment; others go to
    /// `[issues] default_environment`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub environments: BTreeMap<String, String>,
    /// Attempts per artifact request (429 and 5xx are retried).
    pub attempts: u32,
    /// The first wait between attempts, doubled each time (a 429's `Retry-After` wins).
    #[serde(with = "duration_ms_text")]
    pub backoff: Duration,
    /// The longest `Retry-After` honoured; a longer one gives up on the attempt.
    #[serde(with = "duration_ms_text")]
    pub max_wait: Duration,
}

impl Default for DbtCloudConfig {
    fn default() -> Self {
        DbtCloudConfig {
            url: DEFAULT_DBT_CLOUD_URL.to_owned(),
            account_id: 0,
            token_env: "DBT_CLOUD_TOKEN".to_owned(),
            webhook_secret_env: "DBT_CLOUD_WEBHOOK_SECRET".to_owned(),
            environments: BTreeMap::new(),
            attempts: 5,
            backoff: Duration::from_secs(1),
            max_wait: Duration::from_secs(120),
        }
    }
}

impl DbtCloudConfig {
    /// The Steward environment of a dbt Cloud environment id, if mapped.
    pub fn environment(&self, dbt_cloud_env: &str) -> Option<&str> {
        self.environments.get(dbt_cloud_env).map(String::as_str)
    }

    pub(super) fn validate(&self, origin: &str) -> Result<(), InputError> {
        let err = |msg: String| Err(InputError::new(origin, msg));
        if self.account_id == 0 {
            return err("dbt_cloud.account_id is required (the number after /accounts/ in dbt Cloud's URLs)".into());
        }
        let uri: Result<hyper::Uri, _> = self.url.trim_end_matches('/').parse();
        match uri {
            Ok(u) if matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some() => {}
            _ => {
                return err(format!(
                    "dbt_cloud.url {:?} is not an http(s):// URL",
                    self.url
                ));
            }
        }
        for (key, v) in [
            ("token_env", &self.token_env),
            ("webhook_secret_env", &self.webhook_secret_env),
        ] {
            if v.trim().is_empty() {
                return err(format!("dbt_cloud.{key} must name an environment variable"));
            }
        }
        if self.attempts == 0 {
            return err("dbt_cloud.attempts must be at least 1".into());
        }
        for (id, env) in &self.environments {
            if env.trim().is_empty() {
                return err(format!(
                    "dbt_cloud.environments.{id:?} must name an environment"
                ));
            }
        }
        Ok(())
    }
}
