//! The fake workspace's state and the Web API methods, all synchronous under one lock.

use super::payloads::{self, EnvelopeKind, RESPONSE_URL_PLACEHOLDER, dm_channel, fresh_ts};
use super::request::WebRequest;
use super::{
    Ack, Call, FAKE_APP_ID, FAKE_BOT_ID, FAKE_BOT_USER_ID, FAKE_TEAM_DOMAIN, FAKE_TEAM_ID, Fault,
    MessageVersion, StoredMessage, StoredView, TRIGGER_LIFETIME,
};
use crate::faces::slack::limits::{self, Violation};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// `STEWARD_FAKE_SLACK_LOG=1` prints every Web API call and reply to stderr.
static LOG_CALLS: std::sync::LazyLock<bool> = std::sync::LazyLock::new(|| {
    std::env::var_os("STEWARD_FAKE_SLACK_LOG").is_some_and(|v| v != "0")
});

/// Slack refuses more Socket Mode connections than this per app.
pub(crate) const MAX_SOCKETS: usize = 10;
/// A `response_url` works this many times, for this long.
const HOOK_USES: u32 = 5;
const HOOK_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// Socket Mode envelopes must be acknowledged within this.
const ACK_DEADLINE: Duration = Duration::from_secs(3);

pub(crate) struct User {
    pub id: String,
    pub name: String,
    pub email: String,
    pub is_bot: bool,
}

pub(crate) struct Channel {
    pub id: String,
    pub name: String,
    pub private: bool,
    pub im: bool,
    pub bot_is_member: bool,
    pub created: u64,
}

pub(crate) struct UserGroup {
    pub id: String,
    pub handle: String,
}

struct Trigger {
    issued: Instant,
    used: bool,
    user: Option<String>,
}

struct Hook {
    channel: Option<String>,
    user: Option<String>,
    message_ts: Option<String>,
    uses: u32,
    created: Instant,
}

/// A command for one Socket Mode connection's task.
#[derive(Debug)]
pub(crate) enum WsCmd {
    Text(String),
    /// Close the TCP connection without a close frame.
    Drop,
}

pub(crate) struct Socket {
    pub id: u64,
    pub tx: UnboundedSender<WsCmd>,
    /// `hello` has been written.
    pub ready: bool,
    /// A `disconnect` was sent: no more envelopes go here.
    pub draining: bool,
}

pub(crate) struct Envelope {
    pub kind: EnvelopeKind,
    pub payload: Value,
    pub retry_attempt: u32,
    pub sent_at: Option<Instant>,
    pub acked: bool,
}

/// One Web API reply.
pub(crate) struct Reply {
    pub status: u16,
    pub body: Value,
    pub retry_after: Option<u64>,
    /// The `Allow` header of a 405.
    pub allow: Option<&'static str>,
}

impl Reply {
    fn ok(body: Value) -> Reply {
        let mut map = Map::new();
        map.insert("ok".into(), Value::Bool(true));
        if let Value::Object(m) = body {
            map.extend(m);
        }
        Reply::with_status(200, Value::Object(map))
    }

    fn with_status(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body,
            retry_after: None,
            allow: None,
        }
    }

    /// HTTP 200 `{"ok": false, "error": code}`, as Slack answers every refused call.
    pub(crate) fn err(code: &str) -> Reply {
        Reply::with_status(200, json!({"ok": false, "error": code}))
    }

    /// Slack's answer for a method it does not have.
    pub(crate) fn unknown_method(name: &str) -> Reply {
        Reply::with_status(
            200,
            json!({"ok": false, "error": "unknown_method", "req_method": name}),
        )
    }

    /// A path outside the Web API.
    pub(crate) fn not_found() -> Reply {
        Reply::with_status(404, json!({"ok": false, "error": "not_found"}))
    }

    /// A verb other than the `allow`ed ones.
    pub(crate) fn method_not_allowed(allow: &'static str) -> Reply {
        Reply {
            allow: Some(allow),
            ..Reply::with_status(405, json!({"ok": false, "error": "method_not_allowed"}))
        }
    }

    /// HTTP 400 with `code` (a `response_url` given something other than a JSON object).
    pub(crate) fn bad_request(code: &str) -> Reply {
        Reply::with_status(400, json!({"ok": false, "error": code}))
    }

    fn rejected(code: &str, violations: &[Violation]) -> Reply {
        let messages: Vec<String> = violations
            .iter()
            .map(|v| format!("[ERROR] {} [json-pointer:/{}]", v.rule, v.path))
            .collect();
        Reply::with_status(
            200,
            json!({"ok": false, "error": code, "errors": messages, "response_metadata": {"messages": messages}}),
        )
    }

    fn fault(fault: &Fault) -> Reply {
        match fault {
            Fault::RateLimited { retry_after_secs } => Reply {
                retry_after: Some(*retry_after_secs),
                ..Reply::with_status(429, json!({"ok": false, "error": "ratelimited"}))
            },
            Fault::ServerError => {
                Reply::with_status(500, json!({"ok": false, "error": "internal_error"}))
            }
            Fault::InvalidAuth => Reply::err("invalid_auth"),
            Fault::ChannelNotFound => Reply::err("channel_not_found"),
            Fault::TriggerExpired => Reply::err("expired_trigger_id"),
        }
    }
}

