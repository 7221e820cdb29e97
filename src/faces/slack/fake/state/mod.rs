//! The fake workspace's state and the Web API methods, all synchronous under one lock.

mod chat;
mod scopes;
mod socket;
mod views;

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
    /// Its members' user IDs (`usergroups.users.list`).
    pub users: Vec<String>,
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
    /// The bot token's scopes (default: the app manifest's); see `scopes`.
    pub bot_scopes: Vec<String>,
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
            bot_scopes: scopes::default_bot_scopes(),
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
        self.record_checks(what, "", payload, found)
    }

    fn check_view(&mut self, what: &str, view: &Value) -> Vec<Violation> {
        let found = limits::check_view(view);
        self.record_checks(what, "view.", view, found)
    }

    /// Records `found` and every `action_id` outside `steward.` in `payload`'s blocks, their paths
    /// under `prefix`; returns `found`.
    fn record_checks(
        &mut self,
        what: &str,
        prefix: &str,
        payload: &Value,
        found: Vec<Violation>,
    ) -> Vec<Violation> {
        for v in &found {
            self.violate(format!("{what}: {prefix}{v}"));
        }
        let mut foreign = Vec::new();
        if let Some(b) = payload.get("blocks") {
            foreign_action_ids(b, &format!("{prefix}blocks"), &mut foreign);
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
        } else if let Some(refused) = token
            .as_deref()
            .filter(|t| *t == self.bot_token)
            .and_then(|_| scopes::missing(&method, &self.bot_scopes))
        {
            refused
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
                            "user_count": g.users.len(),
                        })
                    })
                    .collect();
                Reply::ok(json!({"usergroups": groups}))
            }
            // https://api.slack.com/methods/usergroups.users.list: `usergroup` required,
            // `include_disabled` and `team_id` optional; answers the members' IDs.
            "usergroups.users.list" => match s(p.get("usergroup")) {
                None | Some("") => Reply::err("invalid_arguments"),
                Some(id) => match self.usergroups.iter().find(|g| g.id == id) {
                    Some(g) => Reply::ok(json!({"users": g.users})),
                    None => Reply::err("no_such_subteam"),
                },
            },
            _ => {
                // `request::read` refuses every name outside `request::METHODS` first.
                Reply::unknown_method(method)
            }
        }
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
