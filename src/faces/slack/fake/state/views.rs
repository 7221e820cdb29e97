//! `views.*`: modals opened from a trigger, updated by id or hash, and the published Home tab.

use super::*;

impl State {
    pub(super) fn exchange_trigger(&mut self, id: Option<&str>) -> Result<(), &'static str> {
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

    pub(super) fn view_param(p: &Value) -> Option<Value> {
        p.get("view").filter(|v| v.is_object()).cloned()
    }

    pub(super) fn new_hash() -> String {
        format!("{}.{:08x}", payloads::now_secs(), payloads::next_seq())
    }

    pub(super) fn open_view(&mut self, method: &str, p: &Value) -> Reply {
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

    pub(super) fn update_view(&mut self, p: &Value) -> Reply {
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

    pub(super) fn publish_view(&mut self, p: &Value) -> Reply {
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
}