pub(crate) struct State {
    pub bot_token: String,
    pub app_token: String,
    /// `http://127.0.0.1:PORT` of the Web API.
    pub api_base: String,
    /// `ws://127.0.0.1:PORT` of the Socket Mode server.
    pub ws_base: String,
    pub users: Vec<User>,
    pub channels: Vec<Channel>,
    pub usergroups: Vec<UserGroup>,
    pub calls: Vec<Call>,
    pub messages: Vec<StoredMessage>,
    pub views: Vec<StoredView>,
    pub violations: Vec<String>,
    faults: HashMap<String, VecDeque<Fault>>,
    triggers: HashMap<String, Trigger>,
    hooks: HashMap<String, Hook>,
    tickets: HashMap<String, bool>,
    pub connections_opened: usize,
    pub sockets: Vec<Socket>,
    next_socket: usize,
    next_socket_id: u64,
    pub envelopes: HashMap<String, Envelope>,
    pub envelope_order: Vec<String>,
    pending: VecDeque<String>,
    pub acks: Vec<Ack>,
}

fn s(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str)
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.as_str(), "true" | "1"),
        Some(Value::Number(n)) => n.as_u64() == Some(1),
        _ => false,
    }
}

/// Records every `action_id` in `v` that does not start with `steward.`.
fn foreign_action_ids(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if k == "action_id" {
                    if let Some(id) = x.as_str().filter(|id| !id.starts_with("steward.")) {
                        out.push(format!(
                            "{p}: action_id {id:?} does not start with \"steward.\""
                        ));
                    }
                } else {
                    foreign_action_ids(x, &p, out);
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                foreign_action_ids(x, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

impl State {
    pub fn new(bot_token: String, app_token: String, api_base: String, ws_base: String) -> State {
        State {
            bot_token,
            app_token,
            api_base,
            ws_base,
            users: vec![User {
                id: FAKE_BOT_USER_ID.into(),
                name: "steward".into(),
                email: String::new(),
                is_bot: true,
            }],
            channels: Vec::new(),
            usergroups: Vec::new(),
            calls: Vec::new(),
            messages: Vec::new(),
            views: Vec::new(),
            violations: Vec::new(),
            faults: HashMap::new(),
            triggers: HashMap::new(),
            hooks: HashMap::new(),
            tickets: HashMap::new(),
            connections_opened: 0,
            sockets: Vec::new(),
            next_socket: 0,
            next_socket_id: 1,
            envelopes: HashMap::new(),
            envelope_order: Vec::new(),
            pending: VecDeque::new(),
            acks: Vec::new(),
        }
    }

    fn violate(&mut self, v: String) {
        tracing::warn!(violation = v.as_str(), "fake slack: violation");
        self.violations.push(v);
    }

    pub fn add_fault(&mut self, method: &str, fault: Fault) {
        self.faults
            .entry(method.to_owned())
            .or_default()
            .push_back(fault);
    }

    fn take_fault(&mut self, method: &str) -> Option<Fault> {
        if let Some(f) = self.faults.get_mut(method).and_then(VecDeque::pop_front) {
            return Some(f);
        }
        self.faults.get_mut("*").and_then(VecDeque::pop_front)
    }

    pub fn issue_trigger(&mut self, id: String, user: Option<String>) {
        self.triggers.insert(
            id,
            Trigger {
                issued: Instant::now(),
                used: false,
                user,
            },
        );
    }

    fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    fn channel_index(&self, key: &str) -> Option<usize> {
        let name = key.trim_start_matches('#');
        self.channels
            .iter()
            .position(|c| c.id == key)
            .or_else(|| self.channels.iter().position(|c| !c.im && c.name == name))
    }

    /// The channel as the bot sees it: private channels it is not in do not exist.
    fn visible_channel(&self, key: &str) -> Option<usize> {
        self.channel_index(key)
            .filter(|&i| !self.channels[i].private || self.channels[i].bot_is_member)
    }

    fn dm_with(&mut self, user: &str) -> usize {
        let id = dm_channel(user);
        if let Some(i) = self.channels.iter().position(|c| c.id == id) {
            return i;
        }
        self.channels.push(Channel {
            id,
            name: user.to_owned(),
            private: true,
            im: true,
            bot_is_member: true,
            created: payloads::now_secs(),
        });
        self.channels.len() - 1
    }

    /// Where the bot can post: a channel id or `#name`, or a user id (a DM with that user).
    fn channel_for_post(&mut self, key: Option<&str>) -> Result<String, &'static str> {
        let key = key.filter(|k| !k.is_empty()).ok_or("channel_not_found")?;
        if let Some(i) = self.visible_channel(key) {
            let c = &self.channels[i];
            if !c.bot_is_member {
                return Err("not_in_channel");
            }
            return Ok(c.id.clone());
        }
        if self.user(key).is_some_and(|u| !u.is_bot) {
            let i = self.dm_with(key);
            return Ok(self.channels[i].id.clone());
        }
        Err("channel_not_found")
    }

    fn message_index(&self, channel: &str, ts: &str) -> Option<usize> {
        self.messages
            .iter()
            .position(|m| m.channel == channel && m.ts == ts && !m.deleted)
    }

    /// `limits::check_message` plus the `steward.` action id rule; records every violation.
    fn check_message(&mut self, what: &str, payload: &Value) -> Vec<Violation> {
        let found = limits::check_message(payload);
        for v in &found {
            self.violate(format!("{what}: {v}"));
        }
        let mut foreign = Vec::new();
        if let Some(b) = payload.get("blocks") {
            foreign_action_ids(b, "blocks", &mut foreign);
        }
        for f in foreign {
            self.violate(format!("{what}: {f}"));
        }
        found
    }

    fn check_view(&mut self, what: &str, view: &Value) -> Vec<Violation> {
        let found = limits::check_view(view);
        for v in &found {
            self.violate(format!("{what}: view.{v}"));
        }
        let mut foreign = Vec::new();
        if let Some(b) = view.get("blocks") {
            foreign_action_ids(b, "view.blocks", &mut foreign);
        }
        for f in foreign {
            self.violate(format!("{what}: {f}"));
        }
        found
    }

    /// The error Slack answers a message with these violations with, if it refuses it.
    fn message_rejection(found: &[Violation]) -> Option<&'static str> {
        if found.iter().any(|v| v.rule.contains("msg_blocks_too_long")) {
            Some("msg_blocks_too_long")
        } else if found.iter().any(|v| v.path.starts_with("blocks")) {
            Some("invalid_blocks")
        } else {
            None
        }
    }

    pub fn message_json(m: &StoredMessage) -> Value {
        let mut v = json!({"type": "message", "text": m.text, "user": m.user, "ts": m.ts, "team": FAKE_TEAM_ID});
        if m.user == FAKE_BOT_USER_ID {
            v["bot_id"] = json!(FAKE_BOT_ID);
            v["app_id"] = json!(FAKE_APP_ID);
        }
        if let Some(b) = &m.blocks {
            v["blocks"] = b.clone();
        }
        if let Some(a) = &m.attachments {
            v["attachments"] = a.clone();
        }
        if let Some(t) = &m.thread_ts {
            v["thread_ts"] = json!(t);
        }
        if let Some(e) = &m.edited_ts {
            v["edited"] = json!({"user": m.user, "ts": e});
        }
        v
    }

    #[allow(clippy::too_many_arguments)]
    fn store_message(
        &mut self,
        channel: &str,
        user: &str,
        payload: &Value,
        thread_ts: Option<String>,
        ephemeral_user: Option<String>,
        source: &str,
    ) -> usize {
        let mut text = s(payload.get("text")).unwrap_or("").to_owned();
        if text.chars().count() > limits::MESSAGE_TEXT {
            text = text.chars().take(limits::MESSAGE_TEXT).collect();
        }
        self.messages.push(StoredMessage {
            channel: channel.to_owned(),
            ts: fresh_ts(),
            thread_ts,
            user: user.to_owned(),
            text,
            blocks: payload.get("blocks").filter(|b| !b.is_null()).cloned(),
            attachments: payload.get("attachments").filter(|b| !b.is_null()).cloned(),
            ephemeral: ephemeral_user.is_some(),
            ephemeral_user,
            reply_broadcast: truthy(payload.get("reply_broadcast")),
            deleted: false,
            edited_ts: None,
            history: Vec::new(),
            source: source.to_owned(),
        });
        self.messages.len() - 1
    }

    fn has_content(p: &Value) -> bool {
        let text = s(p.get("text")).is_some_and(|t| !t.is_empty());
        let nonempty = |k: &str| {
            p.get(k)
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty())
        };
        text || nonempty("blocks") || nonempty("attachments")
    }

    fn replace_content(&mut self, i: usize, p: &Value) {
        let m = &mut self.messages[i];
        m.history.push(MessageVersion {
            text: m.text.clone(),
            blocks: m.blocks.clone(),
            replaced_at: Instant::now(),
        });
        if let Some(t) = s(p.get("text")) {
            m.text = t.chars().take(limits::MESSAGE_TEXT).collect();
        }
        if let Some(b) = p.get("blocks") {
            m.blocks = if b.is_null() { None } else { Some(b.clone()) };
        }
        if let Some(a) = p.get("attachments") {
            m.attachments = if a.is_null() { None } else { Some(a.clone()) };
        }
        m.edited_ts = Some(fresh_ts());
    }

    fn authorize(&self, method: &str, token: Option<&str>) -> Result<(), &'static str> {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Err("not_authed");
        };
        let wants_app = method == "apps.connections.open";
        if token == self.bot_token {
            if wants_app {
                Err("not_allowed_token_type")
            } else {
                Ok(())
            }
        } else if token == self.app_token {
            if wants_app {
                Ok(())
            } else {
                Err("not_allowed_token_type")
            }
        } else {
            Err("invalid_auth")
        }
    }

    /// Answers one request to the Web API port, read by [`request::read`](super::request::read),
    /// and records it. A malformed request is also a violation.
    pub fn handle(&mut self, req: WebRequest) -> Reply {
        let WebRequest {
            verb,
            path,
            content_type,
            method,
            hook,
            params,
            token,
            malformed,
            refusal,
        } = req;
        let params = Value::Object(params);
        let reply = if let Some(refused) = refusal {
            refused
        } else if let Some(f) = self.take_fault(&method) {
            Reply::fault(&f)
        } else if let Some(id) = &hook {
            self.respond(id, &params)
        } else if let Err(e) = self.authorize(&method, token.as_deref()) {
            Reply::err(e)
        } else {
            self.dispatch(&method, &params)
        };
        for why in &malformed {
            self.violate(format!("malformed request: {why}"));
        }
        if *LOG_CALLS {
            eprintln!(
                "fake slack: {verb} {path} {params} -> {} {}",
                reply.status, reply.body
            );
        }
        tracing::debug!(
            method = method.as_str(),
            status = reply.status,
            "fake slack call"
        );
        self.calls.push(Call {
            method,
            verb,
            path,
            content_type,
            params,
            token,
            at: Instant::now(),
            status: reply.status,
            response: reply.body.clone(),
            malformed,
        });
        reply
    }

    fn dispatch(&mut self, method: &str, p: &Value) -> Reply {
        match method {
            "auth.test" => Reply::ok(json!({
                "url": format!("https://{FAKE_TEAM_DOMAIN}.slack.com/"),
                "team": "Steward Fake",
                "user": "steward",
                "team_id": FAKE_TEAM_ID,
                "user_id": FAKE_BOT_USER_ID,
                "bot_id": FAKE_BOT_ID,
                "is_enterprise_install": false,
            })),
            "apps.connections.open" => {
                let ticket = format!("{:x}", payloads::next_seq());
                self.tickets.insert(ticket.clone(), false);
                self.connections_opened += 1;
                Reply::ok(json!({"url": format!("{}/link?ticket={ticket}", self.ws_base)}))
            }
            "chat.postMessage" => self.post_message(p),
            "chat.update" => self.update_message(p),
            "chat.postEphemeral" => self.post_ephemeral(p),
            "chat.delete" => self.delete_message(p),
            "chat.getPermalink" => self.permalink(p),
            "views.open" | "views.push" => self.open_view(method, p),
            "views.update" => self.update_view(p),
            "views.publish" => self.publish_view(p),
            "users.lookupByEmail" => {
                let email = s(p.get("email")).unwrap_or("");
                match self
                    .users
                    .iter()
                    .find(|u| !u.email.is_empty() && u.email.eq_ignore_ascii_case(email))
                {
                    Some(u) => Reply::ok(json!({"user": user_json(u)})),
                    None => Reply::err("users_not_found"),
                }
            }
            "users.info" => match self.user(s(p.get("user")).unwrap_or("")) {
                Some(u) => Reply::ok(json!({"user": user_json(u)})),
                None => Reply::err("user_not_found"),
            },
            "conversations.info" => match self.visible_channel(s(p.get("channel")).unwrap_or("")) {
                Some(i) => Reply::ok(json!({"channel": channel_json(&self.channels[i])})),
                None => Reply::err("channel_not_found"),
            },
            "conversations.join" => match self.channel_index(s(p.get("channel")).unwrap_or("")) {
                None => Reply::err("channel_not_found"),
                Some(i) if self.channels[i].private => {
                    if self.channels[i].bot_is_member {
                        Reply::err("method_not_supported_for_channel_type")
                    } else {
                        Reply::err("channel_not_found")
                    }
                }
                Some(i) => {
                    let already = self.channels[i].bot_is_member;
                    self.channels[i].bot_is_member = true;
                    let mut body = json!({"channel": channel_json(&self.channels[i])});
                    if already {
                        body["warning"] = json!("already_in_channel");
                        body["response_metadata"] = json!({"warnings": ["already_in_channel"]});
                    }
                    Reply::ok(body)
                }
            },
            "usergroups.list" => {
                let groups: Vec<Value> = self
                    .usergroups
                    .iter()
                    .map(|g| {
                        json!({
                            "id": g.id,
                            "team_id": FAKE_TEAM_ID,
                            "is_usergroup": true,
                            "is_subteam": true,
                            "name": g.handle,
                            "description": "",
                            "handle": g.handle,
                            "is_external": false,
                            "date_create": 1_700_000_000,
                            "date_update": 1_700_000_000,
                            "date_delete": 0,
                            "created_by": FAKE_BOT_USER_ID,
                            "updated_by": FAKE_BOT_USER_ID,
                            "prefs": {"channels": [], "groups": []},
                            "user_count": 0,
                        })
                    })
                    .collect();
                Reply::ok(json!({"usergroups": groups}))
            }
            _ => {
                // `request::read` refuses every name outside `request::METHODS` first.
                Reply::unknown_method(method)
            }
        }
    }

    fn post_message(&mut self, p: &Value) -> Reply {
        let channel = match self.channel_for_post(s(p.get("channel"))) {
            Ok(c) => c,
            Err(e) => return Reply::err(e),
        };
        if !Self::has_content(p) {
            return Reply::err("no_text");
        }
        let found = self.check_message(&format!("chat.postMessage({channel})"), p);
        if let Some(code) = Self::message_rejection(&found) {
            return Reply::rejected(code, &found);
        }
        let thread_ts = s(p.get("thread_ts"))
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if let Some(t) = &thread_ts
            && self.message_index(&channel, t).is_none()
        {
            self.violate(format!(
                "chat.postMessage({channel}): thread_ts {t} is not a message in the channel"
            ));
        }
        let i = self.store_message(
            &channel,
            FAKE_BOT_USER_ID,
            p,
            thread_ts,
            None,
            "chat.postMessage",
        );
        let m = &self.messages[i];
        Reply::ok(json!({"channel": channel, "ts": m.ts, "message": Self::message_json(m)}))
    }

    fn update_message(&mut self, p: &Value) -> Reply {
        let Some(ci) = self.visible_channel(s(p.get("channel")).unwrap_or("")) else {
            return Reply::err("channel_not_found");
        };
        let channel = self.channels[ci].id.clone();
        let ts = s(p.get("ts")).unwrap_or("");
        let Some(i) = self
            .message_index(&channel, ts)
            .filter(|&i| !self.messages[i].ephemeral)
        else {
            return Reply::err("message_not_found");
        };
        if self.messages[i].user != FAKE_BOT_USER_ID {
            return Reply::err("cant_update_message");
        }
        if !Self::has_content(p) && p.get("blocks").is_none() {
            return Reply::err("no_text");
        }
        let found = self.check_message(&format!("chat.update({channel} {ts})"), p);
        if let Some(code) = Self::message_rejection(&found) {
            return Reply::rejected(code, &found);
        }
        self.replace_content(i, p);
        let m = &self.messages[i];
        let mut message = json!({"type": "message", "text": m.text, "user": m.user, "bot_id": FAKE_BOT_ID, "app_id": FAKE_APP_ID});
        if let Some(b) = &m.blocks {
            message["blocks"] = b.clone();
        }
        let mut body = json!({"channel": channel, "ts": m.ts, "text": m.text, "message": message});
        if let Some(t) = &m.thread_ts {
            body["thread_ts"] = json!(t);
        }
        Reply::ok(body)
    }

    fn post_ephemeral(&mut self, p: &Value) -> Reply {
        let channel = match self.channel_for_post(s(p.get("channel"))) {
            Ok(c) => c,
            Err(e) => return Reply::err(e),
        };
        let user = s(p.get("user")).unwrap_or("").to_owned();
        if self.user(&user).is_none_or(|u| u.is_bot) {
            return Reply::err("user_not_in_channel");
        }
        if !Self::has_content(p) {
            return Reply::err("no_text");
        }
        let found = self.check_message(&format!("chat.postEphemeral({channel} to {user})"), p);
        if let Some(code) = Self::message_rejection(&found) {
            return Reply::rejected(code, &found);
        }
        let thread_ts = s(p.get("thread_ts"))
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        let i = self.store_message(
            &channel,
            FAKE_BOT_USER_ID,
            p,
            thread_ts,
            Some(user),
            "chat.postEphemeral",
        );
        Reply::ok(json!({"message_ts": self.messages[i].ts}))
    }

    fn delete_message(&mut self, p: &Value) -> Reply {
        let Some(ci) = self.visible_channel(s(p.get("channel")).unwrap_or("")) else {
            return Reply::err("channel_not_found");
        };
        let channel = self.channels[ci].id.clone();
        let ts = s(p.get("ts")).unwrap_or("").to_owned();
        let Some(i) = self
            .message_index(&channel, &ts)
            .filter(|&i| !self.messages[i].ephemeral)
        else {
            return Reply::err("message_not_found");
        };
        if self.messages[i].user != FAKE_BOT_USER_ID {
            return Reply::err("cant_delete_message");
        }
        self.messages[i].deleted = true;
        Reply::ok(json!({"channel": channel, "ts": ts}))
    }

    fn permalink(&mut self, p: &Value) -> Reply {
        let Some(ci) = self.visible_channel(s(p.get("channel")).unwrap_or("")) else {
            return Reply::err("channel_not_found");
        };
        let channel = self.channels[ci].id.clone();
        let ts = s(p.get("message_ts")).unwrap_or("");
        let Some(i) = self.message_index(&channel, ts) else {
            return Reply::err("message_not_found");
        };
        let m = &self.messages[i];
        let mut link = format!(
            "https://{FAKE_TEAM_DOMAIN}.slack.com/archives/{channel}/p{}",
            m.ts.replace('.', "")
        );
        if let Some(t) = &m.thread_ts {
            link.push_str(&format!("?thread_ts={t}&cid={channel}"));
        }
        Reply::ok(json!({"channel": channel, "permalink": link}))
    }

    fn exchange_trigger(&mut self, id: Option<&str>) -> Result<(), &'static str> {
        let id = id.filter(|t| !t.is_empty()).ok_or("invalid_trigger_id")?;
        let t = self.triggers.get(id).ok_or("invalid_trigger_id")?;
        if t.used {
            Err("exchanged_trigger_id")
        } else if t.issued.elapsed() > TRIGGER_LIFETIME {
            Err("expired_trigger_id")
        } else {
            Ok(())
        }
    }

    pub fn stateful_view(v: &StoredView) -> Value {
        let mut out = v.view.clone();
        let defaults = [
            ("private_metadata", json!("")),
            ("callback_id", json!("")),
            ("clear_on_close", json!(false)),
            ("notify_on_close", json!(false)),
            ("close", Value::Null),
            ("submit", Value::Null),
        ];
        if let Some(o) = out.as_object_mut() {
            for (k, d) in defaults {
                o.entry(k).or_insert(d);
            }
            o.insert("id".into(), json!(v.id));
            o.insert("team_id".into(), json!(FAKE_TEAM_ID));
            o.insert("state".into(), json!({"values": {}}));
            o.insert("hash".into(), json!(v.hash));
            o.insert("previous_view_id".into(), json!(v.previous_view_id));
            o.insert("root_view_id".into(), json!(v.root_view_id));
            o.insert("app_id".into(), json!(FAKE_APP_ID));
            o.insert(
                "external_id".into(),
                json!(v.external_id.clone().unwrap_or_default()),
            );
            o.insert("app_installed_team_id".into(), json!(FAKE_TEAM_ID));
            o.insert("bot_id".into(), json!(FAKE_BOT_ID));
        }
        out
    }

    fn view_param(p: &Value) -> Option<Value> {
        p.get("view").filter(|v| v.is_object()).cloned()
    }

    fn new_hash() -> String {
        format!("{}.{:08x}", payloads::now_secs(), payloads::next_seq())
    }

    fn open_view(&mut self, method: &str, p: &Value) -> Reply {
        if let Err(e) = self.exchange_trigger(s(p.get("trigger_id"))) {
            return Reply::err(e);
        }
        let Some(view) = Self::view_param(p) else {
            return Reply::err("invalid_arguments");
        };
        if s(view.get("type")) != Some("modal") {
            self.violate(format!("{method}: view type must be modal"));
            return Reply::err("invalid_arguments");
        }
        let found = self.check_view(method, &view);
        if !found.is_empty() {
            return Reply::rejected("invalid_arguments", &found);
        }
        let mut user = None;
        if let Some(t) = s(p.get("trigger_id"))
            && let Some(t) = self.triggers.get_mut(t)
        {
            t.used = true;
            user = t.user.clone();
        }
        let id = format!("V{:010X}", payloads::next_seq());
        let previous = if method == "views.push" {
            self.views
                .iter()
                .rev()
                .find(|v| v.kind == "modal")
                .map(|v| v.id.clone())
        } else {
            None
        };
        let root = previous
            .as_ref()
            .and_then(|p| self.views.iter().find(|v| &v.id == p))
            .map(|v| v.root_view_id.clone())
            .unwrap_or_else(|| id.clone());
        let sv = StoredView {
            external_id: s(view.get("external_id")).map(str::to_owned),
            id,
            kind: "modal".into(),
            user,
            view,
            hash: Self::new_hash(),
            root_view_id: root,
            previous_view_id: previous,
            updates: 0,
            source: method.to_owned(),
        };
        let out = Self::stateful_view(&sv);
        self.views.push(sv);
        Reply::ok(json!({"view": out}))
    }

    fn update_view(&mut self, p: &Value) -> Reply {
        let by_id = s(p.get("view_id")).filter(|v| !v.is_empty());
        let by_ext = s(p.get("external_id")).filter(|v| !v.is_empty());
        let Some(i) = self.views.iter().position(|v| {
            by_id.is_some_and(|id| v.id == id)
                || (by_id.is_none() && by_ext.is_some() && v.external_id.as_deref() == by_ext)
        }) else {
            return Reply::err("not_found");
        };
        if let Some(h) = s(p.get("hash")).filter(|h| !h.is_empty())
            && h != self.views[i].hash
        {
            return Reply::err("hash_conflict");
        }
        let Some(view) = Self::view_param(p) else {
            return Reply::err("invalid_arguments");
        };
        let found = self.check_view("views.update", &view);
        if !found.is_empty() {
            return Reply::rejected("invalid_arguments", &found);
        }
        let v = &mut self.views[i];
        v.view = view;
        v.hash = Self::new_hash();
        v.updates += 1;
        Reply::ok(json!({"view": Self::stateful_view(v)}))
    }

    fn publish_view(&mut self, p: &Value) -> Reply {
        let user = s(p.get("user_id")).unwrap_or("").to_owned();
        if self.user(&user).is_none_or(|u| u.is_bot) {
            return Reply::err("user_not_found");
        }
        let Some(view) = Self::view_param(p) else {
            return Reply::err("invalid_arguments");
        };
        if s(view.get("type")) != Some("home") {
            self.violate(format!("views.publish({user}): view type must be home"));
            return Reply::err("invalid_arguments");
        }
        let found = self.check_view(&format!("views.publish({user})"), &view);
        if !found.is_empty() {
            return Reply::rejected("invalid_arguments", &found);
        }
        let existing = self
            .views
            .iter()
            .position(|v| v.kind == "home" && v.user.as_deref() == Some(user.as_str()));
        if let (Some(i), Some(h)) = (existing, s(p.get("hash")).filter(|h| !h.is_empty()))
            && self.views[i].hash != h
        {
            return Reply::err("hash_conflict");
        }
        let i = match existing {
            Some(i) => {
                let v = &mut self.views[i];
                v.view = view;
                v.hash = Self::new_hash();
                v.updates += 1;
                i
            }
            None => {
                let id = format!("V{:010X}", payloads::next_seq());
                self.views.push(StoredView {
                    root_view_id: id.clone(),
                    id,
                    kind: "home".into(),
                    user: Some(user),
                    external_id: s(view.get("external_id")).map(str::to_owned),
                    view,
                    hash: Self::new_hash(),
                    previous_view_id: None,
                    updates: 0,
                    source: "views.publish".into(),
                });
                self.views.len() - 1
            }
        };
        Reply::ok(json!({"view": Self::stateful_view(&self.views[i])}))
    }

    fn respond(&mut self, id: &str, p: &Value) -> Reply {
        let not_found = |code: &str| Reply::with_status(404, json!({"ok": false, "error": code}));
        let Some(hook) = self.hooks.get_mut(id) else {
            self.violate(format!("respond: unknown response_url {id}"));
            return not_found("no_active_hooks");
        };
        if hook.created.elapsed() > HOOK_LIFETIME {
            return not_found("expired_url");
        }
        if hook.uses >= HOOK_USES {
            self.violate(format!(
                "respond: response_url {id} used more than {HOOK_USES} times"
            ));
            return not_found("used_url");
        }
        hook.uses += 1;
        let (channel, user, original) = (
            hook.channel.clone(),
            hook.user.clone(),
            hook.message_ts.clone(),
        );
        let Some(channel) = channel else {
            return Reply::ok(json!({}));
        };
        if truthy(p.get("delete_original")) {
            if let Some(i) = original.and_then(|ts| self.message_index(&channel, &ts)) {
                self.messages[i].deleted = true;
            }
            return Reply::ok(json!({}));
        }
        let found = self.check_message(&format!("respond({channel})"), p);
        if let Some(code) = Self::message_rejection(&found) {
            return Reply::rejected(code, &found);
        }
        if truthy(p.get("replace_original"))
            && let Some(i) = original
                .as_deref()
                .and_then(|ts| self.message_index(&channel, ts))
        {
            self.replace_content(i, p);
            return Reply::ok(json!({}));
        }
        if !Self::has_content(p) {
            return Reply::err("no_text");
        }
        let thread_ts = s(p.get("thread_ts")).map(str::to_owned);
        let ephemeral_user = if s(p.get("response_type")) == Some("in_channel") {
            None
        } else {
            user
        };
        self.store_message(
            &channel,
            FAKE_BOT_USER_ID,
            p,
            thread_ts,
            ephemeral_user,
            "respond",
        );
        Reply::ok(json!({}))
    }

    // ---- Socket Mode bookkeeping ----

    /// Checks a WebSocket `ticket` from `apps.connections.open`; each works once.
    pub fn consume_ticket(&mut self, ticket: &str) -> bool {
        match self.tickets.get_mut(ticket) {
            Some(used) if !*used => {
                *used = true;
                true
            }
            _ => false,
        }
    }

    pub fn add_socket(&mut self, tx: UnboundedSender<WsCmd>) -> (u64, usize) {
        let id = self.next_socket_id;
        self.next_socket_id += 1;
        self.sockets.push(Socket {
            id,
            tx,
            ready: false,
            draining: false,
        });
        (id, self.sockets.len())
    }

    pub fn remove_socket(&mut self, id: u64) {
        self.sockets.retain(|s| s.id != id);
    }

    /// `hello` is out: the socket takes envelopes, starting with any that waited for one.
    pub fn socket_ready(&mut self, id: u64) {
        if let Some(sock) = self.sockets.iter_mut().find(|s| s.id == id) {
            sock.ready = true;
        }
        let waiting: Vec<String> = self.pending.drain(..).collect();
        for e in waiting {
            self.deliver(&e);
        }
    }

    /// Sends an envelope on one ready socket (round robin), or queues it until one connects.
    pub fn deliver(&mut self, envelope_id: &str) {
        let Some(env) = self.envelopes.get(envelope_id) else {
            return;
        };
        let frame = payloads::envelope(
            env.kind,
            envelope_id,
            env.payload.clone(),
            env.retry_attempt,
        )
        .to_string();
        let n = self.sockets.len();
        for k in 0..n {
            let i = (self.next_socket + k) % n;
            let sock = &self.sockets[i];
            if !sock.ready || sock.draining {
                continue;
            }
            if sock.tx.send(WsCmd::Text(frame.clone())).is_ok() {
                self.next_socket = i + 1;
                if let Some(env) = self.envelopes.get_mut(envelope_id) {
                    env.sent_at = Some(Instant::now());
                }
                return;
            }
        }
        self.pending.push_back(envelope_id.to_owned());
    }

    pub fn add_envelope(&mut self, kind: EnvelopeKind, payload: Value) -> String {
        let id = payloads::uuid_like();
        self.envelopes.insert(
            id.clone(),
            Envelope {
                kind,
                payload,
                retry_attempt: 0,
                sent_at: None,
                acked: false,
            },
        );
        self.envelope_order.push(id.clone());
        self.deliver(&id);
        id
    }

    /// A frame from the client: an ack `{"envelope_id", "payload"?}`.
    pub fn on_client_frame(&mut self, text: &str) {
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            self.violate(format!(
                "socket mode: client sent a frame that is not JSON: {text:.200}"
            ));
            return;
        };
        let Some(id) = s(v.get("envelope_id")).map(str::to_owned) else {
            self.violate(format!(
                "socket mode: client frame without envelope_id: {text:.200}"
            ));
            return;
        };
        let payload = v.get("payload").cloned().filter(|p| !p.is_null());
        let Some(env) = self.envelopes.get_mut(&id) else {
            self.violate(format!("socket mode: ack for unknown envelope {id}"));
            return;
        };
        let latency = env.sent_at.map(|t| t.elapsed()).unwrap_or_default();
        let retry_attempt = env.retry_attempt;
        let kind = env.kind;
        env.acked = true;
        if latency > ACK_DEADLINE {
            self.violate(format!(
                "socket mode: envelope {id} acked after {latency:?}, over Slack's 3 s"
            ));
        }
        if let Some(p) = &payload {
            match kind {
                EnvelopeKind::SlashCommands => {
                    self.check_message(&format!("slash command ack {id}"), p);
                }
                EnvelopeKind::Interactive
                    if matches!(s(p.get("response_action")), Some("update" | "push"))
                        && let Some(view) = p.get("view") =>
                {
                    self.check_view(&format!("interactive ack {id}"), view);
                }
                _ => {}
            }
        }
        self.acks.push(Ack {
            envelope_id: id,
            latency,
            payload,
            retry_attempt,
        });
    }

    pub fn redeliver(&mut self, envelope_id: &str) -> bool {
        let Some(env) = self.envelopes.get_mut(envelope_id) else {
            return false;
        };
        env.retry_attempt += 1;
        env.acked = false;
        env.sent_at = None;
        self.deliver(envelope_id);
        true
    }

    // ---- Filling in payloads the builders could not know ----

    /// Makes a builder's payload live in this workspace: real `response_url`s, trigger ids that
    /// start their 3 s now, names, the clicked message, the published Home tab.
    pub fn enrich(&mut self, kind: EnvelopeKind, payload: &mut Value) {
        let channel = s(payload.pointer("/channel/id"))
            .or_else(|| s(payload.get("channel_id")))
            .or_else(|| s(payload.pointer("/container/channel_id")))
            .map(str::to_owned);
        let user = s(payload.pointer("/user/id"))
            .or_else(|| s(payload.get("user_id")))
            .map(str::to_owned);
        let message_ts = s(payload.pointer("/container/message_ts")).map(str::to_owned);

        if let Some(url) = s(payload.get("response_url")).map(str::to_owned)
            && let Some(live) =
                self.hook_url(&url, channel.clone(), user.clone(), message_ts.clone())
        {
            payload["response_url"] = json!(live);
        }
        if let Some(list) = payload
            .get_mut("response_urls")
            .and_then(Value::as_array_mut)
        {
            let mut updates = Vec::new();
            for (i, item) in list.iter().enumerate() {
                if let Some(url) = s(item.get("response_url")) {
                    updates.push((
                        i,
                        url.to_owned(),
                        s(item.get("channel_id")).map(str::to_owned),
                    ));
                }
            }
            for (i, url, ch) in updates {
                if let Some(live) = self.hook_url(&url, ch, user.clone(), None)
                    && let Some(item) = payload.get_mut("response_urls").and_then(|l| l.get_mut(i))
                {
                    item["response_url"] = json!(live);
                }
            }
        }
        if let Some(t) = s(payload.get("trigger_id"))
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
        {
            match self.triggers.get_mut(&t) {
                Some(known) => {
                    if known.user.is_none() {
                        known.user = user.clone();
                    }
                }
                None => self.issue_trigger(t, user.clone()),
            }
        }
        if let Some(u) = user
            .as_deref()
            .and_then(|u| self.user(u))
            .map(|u| u.name.clone())
        {
            if payload.pointer("/user/username").is_some() {
                payload["user"]["username"] = json!(u);
            }
            if payload.pointer("/user/name").is_some() {
                payload["user"]["name"] = json!(u);
            }
            if payload.get("user_name").is_some() {
                payload["user_name"] = json!(u);
            }
        }
        if let Some(name) = channel
            .as_deref()
            .and_then(|c| self.channel_index(c))
            .map(|i| self.channels[i].name.clone())
        {
            if payload.pointer("/channel/name").is_some() {
                payload["channel"]["name"] = json!(name);
            }
            if payload.get("channel_name").is_some() {
                payload["channel_name"] = json!(name);
            }
        }
        if kind == EnvelopeKind::Interactive
            && s(payload.get("type")) == Some("block_actions")
            && s(payload.pointer("/container/type")) == Some("message")
            && let (Some(c), Some(ts)) = (channel.as_deref(), message_ts.as_deref())
            && let Some(i) = self
                .messages
                .iter()
                .position(|m| m.channel == c && m.ts == ts)
        {
            let m = &self.messages[i];
            payload["message"] = Self::message_json(m);
            payload["container"]["is_ephemeral"] = json!(m.ephemeral);
        }
        if kind == EnvelopeKind::EventsApi
            && let Some(event) = payload.get_mut("event")
        {
            let ch = s(event.get("channel")).map(str::to_owned);
            if let Some(i) = ch.as_deref().and_then(|c| self.channel_index(c)) {
                let c = &self.channels[i];
                if event.get("channel_type").is_some() {
                    event["channel_type"] = json!(if c.im {
                        "im"
                    } else if c.private {
                        "group"
                    } else {
                        "channel"
                    });
                }
            }
            if let (Some(c), Some(t)) =
                (ch.as_deref(), s(event.get("thread_ts")).map(str::to_owned))
                && event.get("parent_user_id").is_some()
                && let Some(parent) = self.messages.iter().find(|m| m.channel == c && m.ts == t)
            {
                event["parent_user_id"] = json!(parent.user);
            }
            if s(event.get("type")) == Some("message") {
                let event = event.clone();
                self.record_message_event(&event);
            }
            if s(event.get("type")) == Some("app_home_opened")
                && event.get("view").is_none()
                && let Some(u) = s(event.get("user"))
                && let Some(v) = self
                    .views
                    .iter()
                    .find(|v| v.kind == "home" && v.user.as_deref() == Some(u))
            {
                event["view"] = Self::stateful_view(v);
            }
        }
    }

    /// A `message` event says what happened in the channel: the fake's history follows it.
    fn record_message_event(&mut self, event: &Value) {
        let Some(channel) = s(event.get("channel")).map(str::to_owned) else {
            return;
        };
        match s(event.get("subtype")) {
            Some("message_changed") => {
                let Some(m) = event.get("message") else {
                    return;
                };
                let ts = s(m.get("ts")).unwrap_or("");
                if let Some(i) = self.message_index(&channel, ts) {
                    let mut edit = json!({"text": s(m.get("text")).unwrap_or("")});
                    if let Some(b) = m.get("blocks") {
                        edit["blocks"] = b.clone();
                    }
                    self.replace_content(i, &edit);
                }
            }
            Some("message_deleted") => {
                if let Some(i) =
                    s(event.get("deleted_ts")).and_then(|ts| self.message_index(&channel, ts))
                {
                    self.messages[i].deleted = true;
                }
            }
            None | Some("thread_broadcast" | "bot_message" | "me_message" | "file_share") => {
                let Some(ts) = s(event.get("ts")).map(str::to_owned) else {
                    return;
                };
                if self
                    .messages
                    .iter()
                    .any(|m| m.channel == channel && m.ts == ts)
                {
                    return;
                }
                self.messages.push(StoredMessage {
                    channel,
                    ts,
                    thread_ts: s(event.get("thread_ts")).map(str::to_owned),
                    user: s(event.get("user")).unwrap_or("").to_owned(),
                    text: s(event.get("text")).unwrap_or("").to_owned(),
                    blocks: event.get("blocks").cloned(),
                    attachments: None,
                    ephemeral: false,
                    ephemeral_user: None,
                    reply_broadcast: s(event.get("subtype")) == Some("thread_broadcast"),
                    deleted: false,
                    edited_ts: None,
                    history: Vec::new(),
                    source: "user".into(),
                });
            }
            Some(_) => {}
        }
    }

    fn hook_url(
        &mut self,
        url: &str,
        channel: Option<String>,
        user: Option<String>,
        message_ts: Option<String>,
    ) -> Option<String> {
        let id = url.strip_prefix(RESPONSE_URL_PLACEHOLDER)?.to_owned();
        self.hooks.entry(id.clone()).or_insert(Hook {
            channel,
            user,
            message_ts,
            uses: 0,
            created: Instant::now(),
        });
        Some(format!("{}/respond/{id}", self.api_base))
    }
}

