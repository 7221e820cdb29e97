//! Payload builders: what Slack sends the bot (interactions, slash commands, events) and the
//! Socket Mode frames around them, in the same shapes as Slack's own samples.
//!
//! The builders are free functions so a test can make a payload without a running fake. Anything
//! that needs the workspace (the `response_url`'s real address, channel and user names, the
//! clicked message's blocks, the published Home tab) is filled in by
//! [`FakeSlack::send_envelope`](super::FakeSlack::send_envelope).

use super::{FAKE_APP_ID, FAKE_BOT_ID, FAKE_BOT_USER_ID, FAKE_TEAM_DOMAIN, FAKE_TEAM_ID};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The verification token Slack puts in every payload (deprecated, but still sent).
pub const FAKE_VERIFICATION_TOKEN: &str = "fake-verification-token";

/// Builders put this in front of a `response_url`; `send_envelope` swaps it for the fake's
/// own `http://127.0.0.1:PORT/respond/`.
pub(crate) const RESPONSE_URL_PLACEHOLDER: &str = "http://fake-slack.invalid/respond/";

static SEQ: AtomicU64 = AtomicU64::new(1);

/// A process-wide sequence number, so ids from different builders and fakes never collide.
pub(crate) fn next_seq() -> u64 {
    SEQ.fetch_add(1, Ordering::Relaxed)
}

pub(crate) fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

pub(crate) fn now_secs() -> u64 {
    now_micros() / 1_000_000
}

/// A Slack timestamp (`"1700000000.000100"`) for now, unique within the process.
pub(crate) fn fresh_ts() -> String {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = now_micros();
    let mut prev = LAST.load(Ordering::Relaxed);
    loop {
        let next = now.max(prev + 1);
        match LAST.compare_exchange(prev, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return format_ts(next),
            Err(p) => prev = p,
        }
    }
}

pub(crate) fn format_ts(micros: u64) -> String {
    format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

/// A UUID-shaped id (Socket Mode envelope ids and `client_msg_id`s look like this).
pub(crate) fn uuid_like() -> String {
    let n = next_seq();
    let t = now_micros();
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (t >> 16) as u32,
        (t & 0xffff) as u16,
        (n >> 12) & 0xfff,
        n & 0xfff,
        n.wrapping_mul(0x9e37_79b9_7f4a_7c15) & 0xffff_ffff_ffff
    )
}

fn event_id() -> String {
    format!(
        "Ev{:08X}{:04X}",
        now_secs() & 0xffff_ffff,
        next_seq() & 0xffff
    )
}

fn response_url() -> String {
    format!("{RESPONSE_URL_PLACEHOLDER}{}", next_seq())
}

/// The DM channel id the fake uses between the bot and `user`.
pub fn dm_channel(user: &str) -> String {
    format!("D{}", user.trim_start_matches(['U', 'W']))
}

fn plain(text: &str) -> Value {
    json!({"type": "plain_text", "text": text, "emoji": true})
}

fn basic_user(user: &str) -> Value {
    json!({"id": user, "username": user, "name": user, "team_id": FAKE_TEAM_ID})
}

fn team() -> Value {
    json!({"id": FAKE_TEAM_ID, "domain": FAKE_TEAM_DOMAIN})
}

/// What the user did to an interactive element, for [`block_action`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionValue {
    /// A button click with the button's `value`.
    Button(String),
    /// A `static_select` choice.
    StaticSelect { value: String, text: String },
    /// An `overflow` menu choice.
    Overflow { value: String, text: String },
    /// A `users_select` choice (the selected user id).
    UserSelect(String),
}

