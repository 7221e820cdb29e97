//! The fake against the real slack-morphism client, and its payloads against Slack's samples.

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

// ---------- Web API through slack-morphism ----------

#[tokio::test(flavor = "multi_thread")]
async fn web_api_through_slack_morphism() -> anyhow::Result<()> {
    let fake = FakeSlack::start().await?;
    fake.add_user("U1", "ada", "ada@example.com");
    fake.add_channel("C1", "data-alerts", false, true);
    fake.add_channel("C2", "private-ops", true, true);
    fake.add_channel("C3", "public-no-bot", false, false);
    fake.add_channel("C4", "secret", true, false);
    fake.add_usergroup("S1", "data-eng");
    let client = client(&fake);
    let token = bot_token();
    let session = client.open_session(&token);

    let auth = session.auth_test().await?;
    assert_eq!(auth.user_id.value(), FAKE_BOT_USER_ID);
    assert_eq!(auth.team_id.value(), FAKE_TEAM_ID);
    assert_eq!(
        auth.bot_id.as_ref().map(|b| b.value().as_str()),
        Some(FAKE_BOT_ID)
    );
    assert_eq!(fake.calls_to("auth.test")[0].verb, "GET");

    // A message with blocks, then an edit.
    let c1: SlackChannelId = "C1".into();
    let posted = session
        .chat_post_message(&SlackApiChatPostMessageRequest::new(
            c1.clone(),
            content("orders failed", alert_blocks()),
        ))
        .await?;
    assert_eq!(posted.channel, c1);
    assert!(
        posted
            .message
            .content
            .blocks
            .as_ref()
            .is_some_and(|b| b.len() == 3)
    );
    let stored = fake.messages("C1");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].ts, posted.ts.value().as_str());
    assert_eq!(
        stored[0]
            .blocks
            .as_ref()
            .and_then(Value::as_array)
            .map(Vec::len),
        Some(3)
    );
    assert_eq!(stored[0].user, FAKE_BOT_USER_ID);

    let reply = session
        .chat_post_message(
            &SlackApiChatPostMessageRequest::new(c1.clone(), content("Acked by ada", Value::Null))
                .with_thread_ts(posted.ts.clone()),
        )
        .await?;
    assert_eq!(
        fake.messages("C1")[1].thread_ts.as_deref(),
        Some(posted.ts.value().as_str())
    );

    let updated = session
        .chat_update(&SlackApiChatUpdateRequest::new(
            c1.clone(),
            content("orders fixed", alert_blocks()),
            posted.ts.clone(),
        ))
        .await?;
    assert_eq!(updated.ts, posted.ts);
    let m = &fake.messages("C1")[0];
    assert_eq!(m.text, "orders fixed");
    assert_eq!(m.history.len(), 1);
    assert_eq!(m.history[0].text, "orders failed");
    assert!(m.edited_ts.is_some());
    let missing = session
        .chat_update(&SlackApiChatUpdateRequest::new(
            c1.clone(),
            content("x", Value::Null),
            "1.000001".into(),
        ))
        .await;
    assert_eq!(api_error(missing), "message_not_found");

    // Over the limits: refused like Slack refuses it, and recorded.
    let long = "x".repeat(3001);
    let refused = session
        .chat_post_message(&SlackApiChatPostMessageRequest::new(
            c1.clone(),
            content(
                "fallback",
                json!([{"type": "section", "text": {"type": "mrkdwn", "text": long}}]),
            ),
        ))
        .await;
    assert_eq!(api_error(refused), "invalid_blocks");
    let v = fake.take_violations();
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(
        v[0].starts_with("chat.postMessage(C1): blocks[0].text.text: text is 3001 characters"),
        "{v:?}"
    );
    // No text fallback, and an action_id outside steward.*: accepted, but recorded.
    session
        .chat_post_message(&SlackApiChatPostMessageRequest::new(
            c1.clone(),
            content("", json!([{"type": "actions", "elements": [
                {"type": "button", "action_id": "ack", "text": {"type": "plain_text", "text": "Ack"}}]}])),
        ))
        .await?;
    let v = fake.take_violations();
    assert_eq!(v.len(), 2, "{v:?}");
    assert!(v.iter().any(|s| s.contains("plain text fallback")), "{v:?}");
    assert!(
        v.iter()
            .any(|s| s.contains("action_id \"ack\" does not start with \"steward.\"")),
        "{v:?}"
    );

    // Channels the bot cannot post in: error replies, not violations.
    let post =
        |ch: &str| SlackApiChatPostMessageRequest::new(ch.into(), content("hi", Value::Null));
    assert_eq!(
        api_error(session.chat_post_message(&post("CNOPE")).await),
        "channel_not_found"
    );
    assert_eq!(
        api_error(session.chat_post_message(&post("C4")).await),
        "channel_not_found"
    );
    assert_eq!(
        api_error(session.chat_post_message(&post("C3")).await),
        "not_in_channel"
    );
    session.chat_post_message(&post("C2")).await?;
    session.chat_post_message(&post("#data-alerts")).await?;
    // A user id is a DM.
    let dm = session.chat_post_message(&post("U1")).await?;
    assert_eq!(dm.channel.value(), &dm_channel("U1"));

    // Joining: public yes, private no.
    let joined = session
        .conversations_join(&SlackApiConversationsJoinRequest::new("C3".into()))
        .await?;
    assert_eq!(joined.channel.flags.is_member, Some(true));
    session.chat_post_message(&post("C3")).await?;
    let private = session
        .conversations_join(&SlackApiConversationsJoinRequest::new("C2".into()))
        .await;
    assert_eq!(api_error(private), "method_not_supported_for_channel_type");

    let info = session
        .conversations_info(&SlackApiConversationsInfoRequest::new("C2".into()))
        .await?;
    assert_eq!(info.channel.flags.is_private, Some(true));
    assert_eq!(info.channel.name.as_deref(), Some("private-ops"));
    let secret = session
        .conversations_info(&SlackApiConversationsInfoRequest::new("C4".into()))
        .await;
    assert_eq!(api_error(secret), "channel_not_found");
    let info_call = &fake.calls_to("conversations.info")[0];
    assert_eq!(
        (
            info_call.verb.as_str(),
            info_call.params["channel"].as_str()
        ),
        ("GET", Some("C2"))
    );

    // People.
    let ada = session
        .users_lookup_by_email(&SlackApiUsersLookupByEmailRequest::new(EmailAddress(
            "ada@example.com".into(),
        )))
        .await?;
    assert_eq!(ada.user.id.value(), "U1");
    let nobody = session
        .users_lookup_by_email(&SlackApiUsersLookupByEmailRequest::new(EmailAddress(
            "who@example.com".into(),
        )))
        .await;
    assert_eq!(api_error(nobody), "users_not_found");
    let info = session
        .users_info(&SlackApiUsersInfoRequest::new("U1".into()))
        .await?;
    assert_eq!(info.user.name.as_deref(), Some("ada"));
    assert_eq!(
        api_error(
            session
                .users_info(&SlackApiUsersInfoRequest::new("U404".into()))
                .await
        ),
        "user_not_found"
    );
    let groups = session
        .usergroups_list(&SlackApiUserGroupsListRequest::new())
        .await?;
    assert_eq!(groups.usergroups.len(), 1);
    assert_eq!(groups.usergroups[0].handle, "data-eng");

    // Permalinks and ephemeral messages.
    let link = session
        .chat_get_permalink(&SlackApiChatGetPermalinkRequest::new(
            c1.clone(),
            reply.ts.clone(),
        ))
        .await?;
    assert!(
        link.permalink.as_str().contains("/archives/C1/p"),
        "{}",
        link.permalink
    );
    session
        .chat_post_ephemeral(&SlackApiChatPostEphemeralRequest::new(
            c1.clone(),
            "U1".into(),
            content("only you", Value::Null),
        ))
        .await?;
    let eph = fake
        .messages("C1")
        .into_iter()
        .find(|m| m.ephemeral)
        .expect("ephemeral stored");
    assert_eq!(eph.ephemeral_user.as_deref(), Some("U1"));
    let eph_call = fake.calls_to("chat.postEphemeral");
    assert!(eph_call[0].response["message_ts"].is_string());

    // Views: a modal from a fresh trigger (once only), the Home tab, an update.
    let view: SlackView = serde_json::from_value(modal("Declare incident"))?;
    let trigger = fake.issue_trigger_id();
    let opened = session
        .views_open(&SlackApiViewsOpenRequest::new(
            trigger.clone().into(),
            view.clone(),
        ))
        .await?;
    let view_id = opened.view.state_params.id.clone();
    let again = session
        .views_open(&SlackApiViewsOpenRequest::new(trigger.into(), view.clone()))
        .await;
    assert_eq!(api_error(again), "exchanged_trigger_id");
    let unknown = session
        .views_open(&SlackApiViewsOpenRequest::new(
            "1.2.nope".into(),
            view.clone(),
        ))
        .await;
    assert_eq!(api_error(unknown), "invalid_trigger_id");
    let updated = session
        .views_update(
            &SlackApiViewsUpdateRequest::new(serde_json::from_value(modal("Declared"))?)
                .with_view_id(view_id.clone()),
        )
        .await?;
    assert_eq!(updated.view.state_params.id, view_id);
    let stale = session
        .views_update(
            &SlackApiViewsUpdateRequest::new(view.clone())
                .with_view_id(view_id.clone())
                .with_hash(opened.view.state_params.hash.clone()),
        )
        .await;
    assert_eq!(api_error(stale), "hash_conflict");
    let too_long = session
        .views_open(&SlackApiViewsOpenRequest::new(
            fake.issue_trigger_id().into(),
            serde_json::from_value(modal("A title far over the limit"))?,
        ))
        .await;
    assert_eq!(api_error(too_long), "invalid_arguments");
    assert_eq!(fake.take_violations().len(), 1);
    let home: SlackView = serde_json::from_value(json!({"type": "home", "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*2 open issues*"}}]}))?;
    session
        .views_publish(&SlackApiViewsPublishRequest::new("U1".into(), home.clone()))
        .await?;
    session
        .views_publish(&SlackApiViewsPublishRequest::new("U1".into(), home))
        .await?;
    let published = fake.home_view("U1").expect("home published");
    assert_eq!(published.updates, 1);
    assert_eq!(fake.views().iter().filter(|v| v.kind == "modal").count(), 1);

    // Raw JSON for what the crate does not model, through the same session and connector.
    let raw_reply: Value = session
        .http_session_api
        .http_post(
            "chat.postMessage",
            &json!({"channel": "C1", "text": "raw", "unfurl_links": false}),
            None,
        )
        .await?;
    assert_eq!(raw_reply["ok"], json!(true));
    assert_eq!(
        fake.calls_to("chat.postMessage").last().unwrap().params["unfurl_links"],
        json!(false)
    );

    fake.assert_no_violations();
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limits_and_injected_faults() -> anyhow::Result<()> {
    let fake = FakeSlack::start().await?;
    fake.add_channel("C1", "alerts", false, true);
    let token = bot_token();

    // Without rate control the 429 surfaces, with its Retry-After.
    fake.inject(
        "auth.test",
        Fault::RateLimited {
            retry_after_secs: 1,
        },
    );
    let plain = client(&fake);
    match plain.open_session(&token).auth_test().await {
        Err(SlackClientError::RateLimitError(e)) => {
            assert_eq!(e.retry_after, Some(Duration::from_secs(1)))
        }
        other => panic!("expected a rate limit error, got {other:?}"),
    }

    // With rate control and max_retries, the client waits Retry-After and tries again.
    fake.inject(
        "chat.postMessage",
        Fault::RateLimited {
            retry_after_secs: 1,
        },
    );
    let controlled = SlackClient::new(
        connector(&fake).with_rate_control(SlackApiRateControlConfig::new().with_max_retries(3)),
    );
    let started = Instant::now();
    controlled
        .open_session(&token)
        .chat_post_message(&SlackApiChatPostMessageRequest::new(
            "C1".into(),
            content("hi", Value::Null),
        ))
        .await?;
    let calls = fake.calls_to("chat.postMessage");
    assert_eq!(calls.len(), 2);
    assert_eq!((calls[0].status, calls[1].status), (429, 200));
    assert!(calls[1].at.duration_since(calls[0].at) >= Duration::from_secs(1));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(fake.messages("C1").len(), 1);

    // Faults are consumed in order, a method's own queue before "*".
    fake.inject("*", Fault::ServerError);
    fake.inject("users.info", Fault::InvalidAuth);
    fake.inject("users.info", Fault::ChannelNotFound);
    let session = plain.open_session(&token);
    assert_eq!(
        api_error(
            session
                .users_info(&SlackApiUsersInfoRequest::new(FAKE_BOT_USER_ID.into()))
                .await
        ),
        "invalid_auth"
    );
    assert_eq!(
        api_error(
            session
                .users_info(&SlackApiUsersInfoRequest::new(FAKE_BOT_USER_ID.into()))
                .await
        ),
        "channel_not_found"
    );
    match session.auth_test().await {
        Err(SlackClientError::HttpError(e)) => assert_eq!(e.status_code.as_u16(), 500),
        other => panic!("expected HTTP 500, got {other:?}"),
    }
    session.auth_test().await?;
    fake.inject("views.open", Fault::TriggerExpired);
    let view: SlackView = serde_json::from_value(modal("Declare"))?;
    let r = session
        .views_open(&SlackApiViewsOpenRequest::new(
            fake.issue_trigger_id().into(),
            view,
        ))
        .await;
    assert_eq!(api_error(r), "expired_trigger_id");
    fake.assert_no_violations();
    Ok(())
}

