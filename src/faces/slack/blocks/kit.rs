//! The kit every message is built with: `Message` and `View`, a block list that stays within
//! Slack's limits, Block Kit pieces (sections, buttons, inputs…) and mrkdwn text helpers
//! (escaping, cutting to a length with a pointer, mentions, times, links).

use super::limits::{self, Violation};
use crate::sources::artifacts::human_duration;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// A message for `chat.postMessage` / `chat.update` / `chat.postEphemeral`: a plain `text`
/// fallback (notifications, screen readers) and the blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub text: String,
    pub blocks: Vec<Value>,
}

impl Message {
    /// The API payload; `thread_ts` makes it a thread reply.
    pub fn to_json(&self, channel: &str, thread_ts: Option<&str>) -> Value {
        let mut v = json!({
            "channel": channel,
            "text": self.text,
            "blocks": self.blocks,
            "unfurl_links": false,
            "unfurl_media": false,
        });
        if let Some(ts) = thread_ts {
            v["thread_ts"] = json!(ts);
        }
        v
    }

    /// Slack's limits this message breaks (none, by construction).
    pub fn violations(&self) -> Vec<Violation> {
        limits::check_message(&self.to_json("C0", None))
    }
}

/// A view for `views.open` / `views.update` / `views.publish`: a modal or the Home tab.
#[derive(Debug, Clone, PartialEq)]
pub struct View(pub Value);

impl View {
    /// Slack's limits this view breaks (none, by construction).
    pub fn violations(&self) -> Vec<Violation> {
        limits::check_view(&self.0)
    }
}

/// Room kept for the closing "did not fit" note.
pub(super) const NOTE_TEXT: usize = 200;

// ---------------------------------------------------------------------------------------------
// A message under construction, within Slack's limits

/// Blocks added in order of importance. Blocks that no longer fit are left out and counted;
/// room is held back for the tail (actions) and for a closing note saying what was left out.
pub(super) struct Blocks {
    list: Vec<Value>,
    text: usize,
    max_text: usize,
    max_blocks: usize,
    held_text: usize,
    held_blocks: usize,
    pub(super) left_out: usize,
}

impl Blocks {
    pub(super) fn new(max_blocks: usize, max_text: usize) -> Self {
        Blocks {
            list: Vec::new(),
            text: 0,
            max_text,
            max_blocks,
            held_text: NOTE_TEXT,
            held_blocks: 1,
            left_out: 0,
        }
    }

    /// Holds back room for blocks added by [`Blocks::finish`].
    pub(super) fn hold(&mut self, tail: &[Value]) {
        self.held_blocks += tail.len();
        self.held_text += tail.iter().map(text_len).sum::<usize>();
    }

    /// Text characters still free.
    pub(super) fn room(&self) -> usize {
        self.max_text.saturating_sub(self.text + self.held_text)
    }

    pub(super) fn push(&mut self, block: Value) -> bool {
        let n = text_len(&block);
        if self.list.len() + self.held_blocks >= self.max_blocks || n > self.room() {
            self.left_out += 1;
            return false;
        }
        self.text += n;
        self.list.push(block);
        true
    }

    /// A section of `text` cut to `cap` (and to the room left) with `pointer`.
    pub(super) fn section(
        &mut self,
        block_id: Option<&str>,
        text: &str,
        cap: usize,
        pointer: &str,
    ) -> bool {
        let max = cap.min(limits::SECTION_TEXT).min(self.room());
        if max < 80 || text.trim().is_empty() {
            if !text.trim().is_empty() {
                self.left_out += 1;
            }
            return false;
        }
        self.push(section(block_id, &cut(text, max, pointer)))
    }

    pub(super) fn finish(mut self, note: Option<String>, tail: Vec<Value>) -> Vec<Value> {
        if let Some(note) = note {
            self.list.push(context_md(&cut(&note, NOTE_TEXT, "")));
        }
        self.list.extend(tail);
        self.list
    }
}

