//! Slack's payloads, read once and typed: a button press ([`Action`]) and a modal submission
//! ([`Submission`]), with the readers of a modal's inputs. A payload without what a handler
//! needs is a [`Malformed`] error naming what is missing; the router logs it and answers
//! nothing, as before (Slack only sends those for messages Steward never rendered).

use serde_json::Value;
use std::fmt;

pub fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// A payload that lacks what its handler reads, and what that is.
#[derive(Debug)]
pub struct Malformed(pub &'static str);

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed Slack payload: {}", self.0)
    }
}

impl std::error::Error for Malformed {}

/// A `block_actions` payload: who pressed which button (or chose in which menu), and where.
pub struct Action<'a> {
    pub user: String,
    /// Where to answer ephemerally; absent on the Home tab.
    pub channel: Option<String>,
    /// Opens a modal, once and within 3 s.
    pub trigger: String,
    pub action_id: String,
    pub raw: &'a Value,
}

impl<'a> Action<'a> {
    pub fn read(v: &'a Value) -> Action<'a> {
        Action {
            user: str_at(v, "/user/id").unwrap_or_default().to_owned(),
            channel: str_at(v, "/channel/id")
                .or_else(|| str_at(v, "/container/channel_id"))
                .map(str::to_owned),
            trigger: str_at(v, "/trigger_id").unwrap_or_default().to_owned(),
            action_id: str_at(v, "/actions/0/action_id")
                .unwrap_or_default()
                .to_owned(),
            raw: v,
        }
    }

    /// The chosen option of a menu.
    pub fn selected(&self) -> Option<&'a str> {
        str_at(self.raw, "/actions/0/selected_option/value")
    }

    /// The issue an alert's button is about: its value, or the number ending its block id.
    pub fn issue(&self) -> Result<i64, Malformed> {
        str_at(self.raw, "/actions/0/value")
            .and_then(|s| s.parse().ok())
            .or_else(|| {
                str_at(self.raw, "/actions/0/block_id")
                    .and_then(|b| b.rsplit('.').next())
                    .and_then(|s| s.parse().ok())
            })
            .ok_or(Malformed("button without an issue id"))
    }

    /// The message the button sits on (channel, ts); absent in a modal or on the Home tab.
    pub fn message(&self) -> Option<(&'a str, &'a str)> {
        let channel = str_at(self.raw, "/container/channel_id")
            .or_else(|| str_at(self.raw, "/channel/id"))?;
        let ts = str_at(self.raw, "/container/message_ts")
            .or_else(|| str_at(self.raw, "/message/ts"))?;
        Some((channel, ts))
    }

    /// The incident an incident message's button is about: its value.
    pub fn incident(&self) -> Result<i64, Malformed> {
        str_at(self.raw, "/actions/0/value")
            .and_then(|s| s.parse().ok())
            .ok_or(Malformed("incident button without an incident number"))
    }
}

/// A `view_submission` payload: who submitted which modal, what it was about (its
/// `private_metadata`) and its inputs (`state.values[block_id][action_id]`).
pub struct Submission<'a> {
    pub user: String,
    pub callback_id: String,
    pub meta: Value,
    pub raw: &'a Value,
}

impl<'a> Submission<'a> {
    /// The block id of the modal's first input, where an error about the whole form shows.
    pub fn first_input(&self) -> Option<&'a str> {
        self.raw
            .pointer("/view/blocks")?
            .as_array()?
            .iter()
            .find(|b| b.get("type").and_then(Value::as_str) == Some("input"))?
            .get("block_id")?
            .as_str()
    }

    pub fn read(v: &'a Value) -> Submission<'a> {
        Submission {
            user: str_at(v, "/user/id").unwrap_or_default().to_owned(),
            callback_id: str_at(v, "/view/callback_id")
                .unwrap_or_default()
                .to_owned(),
            meta: str_at(v, "/view/private_metadata")
                .and_then(|m| serde_json::from_str(m).ok())
                .unwrap_or(Value::Null),
            raw: v,
        }
    }

    /// The issue the modal was opened for, if any.
    pub fn issue(&self) -> Option<i64> {
        self.meta.get("issue").and_then(Value::as_i64)
    }

    /// The incident the modal was opened for, if any.
    pub fn incident(&self) -> Option<i64> {
        self.meta.get("incident").and_then(Value::as_i64)
    }

    /// An issue modal's issue, required.
    pub fn required_issue(&self) -> Result<i64, Malformed> {
        self.issue()
            .ok_or(Malformed("issue modal without an issue in its metadata"))
    }

    /// An incident modal's incident, required.
    pub fn required_incident(&self) -> Result<i64, Malformed> {
        self.incident().ok_or(Malformed(
            "incident modal without an incident in its metadata",
        ))
    }

    /// The input in block `block` (whatever its action id).
    pub fn input(&self, block: &str) -> Option<&'a Value> {
        self.raw
            .pointer(&format!("/view/state/values/{block}"))
            .and_then(Value::as_object)
            .and_then(|m| m.values().next())
    }

    /// A text input, trimmed; None when empty.
    pub fn text(&self, block: &str) -> Option<String> {
        self.input(block)
            .and_then(|i| i.get("value"))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    }

    /// A select's chosen value.
    pub fn option(&self, block: &str) -> Option<String> {
        self.input(block)
            .and_then(|i| i.pointer("/selected_option/value"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// A user select's chosen person.
    pub fn user_picked(&self, block: &str) -> Option<&'a str> {
        self.input(block)
            .and_then(|i| i.get("selected_user"))
            .and_then(Value::as_str)
    }

    /// Whether a checkbox group or multi-select has anything chosen.
    pub fn ticked(&self, block: &str) -> bool {
        self.selected(block).is_some_and(|a| !a.is_empty())
    }

    /// The numbers chosen in a multi-select of issues.
    pub fn numbers(&self, block: &str) -> Vec<i64> {
        self.selected(block)
            .map(|a| {
                a.iter()
                    .filter_map(|o| o.get("value")?.as_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn selected(&self, block: &str) -> Option<&'a Vec<Value>> {
        self.input(block)
            .and_then(|i| i.get("selected_options"))
            .and_then(Value::as_array)
    }
}
