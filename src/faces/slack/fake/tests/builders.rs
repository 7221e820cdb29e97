//! The payload builders against slack-morphism's types and the shapes of Slack's samples.

use super::*;

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
