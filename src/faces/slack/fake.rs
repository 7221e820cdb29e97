//! A faithful fake Slack (Web API, Socket Mode, limits checks, fault injection) for tests and the demo.
//!
//! [`FakeSlack::start`] binds two local ports: the Web API (`api_url()`, what
//! `SlackClientHyperConnector::with_slack_api_url` takes) and a Socket Mode WebSocket server whose
//! address `apps.connections.open` hands out. The real `slack-morphism` client talks to it
//! unchanged over plain `http://` and `ws://`.
//!
//! What it checks, so a test fails instead of a real workspace:
//! - every message (`chat.postMessage`, `chat.update`, `chat.postEphemeral`, `response_url`
//!   posts, slash command ack payloads) through [`limits::check_message`](crate::faces::slack::limits::check_message)
//!   and every view (`views.open` / `push` / `update` / `publish`) through
//!   [`limits::check_view`](crate::faces::slack::limits::check_view); broken block rules are refused the
//!   way Slack refuses them (`invalid_blocks`, `msg_blocks_too_long`, `invalid_arguments`);
//! - every `action_id` starts with `steward.`;
//! - envelopes are acked within 3 s; acks name a known envelope;
//! - `response_url`s are used at most 5 times;
//! - every request has Slack's shape (the rules in `fake/request.rs`, from Slack's docs):
//!   exactly `/api/<method>` for a method the fake serves, `GET` or `POST`, a JSON or form body
//!   in a known charset, JSON only for methods that read it, the token in `Authorization` or a
//!   form field. What Slack refuses is answered as Slack answers it (`unknown_method`,
//!   `invalid_post_type`, `invalid_json`, …; `/api//method` is `unknown_method`, a path outside
//!   `/api/` 404); what Slack silently ignores is ignored (a read method given a JSON body sees
//!   no arguments). Either way the call is recorded with why in [`Call::malformed`].
//!
//! All of these land in [`FakeSlack::violations`]. Workspace errors (unknown channel, unknown
//! user, stale trigger) are ordinary error replies, as from Slack, not violations.
//!
//! Error codes are Slack's own: `not_authed` (no token), `invalid_auth` (wrong token),
//! `not_allowed_token_type` (bot token on `apps.connections.open` or app token elsewhere),
//! `channel_not_found` (unknown, or private without the bot), `not_in_channel` (public, bot not a
//! member), `invalid_trigger_id` / `expired_trigger_id` / `exchanged_trigger_id` (views.open),
//! `missing_scope` (a bot token without the method's scope, with `needed` and `provided`),
//! `users_not_found` (users.lookupByEmail), `user_not_found` (users.info, views.publish),
//! `method_not_supported_for_channel_type` (conversations.join on a private channel).
//!
//! Debugging: `STEWARD_FAKE_SLACK_LOG=1` prints every Web API call and its reply to stderr.

mod payloads;
mod request;
mod server;
mod state;
#[cfg(test)]
mod strict_tests;
#[cfg(test)]
mod tests;

pub use payloads::{
    ActionValue, EnvelopeKind, FAKE_VERIFICATION_TOKEN, app_home_opened, block_action,
    disconnect_frame, dm_channel, envelope, event_callback, hello_frame, message_changed_event,
    message_deleted_event, message_event, shortcut, slash_command, view_submission,
};

use anyhow::Context as _;
use serde_json::Value;
use state::{Channel, State, User, UserGroup, WsCmd};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The bot token [`FakeSlack::start`] accepts for Web API calls.
pub const FAKE_BOT_TOKEN: &str = "xoxb-fake";
/// The app-level token [`FakeSlack::start`] accepts for `apps.connections.open`.
pub const FAKE_APP_TOKEN: &str = "xapp-fake";
pub const FAKE_TEAM_ID: &str = "T0FAKE";
pub const FAKE_TEAM_DOMAIN: &str = "steward-fake";
pub const FAKE_APP_ID: &str = "A0FAKE";
/// The bot's user id (`auth.test` `user_id`); the fake knows it as a user from the start.
pub const FAKE_BOT_USER_ID: &str = "UBOT";
pub const FAKE_BOT_ID: &str = "BBOT";
/// How long a `trigger_id` can open a modal.
pub const TRIGGER_LIFETIME: Duration = Duration::from_secs(3);
/// How often [`FakeSlack::wait_until`] re-checks when nothing in the fake changed.
const POLL: Duration = Duration::from_millis(20);

