//! The HTTP side of deliveries: one client for every target (https through the system's roots,
//! or plain http for proxies and tests), a deadline per request, and how an answer is judged:
//! 2xx is done; 429, 5xx, 408, timeouts and connection errors are retried (honouring
//! `Retry-After`); any other answer is refused for good (a dead letter).

use crate::app::integrations::Failure;
use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

/// A request a vendor module builds from a delivery.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub url: String,
    /// Headers besides `Content-Type: application/json`.
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: serde_json::Value,
    pub text: String,
}

#[derive(Clone)]
pub struct Http {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl Http {
    pub fn new(timeout: Duration) -> Result<Http> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .context("loading the system's CA certificates")?
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .build();
        Ok(Http {
            client: Client::builder(TokioExecutor::new()).build(connector),
            timeout,
        })
    }

    /// Sends `out` as a JSON `POST`; a transport error or the deadline is a retryable failure.
    pub async fn post(&self, out: &Outgoing) -> Result<Reply, Failure> {
        self.send(hyper::Method::POST, out).await
    }

    /// Sends `out` as a `GET` (no body, no content type), judged like [`Http::post`].
    pub async fn get(&self, out: &Outgoing) -> Result<Reply, Failure> {
        self.send(hyper::Method::GET, out).await
    }

    async fn send(&self, method: hyper::Method, out: &Outgoing) -> Result<Reply, Failure> {
        let transport = |e: String| Failure {
            error: e,
            retryable: true,
            retry_after: None,
        };
        let uri: hyper::Uri = out.url.parse().map_err(|e| Failure {
            error: format!("{:?} is not a URL: {e}", out.url),
            retryable: false,
            retry_after: None,
        })?;
        let get = method == hyper::Method::GET;
        let mut req = Request::builder().method(method).uri(uri);
        if !get {
            req = req.header("content-type", "application/json");
        }
        req = req.header("accept", "application/json");
        for (k, v) in &out.headers {
            req = req.header(*k, v);
        }
        let req = req
            .body(Full::new(Bytes::from(out.body.clone())))
            .map_err(|e| transport(e.to_string()))?;
        let call = async {
            let resp = self
                .client
                .request(req)
                .await
                .map_err(|e| format!("connection: {e}"))?;
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let bytes = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("reading the answer: {e}"))?
                .to_bytes();
            Ok::<_, String>(Reply {
                status,
                retry_after,
                body: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
                text: String::from_utf8_lossy(&bytes).chars().take(300).collect(),
            })
        };
        match tokio::time::timeout(self.timeout, call).await {
            Ok(r) => r.map_err(transport),
            Err(_) => Err(transport(format!("no answer within {:?}", self.timeout))),
        }
    }
}

/// Judges an answer: `Ok` for 2xx, else a failure saying whether to retry.
pub fn judge(reply: &Reply, what: &str) -> Result<(), Failure> {
    if (200..300).contains(&reply.status) {
        return Ok(());
    }
    let retryable = reply.status == 429 || reply.status == 408 || reply.status >= 500;
    Err(Failure {
        error: format!("{what} answered {}: {}", reply.status, reply.text),
        retryable,
        retry_after: reply.retry_after,
    })
}

/// Where people can look at what a delivery is about, when known at sending time.
#[derive(Debug, Clone, Default)]
pub struct Links {
    /// The Slack message (its archive link).
    pub slack: Option<String>,
    /// The page on Steward's own server.
    pub page: Option<String>,
}

impl Links {
    /// `[{"href", "text"}]`, as PagerDuty's `links` takes them.
    pub fn list(&self) -> Vec<serde_json::Value> {
        [(&self.slack, "Slack message"), (&self.page, "Steward page")]
            .into_iter()
            .filter_map(|(l, text)| {
                l.as_ref()
                    .map(|href| serde_json::json!({"href": href, "text": text}))
            })
            .collect()
    }

    pub fn first(&self) -> Option<&str> {
        self.slack.as_deref().or(self.page.as_deref())
    }
}