// ---------- raw HTTP: form bodies, query strings, tokens, tickets ----------

#[tokio::test(flavor = "multi_thread")]
async fn raw_http_forms_tokens_and_triggers() -> anyhow::Result<()> {
    let fake = FakeSlack::start().await?;
    fake.add_user("U1", "ada", "ada@example.com");
    fake.add_channel("C1", "alerts", false, true);

    // A form body with the token in it and JSON-valued blocks.
    let blocks = alert_blocks().to_string();
    let form = format!(
        "token={FAKE_BOT_TOKEN}&channel=C1&text={}&blocks={}",
        form_escape("orders failed"),
        form_escape(&blocks)
    );
    let (status, body) = raw(&fake, "POST", "/api/chat.postMessage", None, Some(&form)).await;
    assert_eq!((status, &body["ok"]), (200, &json!(true)), "{body}");
    let m = &fake.messages("C1")[0];
    assert_eq!(m.text, "orders failed");
    assert_eq!(m.blocks, Some(alert_blocks()));

    // GET with a query string.
    let (_, body) = raw(
        &fake,
        "GET",
        "/api/users.info?user=U1",
        Some(FAKE_BOT_TOKEN),
        None,
    )
    .await;
    assert_eq!(body["user"]["profile"]["email"], json!("ada@example.com"));
    let (_, body) = raw(&fake, "GET", "/api/auth.test", Some(FAKE_BOT_TOKEN), None).await;
    assert_eq!(body["user_id"], json!(FAKE_BOT_USER_ID));

    // Tokens.
    let (_, body) = raw(&fake, "POST", "/api/auth.test", None, None).await;
    assert_eq!(body["error"], json!("not_authed"));
    let (_, body) = raw(&fake, "POST", "/api/auth.test", Some("xoxb-wrong"), None).await;
    assert_eq!(body["error"], json!("invalid_auth"));
    let (_, body) = raw(&fake, "POST", "/api/auth.test", Some(FAKE_APP_TOKEN), None).await;
    assert_eq!(body["error"], json!("not_allowed_token_type"));
    let (_, body) = raw(
        &fake,
        "POST",
        "/api/apps.connections.open",
        Some(FAKE_BOT_TOKEN),
        None,
    )
    .await;
    assert_eq!(body["error"], json!("not_allowed_token_type"));
    assert_eq!(fake.connections_opened(), 0);
    let (_, body) = raw(
        &fake,
        "POST",
        "/api/apps.connections.open",
        Some(FAKE_APP_TOKEN),
        None,
    )
    .await;
    let url = body["url"].as_str().expect("a ws url").to_owned();
    assert!(
        url.starts_with(&format!("{}/link?ticket=", fake.ws_url())),
        "{url}"
    );
    assert_eq!(fake.connections_opened(), 1);

    // A ticket works once; a made-up one never.
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str()).await?;
    let hello: Value = match futures_util::StreamExt::next(&mut ws).await {
        Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => {
            serde_json::from_str(t.as_str())?
        }
        other => panic!("expected hello, got {other:?}"),
    };
    assert_eq!(hello["type"], json!("hello"));
    assert_eq!(hello["connection_info"]["app_id"], json!(FAKE_APP_ID));
    assert!(
        tokio_tungstenite::connect_async(url.as_str())
            .await
            .is_err()
    );
    let bogus = format!("{}/link?ticket=nope", fake.ws_url());
    assert!(
        tokio_tungstenite::connect_async(bogus.as_str())
            .await
            .is_err()
    );
    drop(ws);

    // Methods the fake does not serve are Slack's unknown_method, and violations.
    let (_, body) = raw(
        &fake,
        "POST",
        "/api/files.upload",
        Some(FAKE_BOT_TOKEN),
        None,
    )
    .await;
    assert_eq!(body["error"], json!("unknown_method"));
    assert_eq!(fake.take_violations().len(), 1);

    // Triggers: 3 s, then expired_trigger_id.
    let trigger = fake.issue_trigger_id();
    tokio::time::sleep(TRIGGER_LIFETIME + Duration::from_millis(100)).await;
    let form = format!(
        "trigger_id={trigger}&view={}",
        form_escape(&modal("Declare").to_string())
    );
    let (_, body) = raw(
        &fake,
        "POST",
        "/api/views.open",
        Some(FAKE_BOT_TOKEN),
        Some(&form),
    )
    .await;
    assert_eq!(body["error"], json!("expired_trigger_id"));

    // Every call was recorded with its verb, path, content type, params and token.
    let calls = fake.calls();
    assert!(calls.iter().any(|c| c.method == "users.info"
        && c.verb == "GET"
        && c.path == "/api/users.info"
        && c.content_type.is_none()
        && c.params["user"] == json!("U1")));
    assert!(calls.iter().any(|c| c.method == "chat.postMessage"
        && c.content_type.as_deref() == Some("application/x-www-form-urlencoded")
        && c.token.as_deref() == Some(FAKE_BOT_TOKEN)));
    let refused: Vec<&str> = calls
        .iter()
        .filter(|c| !c.malformed.is_empty())
        .map(|c| c.method.as_str())
        .collect();
    assert_eq!(
        refused,
        ["files.upload"],
        "only the unknown method was malformed"
    );
    fake.assert_no_violations();
    Ok(())
}

