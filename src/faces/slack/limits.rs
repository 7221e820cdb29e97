//! Slack's limits on messages, modals and Home views, in one place.
//!
//! The renderer truncates to these limits ([`truncate`]) and its tests check every output with
//! [`check_message`] / [`check_view`]; the fake Slack runs the same checks on every payload the
//! bot sends, so a violation fails the test instead of reaching a real workspace.

use serde_json::Value;
use std::collections::HashSet;

pub const MESSAGE_BLOCKS: usize = 50;
pub const VIEW_BLOCKS: usize = 100;
pub const MESSAGE_TEXT: usize = 40_000;
/// Total text across a message's blocks; Slack has refused messages near 13k (`msg_blocks_too_long`).
pub const MESSAGE_BLOCK_TEXT_TOTAL: usize = 12_000;
pub const SECTION_TEXT: usize = 3_000;
pub const SECTION_FIELDS: usize = 10;
pub const FIELD_TEXT: usize = 2_000;
pub const HEADER_TEXT: usize = 150;
pub const CONTEXT_ELEMENTS: usize = 10;
pub const ACTIONS_ELEMENTS: usize = 25;
pub const ID_LENGTH: usize = 255;
pub const BUTTON_TEXT: usize = 75;
pub const BUTTON_VALUE: usize = 2_000;
pub const URL_LENGTH: usize = 3_000;
pub const SELECT_OPTIONS: usize = 100;
pub const OPTION_TEXT: usize = 75;
pub const OPTION_VALUE: usize = 150;
pub const OVERFLOW_OPTIONS: usize = 5;
/// Options of a `checkboxes` or `radio_buttons` element.
pub const CHECKBOX_OPTIONS: usize = 10;
pub const MODAL_TITLE: usize = 24;
pub const PRIVATE_METADATA: usize = 3_000;
pub const INPUT_LABEL: usize = 2_000;
pub const PLACEHOLDER: usize = 150;

/// Cuts `text` to at most `max` characters, ending with "…" and `pointer` (e.g.
/// "see `steward issue 12`") so a reader knows where the rest is.
pub fn truncate(text: &str, max: usize, pointer: &str) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let tail = if pointer.is_empty() {
        "…".to_owned()
    } else {
        format!("… ({pointer})")
    };
    let keep = max.saturating_sub(tail.chars().count());
    let mut out: String = text.chars().take(keep).collect();
    out.push_str(&tail);
    out
}

/// One broken rule, with where it is (e.g. `blocks[3].elements[0].text`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub path: String,
    pub rule: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.rule)
    }
}

struct Checker {
    violations: Vec<Violation>,
    action_ids: HashSet<String>,
    block_ids: HashSet<String>,
    total_text: usize,
}

impl Checker {
    fn new() -> Self {
        Checker {
            violations: Vec::new(),
            action_ids: HashSet::new(),
            block_ids: HashSet::new(),
            total_text: 0,
        }
    }

    fn fail(&mut self, path: &str, rule: impl Into<String>) {
        self.violations.push(Violation {
            path: path.to_owned(),
            rule: rule.into(),
        });
    }

    fn len(&mut self, path: &str, value: Option<&Value>, max: usize, what: &str) {
        if let Some(s) = value.and_then(Value::as_str) {
            let n = s.chars().count();
            if n > max {
                self.fail(path, format!("{what} is {n} characters, over {max}"));
            }
        }
    }

    /// A text object: `{"type": "plain_text"|"mrkdwn", "text": …}`.
    fn text(&mut self, path: &str, t: Option<&Value>, max: usize, plain_only: bool) {
        let Some(t) = t else { return };
        let kind = t.get("type").and_then(Value::as_str).unwrap_or("");
        if !matches!(kind, "plain_text" | "mrkdwn") {
            self.fail(
                path,
                format!("text object type {kind:?} is not plain_text or mrkdwn"),
            );
        }
        if plain_only && kind != "plain_text" {
            self.fail(path, "must be plain_text");
        }
        match t.get("text").and_then(Value::as_str) {
            None => self.fail(path, "text object has no text"),
            Some("") => self.fail(path, "text is empty"),
            Some(s) => {
                self.total_text += s.chars().count();
                self.len(&format!("{path}.text"), t.get("text"), max, "text");
            }
        }
    }

    fn id(&mut self, path: &str, v: Option<&Value>, action: bool) {
        let Some(id) = v.and_then(Value::as_str) else {
            return;
        };
        self.len(path, v, ID_LENGTH, "id");
        let set = if action {
            &mut self.action_ids
        } else {
            &mut self.block_ids
        };
        if !set.insert(id.to_owned()) {
            self.fail(
                path,
                format!(
                    "{} {id:?} is not unique",
                    if action { "action_id" } else { "block_id" }
                ),
            );
        }
    }