/// One Web API request (including `response_url` posts, recorded as method `respond`).
#[derive(Debug, Clone)]
pub struct Call {
    /// `chat.postMessage`, ..., `respond` for a `response_url`; for a path that names no method,
    /// what it named (`/chat.postMessage` for `/api//chat.postMessage`) or the whole path.
    pub method: String,
    /// `GET` or `POST`.
    pub verb: String,
    /// The request path (`/api/chat.postMessage`, `/respond/12`).
    pub path: String,
    /// The `Content-Type` header as sent.
    pub content_type: Option<String>,
    /// The arguments Slack read (query string, form body or JSON body, by Slack's rules);
    /// JSON-valued form fields (`blocks`, `view`, ...) are parsed.
    pub params: Value,
    /// The token from `Authorization: Bearer` or a form body's `token` field.
    pub token: Option<String>,
    pub at: Instant,
    /// HTTP status of the reply.
    pub status: u16,
    /// The JSON reply.
    pub response: Value,
    /// Why Slack would not read this request as meant (a wrong path, verb, content type, a JSON
    /// body on a method that ignores one, …); empty for a well-formed request. Each is also a
    /// violation.
    pub malformed: Vec<String>,
}

impl Call {
    /// The reply had `"ok": true`.
    pub fn ok(&self) -> bool {
        self.response.get("ok").and_then(Value::as_bool) == Some(true)
    }

    /// The reply's `error` code.
    pub fn error(&self) -> Option<&str> {
        self.response.get("error").and_then(Value::as_str)
    }
}

/// A message content as it was before an edit.
#[derive(Debug, Clone)]
pub struct MessageVersion {
    pub text: String,
    pub blocks: Option<Value>,
    /// When this version was replaced.
    pub replaced_at: Instant,
}

/// A message in the fake workspace, as it is now, with its earlier versions.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    /// The channel id (a DM is `D…`, see [`dm_channel`]).
    pub channel: String,
    pub ts: String,
    pub thread_ts: Option<String>,
    /// The author: [`FAKE_BOT_USER_ID`] for the bot.
    pub user: String,
    pub text: String,
    pub blocks: Option<Value>,
    pub attachments: Option<Value>,
    pub ephemeral: bool,
    /// Who sees an ephemeral message.
    pub ephemeral_user: Option<String>,
    pub reply_broadcast: bool,
    pub deleted: bool,
    /// The `ts` of the last edit.
    pub edited_ts: Option<String>,
    /// Earlier versions, oldest first (one per `chat.update` or `replace_original`).
    pub history: Vec<MessageVersion>,
    /// `chat.postMessage`, `chat.postEphemeral`, `respond` or `user`.
    pub source: String,
}

/// A modal or Home tab the bot opened or published.
#[derive(Debug, Clone)]
pub struct StoredView {
    pub id: String,
    /// `modal` or `home`.
    pub kind: String,
    /// The Home tab's user, or the user whose trigger opened the modal (when known).
    pub user: Option<String>,
    /// The view as the bot last sent it.
    pub view: Value,
    pub hash: String,
    pub external_id: Option<String>,
    pub root_view_id: String,
    pub previous_view_id: Option<String>,
    /// How many times it was updated (views.update or a new views.publish).
    pub updates: usize,
    /// `views.open`, `views.push` or `views.publish`.
    pub source: String,
}

/// A Socket Mode acknowledgement from the client.
#[derive(Debug, Clone)]
pub struct Ack {
    pub envelope_id: String,
    /// From the (last) delivery of the envelope to the ack.
    pub latency: Duration,
    /// The ack's `payload` (slash command reply, `response_action`, ...).
    pub payload: Option<Value>,
    /// Which delivery it answered (0 first, then one per [`FakeSlack::redeliver`]).
    pub retry_attempt: u32,
}

/// A failure to inject into the next call of a method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 429 with `Retry-After: retry_after_secs` and `{"ok":false,"error":"ratelimited"}`.
    RateLimited { retry_after_secs: u64 },
    /// HTTP 500 with `{"ok":false,"error":"internal_error"}`.
    ServerError,
    /// `{"ok":false,"error":"invalid_auth"}`.
    InvalidAuth,
    /// `{"ok":false,"error":"channel_not_found"}`.
    ChannelNotFound,
    /// `{"ok":false,"error":"expired_trigger_id"}`.
    TriggerExpired,
}

pub(crate) struct Shared {
    state: Mutex<State>,
    changed: watch::Sender<u64>,
}

