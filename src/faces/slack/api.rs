//! Steward's Slack Web API client: the real `slack-morphism` client, with per-channel pacing,
//! `Retry-After` on 429, bounded retries on server errors, and a cache of email → user lookups.
//! Payloads are the renderer's JSON, posted through the client's generic `http_post`; read
//! methods go as `GET` with a query string. Every call goes to exactly `<base>/<method>`.

use crate::faces::slack::blocks::{Message, View};
use anyhow::{Context, Result};
use serde_json::{Value, json};
use slack_morphism::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub type Connector = SlackClientHyperConnector<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
>;
pub type Client = SlackClient<Connector>;

/// Slack's Web API base. A method's URL is `<base>/<method>`: `https://slack.com/api/auth.test`.
pub const DEFAULT_API_URL: &str = "https://slack.com/api";

/// The base slack-morphism is given: `api_url` without trailing slashes, because the connector
/// joins base and method with a `/` of its own (`format!("{base}/{method}")`), so a trailing
/// slash would send every call to `…/api//method`. Refuses what is not an `http(s)://` URL.
pub fn api_base(api_url: &str) -> Result<String> {
    let base = api_url.trim().trim_end_matches('/');
    let uri: hyper::Uri = base
        .parse()
        .with_context(|| format!("SLACK_API_URL {api_url:?} is not a URL"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        anyhow::bail!("SLACK_API_URL {api_url:?} is not an http(s):// URL");
    }
    if uri.query().is_some() {
        anyhow::bail!("SLACK_API_URL {api_url:?} has a query string; give the base only");
    }
    Ok(base.to_owned())
}

/// The HTTPS-or-HTTP connector slack-morphism needs, pointed at `api_url` (`SLACK_API_URL`, e.g.
/// a fake Slack in tests; default [`DEFAULT_API_URL`]).
pub fn connector(api_url: &str) -> Result<Connector> {
    let base = api_base(api_url)?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .context("loading the system's CA certificates")?
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .build();
    Ok(SlackClientHyperConnector::from(https).with_slack_api_url(&base))
}

/// The slack-morphism client over [`connector`].
pub fn client(api_url: &str) -> Result<Arc<Client>> {
    Ok(Arc::new(SlackClient::new(connector(api_url)?)))
}

/// Why a call failed, as far as the caller must decide what to do.
#[derive(Debug)]
pub enum CallError {
    /// Slack answered `ok: false` with this code (e.g. `channel_not_found`): retrying won't help.
    Api(String),
    /// The network or Slack failed repeatedly; the work should be retried later.
    Transient(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Api(code) => write!(f, "Slack refused: {code}"),
            CallError::Transient(e) => write!(f, "Slack unreachable: {e}"),
        }
    }
}

impl std::error::Error for CallError {}