    fn options(&mut self, path: &str, options: Option<&Value>, max: usize) {
        let Some(list) = options.and_then(Value::as_array) else {
            return;
        };
        if list.len() > max {
            self.fail(path, format!("{} options, over {max}", list.len()));
        }
        for (i, o) in list.iter().enumerate() {
            let p = format!("{path}[{i}]");
            self.text(&format!("{p}.text"), o.get("text"), OPTION_TEXT, false);
            self.len(
                &format!("{p}.value"),
                o.get("value"),
                OPTION_VALUE,
                "option value",
            );
        }
    }

    fn element(&mut self, path: &str, e: &Value) {
        let kind = e.get("type").and_then(Value::as_str).unwrap_or("");
        self.id(&format!("{path}.action_id"), e.get("action_id"), true);
        match kind {
            "button" => {
                self.text(&format!("{path}.text"), e.get("text"), BUTTON_TEXT, true);
                self.len(
                    &format!("{path}.value"),
                    e.get("value"),
                    BUTTON_VALUE,
                    "button value",
                );
                self.len(&format!("{path}.url"), e.get("url"), URL_LENGTH, "url");
            }
            "static_select" | "multi_static_select" => {
                self.options(&format!("{path}.options"), e.get("options"), SELECT_OPTIONS);
                if let Some(groups) = e.get("option_groups").and_then(Value::as_array) {
                    for (i, g) in groups.iter().enumerate() {
                        self.options(
                            &format!("{path}.option_groups[{i}].options"),
                            g.get("options"),
                            SELECT_OPTIONS,
                        );
                    }
                }
            }
            "checkboxes" | "radio_buttons" => self.options(
                &format!("{path}.options"),
                e.get("options"),
                CHECKBOX_OPTIONS,
            ),
            "overflow" => self.options(
                &format!("{path}.options"),
                e.get("options"),
                OVERFLOW_OPTIONS,
            ),
            "image" | "plain_text" | "mrkdwn" => {}
            _ => {}
        }
        if let Some(p) = e.get("placeholder") {
            self.text(&format!("{path}.placeholder"), Some(p), PLACEHOLDER, true);
        }
        if let Some(o) = e.get("initial_option") {
            self.len(
                &format!("{path}.initial_option.value"),
                o.get("value"),
                OPTION_VALUE,
                "option value",
            );
        }
    }

    fn block(&mut self, path: &str, b: &Value) {
        self.id(&format!("{path}.block_id"), b.get("block_id"), false);
        match b.get("type").and_then(Value::as_str).unwrap_or("") {
            "section" => {
                if b.get("text").is_none() && b.get("fields").is_none() {
                    self.fail(path, "a section needs text or fields");
                }
                self.text(&format!("{path}.text"), b.get("text"), SECTION_TEXT, false);
                if let Some(fields) = b.get("fields").and_then(Value::as_array) {
                    if fields.len() > SECTION_FIELDS {
                        self.fail(
                            &format!("{path}.fields"),
                            format!("{} fields, over {SECTION_FIELDS}", fields.len()),
                        );
                    }
                    for (i, f) in fields.iter().enumerate() {
                        self.text(&format!("{path}.fields[{i}]"), Some(f), FIELD_TEXT, false);
                    }
                }
                if let Some(acc) = b.get("accessory") {
                    self.element(&format!("{path}.accessory"), acc);
                }
            }
            "header" => self.text(&format!("{path}.text"), b.get("text"), HEADER_TEXT, true),
            "context" => {
                let elements = b
                    .get("elements")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                if elements.is_empty() || elements.len() > CONTEXT_ELEMENTS {
                    self.fail(
                        &format!("{path}.elements"),
                        format!("{} elements, need 1 to {CONTEXT_ELEMENTS}", elements.len()),
                    );
                }
                for (i, e) in elements.iter().enumerate() {
                    if matches!(
                        e.get("type").and_then(Value::as_str),
                        Some("plain_text" | "mrkdwn")
                    ) {
                        self.text(
                            &format!("{path}.elements[{i}]"),
                            Some(e),
                            SECTION_TEXT,
                            false,
                        );
                    }
                }
            }
            "actions" => {
                let elements = b
                    .get("elements")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                if elements.is_empty() || elements.len() > ACTIONS_ELEMENTS {
                    self.fail(
                        &format!("{path}.elements"),
                        format!("{} elements, need 1 to {ACTIONS_ELEMENTS}", elements.len()),
                    );
                }
                for (i, e) in elements.iter().enumerate() {
                    self.element(&format!("{path}.elements[{i}]"), e);
                }
            }
            "input" => {
                self.text(&format!("{path}.label"), b.get("label"), INPUT_LABEL, true);
                match b.get("element") {
                    Some(e) => self.element(&format!("{path}.element"), e),
                    None => self.fail(path, "an input block needs an element"),
                }
            }
            "divider" | "image" | "rich_text" => {}
            other => self.fail(path, format!("unknown block type {other:?}")),
        }
    }

    fn blocks(&mut self, blocks: Option<&Value>, max: usize) {
        let Some(list) = blocks else { return };
        let Some(list) = list.as_array() else {
            self.fail("blocks", "blocks must be an array");
            return;
        };
        if list.len() > max {
            self.fail("blocks", format!("{} blocks, over {max}", list.len()));
        }
        for (i, b) in list.iter().enumerate() {
            self.block(&format!("blocks[{i}]"), b);
        }
    }
}

