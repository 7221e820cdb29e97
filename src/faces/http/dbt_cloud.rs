//! `POST /v1/dbt-cloud`: dbt Cloud's job-run webhook. No bearer token: dbt Cloud signs each
//! delivery instead — the `Authorization` header is the hex HMAC-SHA256 of the raw body, keyed
//! with the webhook's secret (`[dbt_cloud] webhook_secret_env`), checked in constant time. A
//! missing or wrong signature is 401 and nothing is written.
//!
//! A finished run (`job.run.completed`, `job.run.errored`) is answered 202 at once and its
//! artifacts are fetched from the Admin API ([`admin`]) and ingested on a background task: dbt
//! Cloud gives a webhook 10 s, and fetching a large manifest (with retries on 429) can take
//! longer. Other events are answered 200 and ignored. A run without `run_results.json` or
//! `manifest.json` becomes an issue on `dbt_cloud.job.<job id>` (check `no_artifacts`).

pub mod admin;

use crate::app::App;
use crate::app::ingest::{DbtArtifacts, Input, JobRun, Pusher};
use crate::config::{Config, DbtCloudConfig};
use crate::error::InputError;
use crate::faces::http::Secret;
use admin::{AdminApi, Fetched};
use anyhow::Result;
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::Arc;

/// The asset a dbt Cloud job's own failures are on.
pub fn job_asset(job_id: &str) -> String {
    format!("dbt_cloud.job.{job_id}")
}

/// The check a run without artifacts fails.
pub const NO_ARTIFACTS: &str = "no_artifacts";

/// The webhook's settings and the Admin API, ready to serve.
pub struct DbtCloud {
    config: DbtCloudConfig,
    secret: Option<Secret>,
    api: Option<AdminApi>,
}

impl DbtCloud {
    /// From `[dbt_cloud]` and the environment variables it names; None without the table.
    /// A missing variable is logged (by name) and the route refuses deliveries until it is set.
    pub fn from_env(config: &Config) -> Result<Option<DbtCloud>> {
        let Some(dbt) = &config.dbt_cloud else {
            return Ok(None);
        };
        let read = |name: &str| {
            let v = std::env::var(name)
                .ok()
                .filter(|s| !s.trim().is_empty())
                .map(Secret::new);
            if v.is_none() {
                tracing::warn!(
                    env = name,
                    "[dbt_cloud] names this environment variable, which is not set: POST /v1/dbt-cloud refuses deliveries"
                );
            }
            v
        };
        let secret = read(&dbt.webhook_secret_env);
        let api = match read(&dbt.token_env) {
            Some(token) => Some(AdminApi::new(dbt, token, config.http.body_limit)?),
            None => None,
        };
        Ok(Some(DbtCloud {
            config: dbt.clone(),
            secret,
            api,
        }))
    }