/// Characters of text objects in a block, as Slack counts them toward `msg_blocks_too_long`
/// (counted generously: every text object anywhere inside).
pub(super) fn text_len(v: &Value) -> usize {
    match v {
        Value::Object(m) => {
            let is_text = matches!(
                m.get("type").and_then(Value::as_str),
                Some("plain_text" | "mrkdwn")
            );
            m.iter()
                .map(|(k, v)| match (is_text, k.as_str(), v) {
                    (true, "text", Value::String(s)) => s.chars().count(),
                    _ => text_len(v),
                })
                .sum()
        }
        Value::Array(a) => a.iter().map(text_len).sum(),
        _ => 0,
    }
}

// ---------------------------------------------------------------------------------------------
// Block Kit pieces

pub(super) fn plain(text: &str) -> Value {
    let text = if text.trim().is_empty() { "-" } else { text };
    json!({"type": "plain_text", "text": text, "emoji": true})
}

pub(super) fn md(text: &str) -> Value {
    let text = if text.trim().is_empty() { "-" } else { text };
    json!({"type": "mrkdwn", "text": text})
}

pub(super) fn header(text: &str) -> Value {
    json!({"type": "header", "text": plain(&limits::truncate(&one_line(text), limits::HEADER_TEXT, ""))})
}

pub(super) fn section(block_id: Option<&str>, text: &str) -> Value {
    let mut s = json!({"type": "section", "text": md(&cut(text, limits::SECTION_TEXT, ""))});
    if let Some(id) = block_id {
        s["block_id"] = json!(id);
    }
    s
}

pub(super) fn context_md(text: &str) -> Value {
    json!({"type": "context", "elements": [md(&cut(text, limits::SECTION_TEXT, ""))]})
}

pub(super) fn field(label: &str, value: &str) -> Value {
    md(&cut(&format!("*{label}*\n{value}"), 300, ""))
}

pub(super) fn button(action_id: &str, text: &str, value: &str, style: Option<&str>) -> Value {
    let mut b = json!({
        "type": "button",
        "action_id": action_id,
        "text": plain(&limits::truncate(text, limits::BUTTON_TEXT, "")),
        "value": limits::truncate(value, limits::BUTTON_VALUE, ""),
    });
    if let Some(style) = style {
        b["style"] = json!(style);
    }
    b
}

pub(super) fn option(text: &str, value: &str) -> Value {
    json!({
        "text": plain(&limits::truncate(&one_line(text), limits::OPTION_TEXT, "")),
        "value": limits::truncate(value, limits::OPTION_VALUE, ""),
    })
}

pub(super) fn input(block_id: &str, label: &str, element: Value, optional: bool) -> Value {
    json!({
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": element,
        "optional": optional,
    })
}

// ---------------------------------------------------------------------------------------------
// Text

/// Escapes `&`, `<` and `>` for mrkdwn, and breaks up ``` so text cannot open a code block.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    no_fence(out)
}

/// "```" with a zero-width space inside, so it neither opens nor closes a code block.
pub(super) fn no_fence(mut s: String) -> String {
    while s.contains("```") {
        s = s.replace("```", "`\u{200b}``");
    }
    s
}

/// Escapes free text that may already hold Slack tokens (a comment posted in Slack, an activity
/// line built with mentions): user, group and channel mentions, dates and web links are kept, as
/// are the entities `&amp;`, `&lt;`, `&gt;`; everything else is escaped.
pub(super) fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                if let Some(end) = rest.find('>') {
                    let token = &rest[..=end];
                    if is_safe_token(token) {
                        out.push_str(token);
                        rest = &rest[end + 1..];
                        continue;
                    }
                }
                out.push_str("&lt;");
            }
            '>' => out.push_str("&gt;"),
            '&' => {
                if let Some(e) = ["&amp;", "&lt;", "&gt;"]
                    .into_iter()
                    .find(|e| rest.starts_with(e))
                {
                    out.push_str(e);
                    rest = &rest[e.len()..];
                    continue;
                }
                out.push_str("&amp;");
            }
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    no_fence(out)
}

