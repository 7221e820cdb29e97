//! The fake against Slack's documented request rules (not against our bot): the path is exactly
//! `/api/<method>`, the verb GET or POST, the body JSON or form-encoded, JSON only where the
//! method reads it, the token where Slack looks for it. Each refusal is Slack's answer, and each
//! malformed request is recorded and is a violation.

use super::tests::{form_escape, send};
use super::*;
use serde_json::json;

const JSON: (&str, &str) = ("content-type", "application/json; charset=utf-8");
const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");
const AUTH: (&str, &str) = ("authorization", "Bearer xoxb-fake");

async fn workspace() -> FakeSlack {
    let fake = FakeSlack::start().await.expect("fake starts");
    assert_eq!(
        FAKE_BOT_TOKEN, "xoxb-fake",
        "AUTH above carries the bot token"
    );
    fake.add_user("U1", "ada", "ada@example.com");
    fake.add_channel("C1", "alerts", false, true);
    fake
}

/// The last call's `malformed` reasons, and the violations so far (taken).
fn last_malformed(fake: &FakeSlack) -> (Vec<String>, Vec<String>) {
    let call = fake.calls().pop().expect("a recorded call");
    (call.malformed, fake.take_violations())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_double_slash_or_a_path_outside_api_is_never_a_method() {
    let fake = workspace().await;
    let post = json!({"channel": "C1", "text": "hello"}).to_string();

    // What a trailing slash on the base URL gives: Slack has no method "/chat.postMessage".
    let a = send(
        &fake,
        "POST",
        "/api//chat.postMessage",
        &[JSON, AUTH],
        &post,
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.body,
        json!({"ok": false, "error": "unknown_method", "req_method": "/chat.postMessage"})
    );
    assert!(fake.messages("C1").is_empty(), "nothing was posted");
    let (why, violations) = last_malformed(&fake);
    assert!(why[0].contains("not a method name"), "{why:?}");
    assert_eq!(violations.len(), 1);
    let call = fake.calls().pop().unwrap();
    assert_eq!(
        (call.path.as_str(), call.content_type.as_deref()),
        ("/api//chat.postMessage", Some(JSON.1))
    );

    // An unknown method (a typo), an empty one, a nested path: unknown_method, named back.
    for (path, name) in [
        ("/api/chat.postMesage", "chat.postMesage"),
        ("/api/", ""),
        ("/api/chat/postMessage", "chat/postMessage"),
        ("/api/auth.test/", "auth.test/"),
    ] {
        let a = send(&fake, "POST", path, &[JSON, AUTH], &post).await;
        assert_eq!(
            (a.status, &a.body["error"], &a.body["req_method"]),
            (200, &json!("unknown_method"), &json!(name)),
            "{path}"
        );
        assert_eq!(last_malformed(&fake).1.len(), 1, "{path}");
    }

    // Outside /api/: not the Web API at all.
    for path in [
        "/chat.postMessage",
        "/",
        "/apix/auth.test",
        "//api/auth.test",
    ] {
        let a = send(&fake, "GET", path, &[AUTH], "").await;
        assert_eq!(a.status, 404, "{path}");
        assert_eq!(last_malformed(&fake).1.len(), 1, "{path}");
    }
    assert!(fake.messages("C1").is_empty());

    // The same message at the right path is served, and well formed.
    let a = send(&fake, "POST", "/api/chat.postMessage", &[JSON, AUTH], &post).await;
    assert_eq!(a.body["ok"], json!(true), "{}", a.body);
    assert!(fake.calls().pop().unwrap().malformed.is_empty());
    fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread")]
async fn verbs_other_than_get_and_post_are_refused() {
    let fake = workspace().await;
    let post = json!({"channel": "C1", "text": "hello"}).to_string();
    for verb in ["PUT", "DELETE", "PATCH"] {
        let a = send(&fake, verb, "/api/chat.postMessage", &[JSON, AUTH], &post).await;
        assert_eq!(a.status, 405, "{verb}");
        assert_eq!(a.allow.as_deref(), Some("GET, POST"), "{verb}");
        assert_eq!(a.body["ok"], json!(false));
        let (why, violations) = last_malformed(&fake);
        assert!(why[0].contains("GET or POST"), "{why:?}");
        assert_eq!(violations.len(), 1);
    }
    assert!(fake.messages("C1").is_empty());

    // GET reads the query string (and the header's token).
    let a = send(
        &fake,
        "GET",
        "/api/users.lookupByEmail?email=ada%40example.com",
        &[AUTH],
        "",
    )
    .await;
    assert_eq!(a.body["user"]["id"], json!("U1"), "{}", a.body);
    // A GET's body is not read.
    let a = send(&fake, "GET", "/api/users.info", &[FORM, AUTH], "user=U1").await;
    assert_eq!(a.body["error"], json!("user_not_found"));
    assert!(last_malformed(&fake).0[0].contains("GET's body"));
    fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread")]
async fn content_types_and_charsets_outside_slacks_list_are_refused() {
    let fake = workspace().await;
    let form = "channel=C1&text=hello";

    for ct in ["application/xml", "text/html", "application/octet-stream"] {
        let a = send(
            &fake,
            "POST",
            "/api/chat.postMessage",
            &[("content-type", ct), AUTH],
            form,
        )
        .await;
        assert_eq!(
            (a.status, &a.body["error"]),
            (200, &json!("invalid_post_type")),
            "{ct}"
        );
        assert_eq!(last_malformed(&fake).1.len(), 1);
    }
    let a = send(
        &fake,
        "POST",
        "/api/chat.postMessage",
        &[
            (
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-16",
            ),
            AUTH,
        ],
        form,
    )
    .await;
    assert_eq!(a.body["error"], json!("invalid_charset"));
    assert_eq!(last_malformed(&fake).1.len(), 1);

    // text/plain and a missing Content-Type are accepted, but the body carries no arguments:
    // no channel, so nothing is posted.
    for headers in [vec![("content-type", "text/plain"), AUTH], vec![AUTH]] {
        let a = send(&fake, "POST", "/api/chat.postMessage", &headers, form).await;
        assert_eq!(a.body["error"], json!("channel_not_found"), "{headers:?}");
        let (why, violations) = last_malformed(&fake);
        assert!(why[0].contains("not read as arguments"), "{why:?}");
        assert_eq!(violations.len(), 1);
    }
    assert!(fake.messages("C1").is_empty());

    // Broken JSON, JSON that is not an object.
    let a = send(
        &fake,
        "POST",
        "/api/chat.postMessage",
        &[JSON, AUTH],
        "{\"channel\":",
    )
    .await;
    assert_eq!(a.body["error"], json!("invalid_json"));
    assert_eq!(last_malformed(&fake).1.len(), 1);
    let a = send(
        &fake,
        "POST",
        "/api/chat.postMessage",
        &[JSON, AUTH],
        "[1, 2]",
    )
    .await;
    assert_eq!(a.body["error"], json!("json_not_object"));
    assert_eq!(last_malformed(&fake).1.len(), 1);

    // An argument name with a character outside letters, digits and _.
    let a = send(
        &fake,
        "POST",
        "/api/chat.postMessage",
        &[FORM, AUTH],
        "chan-nel=C1&text=x",
    )
    .await;
    assert_eq!(a.body["error"], json!("invalid_arg_name"));
    assert_eq!(last_malformed(&fake).1.len(), 1);

    // The same arguments, form-encoded, are a message.
    let a = send(&fake, "POST", "/api/chat.postMessage", &[FORM, AUTH], form).await;
    assert_eq!(a.body["ok"], json!(true), "{}", a.body);
    assert_eq!(fake.messages("C1").len(), 1);
    fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread")]
async fn read_methods_ignore_a_json_body_as_slack_does() {
    let fake = workspace().await;
    // The email is right, but users.lookupByEmail reads no JSON: Slack answers as if none was sent.
    let body = json!({"email": "ada@example.com"}).to_string();
    let a = send(
        &fake,
        "POST",
        "/api/users.lookupByEmail",
        &[JSON, AUTH],
        &body,
    )
    .await;
    assert_eq!(a.body["error"], json!("users_not_found"), "{}", a.body);
    let (why, violations) = last_malformed(&fake);
    assert!(why[0].contains("form or query arguments only"), "{why:?}");
    assert_eq!(violations.len(), 1);

    let body = json!({"channel": "C1"}).to_string();
    let a = send(
        &fake,
        "POST",
        "/api/conversations.info",
        &[JSON, AUTH],
        &body,
    )
    .await;
    assert_eq!(a.body["error"], json!("channel_not_found"));
    assert_eq!(last_malformed(&fake).1.len(), 1);

    // Form-encoded, or in the query string, the same arguments work.
    let form = format!("email={}", form_escape("ada@example.com"));
    let a = send(
        &fake,
        "POST",
        "/api/users.lookupByEmail",
        &[FORM, AUTH],
        &form,
    )
    .await;
    assert_eq!(a.body["user"]["id"], json!("U1"));
    let a = send(
        &fake,
        "GET",
        "/api/conversations.info?channel=C1",
        &[AUTH],
        "",
    )
    .await;
    assert_eq!(a.body["channel"]["id"], json!("C1"));

    // An empty JSON object loses nothing (slack-morphism opens Socket Mode that way).
    let a = send(
        &fake,
        "POST",
        "/api/apps.connections.open",
        &[JSON, ("authorization", "Bearer xapp-fake")],
        "{}",
    )
    .await;
    assert_eq!(a.body["ok"], json!(true), "{}", a.body);

    // A JSON method given query arguments beside its body: the query is not read.
    let body = json!({"text": "hello"}).to_string();
    let a = send(
        &fake,
        "POST",
        "/api/chat.postMessage?channel=C1",
        &[JSON, AUTH],
        &body,
    )
    .await;
    assert_eq!(a.body["error"], json!("channel_not_found"));
    assert!(last_malformed(&fake).0[0].contains("beside a JSON body"));
    fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_count_only_where_slack_reads_them() {
    let fake = workspace().await;
    // No token at all: not_authed, a well-formed request all the same.
    let a = send(&fake, "GET", "/api/auth.test", &[], "").await;
    assert_eq!(a.body["error"], json!("not_authed"));
    assert!(fake.calls().pop().unwrap().malformed.is_empty());
    // A wrong one: invalid_auth.
    let a = send(
        &fake,
        "GET",
        "/api/auth.test",
        &[("authorization", "Bearer xoxb-nope")],
        "",
    )
    .await;
    assert_eq!(a.body["error"], json!("invalid_auth"));
    fake.assert_no_violations();

    // In the query string (refused for apps made after February 2021) or a JSON attribute: not read.
    let a = send(&fake, "GET", "/api/auth.test?token=xoxb-fake", &[], "").await;
    assert_eq!(a.body["error"], json!("not_authed"));
    assert!(last_malformed(&fake).0[0].contains("query string"));
    let body = json!({"token": FAKE_BOT_TOKEN, "channel": "C1", "text": "hi"}).to_string();
    let a = send(&fake, "POST", "/api/chat.postMessage", &[JSON], &body).await;
    assert_eq!(a.body["error"], json!("not_authed"));
    assert!(last_malformed(&fake).0[0].contains("inside a JSON body"));

    // A form field carries it.
    let form = format!("token={FAKE_BOT_TOKEN}&channel=C1&text=hi");
    let a = send(&fake, "POST", "/api/chat.postMessage", &[FORM], &form).await;
    assert_eq!(a.body["ok"], json!(true), "{}", a.body);
    assert_eq!(
        fake.calls().pop().unwrap().token.as_deref(),
        Some(FAKE_BOT_TOKEN)
    );
    fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_response_url_takes_a_json_post() {
    let fake = workspace().await;
    let payload = block_action(
        "U1",
        "C1",
        "1.1",
        "steward.ack",
        "b",
        ActionValue::Button("1".into()),
        "1.2.x",
    );
    fake.send_envelope(EnvelopeKind::Interactive, payload).await;
    let url = fake
        .shared
        .read(|st| st.envelopes.values().next().unwrap().payload["response_url"].clone());
    let path = url
        .as_str()
        .unwrap()
        .strip_prefix(&fake.base_url())
        .unwrap()
        .to_owned();
    let a = send(&fake, "GET", &path, &[], "").await;
    assert_eq!((a.status, a.allow.as_deref()), (405, Some("POST")));
    assert_eq!(last_malformed(&fake).1.len(), 1);
    let a = send(&fake, "POST", &path, &[FORM], "text=hi").await;
    assert_eq!(a.body["error"], json!("no_text"));
    assert_eq!(last_malformed(&fake).1.len(), 1);
    let body = json!({"text": "hi", "response_type": "in_channel"}).to_string();
    let a = send(&fake, "POST", &path, &[JSON], &body).await;
    assert_eq!(a.body["ok"], json!(true), "{}", a.body);
    assert!(fake.messages("C1").iter().any(|m| m.text == "hi"));
    fake.assert_no_violations();
}

#[test]
fn method_names_and_content_types_are_read_as_slack_reads_them() {
    use super::request::{HttpRequest, read};
    let get = |path: &str, content_type: Option<&str>, body: &str| {
        let r = read(&HttpRequest {
            verb: "POST",
            path,
            query: None,
            content_type,
            authorization: Some("Bearer xoxb-fake"),
            body: body.as_bytes(),
        });
        (r.refusal.map(|x| x.body["error"].clone()), r.params)
    };
    for path in [
        "/api/auth",
        "/api/.auth.test",
        "/api/auth..test",
        "/api/1auth.test",
        "/api/auth.test.",
    ] {
        assert_eq!(
            get(path, None, "").0,
            Some(json!("unknown_method")),
            "{path}"
        );
    }
    // Media types are case-insensitive; the charset may be quoted.
    let (refused, params) = get(
        "/api/chat.postMessage",
        Some("Application/JSON; Charset=\"UTF-8\""),
        r#"{"channel": "C1"}"#,
    );
    assert_eq!((refused, params["channel"].clone()), (None, json!("C1")));
    let (refused, _) = get(
        "/api/chat.postMessage",
        Some("application/json; charset=latin-2"),
        "{}",
    );
    assert_eq!(refused, Some(json!("invalid_charset")));
    // Form values that hold JSON (blocks, view, ...) are parsed; others stay strings.
    let (_, params) = get(
        "/api/chat.postMessage",
        Some("application/x-www-form-urlencoded"),
        "channel=C1&text=%5B1%5D&blocks=%5B%7B%22type%22%3A%22divider%22%7D%5D",
    );
    assert_eq!(params["text"], json!("[1]"));
    assert_eq!(params["blocks"], json!([{"type": "divider"}]));
}