    /// Checks the signature, reads the event and, for a finished run, queues its ingest.
    /// Returns the status and the JSON answer.
    pub async fn deliver(
        self: &Arc<Self>,
        app: &App,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<(u16, Value)> {
        let origin = "POST /v1/dbt-cloud";
        let (Some(secret), Some(_)) = (&self.secret, &self.api) else {
            return Ok((
                503,
                json!({"error": format!(
                    "dbt Cloud is not set up on this server: set {} and {} ([dbt_cloud] webhook_secret_env, token_env)",
                    self.config.webhook_secret_env, self.config.token_env
                )}),
            ));
        };
        if !signature_matches(secret, signature, body) {
            return Ok((
                401,
                json!({"error": "missing or wrong signature: the Authorization header must be the hex HMAC-SHA256 of the body, keyed with the webhook's secret"}),
            ));
        }
        let event: Event = serde_json::from_slice(body)
            .map_err(|e| InputError::from_json::<Event>(origin, body, e))?;
        if !matches!(
            event.event_type.as_str(),
            "job.run.completed" | "job.run.errored"
        ) {
            return Ok((
                200,
                json!({"ignored": true, "reason": format!("event {} is not a finished run", crate::error::quoted(&event.event_type))}),
            ));
        }
        if let Some(account) = event.account_id.as_ref().map(id_text)
            && account != self.config.account_id.to_string()
        {
            return Err(InputError::new(
                origin,
                format!(
                    "the webhook is from account {account}, but [dbt_cloud] account_id is {}",
                    self.config.account_id
                ),
            )
            .into());
        }
        let run = Run::from_event(&self.config, &app.config, &event.data)?;
        let answer = json!({
            "accepted": true,
            "event": event.event_type,
            "run_id": run.run_id,
            "job_id": run.job_id,
            "env": run.env,
            "run_url": run.url,
        });
        let (this, app) = (self.clone(), app.clone());
        tokio::spawn(async move {
            let run_id = run.run_id.clone();
            if let Err(e) = this.ingest(&app, run).await {
                tracing::error!(
                    run_id,
                    error = format!("{e:#}"),
                    "dbt Cloud run not ingested"
                );
            }
        });
        Ok((202, answer))
    }

    /// Fetches the run's artifacts and ingests them; a run without them becomes an issue.
    async fn ingest(&self, app: &App, run: Run) -> Result<()> {
        let api = self.api.as_ref().expect("checked in deliver");
        let mut missing = Vec::new();
        let fetch = |name: &'static str| {
            let run_id = run.run_id.clone();
            async move {
                match api.artifact(&run_id, name).await {
                    Ok(Fetched::Found(bytes)) => Ok(Some(bytes)),
                    Ok(Fetched::Missing) => Ok(None),
                    Err(e) => Err(e),
                }
            }
        };
        let mut failure = None;
        let mut got = |name: &'static str, r: Result<Option<bytes::Bytes>>| match r {
            Ok(Some(b)) => Some(Input::new(
                format!("dbt Cloud run {} ({name})", run.run_id),
                b,
            )),
            Ok(None) => {
                missing.push(name);
                None
            }
            Err(e) => {
                failure.get_or_insert(format!("{e:#}"));
                None
            }
        };
        let run_results = got("run_results.json", fetch("run_results.json").await);
        let manifest = got("manifest.json", fetch("manifest.json").await);
        // The webhook does not say whether the job ran `dbt source freshness`; asking costs a
        // request too, so sources.json is simply tried and a 404 means there was none.
        let sources = match fetch("sources.json").await {
            Ok(Some(b)) => Some(Input::new(
                format!("dbt Cloud run {} (sources.json)", run.run_id),
                b,
            )),
            Ok(None) => None,
            Err(e) => {
                failure.get_or_insert(format!("{e:#}"));
                None
            }
        };
        let mut problem = match (&failure, missing.is_empty()) {
            (Some(f), _) => Some(format!("the artifacts could not be fetched: {f}")),
            (None, false) => Some(format!("missing {}", missing.join(" and "))),
            (None, true) => None,
        };
        if run_results.is_some() || manifest.is_some() || sources.is_some() {
            let artifacts = DbtArtifacts {
                manifest,
                run_results,
                sources,
                env: Some(run.env.clone()),
                allow_empty: false,
                run_url: Some(run.url.clone()),
            };
            let (app2, by) = (app.clone(), pushed_by(&run.job_name));
            let summary =
                tokio::task::spawn_blocking(move || app2.pushed_by(by).ingest_dbt(artifacts))
                    .await?;
            match summary {
                Ok(s) => tracing::info!(run_id = run.run_id, "dbt Cloud run ingested: {s}"),
                Err(e) => {
                    let e = format!("{e:#}");
                    tracing::error!(
                        run_id = run.run_id,
                        error = e,
                        "dbt Cloud run's artifacts refused"
                    );
                    problem.get_or_insert(format!("its artifacts were refused: {e}"));
                }
            }
        }
        let job_run = JobRun {
            source: "dbt_cloud",
            asset: job_asset(&run.job_id),
            check: NO_ARTIFACTS.to_owned(),
            ok: problem.is_none(),
            message: problem.map(|p| {
                format!(
                    "dbt Cloud run {} finished with no artifacts ({}; run status {}): {p}",
                    run.run_id, run.job_name, run.status
                )
            }),
            url: Some(run.url.clone()),
            run_id: run.run_id.clone(),
            env: Some(run.env.clone()),
        };
        let (app2, by) = (app.clone(), pushed_by(&run.job_name));
        tokio::task::spawn_blocking(move || app2.pushed_by(by).ingest_job_run(job_run)).await??;
        Ok(())
    }
}

/// A dbt Cloud run's ingests are recorded as pushed by its job, by name.
fn pushed_by(job_name: &str) -> Pusher {
    Pusher::new("dbt_cloud", Some(job_name))
}