// ---------- Socket Mode through slack-morphism ----------

/// What the callbacks saw, for the test to read.
#[derive(Clone)]
struct Seen(tokio::sync::mpsc::UnboundedSender<String>);

async fn seen(states: &SlackClientEventsUserState) -> Seen {
    states
        .read()
        .await
        .get_user_state::<Seen>()
        .cloned()
        .expect("user state")
}

async fn on_interaction(
    event: SlackInteractionEvent,
    client: Arc<SlackHyperClient>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    let seen = seen(&states).await;
    if let SlackInteractionEvent::BlockActions(ba) = event {
        let action = ba
            .actions
            .unwrap_or_default()
            .first()
            .map(|a| a.action_id.value().clone())
            .unwrap_or_default();
        let _ = seen.0.send(format!("block_actions {action}"));
        // The work runs after the ack: open a modal with the trigger, answer on the response_url.
        tokio::spawn(async move {
            let token = bot_token();
            let view: SlackView = serde_json::from_value(modal("Declare incident")).expect("view");
            let opened = client
                .open_session(&token)
                .views_open(&SlackApiViewsOpenRequest::new(ba.trigger_id, view))
                .await;
            let _ = seen.0.send(format!("views.open {}", opened.is_ok()));
            if let Some(url) = ba.response_url {
                let reply = SlackApiPostWebhookMessageRequest::new(
                    SlackMessageContent::new().with_text("Acked".into()),
                );
                let r = client.respond_to_event(&url, &reply).await;
                let _ = seen.0.send(format!("respond {}", r.is_ok()));
            }
        });
    }
    Ok(())
}

