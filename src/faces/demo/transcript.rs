//! The demo's Slack transcript: the fake workspace's messages as readable text, channel by
//! channel. Pure functions over [`StoredMessage`]s, so they are tested without Slack.

use crate::faces::slack::fake::StoredMessage;
use serde_json::Value;
use std::fmt::Write;

/// Who and what the ids in message text are.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// User id and handle (`U0ANA`, `ana`); the bot is one of them.
    pub users: Vec<(String, String)>,
    /// Channel id and name without `#` (`C0ALERTS01`, `data-alerts`).
    pub channels: Vec<(String, String)>,
}

impl Names {
    /// `ana` for `U0ANA`; the id itself when unknown.
    pub fn user(&self, id: &str) -> String {
        self.users
            .iter()
            .find(|(u, _)| u == id)
            .map_or_else(|| id.to_owned(), |(_, name)| name.clone())
    }

    /// `data-alerts` for `C0ALERTS01`; the id itself when unknown.
    pub fn channel(&self, id: &str) -> String {
        self.channels
            .iter()
            .find(|(c, _)| c == id)
            .map_or_else(|| id.to_owned(), |(_, name)| name.clone())
    }
}

/// Something people saw that is not a message (a modal), shown in the thread of the message it
/// came from, after the replies that existed when it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub channel: String,
    /// The message it belongs to; at the channel's top level when no message has this ts.
    pub thread_ts: String,
    /// The newest message ts in the workspace when it happened.
    pub after_ts: String,
    pub text: String,
}

/// Every channel in `channels` that has messages (or notes), in that order: each top-level
/// message rendered from its blocks, with its edits counted and its thread indented beneath it.
pub fn render_transcript(
    channels: &[&str],
    messages: &[StoredMessage],
    notes: &[Note],
    names: &Names,
) -> String {
    let mut out = String::new();
    for &channel in channels {
        let in_channel: Vec<&StoredMessage> = messages
            .iter()
            .filter(|m| m.channel == channel && !m.deleted)
            .collect();
        let is_top = |m: &&StoredMessage| m.thread_ts.as_deref().is_none_or(|t| t == m.ts);
        let mut top: Vec<&StoredMessage> = in_channel.iter().copied().filter(is_top).collect();
        top.sort_by_key(|m| ts_key(&m.ts));
        let channel_notes: Vec<&Note> = notes.iter().filter(|n| n.channel == channel).collect();
        if top.is_empty() && channel_notes.is_empty() {
            continue;
        }
        let visible = top.iter().filter(|m| !m.ephemeral).count();
        let _ = writeln!(
            out,
            "#{} ({visible} {})",
            names.channel(channel),
            if visible == 1 { "message" } else { "messages" }
        );

        // Top-level messages and the notes whose message is not here, in time order.
        let mut items: Vec<(Key, Item)> =
            top.iter().map(|m| (msg_key(m), Item::Message(m))).collect();
        for n in &channel_notes {
            if !top.iter().any(|m| m.ts == n.thread_ts) {
                items.push((note_key(n), Item::Note(n)));
            }
        }
        items.sort_by_key(|(k, _)| *k);
        for (_, item) in items {
            out.push('\n');
            match item {
                Item::Note(n) => {
                    let _ = writeln!(out, "  {}", n.text);
                }
                Item::Message(m) => {
                    render_message(&mut out, m, names);
                    let mut thread: Vec<(Key, Item)> = in_channel
                        .iter()
                        .filter(|r| r.ts != m.ts && r.thread_ts.as_deref() == Some(m.ts.as_str()))
                        .map(|r| (msg_key(r), Item::Message(r)))
                        .collect();
                    thread.extend(
                        channel_notes
                            .iter()
                            .filter(|n| n.thread_ts == m.ts)
                            .map(|n| (note_key(n), Item::Note(n))),
                    );
                    thread.sort_by_key(|(k, _)| *k);
                    for (_, reply) in thread {
                        match reply {
                            Item::Note(n) => {
                                let _ = writeln!(out, "    {}", n.text);
                            }
                            Item::Message(r) => render_reply(&mut out, r, names),
                        }
                    }
                }
            }
        }
        out.push('\n');
    }
    out
}