/// A `block_actions` interaction on a message (a click on a button or a select in `channel`'s
/// message `message_ts`). `send_envelope` replaces `message` with the stored message (blocks
/// included) when the fake knows it, fills in names, and makes `response_url` and `trigger_id` live.
pub fn block_action(
    user: &str,
    channel: &str,
    message_ts: &str,
    action_id: &str,
    block_id: &str,
    value: ActionValue,
    trigger_id: &str,
) -> Value {
    let mut action = json!({"action_id": action_id, "block_id": block_id, "action_ts": fresh_ts()});
    // Slack also reports the current value of every stateful element of the message in
    // `state.values` (slack-morphism's action model has no `selected_user`, so that is where a
    // bot reads a users_select from).
    let (fields, state) = match value {
        ActionValue::Button(v) => (
            json!({"type": "button", "text": plain(&v), "value": v}),
            None,
        ),
        ActionValue::StaticSelect { value, text } => {
            let option = json!({"text": plain(&text), "value": value});
            (
                json!({"type": "static_select", "selected_option": option, "placeholder": plain("Select an item")}),
                Some(json!({"type": "static_select", "selected_option": option})),
            )
        }
        ActionValue::Overflow { value, text } => (
            json!({"type": "overflow", "selected_option": {"text": plain(&text), "value": value}}),
            None,
        ),
        ActionValue::UserSelect(u) => (
            json!({"type": "users_select", "selected_user": u}),
            Some(json!({"type": "users_select", "selected_user": u})),
        ),
    };
    if let (Some(a), Some(f)) = (action.as_object_mut(), fields.as_object()) {
        a.extend(f.clone());
    }
    let mut values = serde_json::Map::new();
    if let Some(s) = state {
        values.insert(block_id.to_owned(), json!({ action_id: s }));
    }
    json!({
        "type": "block_actions",
        "user": basic_user(user),
        "api_app_id": FAKE_APP_ID,
        "token": FAKE_VERIFICATION_TOKEN,
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": false},
        "trigger_id": trigger_id,
        "team": team(),
        "enterprise": null,
        "is_enterprise_install": false,
        "channel": {"id": channel, "name": channel},
        "message": {
            "type": "message",
            "user": FAKE_BOT_USER_ID,
            "bot_id": FAKE_BOT_ID,
            "app_id": FAKE_APP_ID,
            "text": "",
            "ts": message_ts,
            "team": FAKE_TEAM_ID,
        },
        "state": {"values": values},
        "response_url": response_url(),
        "actions": [action],
    })
}

/// A `view_submission` for a modal with `callback_id`, `private_metadata` and `state.values`
/// `values` (`{block_id: {action_id: {"type": ..., "value" | "selected_option" | ...}}}`).
/// The view has no blocks; [`FakeSlack::view_submission_for`](super::FakeSlack::view_submission_for)
/// builds one from a modal the bot really opened.
pub fn view_submission(
    user: &str,
    callback_id: &str,
    private_metadata: &str,
    values: Value,
) -> Value {
    let view_id = format!("V{:010X}", next_seq());
    let view = json!({
        "id": view_id,
        "team_id": FAKE_TEAM_ID,
        "type": "modal",
        "blocks": [],
        "private_metadata": private_metadata,
        "callback_id": callback_id,
        "state": {"values": values},
        "hash": format!("{}.{:08x}", now_secs(), next_seq()),
        "title": {"type": "plain_text", "text": "Steward"},
        "clear_on_close": false,
        "notify_on_close": false,
        "close": {"type": "plain_text", "text": "Cancel"},
        "submit": {"type": "plain_text", "text": "Submit"},
        "previous_view_id": null,
        "root_view_id": view_id,
        "app_id": FAKE_APP_ID,
        "external_id": "",
        "app_installed_team_id": FAKE_TEAM_ID,
        "bot_id": FAKE_BOT_ID,
    });
    view_submission_with_view(user, view)
}

pub(crate) fn view_submission_with_view(user: &str, view: Value) -> Value {
    json!({
        "type": "view_submission",
        "team": team(),
        "user": basic_user(user),
        "api_app_id": FAKE_APP_ID,
        "token": FAKE_VERIFICATION_TOKEN,
        "trigger_id": fresh_trigger_id(),
        "view": view,
        "response_urls": [],
        "enterprise": null,
        "is_enterprise_install": false,
    })
}

/// A global shortcut (`type: shortcut`) with `callback_id`.
pub fn shortcut(user: &str, callback_id: &str, trigger_id: &str) -> Value {
    json!({
        "type": "shortcut",
        "token": FAKE_VERIFICATION_TOKEN,
        "action_ts": fresh_ts(),
        "team": team(),
        "user": {"id": user, "username": user, "team_id": FAKE_TEAM_ID},
        "is_enterprise_install": false,
        "enterprise": null,
        "callback_id": callback_id,
        "trigger_id": trigger_id,
    })
}