async fn on_command(
    event: SlackCommandEvent,
    _client: Arc<SlackHyperClient>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<SlackCommandEventResponse> {
    let _ = seen(&states).await.0.send(format!(
        "command {} {}",
        event.command.value(),
        event.text.unwrap_or_default()
    ));
    Ok(SlackCommandEventResponse::new(
        SlackMessageContent::new().with_text("On it".into()),
    ))
}

async fn on_push(
    event: SlackPushEventCallback,
    _client: Arc<SlackHyperClient>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    let what = match event.event {
        SlackEventCallbackBody::Message(m) => format!(
            "message {}",
            m.content.and_then(|c| c.text).unwrap_or_default()
        ),
        other => format!("event {other:?}"),
    };
    let _ = seen(&states).await.0.send(what);
    Ok(())
}

async fn expect_seen(rx: &mut tokio::sync::mpsc::UnboundedReceiver<String>, want: &str) {
    let got = tokio::time::timeout(WAIT, rx.recv()).await.ok().flatten();
    assert_eq!(got.as_deref(), Some(want));
}

#[tokio::test(flavor = "multi_thread")]
async fn socket_mode_through_slack_morphism() -> anyhow::Result<()> {
    let fake = FakeSlack::start().await?;
    fake.add_user("U1", "ada", "ada@example.com");
    fake.add_channel("C1", "data-alerts", false, true);
    let client = client(&fake);

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let env = Arc::new(
        SlackClientEventsListenerEnvironment::new(client.clone()).with_user_state(Seen(tx)),
    );
    let callbacks = SlackSocketModeListenerCallbacks::new()
        .with_command_events(on_command)
        .with_interaction_events(on_interaction)
        .with_push_events(on_push);
    // initial_backoff 0: the second connection opens at once instead of after 5 s.
    let config = SlackClientSocketModeConfig::new().with_initial_backoff_in_seconds(0);
    let listener = SlackClientSocketModeListener::new(&config, env, callbacks);
    listener.listen_for(&app_token()).await?;
    listener.start().await;
    fake.wait_for_socket(WAIT).await?;
    fake.wait_until(WAIT, |f| f.open_sockets() == 2).await?;
    assert_eq!(fake.connections_opened(), 2);

    // The bot's alert, then a click on its button.
    let posted = client
        .open_session(&bot_token())
        .chat_post_message(&SlackApiChatPostMessageRequest::new(
            "C1".into(),
            content("orders failed", alert_blocks()),
        ))
        .await?;
    let click = block_action(
        "U1",
        "C1",
        posted.ts.value(),
        "steward.ack",
        "steward.actions",
        ActionValue::Button("issue-1".into()),
        &fake.issue_trigger_id(),
    );
    let id = fake.send_envelope(EnvelopeKind::Interactive, click).await;
    let ack = fake.wait_for_ack(&id, WAIT).await?;
    assert!(ack.payload.is_none());
    assert!(ack.latency < Duration::from_secs(3), "{:?}", ack.latency);
    expect_seen(&mut rx, "block_actions steward.ack").await;
    expect_seen(&mut rx, "views.open true").await;
    expect_seen(&mut rx, "respond true").await;
    let modal = fake
        .views()
        .into_iter()
        .find(|v| v.kind == "modal")
        .expect("modal opened");
    assert_eq!(modal.user.as_deref(), Some("U1"));
    let responded = fake
        .messages("C1")
        .into_iter()
        .find(|m| m.source == "respond")
        .expect("response_url post");
    assert_eq!(
        (responded.text.as_str(), responded.ephemeral_user.as_deref()),
        ("Acked", Some("U1"))
    );
    assert_eq!(fake.calls_to("respond").len(), 1);

    // A slash command: the ack carries the reply.
    let cmd = slash_command("U1", "C1", "/steward", "status", "");
    let id = fake.send_envelope(EnvelopeKind::SlashCommands, cmd).await;
    let ack = fake.wait_for_ack(&id, WAIT).await?;
    assert_eq!(
        ack.payload.as_ref().map(|p| p["text"].clone()),
        Some(json!("On it"))
    );
    expect_seen(&mut rx, "command /steward status").await;
    // Slack retries: the same envelope again, acked again.
    fake.redeliver(&id).await;
    let again = fake.wait_for_ack(&id, WAIT).await?;
    assert_eq!(again.retry_attempt, 1);
    expect_seen(&mut rx, "command /steward status").await;

    // A thread reply from a user.
    fake.post_as_user("U1", "C1", "looking into it", Some(posted.ts.value()))
        .await;
    expect_seen(&mut rx, "message looking into it").await;

    // Slack asks for a refresh: the client reconnects and still acks.
    let before = fake.connections_opened();
    fake.disconnect("refresh_requested").await;
    fake.wait_until(WAIT, |f| {
        f.connections_opened() >= before + 2 && f.open_sockets() == 2
    })
    .await?;
    let id = fake
        .send_envelope(EnvelopeKind::EventsApi, app_home_opened("U1"))
        .await;
    fake.wait_for_ack(&id, WAIT).await?;
    assert!(
        rx.recv()
            .await
            .is_some_and(|s| s.starts_with("event AppHomeOpened"))
    );

    // The connections die without a close frame: the client reconnects again.
    let before = fake.connections_opened();
    fake.drop_sockets().await;
    fake.wait_until(WAIT, |f| {
        f.connections_opened() >= before + 2 && f.open_sockets() == 2
    })
    .await?;
    let id = fake
        .send_envelope(
            EnvelopeKind::SlashCommands,
            slash_command("U1", "C1", "/steward", "", ""),
        )
        .await;
    fake.wait_for_ack(&id, WAIT).await?;
    expect_seen(&mut rx, "command /steward ").await;

    assert!(fake.unacked().is_empty(), "{:?}", fake.unacked());
    assert_eq!(fake.acks().len(), 6);
    listener.shutdown().await;
    fake.assert_no_violations();
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn envelopes_wait_for_a_socket_and_payloads_come_alive() -> anyhow::Result<()> {
    let fake = FakeSlack::start().await?;
    fake.add_user("U1", "ada", "ada@example.com");
    fake.add_channel("C9", "ops", true, true);
    post_json(
        &fake,
        "/api/chat.postMessage",
        &json!({"channel": "C9", "text": "alert", "blocks": alert_blocks()}),
    );
    let ts = fake.messages("C9")[0].ts.clone();

    // No socket yet: the envelope waits.
    let click = block_action(
        "U1",
        "C9",
        &ts,
        "steward.ack",
        "b",
        ActionValue::Button("1".into()),
        "9.9.x",
    );
    let id = fake.send_envelope(EnvelopeKind::Interactive, click).await;
    assert_eq!(fake.unacked(), vec![id.clone()]);
    let payload = fake.shared.read(|st| st.envelopes[&id].payload.clone());
    assert_eq!(
        payload["message"]["blocks"],
        alert_blocks(),
        "the clicked message comes with its blocks"
    );
    assert_eq!(payload["channel"]["name"], json!("ops"));
    assert_eq!(payload["user"]["name"], json!("ada"));
    let url = payload["response_url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/respond/", fake.base_url())),
        "{url}"
    );

    // The payload's trigger became valid on delivery.
    let form = format!(
        "trigger_id=9.9.x&view={}",
        form_escape(&modal("Declare").to_string())
    );
    let (_, body) = raw(
        &fake,
        "POST",
        "/api/views.open",
        Some(FAKE_BOT_TOKEN),
        Some(&form),
    )
    .await;
    assert_eq!(body["ok"], json!(true), "{body}");
    let view_id = body["view"]["id"].as_str().unwrap().to_owned();

    // replace_original on the response_url edits the clicked message.
    let path = url.strip_prefix(&fake.base_url()).unwrap().to_owned();
    let (status, _) = raw_json(
        &fake,
        &path,
        json!({"replace_original": true, "text": "acked"}),
    )
    .await;
    assert_eq!(status, 200);
    let m = &fake.messages("C9")[0];
    assert_eq!((m.text.as_str(), m.history.len()), ("acked", 1));

    // A client connects: the waiting envelope is delivered and acked.
    let (_, body) = raw(
        &fake,
        "POST",
        "/api/apps.connections.open",
        Some(FAKE_APP_TOKEN),
        None,
    )
    .await;
    let (mut ws, _) = tokio_tungstenite::connect_async(body["url"].as_str().unwrap()).await?;
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let mut frames = Vec::new();
    while frames.len() < 2 {
        if let Some(Ok(Message::Text(t))) = ws.next().await {
            frames.push(serde_json::from_str::<Value>(t.as_str())?);
        }
    }
    assert_eq!(frames[0]["type"], json!("hello"));
    assert_eq!(frames[1]["envelope_id"], json!(id));
    assert_eq!(frames[1]["type"], json!("interactive"));
    ws.send(Message::Text(json!({"envelope_id": id}).to_string().into()))
        .await?;
    fake.wait_for_ack(&id, WAIT).await?;

    // Pings get pongs.
    ws.send(Message::Ping(Bytes::from_static(b"still there?")))
        .await?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Pong(p))) => break assert_eq!(&p[..], b"still there?"),
            Some(Ok(_)) => continue,
            other => panic!("expected a pong, got {other:?}"),
        }
    }

    // The modal's view_submission, built from what the bot opened.
    let values =
        json!({"title": {"steward.title": {"type": "plain_text_input", "value": "Orders down"}}});
    let submission = fake.view_submission_for(&view_id, "U1", values)?;
    let parsed: SlackInteractionEvent = serde_json::from_value(submission.clone())?;
    assert!(matches!(parsed, SlackInteractionEvent::ViewSubmission(_)));
    assert_eq!(submission["view"]["callback_id"], json!("steward.declare"));
    assert_eq!(submission["view"]["blocks"][0]["block_id"], json!("title"));
    let id = fake
        .send_envelope(EnvelopeKind::Interactive, submission)
        .await;
    let frame = loop {
        if let Some(Ok(Message::Text(t))) = ws.next().await {
            break serde_json::from_str::<Value>(t.as_str())?;
        }
    };
    assert_eq!(frame["accepts_response_payload"], json!(true));
    // Acking an envelope Slack never sent is a violation.
    tokio::time::sleep(Duration::from_millis(50)).await;
    ws.send(Message::Text(
        json!({"envelope_id": "nope"}).to_string().into(),
    ))
    .await?;
    ws.send(Message::Text(
        json!({"envelope_id": id, "payload": {"response_action": "clear"}})
            .to_string()
            .into(),
    ))
    .await?;
    let ack = fake.wait_for_ack(&id, WAIT).await?;
    assert_eq!(ack.payload, Some(json!({"response_action": "clear"})));
    let v = fake.take_violations();
    assert!(
        v.len() == 1 && v[0].contains("unknown envelope nope"),
        "{v:?}"
    );
    fake.assert_no_violations();
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn message_events_update_the_history() -> anyhow::Result<()> {
    let fake = FakeSlack::start().await?;
    fake.add_channel("C1", "alerts", false, true);
    let ts = fake.post_as_user("U1", "C1", "first", None).await;
    fake.send_envelope(
        EnvelopeKind::EventsApi,
        message_event("U2", "C1", "reply", "1700000000.000001", Some(&ts), None),
    )
    .await;
    fake.send_envelope(
        EnvelopeKind::EventsApi,
        message_changed_event("U1", "C1", &ts, "second", "first", None),
    )
    .await;
    let msgs = fake.messages("C1");
    assert_eq!(msgs.len(), 2);
    assert_eq!(
        (msgs[0].text.as_str(), msgs[0].history.len()),
        ("second", 1)
    );
    assert_eq!(msgs[1].thread_ts.as_deref(), Some(ts.as_str()));
    fake.send_envelope(
        EnvelopeKind::EventsApi,
        message_deleted_event("U1", "C1", &ts, "second", None),
    )
    .await;
    assert!(fake.messages("C1")[0].deleted);
    // Nobody connected: all four wait for a socket.
    assert_eq!(fake.unacked().len(), 4);
    // The bot may reply in the user's thread.
    let (_, body) = raw(
        &fake,
        "POST",
        "/api/chat.postMessage",
        Some(FAKE_BOT_TOKEN),
        Some(&format!("channel=C1&text=noted&thread_ts={}", msgs[1].ts)),
    )
    .await;
    assert_eq!(body["ok"], json!(true));
    fake.assert_no_violations();
    Ok(())
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

// ---------- payload builders ----------

#[test]
fn builders_parse_with_slack_morphism() {
    let actions = [
        ActionValue::Button("1".into()),
        ActionValue::StaticSelect {
            value: "fixed".into(),
            text: "Fixed".into(),
        },
        ActionValue::Overflow {
            value: "mute".into(),
            text: "Mute".into(),
        },
        ActionValue::UserSelect("U1".into()),
    ];
    for a in actions {
        let p = block_action("U1", "C1", "1.2", "steward.x", "b", a.clone(), "1.2.3");
        match serde_json::from_value::<SlackInteractionEvent>(p) {
            Ok(SlackInteractionEvent::BlockActions(ba)) => {
                assert_eq!(ba.actions.as_ref().map(Vec::len), Some(1), "{a:?}");
                if let ActionValue::UserSelect(u) = &a {
                    // The typed action drops `selected_user`; `state.values` has it.
                    let state = ba.state.expect("state");
                    let v = &state.values[&"b".into()][&"steward.x".into()];
                    assert_eq!(
                        v.selected_user.as_ref().map(|u| u.value().as_str()),
                        Some(u.as_str())
                    );
                }
            }
            other => panic!("{a:?}: {other:?}"),
        }
    }
    let vs = view_submission(
        "U1",
        "steward.declare",
        "meta",
        json!({"b": {"steward.t": {"type": "plain_text_input", "value": "x"}}}),
    );
    assert!(matches!(
        serde_json::from_value::<SlackInteractionEvent>(vs).unwrap(),
        SlackInteractionEvent::ViewSubmission(_)
    ));
    assert!(matches!(
        serde_json::from_value::<SlackInteractionEvent>(shortcut("U1", "steward.declare", "1.2.3"))
            .unwrap(),
        SlackInteractionEvent::Shortcut(_)
    ));
    let cmd: SlackCommandEvent =
        serde_json::from_value(slash_command("U1", "C1", "/steward", "ack 12", "1.2.3")).unwrap();
    assert_eq!(cmd.text.as_deref(), Some("ack 12"));

    let events = [
        message_event("U1", "C1", "hi", "1.000001", None, None),
        message_event("U1", "C1", "hi", "1.000002", Some("1.000001"), None),
        message_event(
            "U1",
            "C1",
            "hi",
            "1.000003",
            Some("1.000001"),
            Some("thread_broadcast"),
        ),
        message_event("U1", "C1", "new", "1.000001", None, Some("message_changed")),
        message_event("U1", "C1", "", "1.000001", None, Some("message_deleted")),
        message_changed_event("U1", "C1", "1.000002", "new", "old", Some("1.000001")),
        message_deleted_event("U1", "C1", "1.000002", "old", Some("1.000001")),
    ];
    for e in events {
        let cb: SlackPushEventCallback =
            serde_json::from_value(e.clone()).unwrap_or_else(|err| panic!("{err}: {e}"));
        let SlackEventCallbackBody::Message(m) = cb.event else {
            panic!("not a message: {e}")
        };
        match e["event"]["subtype"].as_str() {
            Some("message_changed") => {
                assert_eq!(m.subtype, Some(SlackMessageEventType::MessageChanged));
                assert!(m.message.is_some() && m.previous_message.is_some());
            }
            Some("message_deleted") => {
                assert_eq!(m.subtype, Some(SlackMessageEventType::MessageDeleted));
                assert!(m.deleted_ts.is_some());
            }
            Some("thread_broadcast") => {
                assert_eq!(m.subtype, Some(SlackMessageEventType::ThreadBroadcast))
            }
            _ => assert!(m.content.and_then(|c| c.text).is_some()),
        }
    }
    let home: SlackPushEventCallback = serde_json::from_value(app_home_opened("U1")).unwrap();
    assert!(matches!(
        home.event,
        SlackEventCallbackBody::AppHomeOpened(_)
    ));

    // Envelope frames carry what slack-morphism's envelope params need.
    let e = envelope(EnvelopeKind::SlashCommands, "e1", json!({}), 0);
    assert_eq!(
        (e["type"].as_str(), e["accepts_response_payload"].as_bool()),
        (Some("slash_commands"), Some(true))
    );
    let e = envelope(EnvelopeKind::EventsApi, "e2", json!({}), 2);
    assert_eq!(
        (e["retry_attempt"].as_u64(), e["retry_reason"].as_str()),
        (Some(2), Some("timeout"))
    );
}

fn fixtures_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/slack");
    dir.is_dir().then_some(dir)
}