/// What an event is about, in one line: "INC-3 SEV1: Revenue is stale" or
/// "error: not_null_orders_id failed on model.shop.orders (prod)".
pub fn summary(event: &serde_json::Value) -> String {
    let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    if let Some(f) = event.get("followup") {
        // A follow-up's ticket is the follow-up itself, on one line.
        return s(&f["text"])
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
    }
    if let Some(i) = event.get("incident") {
        format!("{} {}: {}", s(&i["id"]), s(&i["severity"]), s(&i["title"]))
    } else {
        let i = &event["issue"];
        let mut line = format!(
            "{}: {} failed on {} ({})",
            s(&i["severity"]),
            s(&i["check"]),
            s(&i["asset"]),
            s(&i["env"])
        );
        // The message's first meaningful line: a summary is one line (Jira refuses more).
        if let Some(m) = i["message"]
            .as_str()
            .and_then(crate::domain::issues::signature::first_meaningful_line)
        {
            line.push_str(": ");
            line.push_str(&m);
        }
        line.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// The facts a pager shows next to the summary: impact (products), owners, teams, run link.
pub fn details(event: &serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    let part = event
        .get("incident")
        .or_else(|| event.get("issue"))
        .cloned()
        .unwrap_or_default();
    let mut out = serde_json::Map::new();
    for (key, from) in [
        ("impact", "products"),
        ("products", "products"),
        ("owners", "owners"),
        ("teams", "teams"),
        ("run_link", "run_url"),
        ("environment", "env"),
        ("status", "status"),
        ("issues", "issues"),
        ("message", "message"),
    ] {
        if let Some(v) = part.get(from).filter(|v| !v.is_null()) {
            out.insert(key.to_owned(), v.clone());
        }
    }
    if let Some(id) = part.get("id") {
        out.insert("steward_id".into(), id.clone());
    }
    out
}

/// Cuts `s` to at most `max` characters ("…" at the end when cut).
pub fn cap(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// What a ticket's description says, for Jira (ADF paragraphs) and Linear (Markdown) alike:
/// labelled facts, then free text. An incident or an issue: impact, root cause, owners and
/// what happened; a follow-up: its incident and owner.
pub fn ticket_facts(e: &serde_json::Value) -> (Vec<(&'static str, String)>, Option<String>) {
    if let Some(f) = e.get("followup") {
        let i = &f["incident"];
        let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
        let facts = vec![
            (
                "Follow-up of",
                format!(
                    "{} ({}, {}): {}",
                    s(&i["id"]),
                    s(&i["severity"]),
                    s(&i["status"]),
                    s(&i["title"])
                ),
            ),
            (
                "Owner",
                f["owner"].as_str().unwrap_or("nobody yet").to_owned(),
            ),
        ];
        return (facts, None);
    }
    let (part, root) = ticket_subject(e);
    let facts = vec![
        (
            "Impact",
            format!("data products {}", ticket_list(&part["products"])),
        ),
        ("Root cause", root),
        ("Owners", ticket_list(&part["owners"])),
    ];
    let text = part["summary"]
        .as_str()
        .or(part["message"].as_str())
        .map(|s| cap(s, 2000));
    (facts, text)
}

/// A ticket's subject in an event body: the incident's or the issue's part, and its root cause
/// in words (the incident's assets, or "check on asset").
pub fn ticket_subject(e: &serde_json::Value) -> (serde_json::Value, String) {
    let part = e
        .get("incident")
        .or_else(|| e.get("issue"))
        .cloned()
        .unwrap_or_default();
    let root = match e.get("incident") {
        Some(i) => ticket_list(&i["assets"]),
        None => format!(
            "{} on {}",
            part["check"].as_str().unwrap_or_default(),
            part["asset"].as_str().unwrap_or_default()
        ),
    };
    (part, root)
}

/// A list in an event body as words ("a, b"), or "none known".
pub fn ticket_list(v: &serde_json::Value) -> String {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| {
                    x.as_str()
                        .map(str::to_owned)
                        .or_else(|| x.as_i64().map(|n| n.to_string()))
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "none known".to_owned())
}