impl Shared {
    /// Runs `f` under the lock and wakes every waiter.
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let r = {
            let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut st)
        };
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
        r
    }

    fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&st)
    }
}

/// The fake Slack. Cheap to clone; the servers stop when the last clone is dropped.
#[derive(Clone)]
pub struct FakeSlack {
    shared: Arc<Shared>,
    api_addr: SocketAddr,
    ws_addr: SocketAddr,
    _stop: Arc<watch::Sender<()>>,
}

impl std::fmt::Debug for FakeSlack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeSlack")
            .field("api", &self.api_addr)
            .field("ws", &self.ws_addr)
            .finish()
    }
}

impl FakeSlack {
    /// Starts a fake that accepts [`FAKE_BOT_TOKEN`] and [`FAKE_APP_TOKEN`].
    pub async fn start() -> anyhow::Result<FakeSlack> {
        Self::start_with_tokens(FAKE_BOT_TOKEN, FAKE_APP_TOKEN).await
    }

    /// Starts a fake that accepts these tokens (bot `xoxb-…`, app-level `xapp-…`).
    pub async fn start_with_tokens(bot_token: &str, app_token: &str) -> anyhow::Result<FakeSlack> {
        let api = TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the fake Slack Web API port")?;
        let ws = TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the fake Slack Socket Mode port")?;
        let (api_addr, ws_addr) = (api.local_addr()?, ws.local_addr()?);
        let state = State::new(
            bot_token.to_owned(),
            app_token.to_owned(),
            format!("http://{api_addr}"),
            format!("ws://{ws_addr}"),
        );
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            changed: watch::channel(0).0,
        });
        let (stop, stop_rx) = watch::channel(());
        tokio::spawn(server::serve_http(shared.clone(), api, stop_rx.clone()));
        tokio::spawn(server::serve_ws(shared.clone(), ws, stop_rx));
        Ok(FakeSlack {
            shared,
            api_addr,
            ws_addr,
            _stop: Arc::new(stop),
        })
    }

    /// The Web API base for `with_slack_api_url` / `SLACK_API_URL`: `http://127.0.0.1:PORT/api`.
    /// No trailing slash: slack-morphism joins it with `format!("{url}/{method}")`. Like Slack,
    /// the fake serves exactly `/api/<method>` (`/api//method` is `unknown_method`).
    pub fn api_url(&self) -> String {
        format!("http://{}/api", self.api_addr)
    }

    /// `http://127.0.0.1:PORT` (the Web API port; `response_url`s live under `/respond/`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.api_addr)
    }

    /// `ws://127.0.0.1:PORT` of the Socket Mode server.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.ws_addr)
    }

    pub fn add_user(&self, id: &str, name: &str, email: &str) {
        self.shared.with_state(|st| {
            st.users.retain(|u| u.id != id);
            st.users.push(User {
                id: id.into(),
                name: name.into(),
                email: email.into(),
                is_bot: false,
            });
        });
    }

    pub fn add_channel(&self, id: &str, name: &str, private: bool, bot_is_member: bool) {
        self.shared.with_state(|st| {
            st.channels.retain(|c| c.id != id);
            st.channels.push(Channel {
                id: id.into(),
                name: name.trim_start_matches('#').into(),
                private,
                im: false,
                bot_is_member,
                created: 1_700_000_000,
            });
        });
    }

    pub fn add_usergroup(&self, id: &str, handle: &str) {
        self.shared.with_state(|st| {
            st.usergroups.retain(|g| g.id != id);
            st.usergroups.push(UserGroup {
                id: id.into(),
                handle: handle.trim_start_matches('@').into(),
                users: Vec::new(),
            });
        });
    }

    /// Sets the members of user group `id` (added with [`FakeSlack::add_usergroup`]), as
    /// `usergroups.users.list` answers them.
    pub fn set_usergroup_users(&self, id: &str, users: &[&str]) {
        self.shared.with_state(|st| {
            if let Some(g) = st.usergroups.iter_mut().find(|g| g.id == id) {
                g.users = users.iter().map(|u| (*u).to_owned()).collect();
            }
        });
    }

    /// Gives the bot token exactly these scopes (default: the app manifest's); a method that
    /// needs another answers `missing_scope`, as Slack does.
    pub fn set_bot_scopes(&self, scopes: &[&str]) {
        self.shared.with_state(|st| {
            st.bot_scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        });
    }

    /// Every Web API call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.read(|st| st.calls.clone())
    }

    /// The calls Slack would not read as meant ([`Call::malformed`]).
    pub fn malformed_calls(&self) -> Vec<Call> {
        self.shared.read(|st| {
            st.calls
                .iter()
                .filter(|c| !c.malformed.is_empty())
                .cloned()
                .collect()
        })
    }

    /// The Web API methods the fake serves; any other name is `unknown_method`.
    pub fn methods() -> impl Iterator<Item = &'static str> {
        request::METHODS.iter().map(|(m, _)| *m)
    }

    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        self.shared.read(|st| {
            st.calls
                .iter()
                .filter(|c| c.method == method)
                .cloned()
                .collect()
        })
    }

    /// The channel's messages (top level, thread replies, ephemeral, deleted), oldest first.
    pub fn messages(&self, channel: &str) -> Vec<StoredMessage> {
        self.shared.read(|st| {
            st.messages
                .iter()
                .filter(|m| m.channel == channel)
                .cloned()
                .collect()
        })
    }

    /// Every message in every channel, oldest first.
    pub fn all_messages(&self) -> Vec<StoredMessage> {
        self.shared.read(|st| st.messages.clone())
    }

    /// Modals and Home tabs the bot opened or published.
    pub fn views(&self) -> Vec<StoredView> {
        self.shared.read(|st| st.views.clone())
    }

    /// The Home tab last published for `user`.
    pub fn home_view(&self, user: &str) -> Option<StoredView> {
        self.shared.read(|st| {
            st.views
                .iter()
                .find(|v| v.kind == "home" && v.user.as_deref() == Some(user))
                .cloned()
        })
    }

    pub fn violations(&self) -> Vec<String> {
        self.shared.read(|st| st.violations.clone())
    }

    /// Returns the violations so far and forgets them (for tests that provoke some on purpose).
    pub fn take_violations(&self) -> Vec<String> {
        self.shared
            .with_state(|st| std::mem::take(&mut st.violations))
    }

    /// Panics with every violation, if any.
    #[track_caller]
    pub fn assert_no_violations(&self) {
        let v = self.violations();
        assert!(
            v.is_empty(),
            "the fake Slack saw {} violation(s):\n  {}",
            v.len(),
            v.join("\n  ")
        );
    }

    /// Queues `fault` for the next call of `method` (`"*"`: any method; a method's own queue goes
    /// first). `"respond"` targets `response_url` posts.
    pub fn inject(&self, method: &str, fault: Fault) {
        self.shared.with_state(|st| st.add_fault(method, fault));
    }

    /// A fresh `trigger_id`, valid for [`TRIGGER_LIFETIME`] and one `views.open`. (Trigger ids in
    /// payloads given to [`send_envelope`](Self::send_envelope) become valid on delivery anyway.)
    pub fn issue_trigger_id(&self) -> String {
        let id = payloads::fresh_trigger_id();
        self.shared
            .with_state(|st| st.issue_trigger(id.clone(), None));
        id
    }

    /// How many `apps.connections.open` calls were answered with a URL.
    pub fn connections_opened(&self) -> usize {
        self.shared.read(|st| st.connections_opened)
    }

    /// How many Socket Mode connections are open and have had `hello`.
    pub fn open_sockets(&self) -> usize {
        self.shared
            .read(|st| st.sockets.iter().filter(|s| s.ready && !s.draining).count())
    }

    /// Waits until `f` holds, re-checking after every change in the fake (calls, acks, sockets)
    /// and every 20 ms (so `f` may also look at state outside the fake).
    pub async fn wait_until(
        &self,
        timeout: Duration,
        f: impl Fn(&FakeSlack) -> bool,
    ) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut rx = self.shared.changed.subscribe();
        loop {
            if f(self) {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                anyhow::bail!("condition not met within {timeout:?}");
            }
            // Woken by any change in the fake, and every 20 ms for conditions on other state
            // (the bot's store, say).
            let tick = (tokio::time::Instant::now() + POLL).min(deadline);
            tokio::select! {
                r = rx.changed() => {
                    if r.is_err() {
                        anyhow::bail!("the fake Slack stopped");
                    }
                }
                _ = tokio::time::sleep_until(tick) => {}
            }
        }
    }

    /// Waits until a client has connected over Socket Mode and got `hello`.
    pub async fn wait_for_socket(&self, timeout: Duration) -> anyhow::Result<()> {
        self.wait_until(timeout, |f| f.open_sockets() > 0)
            .await
            .context("no Socket Mode client connected")
    }

    /// Sends `payload` in a Socket Mode envelope on one open connection (or, with none open, on
    /// the next one to connect, as Slack does) and returns the `envelope_id`.
    ///
    /// First the payload is made live in this workspace: `response_url`s from the builders point
    /// at this fake and remember their channel, user and message; `trigger_id`s start their 3 s;
    /// user and channel names are filled in; a `block_actions` on a stored message carries that
    /// message (blocks included); `app_home_opened` carries the published Home tab.
    pub async fn send_envelope(&self, kind: EnvelopeKind, payload: Value) -> String {
        let mut payload = payload;
        self.shared.with_state(|st| {
            st.enrich(kind, &mut payload);
            st.add_envelope(kind, payload)
        })
    }

    /// Sends the same envelope again with `retry_attempt` + 1 and `retry_reason: "timeout"`.
    pub async fn redeliver(&self, envelope_id: &str) {
        let found = self.shared.with_state(|st| st.redeliver(envelope_id));
        if !found {
            tracing::warn!(envelope_id, "fake slack: redeliver of an unknown envelope");
        }
    }

    /// Waits for the ack of the envelope's latest delivery.
    pub async fn wait_for_ack(&self, envelope_id: &str, timeout: Duration) -> anyhow::Result<Ack> {
        let acked = |f: &FakeSlack| {
            f.shared
                .read(|st| st.envelopes.get(envelope_id).is_some_and(|e| e.acked))
        };
        self.wait_until(timeout, acked)
            .await
            .with_context(|| format!("envelope {envelope_id} was not acked"))?;
        self.shared
            .read(|st| {
                st.acks
                    .iter()
                    .rev()
                    .find(|a| a.envelope_id == envelope_id)
                    .cloned()
            })
            .context("ack vanished")
    }

    pub fn acks(&self) -> Vec<Ack> {
        self.shared.read(|st| st.acks.clone())
    }

    /// Envelope ids whose latest delivery is not acked (sent or still waiting for a socket).
    pub fn unacked(&self) -> Vec<String> {
        self.shared.read(|st| {
            st.envelope_order
                .iter()
                .filter(|id| st.envelopes.get(*id).is_some_and(|e| !e.acked))
                .cloned()
                .collect()
        })
    }

    /// Sends `{"type":"disconnect","reason":…}` on every connection (`refresh_requested`,
    /// `warning`, `too_many_websockets`); no further envelopes go to those connections.
    pub async fn disconnect(&self, reason: &str) {
        self.shared.with_state(|st| {
            let n = st.sockets.len();
            for sock in &mut st.sockets {
                let frame =
                    disconnect_frame(reason, n, &format!("applink-fake-{}", sock.id)).to_string();
                let _ = sock.tx.send(WsCmd::Text(frame));
                sock.draining = true;
            }
        });
    }

    /// Closes every connection abruptly (TCP close, no WebSocket close frame).
    pub async fn drop_sockets(&self) {
        self.shared.with_state(|st| {
            for sock in st.sockets.drain(..) {
                let _ = sock.tx.send(WsCmd::Drop);
            }
        });
    }

    /// A `view_submission` payload for a modal the bot opened (`view_id` from `views.open`), with
    /// its blocks, title, callback_id and private_metadata, and the user's `values`
    /// (`{block_id: {action_id: {"type": …, "value": …}}}`).
    pub fn view_submission_for(
        &self,
        view_id: &str,
        user: &str,
        values: Value,
    ) -> anyhow::Result<Value> {
        let view = self
            .shared
            .read(|st| {
                st.views
                    .iter()
                    .find(|v| v.id == view_id && v.kind == "modal")
                    .map(State::stateful_view)
            })
            .with_context(|| format!("no modal {view_id}"))?;
        let mut view = view;
        view["state"] = serde_json::json!({"values": values});
        Ok(payloads::view_submission_with_view(user, view))
    }

    /// A user posts `text` in `channel` (in the thread `thread_ts`): sends its `message` event,
    /// which also stores the message. Returns the message's `ts`.
    pub async fn post_as_user(
        &self,
        user: &str,
        channel: &str,
        text: &str,
        thread_ts: Option<&str>,
    ) -> String {
        let ts = payloads::fresh_ts();
        self.send_envelope(
            EnvelopeKind::EventsApi,
            message_event(user, channel, text, &ts, thread_ts, None),
        )
        .await;
        ts
    }
}