fn load(dir: &std::path::Path, name: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every key path in `v` (arrays as `[]`) with the kind of value there.
fn shape(v: &Value, path: &str, out: &mut BTreeMap<String, &'static str>) {
    let kind = match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    if !path.is_empty() {
        let slot = out.entry(path.to_owned()).or_insert(kind);
        if *slot == "null" {
            *slot = kind;
        }
    }
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                shape(x, &p, out);
            }
        }
        Value::Array(a) => {
            for x in a {
                shape(x, &format!("{path}[]"), out);
            }
        }
        _ => {}
    }
}

/// Paths in the fixture the builder lacks or has with another kind, except those under `allowed`
/// prefixes (and anything about Enterprise Grid, which the fake workspace is not).
fn shape_diff(fixture: &Value, built: &Value, allowed: &[&str]) -> Vec<String> {
    let (mut want, mut have) = (BTreeMap::new(), BTreeMap::new());
    shape(fixture, "", &mut want);
    shape(built, "", &mut have);
    let mut problems = Vec::new();
    for (path, kind) in want {
        if path.contains("enterprise") || allowed.iter().any(|a| path.starts_with(a)) {
            continue;
        }
        match have.get(&path) {
            None => problems.push(format!("missing {path}")),
            Some(k) if *k != kind && kind != "null" && *k != "null" => {
                problems.push(format!("{path}: {kind} in the sample, {k} here"))
            }
            _ => {}
        }
    }
    problems
}

