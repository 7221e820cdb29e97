//! The Web API through slack-morphism: messages, limits, channels, people, views; rate limits
//! and injected faults.

use super::*;

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