/// Per-channel pacing: `burst` posts at once, then one per `interval`.
struct Pacer {
    interval: Duration,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Pacer {
    async fn wait(&self, channel: &str) {
        loop {
            let wait = {
                let mut buckets = self.buckets.lock().expect("pacer lock");
                let now = Instant::now();
                let (tokens, last) = buckets
                    .entry(channel.to_owned())
                    .or_insert((self.burst, now));
                let refill =
                    now.duration_since(*last).as_secs_f64() / self.interval.as_secs_f64().max(1e-6);
                *tokens = (*tokens + refill).min(self.burst);
                *last = now;
                if *tokens >= 1.0 {
                    *tokens -= 1.0;
                    return;
                }
                self.interval.mul_f64(1.0 - *tokens)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// How a call carries its arguments.
#[derive(Clone, Copy)]
enum Args<'a> {
    Json(&'a Value),
    Query(&'a [(&'a str, &'a str)]),
}

pub struct SlackApi {
    client: Arc<Client>,
    token: SlackApiToken,
    pacer: Pacer,
    emails: Mutex<HashMap<String, Option<String>>>,
    max_attempts: u32,
}

impl SlackApi {
    pub fn new(client: Arc<Client>, bot_token: &str, interval: Duration, burst: u32) -> SlackApi {
        SlackApi {
            client,
            token: SlackApiToken::new(bot_token.into()),
            pacer: Pacer {
                interval,
                burst: burst.max(1) as f64,
                buckets: Mutex::new(HashMap::new()),
            },
            emails: Mutex::new(HashMap::new()),
            max_attempts: 6,
        }
    }

    pub fn client(&self) -> Arc<Client> {
        self.client.clone()
    }

    /// Calls a Web API method with a JSON body (`POST /api/<method>`, `application/json`): for
    /// the methods that read one (`chat.*`, `views.*`, `conversations.join`). 429s wait for
    /// `Retry-After`; server and network errors back off; `ok: false` is returned at once as
    /// [`CallError::Api`].
    pub async fn call(&self, method: &str, body: &Value) -> Result<Value, CallError> {
        self.send(method, Args::Json(body)).await
    }

    /// Calls a read method with its arguments in the query string (`GET /api/<method>?…`).
    /// Slack's read methods (`users.lookupByEmail`, `conversations.info`, …) take form or query
    /// arguments only: they ignore a JSON body and answer as if no argument had been sent.
    pub async fn call_get(&self, method: &str, args: &[(&str, &str)]) -> Result<Value, CallError> {
        self.send(method, Args::Query(args)).await
    }

    async fn send(&self, method: &str, args: Args<'_>) -> Result<Value, CallError> {
        let mut backoff = Duration::from_millis(200);
        let mut last = String::new();
        for attempt in 1..=self.max_attempts {
            let session = self.client.open_session(&self.token);
            let result: Result<Value, slack_morphism::errors::SlackClientError> = match args {
                Args::Json(body) => session.http_session_api.http_post(method, body, None).await,
                Args::Query(pairs) => {
                    let query: Vec<(&str, Option<&str>)> =
                        pairs.iter().map(|(k, v)| (*k, Some(*v))).collect();
                    session
                        .http_session_api
                        .http_get(method, &query, None)
                        .await
                }
            };
            crate::telemetry::slack_call(
                method,
                match &result {
                    Ok(_) => "ok",
                    Err(slack_morphism::errors::SlackClientError::ApiError(_)) => "api_error",
                    Err(slack_morphism::errors::SlackClientError::RateLimitError(_)) => {
                        "rate_limited"
                    }
                    Err(_) => "error",
                },
            );
            match result {
                Ok(v) => return Ok(v),
                Err(slack_morphism::errors::SlackClientError::ApiError(e)) => {
                    return Err(CallError::Api(e.code));
                }
                Err(slack_morphism::errors::SlackClientError::RateLimitError(e)) => {
                    let wait = e.retry_after.unwrap_or(Duration::from_secs(1));
                    tracing::warn!(
                        method,
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        "Slack rate limit; waiting"
                    );
                    last = "rate limited".to_owned();
                    tokio::time::sleep(wait).await;
                }
                Err(e) => {
                    last = e.to_string();
                    tracing::warn!(method, attempt, error = %last, "Slack call failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        }
        Err(CallError::Transient(format!("{method}: {last}")))
    }

    /// Posts a message (paced per channel); returns its `ts`.
    pub async fn post(
        &self,
        channel: &str,
        message: &Message,
        thread_ts: Option<&str>,
    ) -> Result<String, CallError> {
        self.pacer.wait(channel).await;
        let body = message.to_json(channel, thread_ts);
        let reply = self.call("chat.postMessage", &body).await?;
        reply
            .get("ts")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| CallError::Transient("chat.postMessage answered without ts".into()))
    }

    /// Edits a message in place.
    pub async fn update(
        &self,
        channel: &str,
        ts: &str,
        message: &Message,
    ) -> Result<(), CallError> {
        let mut body = message.to_json(channel, None);
        body["ts"] = json!(ts);
        self.call("chat.update", &body).await.map(|_| ())
    }

    /// An answer only `user` sees.
    pub async fn ephemeral(
        &self,
        channel: &str,
        user: &str,
        message: &Message,
    ) -> Result<(), CallError> {
        let mut body = message.to_json(channel, None);
        body["user"] = json!(user);
        self.call("chat.postEphemeral", &body).await.map(|_| ())
    }

    pub async fn open_view(&self, trigger_id: &str, view: &View) -> Result<(), CallError> {
        self.call(
            "views.open",
            &json!({"trigger_id": trigger_id, "view": view.0}),
        )
        .await
        .map(|_| ())
    }

    pub async fn publish_home(&self, user: &str, view: &View) -> Result<(), CallError> {
        self.call("views.publish", &json!({"user_id": user, "view": view.0}))
            .await
            .map(|_| ())
    }

    /// The bot's own user id (`auth.test`), which proves the token works.
    pub async fn auth_test(&self) -> Result<Value, CallError> {
        self.call_get("auth.test", &[]).await
    }

    /// Maps an email to a Slack user id, cached (unknown emails are cached as unknown).
    pub async fn user_by_email(&self, email: &str) -> Option<String> {
        let key = email.to_ascii_lowercase();
        if let Some(hit) = self.emails.lock().expect("email cache lock").get(&key) {
            return hit.clone();
        }
        let found = match self
            .call_get("users.lookupByEmail", &[("email", email)])
            .await
        {
            Ok(v) => v
                .pointer("/user/id")
                .and_then(Value::as_str)
                .map(str::to_owned),
            Err(CallError::Api(_)) => None,
            Err(CallError::Transient(_)) => return None, // not cached: try again next time
        };
        self.emails
            .lock()
            .expect("email cache lock")
            .insert(key, found.clone());
        found
    }

    /// Turns owners (emails, `@handles`, names) into mentions: `<@U…>` when Slack knows the
    /// email, else the text as written.
    pub async fn mentions(&self, owners: &[String]) -> Vec<String> {
        let mut out = Vec::with_capacity(owners.len());
        for o in owners {
            let m = if o.contains('@') && !o.starts_with('@') {
                match self.user_by_email(o).await {
                    Some(id) => format!("<@{id}>"),
                    None => o.clone(),
                }
            } else {
                o.clone()
            };
            if !out.contains(&m) {
                out.push(m);
            }
        }
        out
    }

    pub async fn channel_info(&self, channel: &str) -> Result<Value, CallError> {
        self.call_get("conversations.info", &[("channel", channel)])
            .await
    }

    pub async fn join(&self, channel: &str) -> Result<(), CallError> {
        self.call("conversations.join", &json!({"channel": channel}))
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use slack_morphism::{SlackClientHttpApiUri, SlackClientHttpConnector};

    /// The URL slack-morphism builds for `method` from our connector.
    fn url(api_url: &str, method: &str) -> String {
        connector(api_url)
            .unwrap()
            .create_method_uri_path(method)
            .unwrap()
            .to_string()
    }

    #[test]
    fn production_calls_go_to_slack_com_api_method() {
        assert_eq!(
            url(DEFAULT_API_URL, "chat.postMessage"),
            "https://slack.com/api/chat.postMessage"
        );
        assert_eq!(
            url("https://slack.com/api/", "auth.test"),
            "https://slack.com/api/auth.test",
            "a trailing slash in SLACK_API_URL must not become /api//"
        );
        assert_eq!(
            url("https://slack.com/api//", "views.open"),
            "https://slack.com/api/views.open"
        );
    }

    #[test]
    fn a_test_base_gets_exactly_one_slash_before_the_method() {
        for base in ["http://127.0.0.1:4321/api", "http://127.0.0.1:4321/api/"] {
            assert_eq!(
                url(base, "users.lookupByEmail"),
                "http://127.0.0.1:4321/api/users.lookupByEmail"
            );
        }
        // A GET's arguments go in the query string of that same URL, form-escaped.
        let base = connector("http://127.0.0.1:4321/api/")
            .unwrap()
            .create_method_uri_path("users.lookupByEmail")
            .unwrap();
        let full =
            SlackClientHttpApiUri::create_url_with_params(base, &vec![("email", Some("a+b@x.io"))])
                .unwrap();
        assert_eq!(full.path(), "/api/users.lookupByEmail");
        assert_eq!(full.query(), Some("email=a%2Bb%40x.io"));
    }

    #[test]
    fn a_base_that_is_not_an_http_url_is_refused() {
        for bad in [
            "",
            "slack.com/api",
            "ftp://slack.com/api",
            "https://slack.com/api?x=1",
        ] {
            let e = api_base(bad).unwrap_err().to_string();
            assert!(e.contains("SLACK_API_URL"), "{bad:?}: {e}");
        }
        assert_eq!(
            api_base(" https://slack.com/api/ ").unwrap(),
            "https://slack.com/api"
        );
    }
}
