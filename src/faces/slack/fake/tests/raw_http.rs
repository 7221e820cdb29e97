//! Raw HTTP: form bodies, query strings, tokens, tickets, triggers and the call log.

use super::*;

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
    let body = connections_open(&fake).await;
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
    let body = open_modal_raw(&fake, &trigger).await;
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

/// A bot token without a method's scope gets Slack's `missing_scope`, naming the scope needed
/// and those it has; the app token is refused by the bot's methods whatever its scopes.
#[tokio::test(flavor = "multi_thread")]
async fn methods_need_their_scopes() -> anyhow::Result<()> {
    let fake = FakeSlack::start().await?;
    fake.add_usergroup("S1", "analytics");
    let (_, body) = raw(
        &fake,
        "GET",
        "/api/usergroups.list",
        Some(FAKE_BOT_TOKEN),
        None,
    )
    .await;
    assert_eq!(body["ok"], json!(true), "{body}");
    assert_eq!(body["usergroups"][0]["id"], json!("S1"));
    let (_, body) = raw(
        &fake,
        "GET",
        "/api/usergroups.list",
        Some(FAKE_APP_TOKEN),
        None,
    )
    .await;
    assert_eq!(body["error"], json!("not_allowed_token_type"));

    fake.set_bot_scopes(&["chat:write", "commands"]);
    let (status, body) = raw(
        &fake,
        "GET",
        "/api/usergroups.list",
        Some(FAKE_BOT_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"ok": false, "error": "missing_scope", "needed": "usergroups:read", "provided": "chat:write,commands"})
    );
    let (_, body) = raw(
        &fake,
        "GET",
        "/api/users.lookupByEmail?email=a@b.c",
        Some(FAKE_BOT_TOKEN),
        None,
    )
    .await;
    assert_eq!(body["needed"], json!("users:read.email"));
    // auth.test needs no scope; a bad token is refused before scopes matter.
    let (_, body) = raw(&fake, "GET", "/api/auth.test", Some(FAKE_BOT_TOKEN), None).await;
    assert_eq!(body["ok"], json!(true));
    let (_, body) = raw(
        &fake,
        "GET",
        "/api/usergroups.list",
        Some("xoxb-wrong"),
        None,
    )
    .await;
    assert_eq!(body["error"], json!("invalid_auth"));
    Ok(())
}

/// `usergroups.users.list` as Slack documents it: `usergroup` (required) from the query or a
/// form, the members' IDs in `users`; an unknown group is `no_such_subteam`, a missing argument
/// `invalid_arguments`; it needs `usergroups:read`; a bad token is `invalid_auth`.
#[tokio::test(flavor = "multi_thread")]
async fn usergroup_members_are_listed_as_documented() -> anyhow::Result<()> {
    let fake = FakeSlack::start().await?;
    fake.add_usergroup("S1", "data-oncall");
    fake.set_usergroup_users("S1", &["U1", "U2"]);
    let get = |path: &'static str, token: &'static str| {
        let fake = &fake;
        async move { raw(fake, "GET", path, Some(token), None).await.1 }
    };
    let body = get("/api/usergroups.users.list?usergroup=S1", FAKE_BOT_TOKEN).await;
    assert_eq!(body, json!({"ok": true, "users": ["U1", "U2"]}));
    let body = get(
        "/api/usergroups.users.list?usergroup=S1&include_disabled=true&team_id=T1",
        FAKE_BOT_TOKEN,
    )
    .await;
    assert_eq!(body["users"], json!(["U1", "U2"]));
    let form = format!("token={FAKE_BOT_TOKEN}&usergroup=S1");
    let (_, body) = raw(
        &fake,
        "POST",
        "/api/usergroups.users.list",
        None,
        Some(&form),
    )
    .await;
    assert_eq!(body["users"], json!(["U1", "U2"]));
    let body = get("/api/usergroups.users.list?usergroup=S9", FAKE_BOT_TOKEN).await;
    assert_eq!(body, json!({"ok": false, "error": "no_such_subteam"}));
    let body = get("/api/usergroups.users.list", FAKE_BOT_TOKEN).await;
    assert_eq!(body["error"], json!("invalid_arguments"));
    let body = get("/api/usergroups.users.list?usergroup=S1", "xoxb-wrong").await;
    assert_eq!(body["error"], json!("invalid_auth"));
    // The list in usergroups.list counts the members.
    let body = get("/api/usergroups.list", FAKE_BOT_TOKEN).await;
    assert_eq!(body["usergroups"][0]["user_count"], json!(2));
    fake.set_bot_scopes(&["chat:write"]);
    let body = get("/api/usergroups.users.list?usergroup=S1", FAKE_BOT_TOKEN).await;
    assert_eq!(body["error"], json!("missing_scope"));
    assert_eq!(body["needed"], json!("usergroups:read"));
    fake.assert_no_violations();
    Ok(())
}
