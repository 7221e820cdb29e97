//! `chat.*`: posting, editing, deleting and linking messages, ephemeral messages, and the
//! `response_url` hooks that edit or post them.

use super::*;

impl State {
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
    pub(super) fn store_message(
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

    pub(super) fn has_content(p: &Value) -> bool {
        let text = s(p.get("text")).is_some_and(|t| !t.is_empty());
        let nonempty = |k: &str| {
            p.get(k)
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty())
        };
        text || nonempty("blocks") || nonempty("attachments")
    }

    pub(super) fn replace_content(&mut self, i: usize, p: &Value) {
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

    pub(super) fn post_message(&mut self, p: &Value) -> Reply {
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

    pub(super) fn update_message(&mut self, p: &Value) -> Reply {
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

    pub(super) fn post_ephemeral(&mut self, p: &Value) -> Reply {
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

    pub(super) fn delete_message(&mut self, p: &Value) -> Reply {
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

    pub(super) fn permalink(&mut self, p: &Value) -> Reply {
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

    pub(super) fn respond(&mut self, id: &str, p: &Value) -> Reply {
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
}
