//! Socket Mode through slack-morphism: envelopes, acks, retries, reconnects, and payloads that
//! come alive on delivery.

use super::*;

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
    let body = open_modal_raw(&fake, "9.9.x").await;
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
    let body = connections_open(&fake).await;
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