/// Checks a `chat.postMessage` / `chat.update` / `chat.postEphemeral` payload.
pub fn check_message(payload: &Value) -> Vec<Violation> {
    let mut c = Checker::new();
    let text = payload.get("text").and_then(Value::as_str).unwrap_or("");
    if text.is_empty() && payload.get("blocks").is_some() {
        c.fail("text", "a message with blocks needs a plain text fallback");
    }
    c.len("text", payload.get("text"), MESSAGE_TEXT, "text");
    c.blocks(payload.get("blocks"), MESSAGE_BLOCKS);
    if c.total_text > MESSAGE_BLOCK_TEXT_TOTAL {
        c.fail("blocks", format!("{} characters of block text, over {MESSAGE_BLOCK_TEXT_TOTAL} (msg_blocks_too_long)", c.total_text));
    }
    c.violations
}

/// Checks a view for `views.open` / `views.update` / `views.publish` (a modal or a Home tab).
pub fn check_view(view: &Value) -> Vec<Violation> {
    let mut c = Checker::new();
    let kind = view.get("type").and_then(Value::as_str).unwrap_or("");
    match kind {
        "modal" => {
            match view.get("title") {
                Some(t) => c.text("title", Some(t), MODAL_TITLE, true),
                None => c.fail("title", "a modal needs a title"),
            }
            c.text("submit", view.get("submit"), MODAL_TITLE, true);
            c.text("close", view.get("close"), MODAL_TITLE, true);
            let has_input = view
                .get("blocks")
                .and_then(Value::as_array)
                .is_some_and(|b| {
                    b.iter()
                        .any(|b| b.get("type").and_then(Value::as_str) == Some("input"))
                });
            if has_input && view.get("submit").is_none() {
                c.fail("submit", "a modal with inputs needs a submit button");
            }
        }
        "home" => {}
        other => c.fail("type", format!("view type {other:?} is not modal or home")),
    }
    c.len(
        "private_metadata",
        view.get("private_metadata"),
        PRIVATE_METADATA,
        "private_metadata",
    );
    c.len(
        "callback_id",
        view.get("callback_id"),
        ID_LENGTH,
        "callback_id",
    );
    c.blocks(view.get("blocks"), VIEW_BLOCKS);
    c.violations
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn truncation_keeps_the_limit_and_says_where_the_rest_is() {
        let t = truncate(&"x".repeat(100), 40, "see steward issue 7");
        assert_eq!(t.chars().count(), 40);
        assert!(t.ends_with("… (see steward issue 7)"));
        assert_eq!(truncate("short", 40, "p"), "short");
    }

    #[test]
    fn a_good_message_passes() {
        let m = json!({
            "text": "fallback",
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": "Hi"}},
                {"type": "section", "block_id": "a", "text": {"type": "mrkdwn", "text": "*x*"}},
                {"type": "actions", "block_id": "b", "elements": [
                    {"type": "button", "action_id": "steward.ack", "text": {"type": "plain_text", "text": "Ack"}, "value": "1"},
                    {"type": "static_select", "action_id": "steward.status", "options": [
                        {"text": {"type": "plain_text", "text": "Fixed"}, "value": "fixed"}]}
                ]}
            ]
        });
        assert_eq!(check_message(&m), vec![]);
    }

    #[test]
    fn violations_are_found_with_their_path() {
        let long = "y".repeat(3001);
        let m = json!({
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": long}},
                {"type": "header", "text": {"type": "mrkdwn", "text": "h"}},
                {"type": "actions", "elements": [
                    {"type": "button", "action_id": "dup", "text": {"type": "plain_text", "text": "a"}},
                    {"type": "button", "action_id": "dup", "text": {"type": "plain_text", "text": "b"}}
                ]}
            ]
        });
        let v: Vec<String> = check_message(&m).iter().map(|v| v.to_string()).collect();
        assert!(v.iter().any(|s| s.starts_with("text:")), "{v:?}");
        assert!(
            v.iter().any(|s| s.starts_with("blocks[0].text.text")),
            "{v:?}"
        );
        assert!(v.iter().any(|s| s.contains("must be plain_text")), "{v:?}");
        assert!(v.iter().any(|s| s.contains("not unique")), "{v:?}");
        let blocks: Vec<Value> = (0..51).map(|_| json!({"type": "divider"})).collect();
        assert!(!check_message(&json!({"text": "t", "blocks": blocks})).is_empty());
    }

    #[test]
    fn modal_titles_are_short() {
        let v = json!({"type": "modal", "title": {"type": "plain_text", "text": "A title that is far too long"}, "blocks": []});
        assert_eq!(check_view(&v).len(), 1);
        let v = json!({"type": "modal", "title": {"type": "plain_text", "text": "Declare incident"},
            "blocks": [{"type": "input", "label": {"type": "plain_text", "text": "Title"},
                "element": {"type": "plain_text_input", "action_id": "title"}}]});
        assert_eq!(check_view(&v).len(), 1, "inputs without submit");
    }
}