/// `<@U1>`, `<@U1|ana>`, `<!subteam^S1>`, `<#C1>`, `<!date^…>`, `<https://…|label>`; not
/// `<!here>`, `<!channel>` or `<!everyone>`.
pub(super) fn is_safe_token(token: &str) -> bool {
    let Some(inner) = token.strip_prefix('<').and_then(|t| t.strip_suffix('>')) else {
        return false;
    };
    if inner.is_empty() || inner.contains('<') {
        return false;
    }
    let target = inner.split_once('|').map_or(inner, |(t, _)| t);
    let id = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric());
    if let Some(rest) = target.strip_prefix('@') {
        return id(rest);
    }
    if let Some(rest) = target.strip_prefix("!subteam^") {
        return id(rest);
    }
    if let Some(rest) = target.strip_prefix('#') {
        return id(rest);
    }
    if target.starts_with("!date^") {
        return true;
    }
    ["http://", "https://", "mailto:"]
        .iter()
        .any(|p| target.starts_with(p))
        && !target.contains(char::is_whitespace)
}

/// A person as mrkdwn: a resolved mention as is, a bare Slack user id as a mention, anything
/// else (an email, a name) as escaped text.
pub(super) fn mention(s: &str) -> String {
    let s = s.trim();
    if s.starts_with('<')
        && is_safe_token(s)
        && !s.starts_with("<http")
        && !s.starts_with("<mailto")
    {
        return s.to_owned();
    }
    if let Some(id) = slack_user_id(s) {
        return format!("<@{id}>");
    }
    escape(&clip(&one_line(s), 100))
}

/// A Slack user group id ("S0123ABC"), safe inside `<!subteam^…>`.
pub(super) fn is_group_id(s: &str) -> bool {
    let s = s.trim();
    s.starts_with('S')
        && (3..=32).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// The Slack user id in "U123ABC" or "<@U123ABC>" / "<@U123ABC|ana>".
pub(super) fn slack_user_id(s: &str) -> Option<&str> {
    let s = s.trim();
    let id = match s.strip_prefix("<@").and_then(|r| r.strip_suffix('>')) {
        Some(inner) => inner.split_once('|').map_or(inner, |(id, _)| id),
        None => s,
    };
    let ok = id.len() >= 3
        && id.len() <= 32
        && (id.starts_with('U') || id.starts_with('W'))
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && id.chars().any(|c| c.is_ascii_digit());
    ok.then_some(id)
}

/// Inline code: escaped, on one line, with no backtick to end it early.
pub(super) fn code(s: &str) -> String {
    let clean = inline(s);
    if clean.is_empty() {
        "`-`".to_owned()
    } else {
        format!("`{clean}`")
    }
}

/// Escaped text safe inside an inline code span.
pub(super) fn inline(s: &str) -> String {
    escape(one_line(s).replace('`', "'").trim())
}

/// Bold, escaped text (an asterisk in it would end the bold early).
pub(super) fn bold(s: &str) -> String {
    format!("*{}*", escape(&one_line(s).replace('*', "∗")))
}

/// A code block; a ``` inside cannot close it early.
pub(super) fn code_block(s: &str) -> String {
    let mut body = escape(s);
    if body.ends_with('`') {
        body.push('\u{200b}');
    }
    if body.starts_with('`') {
        body.insert(0, '\u{200b}');
    }
    format!("```{body}```")
}

pub(super) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Raw text cut to `max` characters with "…" (escape afterwards).
pub(super) fn clip(s: &str, max: usize) -> String {
    limits::truncate(s, max, "")
}

/// Cuts mrkdwn to `max` characters with `pointer`, never inside an entity (`&amp;`), a token
/// (`<@U1>`, `<https://…|…>`) or an open code block.
pub(super) fn cut(text: &str, max: usize, pointer: &str) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let tail = if pointer.is_empty() {
        "…".to_owned()
    } else {
        format!("… ({pointer})")
    };
    let tail_len = tail.chars().count();
    if max < tail_len + 4 {
        return if pointer.is_empty() {
            "…".chars().take(max).collect()
        } else {
            cut(text, max, "")
        };
    }
    let mut prefix: String = text.chars().take(max - tail_len - 4).collect();
    if let Some(lt) = prefix.rfind('<')
        && !prefix[lt..].contains('>')
    {
        prefix.truncate(lt);
    }
    if let Some(amp) = prefix.rfind('&')
        && prefix.rfind('>').is_none_or(|gt| gt < amp)
        && !prefix[amp..].contains(';')
    {
        prefix.truncate(amp);
    }
    let kept = prefix.trim_end_matches('`').len();
    prefix.truncate(kept);
    if prefix.matches("```").count() % 2 == 1 {
        prefix.push_str("\n```");
    }
    prefix.push_str(&tail);
    prefix
}

