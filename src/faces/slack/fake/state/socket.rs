//! Socket Mode: tickets, connections, envelopes and their acks, and what Slack fills in when
//! it delivers a payload (live triggers and hooks, the clicked message, the opened view).

use super::*;

impl State {
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
    pub(super) fn record_message_event(&mut self, event: &Value) {
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

    pub(super) fn hook_url(
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
