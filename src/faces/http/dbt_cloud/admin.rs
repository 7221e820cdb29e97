//! dbt Cloud's Admin API v2, the one call Steward needs: a run's artifact,
//! `GET {url}/api/v2/accounts/{account}/runs/{run}/artifacts/{path}` with
//! `Authorization: Token <token>`. A 429 waits for its `Retry-After`, a 5xx or a network error
//! backs off, both for `[dbt_cloud] attempts`; a 404 is an answer (the run has no such file).

use crate::config::DbtCloudConfig;
use crate::faces::http::Secret;
use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::header::{ACCEPT, AUTHORIZATION, LOCATION, RETRY_AFTER};
use hyper::{Request, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// What one artifact request came to.
#[derive(Debug)]
pub enum Fetched {
    Found(Bytes),
    /// 404: the run wrote no such artifact.
    Missing,
}

/// The Admin API for one account.
pub struct AdminApi {
    client: Client<Https, Empty<Bytes>>,
    base: String,
    account_id: u64,
    token: Secret,
    attempts: u32,
    backoff: Duration,
    max_wait: Duration,
    body_limit: usize,
}

impl AdminApi {
    pub fn new(config: &DbtCloudConfig, token: Secret, body_limit: u64) -> Result<AdminApi> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .context("loading the system's CA certificates")?
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .build();
        Ok(AdminApi {
            client: Client::builder(TokioExecutor::new()).build(https),
            base: config.url.trim_end_matches('/').to_owned(),
            account_id: config.account_id,
            token,
            attempts: config.attempts.max(1),
            backoff: config.backoff,
            max_wait: config.max_wait,
            body_limit: usize::try_from(body_limit).unwrap_or(usize::MAX),
        })
    }

    /// The artifact's URL (`path` is e.g. `run_results.json`).
    pub fn artifact_url(&self, run_id: &str, path: &str) -> String {
        format!(
            "{}/api/v2/accounts/{}/runs/{}/artifacts/{}",
            self.base, self.account_id, run_id, path
        )
    }

    /// Fetches one artifact of a run, retrying 429, 5xx and network errors.
    pub async fn artifact(&self, run_id: &str, path: &str) -> Result<Fetched> {
        let url = self.artifact_url(run_id, path);
        let mut backoff = self.backoff;
        let mut last = String::new();
        for attempt in 1..=self.attempts {
            let wait = match self.get(&url).await {
                Ok(Answer::Done(fetched)) => return Ok(fetched),
                Ok(Answer::Fatal(why)) => anyhow::bail!("GET {url}: {why}"),
                Ok(Answer::Later(why, retry_after)) => {
                    last = why;
                    match retry_after {
                        Some(w) if w > self.max_wait => anyhow::bail!(
                            "GET {url}: {last}, retry after {w:?} (over [dbt_cloud] max_wait)"
                        ),
                        Some(w) => w,
                        None => backoff,
                    }
                }
                Err(e) => {
                    last = format!("{e:#}");
                    backoff
                }
            };
            if attempt < self.attempts {
                tracing::warn!(%url, attempt, error = %last, wait_ms = wait.as_millis() as u64, "dbt Cloud request failed; retrying");
                tokio::time::sleep(wait).await;
                backoff = (backoff * 2).min(Duration::from_secs(60));
            }
        }
        anyhow::bail!("GET {url}: {last} (after {} attempts)", self.attempts)
    }

    /// One request, following redirects (an artifact may live in object storage); the token
    /// goes only to the dbt Cloud host.
    async fn get(&self, url: &str) -> Result<Answer> {
        let mut uri: Uri = url.parse().with_context(|| format!("{url} is not a URL"))?;
        let home = uri.authority().cloned();
        for _ in 0..4 {
            let mut request = Request::get(uri.clone()).header(ACCEPT, "application/json");
            if uri.authority() == home.as_ref() {
                request = request.header(AUTHORIZATION, format!("Token {}", self.token.expose()));
            }
            let response = self
                .client
                .request(request.body(Empty::new())?)
                .await
                .context("sending")?;
            let status = response.status();
            if status.is_redirection() {
                let next = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| anyhow::anyhow!("{status} without a Location"))?;
                uri = resolve(&uri, next)?;
                continue;
            }
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let body = Limited::new(response.into_body(), self.body_limit)
                .collect()
                .await
                .map_err(|e| anyhow::anyhow!("reading the answer: {e}"))?
                .to_bytes();
            return Ok(match status {
                s if s.is_success() => Answer::Done(Fetched::Found(body)),
                StatusCode::NOT_FOUND => Answer::Done(Fetched::Missing),
                StatusCode::TOO_MANY_REQUESTS => {
                    Answer::Later("429 Too Many Requests".into(), retry_after)
                }
                s if s.is_server_error() => Answer::Later(format!("{s}"), None),
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Answer::Fatal(format!(
                    "{status}: the Admin API refused the token ([dbt_cloud] token_env){}",
                    message(&body)
                )),
                s => Answer::Fatal(format!("{s}{}", message(&body))),
            });
        }
        anyhow::bail!("too many redirects")
    }
}

enum Answer {
    Done(Fetched),
    /// Retry: why, and the server's `Retry-After`.
    Later(String, Option<Duration>),
    Fatal(String),
}

/// dbt Cloud's error envelope `{"status": {"user_message": …}}`, as `: message`, if any.
fn message(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.pointer("/status/user_message")
                .and_then(|m| m.as_str())
                .map(|m| format!(": {}", crate::error::quoted(m)))
        })
        .unwrap_or_default()
}

/// A `Location` against the URL it answered.
fn resolve(base: &Uri, location: &str) -> Result<Uri> {
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.parse().context("redirect Location");
    }
    let scheme = base.scheme_str().unwrap_or("https");
    let authority = base.authority().map(|a| a.as_str()).unwrap_or("");
    format!("{scheme}://{authority}{location}")
        .parse()
        .context("redirect Location")
}