#[tokio::test(flavor = "multi_thread")]
async fn builders_match_the_shapes_of_slack_samples() -> anyhow::Result<()> {
    let Some(dir) = fixtures_dir() else {
        println!(
            "SKIPPED builders_match_the_shapes_of_slack_samples: ../shared/fixtures/slack not found"
        );
        return Ok(());
    };
    let fake = FakeSlack::start().await?;
    fake.add_user("W111", "primary-owner", "owner@example.com");
    fake.add_channel("C111", "test-channel", false, true);
    let live = |kind: EnvelopeKind, payload: Value| {
        let fake = fake.clone();
        async move {
            let id = fake.send_envelope(kind, payload).await;
            fake.shared.read(|st| st.envelopes[&id].payload.clone())
        }
    };
    let mut problems = Vec::new();
    let mut check = |name: &str, built: &Value, allowed: &[&str]| {
        for p in shape_diff(&load(&dir, name), built, allowed) {
            problems.push(format!("{name}: {p}"));
        }
    };

    let ba = block_action(
        "W111",
        "C111",
        "111.222",
        "steward.a",
        "b",
        ActionValue::Button("click_me_123".into()),
        "1.2.3",
    );
    check("block_actions_button_message.json", &ba, &[]);
    let ba_live = live(EnvelopeKind::Interactive, ba).await;
    check("block_actions_button_message.json", &ba_live, &[]);

    check(
        "events_api_message_channel.json",
        &message_event("W111", "C111", "Hello World!", "1.2", None, None),
        &["authed_users"],
    );
    check(
        "events_api_message_thread_reply_channel.json",
        &message_event("W222", "C111", "When?", "1.3", Some("1.2"), None),
        // Only in shared (Slack Connect) channels.
        &["event.user_team", "event.source_team", "event.user_profile"],
    );

    // app_home_opened carries the published Home tab.
    let home = json!({"type": "home", "title": {"type": "plain_text", "text": "Steward"}, "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*2 open issues*"}}]});
    post_json(
        &fake,
        "/api/views.publish",
        &json!({"user_id": "W111", "view": home}),
    );
    let opened = live(EnvelopeKind::EventsApi, app_home_opened("W111")).await;
    check(
        "events_api_app_home_opened_home_tab.json",
        &opened,
        &["event.view.blocks", "event.view.title"],
    );

    check(
        "slash_command.json",
        &slash_command("W111", "C111", "/hello-world", "Hi", "1.2.3"),
        &[],
    );
    check(
        "socket_mode_envelope_slash_commands.json",
        &envelope(
            EnvelopeKind::SlashCommands,
            "e",
            slash_command("U111", "C111", "/x", "", "1.2.3"),
            0,
        ),
        &[],
    );
    check(
        "socket_mode_envelope_events_api_message.json",
        &envelope(
            EnvelopeKind::EventsApi,
            "e",
            message_event("U222", "C111", "Hi", "1.2", None, None),
            0,
        ),
        &[],
    );
    check(
        "socket_mode_envelope_interactive_shortcut.json",
        &envelope(
            EnvelopeKind::Interactive,
            "e",
            shortcut("U111", "do-something", "1.2.3"),
            0,
        ),
        &[],
    );
    check("socket_mode_hello.json", &hello_frame(2, "applink-1"), &[]);
    check(
        "socket_mode_disconnect_too_many_websockets.json",
        &disconnect_frame("too_many_websockets", 2, "applink-1"),
        &[],
    );

    // A view_submission for a modal the bot opened has its blocks; the bare builder has none.
    let trigger = fake.issue_trigger_id();
    let modal = json!({"type": "modal", "callback_id": "view-id", "private_metadata": "This is for you!",
        "title": {"type": "plain_text", "text": "My App"}, "submit": {"type": "plain_text", "text": "Submit"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [{"type": "input", "block_id": "hspI", "label": {"type": "plain_text", "text": "Label"}, "optional": false,
            "element": {"type": "plain_text_input", "action_id": "steward.maBWU"}}]});
    let reply = post_json(
        &fake,
        "/api/views.open",
        &json!({"trigger_id": trigger, "view": modal}),
    );
    let view_id = reply.body["view"]["id"]
        .as_str()
        .expect("opened")
        .to_owned();
    let values = json!({"hspI": {"steward.maBWU": {"type": "plain_text_input", "value": "test"}}});
    let submitted = fake.view_submission_for(&view_id, "W111", values.clone())?;
    // The sample's action id is not steward.*; compare the rest.
    check(
        "view_submission_modal.json",
        &submitted,
        &["view.state.values.hspI.maBWU"],
    );
    check(
        "view_submission_with_response_urls.json",
        &view_submission("U111", "view-id", "", values),
        // response_urls only has entries for modals with a response_url_enabled conversations select.
        &["response_urls[]"],
    );

    // The form body a slash command arrives in over HTTP decodes to the JSON sample.
    let form = std::fs::read_to_string(dir.join("slash_command_form_body.txt"))?;
    let decoded: serde_json::Map<String, Value> = form_decode(form.trim())
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    assert_eq!(Value::Object(decoded), load(&dir, "slash_command.json"));

    assert!(
        problems.is_empty(),
        "builders differ from Slack's samples:\n  {}",
        problems.join("\n  ")
    );
    fake.assert_no_violations();
    Ok(())
}