/// A slash command invocation (`command` like `"/steward"`, `text` the rest of the line).
pub fn slash_command(
    user: &str,
    channel: &str,
    command: &str,
    text: &str,
    trigger_id: &str,
) -> Value {
    json!({
        "token": FAKE_VERIFICATION_TOKEN,
        "team_id": FAKE_TEAM_ID,
        "team_domain": FAKE_TEAM_DOMAIN,
        "channel_id": channel,
        "channel_name": channel,
        "user_id": user,
        "user_name": user,
        "command": command,
        "text": text,
        "api_app_id": FAKE_APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url(),
        "trigger_id": trigger_id,
    })
}

/// Wraps an event in the Events API `event_callback` envelope.
pub fn event_callback(event: Value) -> Value {
    let kind = event
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("event")
        .to_owned();
    let channel = event
        .get("channel")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    json!({
        "token": FAKE_VERIFICATION_TOKEN,
        "team_id": FAKE_TEAM_ID,
        "api_app_id": FAKE_APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id(),
        "event_time": now_secs(),
        "authorizations": [{
            "enterprise_id": null,
            "team_id": FAKE_TEAM_ID,
            "user_id": FAKE_BOT_USER_ID,
            "is_bot": true,
            "is_enterprise_install": false,
        }],
        "is_ext_shared_channel": false,
        "event_context": format!("4-{kind}-{FAKE_TEAM_ID}-{channel}"),
    })
}

fn rich_text(text: &str) -> Value {
    json!([{
        "type": "rich_text",
        "block_id": format!("rt{}", next_seq()),
        "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
    }])
}

fn channel_type(channel: &str) -> &'static str {
    match channel.chars().next() {
        Some('G') => "group",
        Some('D') => "im",
        _ => "channel",
    }
}

/// A `message` event (Events API `event_callback`): a user posting `text` with timestamp `ts` in
/// `channel`, in the thread `thread_ts` if given. `subtype` adds Slack's subtype
/// (`thread_broadcast`, `bot_message`, `channel_join`, ...); `message_changed` and
/// `message_deleted` are built by [`message_changed_event`] / [`message_deleted_event`] (here
/// `text` is the new text / `ts` the deleted message). `send_envelope` sets `channel_type` to
/// `group` for a private channel and `parent_user_id` from the stored thread parent.
pub fn message_event(
    user: &str,
    channel: &str,
    text: &str,
    ts: &str,
    thread_ts: Option<&str>,
    subtype: Option<&str>,
) -> Value {
    match subtype {
        Some("message_changed") => {
            return message_changed_event(user, channel, ts, text, "", thread_ts);
        }
        Some("message_deleted") => return message_deleted_event(user, channel, ts, "", thread_ts),
        _ => {}
    }
    let mut event = json!({
        "type": "message",
        "client_msg_id": uuid_like(),
        "text": text,
        "user": user,
        "ts": ts,
        "team": FAKE_TEAM_ID,
        "blocks": rich_text(text),
        "channel": channel,
        "event_ts": ts,
        "channel_type": channel_type(channel),
    });
    let e = event.as_object_mut().expect("object");
    if let Some(t) = thread_ts {
        e.insert("thread_ts".into(), json!(t));
        e.insert("parent_user_id".into(), json!(FAKE_BOT_USER_ID));
    }
    if let Some(s) = subtype {
        e.insert("subtype".into(), json!(s));
        if s == "bot_message" {
            e.insert("bot_id".into(), json!(FAKE_BOT_ID));
        }
        if s == "thread_broadcast" {
            e.remove("client_msg_id");
        }
    }
    event_callback(event)
}

