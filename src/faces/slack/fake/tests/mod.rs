//! The fake against the real slack-morphism client, and its payloads against Slack's samples.

mod builders;
mod raw_http;
mod socket_mode;
mod web_api;

use super::server::form_decode;
use super::*;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::json;
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

const WAIT: Duration = Duration::from_secs(10);

// ---------- helpers ----------

/// The connector exactly as the bot builds it (plain http allowed, so it can reach the fake).
fn connector(fake: &FakeSlack) -> SlackClientHyperHttpsConnector {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .expect("native TLS roots")
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .build();
    SlackClientHyperConnector::from(https).with_slack_api_url(&fake.api_url())
}

fn client(fake: &FakeSlack) -> Arc<SlackHyperClient> {
    Arc::new(SlackClient::new(connector(fake)))
}

fn bot_token() -> SlackApiToken {
    SlackApiToken::new(SlackApiTokenValue::new(FAKE_BOT_TOKEN.into()))
}

fn app_token() -> SlackApiToken {
    SlackApiToken::new(SlackApiTokenValue::new(FAKE_APP_TOKEN.into()))
}

fn api_error<T: std::fmt::Debug>(r: Result<T, SlackClientError>) -> String {
    match r {
        Err(SlackClientError::ApiError(e)) => e.code,
        other => panic!("expected a Slack API error, got {other:?}"),
    }
}

fn content(text: &str, blocks: Value) -> SlackMessageContent {
    let mut c = SlackMessageContent::new();
    if !text.is_empty() {
        c = c.with_text(text.into());
    }
    if !blocks.is_null() {
        let blocks: Vec<SlackBlock> =
            serde_json::from_value(blocks).expect("slack-morphism parses the blocks");
        c = c.with_blocks(blocks);
    }
    c
}

fn alert_blocks() -> Value {
    json!([
        {"type": "header", "text": {"type": "plain_text", "text": "orders failed"}},
        {"type": "section", "block_id": "summary", "text": {"type": "mrkdwn", "text": "*orders* failed its `not_null` test"}},
        {"type": "actions", "block_id": "steward.actions", "elements": [
            {"type": "button", "action_id": "steward.ack", "text": {"type": "plain_text", "text": "Ack"}, "value": "issue-1"}
        ]}
    ])
}

fn modal(title: &str) -> Value {
    json!({
        "type": "modal",
        "callback_id": "steward.declare",
        "private_metadata": "issue-1",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Declare"},
        "blocks": [{"type": "input", "block_id": "title", "label": {"type": "plain_text", "text": "Title"},
            "element": {"type": "plain_text_input", "action_id": "steward.title"}}]
    })
}

/// What the fake answered over HTTP.
pub(super) struct Answer {
    pub status: u16,
    /// The `Allow` header.
    pub allow: Option<String>,
    /// The body as JSON (`Null` when it is not JSON).
    pub body: Value,
}

/// Any request straight over HTTP/1.1: verb, path (with its query), headers, body.
pub(super) async fn send(
    fake: &FakeSlack,
    verb: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let mut req = hyper::Request::builder()
        .method(verb)
        .uri(format!("{}{path}", fake.base_url()));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = client
        .request(req.body(Full::new(Bytes::from(body.to_owned()))).unwrap())
        .await
        .expect("request");
    let status = res.status().as_u16();
    let allow = res
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    Answer {
        status,
        allow,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

/// A request straight over HTTP/1.1, for what slack-morphism never sends (form bodies, bad tokens).
async fn raw(
    fake: &FakeSlack,
    verb: &str,
    path: &str,
    auth: Option<&str>,
    form: Option<&str>,
) -> (u16, Value) {
    let bearer = auth.map(|t| format!("Bearer {t}"));
    let mut headers = Vec::new();
    if let Some(b) = &bearer {
        headers.push(("authorization", b.as_str()));
    }
    if form.is_some() {
        headers.push(("content-type", "application/x-www-form-urlencoded"));
    }
    let a = send(fake, verb, path, &headers, form.unwrap_or("")).await;
    (a.status, a.body)
}

/// A JSON POST with the bot token, straight into the fake's state (no network).
fn post_json(fake: &FakeSlack, path: &str, body: &Value) -> state::Reply {
    let body = body.to_string();
    let auth = format!("Bearer {FAKE_BOT_TOKEN}");
    let req = request::read(&request::HttpRequest {
        verb: "POST",
        path,
        query: None,
        content_type: Some("application/json; charset=utf-8"),
        authorization: Some(&auth),
        body: body.as_bytes(),
    });
    fake.shared.with_state(|st| st.handle(req))
}

pub(super) fn form_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `apps.connections.open` with the app token over raw HTTP: the reply's body.
async fn connections_open(fake: &FakeSlack) -> Value {
    let (_, body) = raw(
        fake,
        "POST",
        "/api/apps.connections.open",
        Some(FAKE_APP_TOKEN),
        None,
    )
    .await;
    body
}

/// `views.open` of a "Declare" modal over raw HTTP as a form body, with `trigger`.
async fn open_modal_raw(fake: &FakeSlack, trigger: &str) -> Value {
    let form = format!(
        "trigger_id={trigger}&view={}",
        form_escape(&modal("Declare").to_string())
    );
    let (_, body) = raw(
        fake,
        "POST",
        "/api/views.open",
        Some(FAKE_BOT_TOKEN),
        Some(&form),
    )
    .await;
    body
}

async fn raw_json(fake: &FakeSlack, path: &str, body: Value) -> (u16, Value) {
    let a = send(
        fake,
        "POST",
        path,
        &[("content-type", "application/json")],
        &body.to_string(),
    )
    .await;
    (a.status, a.body)
}