/// The constant-time check of dbt Cloud's signature.
pub fn signature_matches(secret: &Secret, header: Option<&str>, body: &[u8]) -> bool {
    let Some(given) = header.and_then(|h| decode_hex(h.trim())) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

/// What dbt Cloud puts in `Authorization`: the hex HMAC-SHA256 of `body` keyed with `secret`
/// (for the tests' sender and for documentation).
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// A webhook delivery (the fields Steward reads; ids come as strings or numbers).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    event_type: String,
    #[serde(default)]
    account_id: Option<Value>,
    #[serde(default)]
    data: Value,
}

fn id_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The finished run, as the webhook tells it.
#[derive(Debug, Clone)]
struct Run {
    run_id: String,
    job_id: String,
    job_name: String,
    status: String,
    env: String,
    url: String,
}

impl Run {
    fn from_event(dbt: &DbtCloudConfig, config: &Config, data: &Value) -> Result<Run> {
        let field = |key: &str| data.get(key).filter(|v| !v.is_null()).map(id_text);
        let need = |key: &str| {
            field(key).filter(|s| !s.is_empty()).ok_or_else(|| {
                InputError::new("POST /v1/dbt-cloud", format!("data.{key} is missing"))
            })
        };
        let run_id = need("runId")?;
        if !run_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InputError::new(
                "POST /v1/dbt-cloud",
                format!(
                    "data.runId {} is not a number",
                    crate::error::quoted(&run_id)
                ),
            )
            .into());
        }
        let job_id = need("jobId")?;
        let env = field("environmentId")
            .and_then(|id| dbt.environment(&id).map(str::to_owned))
            .unwrap_or_else(|| config.issues.default_environment.clone());
        let url = field("runUrl").unwrap_or_else(|| {
            let base = dbt.url.trim_end_matches('/');
            match field("projectId") {
                Some(p) => format!(
                    "{base}/deploy/{}/projects/{p}/runs/{run_id}",
                    dbt.account_id
                ),
                None => format!("{base}/#/accounts/{}/runs/{run_id}/", dbt.account_id),
            }
        });
        Ok(Run {
            job_name: field("jobName").unwrap_or_else(|| format!("job {job_id}")),
            status: field("runStatus").unwrap_or_else(|| "unknown".into()),
            run_id,
            job_id,
            env,
            url,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hex_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        let key = "Jefe";
        let body = b"what do ya want for nothing?";
        let sig = sign(key, body);
        assert_eq!(
            sig,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let secret = Secret::new(key.into());
        assert!(signature_matches(&secret, Some(&sig), body));
        assert!(signature_matches(&secret, Some(&sig.to_uppercase()), body));
        assert!(!signature_matches(
            &secret,
            Some(&sig),
            b"what do ya want for nothing!"
        ));
        assert!(!signature_matches(&secret, Some(&sig[..62]), body));
        assert!(!signature_matches(&secret, Some("zz"), body));
        assert!(!signature_matches(&secret, None, body));
        assert!(!signature_matches(
            &Secret::new("other".into()),
            Some(&sig),
            body
        ));
    }

    #[test]
    fn a_run_url_is_built_when_the_webhook_has_none() {
        let dbt = DbtCloudConfig {
            account_id: 1,
            environments: [("1234".to_owned(), "prod".to_owned())].into(),
            ..Default::default()
        };
        let config = Config::default();
        let data = json!({"runId": "12345", "jobId": "123", "environmentId": "1234", "projectId": "167194"});
        let run = Run::from_event(&dbt, &config, &data).unwrap();
        assert_eq!(
            run.url,
            "https://cloud.getdbt.com/deploy/1/projects/167194/runs/12345"
        );
        assert_eq!(run.env, "prod");
        let data = json!({"runId": 9, "jobId": 3, "environmentId": 77, "runUrl": "https://x.example/run/9"});
        let run = Run::from_event(&dbt, &config, &data).unwrap();
        assert_eq!(
            (run.url.as_str(), run.env.as_str(), run.run_id.as_str()),
            ("https://x.example/run/9", "default", "9")
        );
        assert!(Run::from_event(&dbt, &config, &json!({"jobId": "1"})).is_err());
        assert!(Run::from_event(&dbt, &config, &json!({"runId": "../x", "jobId": "1"})).is_err());
    }
}