/// Where the rest of an issue is.
pub(super) fn pointer(issue_id: i64) -> String {
    format!("see `steward issue {issue_id}`")
}

/// Up to `max` items joined by `sep`, then "… and N more".
pub(super) fn capped<T>(items: &[T], max: usize, f: impl Fn(&T) -> String, sep: &str) -> String {
    let mut s = items.iter().take(max).map(f).collect::<Vec<_>>().join(sep);
    if items.len() > max {
        s.push_str(&format!(
            "{sep}… and {} more",
            thousands((items.len() - max) as i64)
        ));
    }
    s
}

pub(super) fn plural<'a>(n: i64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// 1234567 → "1,234,567".
pub(super) fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

pub(super) use crate::clock::parse_ts;

/// A time shown in the reader's time zone (Slack's date token), with how long ago when `now` is
/// known; text that is not a timestamp is shown escaped.
/// A stored timestamp as Slack shows it to each reader (their time zone), with a UTC fallback.
pub fn slack_time(ts: &str) -> String {
    when(ts, None)
}

pub(super) fn when(ts: &str, now: Option<DateTime<Utc>>) -> String {
    let Some(t) = parse_ts(ts) else {
        return if ts.trim().is_empty() {
            "unknown".to_owned()
        } else {
            escape(&clip(&one_line(ts), 60))
        };
    };
    let token = format!(
        "<!date^{}^{{date_short_pretty}} {{time}}|{}>",
        t.timestamp(),
        t.format("%Y-%m-%d %H:%M UTC")
    );
    match now {
        Some(now) if now >= t => {
            format!("{token} ({} ago)", human_duration((now - t).num_seconds()))
        }
        Some(now) => format!("{token} (in {})", human_duration((t - now).num_seconds())),
        None => token,
    }
}

/// "3h 5m ago", or the escaped text when it is not a timestamp.
pub(super) fn ago(ts: &str, now: DateTime<Utc>) -> String {
    match parse_ts(ts) {
        Some(t) => format!("{} ago", human_duration((now - t).num_seconds())),
        None => escape(&clip(&one_line(ts), 40)),
    }
}

/// A mrkdwn link, made safe; one that is too long or not http(s) is shown as text.
pub(super) fn link(url: &str, label: &str, ptr: &str) -> String {
    let url = url.trim();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return format!("{label}: {}", code(&clip(url, 200)));
    }
    if url.chars().count() > 1_000 {
        return format!("{label}: link too long to show ({ptr})");
    }
    let mut safe = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            '<' => safe.push_str("%3C"),
            '>' => safe.push_str("%3E"),
            '|' => safe.push_str("%7C"),
            c if c.is_whitespace() => safe.push_str(&format!("%{:02X}", c as u32 & 0xff)),
            c => safe.push(c),
        }
    }
    format!("<{safe}|{label}>")
}