fn user_json(u: &User) -> Value {
    json!({
        "id": u.id,
        "team_id": FAKE_TEAM_ID,
        "name": u.name,
        "deleted": false,
        "real_name": u.name,
        "tz": "Etc/UTC",
        "tz_label": "Coordinated Universal Time",
        "tz_offset": 0,
        "is_bot": u.is_bot,
        "is_app_user": false,
        "is_admin": false,
        "is_owner": false,
        "is_restricted": false,
        "is_ultra_restricted": false,
        "updated": 1_700_000_000,
        "profile": {
            "real_name": u.name,
            "real_name_normalized": u.name,
            "display_name": u.name,
            "display_name_normalized": u.name,
            "email": if u.email.is_empty() { Value::Null } else { json!(u.email) },
            "team": FAKE_TEAM_ID,
        },
    })
}

fn channel_json(c: &Channel) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "name_normalized": c.name,
        "created": c.created,
        "creator": FAKE_BOT_USER_ID,
        "is_channel": !c.private && !c.im,
        "is_group": c.private && !c.im,
        "is_im": c.im,
        "is_mpim": false,
        "is_private": c.private,
        "is_archived": false,
        "is_general": false,
        "is_shared": false,
        "is_org_shared": false,
        "is_member": c.bot_is_member,
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
    })
}