type Key = ((u64, u64), u8);

enum Item<'a> {
    Message(&'a StoredMessage),
    Note(&'a Note),
}

fn msg_key(m: &StoredMessage) -> Key {
    (ts_key(&m.ts), 0)
}

/// A note sorts after the messages up to its `after_ts`, before later ones.
fn note_key(n: &Note) -> Key {
    (ts_key(&n.after_ts), 1)
}

/// `1700000000.000100` as (seconds, fraction), so ts order is numeric.
fn ts_key(ts: &str) -> (u64, u64) {
    let (s, f) = ts.split_once('.').unwrap_or((ts, "0"));
    (s.parse().unwrap_or(0), f.parse().unwrap_or(0))
}

fn author(m: &StoredMessage, names: &Names) -> String {
    format!("@{}", names.user(&m.user))
}

/// A message's lines: its blocks, or its text when it has none.
fn body(m: &StoredMessage, names: &Names) -> Vec<String> {
    let lines = match &m.blocks {
        Some(b) if b.as_array().is_some_and(|a| !a.is_empty()) => blocks_to_text(b, names),
        _ => Vec::new(),
    };
    if lines.is_empty() {
        text_lines(&m.text, names)
    } else {
        lines
    }
}

fn render_message(out: &mut String, m: &StoredMessage, names: &Names) {
    let mut head = author(m, names);
    if m.ephemeral {
        let to = m
            .ephemeral_user
            .as_deref()
            .map(|u| names.user(u))
            .unwrap_or_default();
        let _ = write!(head, " (only @{to} sees this)");
    }
    if let Some(first) = m.history.first() {
        let was = text_lines(&first.text, names).join(" ");
        let _ = write!(head, " · edited {}×", m.history.len());
        if !was.is_empty() {
            let _ = write!(head, ", first posted as “{was}”");
        }
    }
    let _ = writeln!(out, "  {head}");
    for line in body(m, names) {
        let _ = writeln!(out, "  │ {line}");
    }
}

fn render_reply(out: &mut String, r: &StoredMessage, names: &Names) {
    let mut head = author(r, names);
    if r.ephemeral {
        let to = r
            .ephemeral_user
            .as_deref()
            .map(|u| names.user(u))
            .unwrap_or_default();
        let _ = write!(head, " (only @{to} sees this)");
    }
    if !r.history.is_empty() {
        let _ = write!(head, " (edited)");
    }
    let lines = body(r, names);
    let mut lines = lines.iter();
    let _ = writeln!(
        out,
        "    ↳ {head}: {}",
        lines.next().map(String::as_str).unwrap_or("")
    );
    for line in lines {
        let _ = writeln!(out, "      {line}");
    }
}

/// Block Kit blocks (an array, or one block) as text lines: headers and sections as text,
/// fields two to a line as `Label: value`, context joined with ` · `, and actions as one
/// `[buttons: …]` line. Mentions, dates and links become readable; mrkdwn markers go.
pub fn blocks_to_text(blocks: &Value, names: &Names) -> Vec<String> {
    let list: Vec<&Value> = match blocks {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    };
    let mut out = Vec::new();
    for block in list {
        let kind = block.get("type").and_then(Value::as_str).unwrap_or("");
        match kind {
            "header" => out.extend(text_lines(text_of(block.get("text")), names)),
            "section" => {
                out.extend(text_lines(text_of(block.get("text")), names));
                let fields: Vec<String> = block
                    .get("fields")
                    .and_then(Value::as_array)
                    .map(|f| {
                        f.iter()
                            .map(|field| {
                                let lines = text_lines(text_of(Some(field)), names);
                                match lines.split_first() {
                                    Some((label, rest)) if !rest.is_empty() => {
                                        format!("{label}: {}", rest.join(" "))
                                    }
                                    _ => lines.join(" "),
                                }
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                for pair in fields.chunks(2) {
                    out.push(pair.join(" · "));
                }
                if let Some(acc) = block.get("accessory") {
                    out.push(format!("[{}]", element_label(acc, names)));
                }
            }
            "context" => {
                let parts: Vec<String> = block
                    .get("elements")
                    .and_then(Value::as_array)
                    .map(|els| {
                        els.iter()
                            .filter(|e| e.get("text").is_some())
                            .map(|e| text_lines(text_of(Some(e)), names).join(" "))
                            .filter(|t| !t.is_empty())
                            .collect()
                    })
                    .unwrap_or_default();
                if !parts.is_empty() {
                    out.push(parts.join(" · "));
                }
            }
            "actions" => {
                let labels: Vec<String> = block
                    .get("elements")
                    .and_then(Value::as_array)
                    .map(|els| els.iter().map(|e| element_label(e, names)).collect())
                    .unwrap_or_default();
                if !labels.is_empty() {
                    let word = if labels.len() == 1 {
                        "button"
                    } else {
                        "buttons"
                    };
                    out.push(format!("[{word}: {}]", labels.join(" · ")));
                }
            }
            "divider" => out.push("─────".to_owned()),
            "rich_text" => {
                let mut s = String::new();
                rich_text(block, names, &mut s);
                out.extend(
                    s.lines()
                        .map(str::trim_end)
                        .filter(|l| !l.trim().is_empty())
                        .map(str::to_owned),
                );
            }
            "image" => out.push(format!(
                "[image: {}]",
                block.get("alt_text").and_then(Value::as_str).unwrap_or("")
            )),
            "input" => out.extend(text_lines(text_of(block.get("label")), names)),
            other => out.push(format!(
                "[{}]",
                if other.is_empty() { "block" } else { other }
            )),
        }
    }
    out
}

/// The `text` of a text object (or the object's own `text` when it is a string).
fn text_of(v: Option<&Value>) -> &str {
    match v {
        Some(Value::String(s)) => s,
        Some(o) => o.get("text").and_then(Value::as_str).unwrap_or(""),
        None => "",
    }
}

/// What a person sees on an interactive element: a button's words without the emoji, a
/// select's name (and its current choice).
fn element_label(e: &Value, names: &Names) -> String {
    let action = e.get("action_id").and_then(Value::as_str).unwrap_or("");
    let from_id = || {
        let last = action
            .rsplit('.')
            .next()
            .unwrap_or(action)
            .replace('_', " ");
        let mut c = last.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    };
    match e.get("type").and_then(Value::as_str).unwrap_or("") {
        "button" => {
            let text = text_of(e.get("text"));
            let words = text
                .trim_start_matches(|c: char| !c.is_alphanumeric())
                .trim();
            if words.is_empty() {
                from_id()
            } else {
                words.to_owned()
            }
        }
        "users_select" | "conversations_select" | "channels_select" => {
            let name = from_id();
            match e
                .get("initial_user")
                .or_else(|| e.get("initial_conversation"))
                .or_else(|| e.get("initial_channel"))
                .and_then(Value::as_str)
            {
                Some(id) if e.get("initial_user").is_some() => {
                    format!("{name} (@{})", names.user(id))
                }
                Some(id) => format!("{name} (#{})", names.channel(id)),
                None => name,
            }
        }
        "static_select" | "external_select" => {
            let name = from_id();
            let chosen = text_of(e.pointer("/initial_option/text"));
            let chosen = chosen
                .trim_start_matches(|c: char| !c.is_alphanumeric())
                .trim();
            if chosen.is_empty() {
                name
            } else {
                format!("{name}: {chosen}")
            }
        }
        _ => from_id(),
    }
}

fn rich_text(v: &Value, names: &Names, out: &mut String) {
    match v.get("type").and_then(Value::as_str) {
        Some("text") => out.push_str(v.get("text").and_then(Value::as_str).unwrap_or("")),
        Some("user") => {
            let id = v.get("user_id").and_then(Value::as_str).unwrap_or("");
            let _ = write!(out, "@{}", names.user(id));
        }
        Some("channel") => {
            let id = v.get("channel_id").and_then(Value::as_str).unwrap_or("");
            let _ = write!(out, "#{}", names.channel(id));
        }
        Some("link") => out.push_str(
            v.get("text")
                .or_else(|| v.get("url"))
                .and_then(Value::as_str)
                .unwrap_or(""),
        ),
        Some("emoji") => {
            let _ = write!(
                out,
                ":{}:",
                v.get("name").and_then(Value::as_str).unwrap_or("")
            );
        }
        _ => {
            if let Some(els) = v.get("elements").and_then(Value::as_array) {
                for e in els {
                    rich_text(e, names, out);
                }
                if matches!(
                    v.get("type").and_then(Value::as_str),
                    Some("rich_text_section" | "rich_text_preformatted" | "rich_text_quote")
                ) {
                    out.push('\n');
                }
            }
        }
    }
}

/// Slack mrkdwn as plain lines: mentions, channel links, dates and links readable, `*bold*`,
/// `_italic_`, `~strike~` and backticks gone, code blocks indented, entities decoded, blank
/// lines dropped.
pub fn text_lines(text: &str, names: &Names) -> Vec<String> {
    let text = tokens(text, names);
    // (line, is code): code lines are kept verbatim, others lose their markers.
    let mut lines: Vec<(String, bool)> = Vec::new();
    let mut current = String::new();
    for (i, segment) in text.split("```").enumerate() {
        if i % 2 == 0 {
            let mut parts = segment.split('\n');
            if let Some(first) = parts.next() {
                current.push_str(first);
            }
            for part in parts {
                lines.push((std::mem::take(&mut current), false));
                current.push_str(part);
            }
        } else {
            lines.push((std::mem::take(&mut current), false));
            for code in segment.trim_matches('\n').lines() {
                lines.push((format!("    {}", unescape(code.trim_end())), true));
            }
        }
    }
    lines.push((current, false));
    lines
        .into_iter()
        .map(|(l, code)| {
            if code {
                l
            } else {
                unescape(&strip_markers(&l)).trim().to_owned()
            }
        })
        .filter(|l| !l.trim().is_empty())
        .collect()
}

/// `<@U1>`, `<#C1|name>`, `<!date^…|fallback>`, `<!subteam^S1|@team>`, `<!here>` and
/// `<url|label>` as people read them.
fn tokens(text: &str, names: &Names) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let token = &after[..end];
        let (target, label) = match token.split_once('|') {
            Some((t, l)) => (t, Some(l)),
            None => (token, None),
        };
        let shown = if let Some(id) = target.strip_prefix('@') {
            format!("@{}", names.user(id))
        } else if let Some(id) = target.strip_prefix('#') {
            format!(
                "#{}",
                label.map_or_else(|| names.channel(id), str::to_owned)
            )
        } else if let Some(special) = target.strip_prefix('!') {
            match (special.split('^').next().unwrap_or(""), label) {
                (_, Some(l)) if special.starts_with("subteam^") && !l.starts_with('@') => {
                    format!("@{l}")
                }
                (_, Some(l)) => l.to_owned(),
                ("subteam", None) => format!("@{}", special.trim_start_matches("subteam^")),
                (word, None) => format!("@{word}"),
            }
        } else {
            label.unwrap_or(target).to_owned()
        };
        out.push_str(&shown);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Removes mrkdwn `*`, `_` and `~` pairs and inline-code backticks; text inside backticks is
/// left alone.
fn strip_markers(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let n = chars.len();
    let mut code = vec![false; n];
    let mut remove = vec![false; n];
    let mut open: Option<usize> = None;
    for (i, &c) in chars.iter().enumerate() {
        if c == '`' {
            match open.take() {
                None => open = Some(i),
                Some(o) => {
                    code[o..=i].iter_mut().for_each(|x| *x = true);
                    remove[o] = true;
                    remove[i] = true;
                }
            }
        }
    }
    for i in 0..n {
        let c = chars[i];
        if !matches!(c, '*' | '_' | '~') || code[i] || remove[i] {
            continue;
        }
        let opens = (i == 0
            || (!chars[i - 1].is_alphanumeric() && !matches!(chars[i - 1], '*' | '_' | '~')))
            && i + 1 < n
            && !chars[i + 1].is_whitespace()
            && chars[i + 1] != c;
        if !opens {
            continue;
        }
        let close = (i + 2..n).find(|&j| {
            chars[j] == c
                && !code[j]
                && !remove[j]
                && !chars[j - 1].is_whitespace()
                && (j + 1 == n || !chars[j + 1].is_alphanumeric())
        });
        if let Some(j) = close {
            remove[i] = true;
            remove[j] = true;
        }
    }
    chars
        .iter()
        .zip(remove)
        .filter(|(_, r)| !r)
        .map(|(c, _)| c)
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faces::slack::fake::MessageVersion;
    use serde_json::json;

    fn names() -> Names {
        Names {
            users: vec![
                ("U0ANA".into(), "ana".into()),
                ("U0BRUNO".into(), "bruno".into()),
                ("UBOT".into(), "steward".into()),
            ],
            channels: vec![
                ("C0ALERTS01".into(), "data-alerts".into()),
                ("C0INCIDEN1".into(), "data-incidents".into()),
            ],
        }
    }

    fn msg(channel: &str, ts: &str, thread: Option<&str>, user: &str, text: &str) -> StoredMessage {
        StoredMessage {
            channel: channel.into(),
            ts: ts.into(),
            thread_ts: thread.map(str::to_owned),
            user: user.into(),
            text: text.into(),
            blocks: None,
            attachments: None,
            ephemeral: false,
            ephemeral_user: None,
            reply_broadcast: false,
            deleted: false,
            edited_ts: None,
            history: Vec::new(),
            source: "chat.postMessage".into(),
        }
    }

    #[test]
    fn mrkdwn_becomes_plain_text() {
        let n = names();
        assert_eq!(
            text_lines(
                "*Owners* <@U0ANA>, <@U0NOBODY> and <!subteam^S1|@data-finance>",
                &n
            ),
            ["Owners @ana, @U0NOBODY and @data-finance"]
        );
        assert_eq!(
            text_lines(
                "First seen <!date^1700000000^{date_short_pretty} {time}|2023-11-14 22:13 UTC> (2h ago)",
                &n
            ),
            ["First seen 2023-11-14 22:13 UTC (2h ago)"]
        );
        assert_eq!(
            text_lines(
                "🔴 *`stg_shop__payments`* — error · see <https://x.test/run/1|the run> in <#C0ALERTS01>",
                &n
            ),
            ["🔴 stg_shop__payments — error · see the run in #data-alerts"]
        );
        // Underscores inside names and a lone asterisk stay; entities are decoded.
        assert_eq!(
            text_lines(
                "_why_: a &lt; b &amp;&amp; select * from stg_shop__payments_v2",
                &n
            ),
            ["why: a < b && select * from stg_shop__payments_v2"]
        );
        assert_eq!(
            text_lines(
                "error:\n```Runtime Error in model x\n  column *y* missing```\n\n<!here>",
                &n
            ),
            [
                "error:",
                "    Runtime Error in model x",
                "      column *y* missing",
                "@here"
            ]
        );
    }

    #[test]
    fn blocks_flatten_to_lines() {
        let blocks = json!([
            {"type": "header", "text": {"type": "plain_text", "text": "🔴 stg_shop__payments · failing · prod"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Cause*\nthe model errored"}},
            {"type": "section", "fields": [
                {"type": "mrkdwn", "text": "*Status*\nopen"},
                {"type": "mrkdwn", "text": "*Assignee*\n<@U0BRUNO>"},
                {"type": "mrkdwn", "text": "*Environment*\n`prod`"}
            ]},
            {"type": "context", "elements": [
                {"type": "mrkdwn", "text": "<https://docs.test|Docs>"},
                {"type": "image", "image_url": "https://x.test/i.png", "alt_text": "i"},
                {"type": "plain_text", "text": "Run 42"}
            ]},
            {"type": "divider"},
            {"type": "actions", "block_id": "steward.issue.1", "elements": [
                {"type": "button", "action_id": "steward.declare", "text": {"type": "plain_text", "text": "🚨 Declare incident"}, "value": "1"},
                {"type": "users_select", "action_id": "steward.assign", "placeholder": {"type": "plain_text", "text": "Assign to…"}, "initial_user": "U0BRUNO"},
                {"type": "static_select", "action_id": "steward.status", "options": [], "initial_option": {"text": {"type": "plain_text", "text": "🔎 Investigating"}, "value": "investigating"}},
                {"type": "button", "action_id": "steward.comment", "text": {"type": "plain_text", "text": "💬 Comment"}, "value": "1"},
                {"type": "overflow", "action_id": "steward.mute", "options": []}
            ]}
        ]);
        assert_eq!(
            blocks_to_text(&blocks, &names()),
            [
                "🔴 stg_shop__payments · failing · prod",
                "Cause",
                "the model errored",
                "Status: open · Assignee: @bruno",
                "Environment: prod",
                "Docs · Run 42",
                "─────",
                "[buttons: Declare incident · Assign (@bruno) · Status: Investigating · Comment · Mute]",
            ]
        );
        assert!(blocks_to_text(&Value::Null, &names()).is_empty());
    }

    #[test]
    fn transcript_shows_channels_edits_threads_and_notes() {
        let n = names();
        let mut alert = msg("C0ALERTS01", "1700000000.000100", None, "UBOT", "fallback");
        alert.blocks = Some(
            json!([{"type": "header", "text": {"type": "plain_text", "text": "✅ stg_shop__payments · recovered"}}]),
        );
        alert.history = vec![
            MessageVersion {
                text: "🔴 *stg_shop__payments*: run error".into(),
                blocks: None,
                replaced_at: std::time::Instant::now(),
            };
            2
        ];
        let reply = msg(
            "C0ALERTS01",
            "1700000000.000300",
            Some("1700000000.000100"),
            "U0BRUNO",
            "Found it: <@U0ANA> look",
        );
        let bot_reply = msg(
            "C0ALERTS01",
            "1700000000.000500",
            Some("1700000000.000100"),
            "UBOT",
            "✅ `run` recovered after 2h",
        );
        let incident = msg(
            "C0INCIDEN1",
            "1700000000.000400",
            None,
            "UBOT",
            "🚨 INC-1 (SEV2): Revenue",
        );
        let other = msg("C0OTHER", "1700000000.000600", None, "UBOT", "not shown");
        let note = Note {
            channel: "C0ALERTS01".into(),
            thread_ts: "1700000000.000100".into(),
            after_ts: "1700000000.000400".into(),
            text: "🪟 Ana opened “Declare incident”".into(),
        };
        let text = render_transcript(
            &["C0ALERTS01", "C0FINANCE1", "C0INCIDEN1"],
            &[bot_reply, incident, alert, reply, other],
            &[note],
            &n,
        );
        let expected = "\
#data-alerts (1 message)

  @steward · edited 2×, first posted as “🔴 stg_shop__payments: run error”
  │ ✅ stg_shop__payments · recovered
    ↳ @bruno: Found it: @ana look
    🪟 Ana opened “Declare incident”
    ↳ @steward: ✅ run recovered after 2h

#data-incidents (1 message)

  @steward
  │ 🚨 INC-1 (SEV2): Revenue

";
        assert_eq!(text, expected);
    }
}