/// A `message_changed` event: `user`'s message `ts` in `channel` now reads `new_text`.
pub fn message_changed_event(
    user: &str,
    channel: &str,
    ts: &str,
    new_text: &str,
    previous_text: &str,
    thread_ts: Option<&str>,
) -> Value {
    let event_ts = fresh_ts();
    let mut message = json!({
        "type": "message",
        "user": user,
        "text": new_text,
        "ts": ts,
        "team": FAKE_TEAM_ID,
        "edited": {"user": user, "ts": event_ts},
        "blocks": rich_text(new_text),
    });
    let mut previous = json!({"type": "message", "user": user, "text": previous_text, "ts": ts, "team": FAKE_TEAM_ID});
    if let Some(t) = thread_ts {
        message["thread_ts"] = json!(t);
        previous["thread_ts"] = json!(t);
    }
    event_callback(json!({
        "type": "message",
        "subtype": "message_changed",
        "hidden": true,
        "message": message,
        "previous_message": previous,
        "channel": channel,
        "ts": event_ts,
        "event_ts": event_ts,
        "channel_type": channel_type(channel),
    }))
}

/// A `message_deleted` event: `user`'s message `deleted_ts` in `channel` is gone.
pub fn message_deleted_event(
    user: &str,
    channel: &str,
    deleted_ts: &str,
    previous_text: &str,
    thread_ts: Option<&str>,
) -> Value {
    let event_ts = fresh_ts();
    let mut previous = json!({"type": "message", "user": user, "text": previous_text, "ts": deleted_ts, "team": FAKE_TEAM_ID});
    if let Some(t) = thread_ts {
        previous["thread_ts"] = json!(t);
    }
    event_callback(json!({
        "type": "message",
        "subtype": "message_deleted",
        "hidden": true,
        "deleted_ts": deleted_ts,
        "previous_message": previous,
        "channel": channel,
        "ts": event_ts,
        "event_ts": event_ts,
        "channel_type": channel_type(channel),
    }))
}

/// An `app_home_opened` event (the user opened the bot's Home tab). `send_envelope` adds the
/// `view` the bot last published for that user, as Slack does.
pub fn app_home_opened(user: &str) -> Value {
    event_callback(json!({
        "type": "app_home_opened",
        "user": user,
        "channel": dm_channel(user),
        "tab": "home",
        "event_ts": fresh_ts(),
    }))
}

/// The Socket Mode envelope kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnvelopeKind {
    EventsApi,
    Interactive,
    SlashCommands,
}

impl EnvelopeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EnvelopeKind::EventsApi => "events_api",
            EnvelopeKind::Interactive => "interactive",
            EnvelopeKind::SlashCommands => "slash_commands",
        }
    }
}

/// A Socket Mode envelope frame. Slack accepts a response payload in the ack for slash commands
/// and for `view_submission` / `block_suggestion` interactions.
pub fn envelope(
    kind: EnvelopeKind,
    envelope_id: &str,
    payload: Value,
    retry_attempt: u32,
) -> Value {
    let accepts = match kind {
        EnvelopeKind::SlashCommands => true,
        EnvelopeKind::Interactive => matches!(
            payload.get("type").and_then(Value::as_str),
            Some("view_submission" | "block_suggestion")
        ),
        EnvelopeKind::EventsApi => false,
    };
    let mut frame = json!({
        "envelope_id": envelope_id,
        "payload": payload,
        "type": kind.as_str(),
        "accepts_response_payload": accepts,
    });
    if kind == EnvelopeKind::EventsApi || retry_attempt > 0 {
        frame["retry_attempt"] = json!(retry_attempt);
        frame["retry_reason"] = json!(if retry_attempt > 0 { "timeout" } else { "" });
    }
    frame
}

/// The `hello` frame sent when a Socket Mode connection opens.
pub fn hello_frame(num_connections: usize, host: &str) -> Value {
    json!({
        "type": "hello",
        "num_connections": num_connections,
        "debug_info": {"host": host, "build_number": 1, "approximate_connection_time": 18060},
        "connection_info": {"app_id": FAKE_APP_ID},
    })
}

/// The `disconnect` frame (`reason`: `refresh_requested`, `warning`, `too_many_websockets`).
pub fn disconnect_frame(reason: &str, num_connections: usize, host: &str) -> Value {
    json!({
        "type": "disconnect",
        "reason": reason,
        "num_connections": num_connections,
        "debug_info": {"host": host},
        "connection_info": {"app_id": FAKE_APP_ID},
    })
}

pub(crate) fn fresh_trigger_id() -> String {
    format!(
        "{}.{}.{:016x}",
        next_seq(),
        now_secs(),
        next_seq().wrapping_mul(0x9e37_79b9_7f4a_7c15)
    )
}
