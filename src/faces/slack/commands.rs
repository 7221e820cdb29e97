//! The `/steward` slash command: a pure parser from command text to a typed command.
//!
//! [`parse`] turns the `text` field of a slash command into a [`Command`]; it does no I/O and
//! knows nothing about the store. Anything it cannot read becomes a [`ParseError`] that says what
//! was wrong and carries the usage to answer with: unknown input gets usage, never silence.
//!
//! The grammar, case-insensitive in subcommands and keywords, with any amount of whitespace:
//!
//! ```text
//! help                                   (also: ?, -h, --help)
//! issues [open | mine | <asset>]         (bare `issues` = open; `issues asset <name>` for an
//!                                         asset literally named `open` or `mine`)
//! issue <n>                              (a bare `<n>` works too)
//! assign <n> [to] <person>               (<@U123>, <@U123|dana>, an email, @dana or dana)
//! status <n> <status> [reason…]          (investigating, acknowledged/ack, open, fixed,
//!                                         expected, false-positive/false_positive/fp)
//! comment <n> <text…>
//! mute <n | asset> [for] <duration>      (30m, 24h, 7d, 2w, 1h30m, "2 hours"; at most 365d)
//! mute <n | asset> until-fixed           (also until_fixed, "until fixed")
//! unmute <n | asset>                     (ends its mutes early)
//! mutes                                  (the mutes in force)
//! incident <INC-n> status <s> | resolve <reason> <summary…> | severity <SEV> |
//!          commander <person> | link <n> | unlink <n> | merge-into <INC-m> |
//!          split <n…> [--title] <title…> | postmortem
//! declare [title…]
//! incidents
//! impact <node>
//! owner <node>                           (also: whois, who-owns, owners)
//! update <INC-n> <text…>                 (INC-3, inc-3, #3 or 3; also: stakeholder-update)
//! sla [product]
//! ```
//!
//! Issue numbers are `12` or `#12`. Free text (comment, reason, title) keeps its inner spacing
//! and newlines, loses one pair of surrounding quotes (straight or curly) and is unescaped from
//! Slack's `&amp; &lt; &gt;`. Other arguments are read from the raw text, where `<@U123|dana>`,
//! `<mailto:…|…>` and `<http://…|…>` are Slack's own markup (the manifest sets
//! `should_escape: true` so mentions arrive as ids).
//!
//! `forever` is deliberately not a mute duration: a mute ends at a time or when the issue is
//! fixed, so nothing stays silenced by accident.

mod incident;
mod mutes;

pub use incident::{FollowupChange, IncidentAction};

use std::fmt;
use std::time::Duration;

/// One parsed `/steward` invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    Issues(IssuesScope),
    Issue(i64),
    Assign {
        issue: i64,
        user: UserRef,
    },
    Status {
        issue: i64,
        status: StatusArg,
        reason: Option<String>,
    },
    Comment {
        issue: i64,
        text: String,
    },
    Mute {
        target: MuteTarget,
        duration: MuteDuration,
    },
    Unmute {
        target: MuteTarget,
    },
    Mutes,
    Declare {
        title: Option<String>,
    },
    Incidents,
    /// A change to one incident.
    Incident {
        incident: i64,
        action: IncidentAction,
    },
    Impact {
        node: String,
    },
    WhoisOwner {
        node: String,
    },
    /// A stakeholder update on an incident.
    Update {
        incident: i64,
        text: String,
    },
    /// Data products' uptime against their SLA: all of them, or one.
    Sla {
        product: Option<String>,
    },
}

/// Which issues `issues` lists. Bare `issues` is [`IssuesScope::Open`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuesScope {
    Open,
    Mine,
    Asset(String),
}

/// A person as typed: resolved to a Slack user later, by whoever has the API at hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    /// A Slack user id, from an escaped mention `<@U123|dana>` or `<@U123>`.
    Id(String),
    /// An email, typed plainly or as Slack's `<mailto:dana@example.com|dana@example.com>`.
    Email(String),
    /// A name, from `@dana` or `dana` (a mention Slack did not escape); may contain spaces.
    Name(String),
}

/// The status argument of `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusArg {
    Investigating,
    Acknowledged,
    Open,
    Fixed,
    Expected,
    FalsePositive,
}

/// What `mute` silences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MuteTarget {
    Issue(i64),
    /// An asset as typed: a node name or a unique_id.
    Asset(String),
}

/// How long `mute` lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MuteDuration {
    /// `30m`, `24h`, `7d`, `2w`, `1h30m`, `2 hours`: more than zero, at most [`MAX_MUTE`].
    For(Duration),
    /// `until-fixed`, `until_fixed` or `until fixed`. (`forever` is refused on purpose.)
    UntilFixed,
}

/// The longest timed mute.
pub const MAX_MUTE: Duration = Duration::from_secs(365 * 86_400);

/// Input the parser could not read: what was wrong, and the usage to show with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// One sentence saying what was wrong, e.g. "unknown subcommand `isues` (did you mean
    /// `issues`?)".
    pub message: String,
    /// The usage of the subcommand concerned, without the command name (e.g.
    /// `issue <n>`), or every subcommand's usage, one a line, when the subcommand itself was
    /// missing or unknown. [`ParseError::reply`] renders it for Slack.
    pub usage: &'static str,
}

impl ParseError {
    fn new(message: impl Into<String>, usage: &'static str) -> ParseError {
        ParseError {
            message: message.into(),
            usage,
        }
    }

    /// True when the error is about the subcommand itself and `usage` lists them all.
    pub fn is_general(&self) -> bool {
        self.usage == ALL_USAGES
    }

    /// The answer to post (mrkdwn): the message, then the full help when the subcommand was
    /// missing or unknown, or the one usage line (with an example) otherwise.
    pub fn reply(&self, command_name: &str) -> String {
        if self.is_general() {
            return format!("{}\n\n{}", self.message, usage(command_name));
        }
        let command = command_prefix(command_name);
        let mut reply = format!("{}\nUsage: `{command} {}`", self.message, self.usage);
        if let Some(spec) = SPECS.iter().find(|s| s.usage == self.usage) {
            reply.push_str(&format!("\nFor example: `{command} {}`", spec.example));
        }
        reply
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_general() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{} (usage: {})", self.message, self.usage)
        }
    }
}

impl std::error::Error for ParseError {}

struct Spec {
    name: &'static str,
    aliases: &'static [&'static str],
    usage: &'static str,
    example: &'static str,
    about: &'static str,
}

/// Defines [`SPECS`] and [`ALL_USAGES`] from one list so they cannot drift apart.
macro_rules! subcommands {
    ($( $name:literal [$($alias:literal),*] $usage:literal, $example:literal, $about:literal; )*) => {
        const SPECS: &[Spec] = &[$(Spec {
            name: $name,
            aliases: &[$($alias),*],
            usage: $usage,
            example: $example,
            about: $about,
        }),*];
        const ALL_USAGES: &str = concat!($($usage, "\n"),*);
    };
}

subcommands! {
    "issues" [] "issues [open | mine | <asset>]", "issues mine",
        "open issues: all of them, the ones assigned to you, or one asset's";
    "issue" ["show"] "issue <n>", "issue #12",
        "one issue with its timeline and comments";
    "assign" [] "assign <n> <@person | email>", "assign #12 @dana",
        "give an issue an assignee (an open issue becomes acknowledged)";
    "status" [] "status <n> <investigating | acknowledged | open | fixed | expected | false-positive> [reason]",
        "status #12 fixed backfilled the late partition",
        "move an issue along; fixed, expected and false-positive resolve it";
    "comment" ["note"] "comment <n> <text>", "comment #12 upstream API was down 02:00-03:10",
        "add a comment to an issue's timeline";
    "mute" ["snooze"] "mute <n | asset> <30m | 24h | 7d | 2w | until-fixed>", "mute stg_orders 24h",
        "silence alerts for an issue or an asset, for a while or until it is fixed";
    "unmute" [] "unmute <n | asset>", "unmute stg_orders",
        "end an issue's or an asset's mutes now";
    "mutes" [] "mutes", "mutes",
        "the mutes in force: what, until when, by whom and why";
    "declare" [] "declare [title]", "declare Revenue dashboard shows yesterday's numbers",
        "declare an incident";
    "incidents" [] "incidents", "incidents",
        "open incidents";
    "incident" [] "incident <INC-n> <status S | resolve REASON SUMMARY | severity SEV | commander @person | link n | unlink n | merge-into INC-m | split n… TITLE | postmortem | followup [add TEXT [--owner @person] [--jira|--linear] | done n | drop n | reopen n]>",
        "incident INC-3 severity SEV1",
        "change an incident: its status, severity or commander, resolve it, link or unlink an issue, merge it into another, split issues off into a new one, post its report, add or close its follow-ups";
    "impact" ["downstream"] "impact <node>", "impact stg_orders",
        "what sits downstream of a node: models, exposures and their owners";
    "owner" ["whois", "who-owns", "owners"] "owner <node>", "owner fct_revenue",
        "who owns a node";
    "update" ["stakeholder-update"] "update <INC-n> <text>", "update INC-3 Backfill running, ETA 2h",
        "post a stakeholder update to an incident's thread and its data products' channels";
    "sla" [] "sla [product]", "sla revenue",
        "data products' 30-day uptime against their SLA, and the error budget left";
    "help" ["?", "-h", "--help"] "help", "help",
        "this list";
}

fn spec(name: &str) -> &'static Spec {
    SPECS
        .iter()
        .find(|s| s.name == name)
        .expect("every subcommand has a spec")
}

fn usage_of(name: &str) -> &'static str {
    spec(name).usage
}

/// `/steward` whatever the caller passed: `steward`, `/steward`, ` /steward `.
fn command_prefix(command_name: &str) -> String {
    let name = command_name.trim();
    if name.starts_with('/') {
        name.to_owned()
    } else {
        format!("/{name}")
    }
}

/// Help text listing every subcommand with an example, in Slack mrkdwn.
pub fn usage(command_name: &str) -> String {
    let command = command_prefix(command_name);
    let mut text = format!("*Steward* answers `{command} <subcommand>`:\n");
    for spec in SPECS {
        text.push_str(&format!(
            "• `{command} {}` — {}. e.g. `{command} {}`",
            spec.usage, spec.about, spec.example
        ));
        if !spec.aliases.is_empty() {
            let aliases: Vec<String> = spec.aliases.iter().map(|a| format!("`{a}`")).collect();
            text.push_str(&format!(" (also {})", aliases.join(", ")));
        }
        text.push('\n');
    }
    text.push_str(
        "Issue numbers take `12` or `#12`; incidents `INC-3` or `3`. People: a mention, an email or a name. \
         Durations: `30m`, `24h`, `7d`, `2w` (at most 365d) or `until-fixed`.",
    );
    text
}

/// Parses the `text` of a `/steward` slash command.
pub fn parse(text: &str) -> Result<Command, ParseError> {
    let Some((word, rest)) = split_first(text) else {
        return Err(ParseError::new(
            "no subcommand given: tell Steward what to do",
            ALL_USAGES,
        ));
    };
    // A bare issue number shows that issue: `/steward #12`.
    if looks_like_issue_number(word) {
        let issue = issue_number(word, usage_of("issue"))?;
        return no_more(rest, "issue").map(|()| Command::Issue(issue));
    }
    let lowered = word.to_lowercase();
    let Some(spec) = SPECS
        .iter()
        .find(|s| s.name == lowered || s.aliases.contains(&lowered.as_str()))
    else {
        let shown = truncate(word, 40);
        let message = match suggestion(&lowered) {
            Some(name) => format!("unknown subcommand `{shown}` (did you mean `{name}`?)"),
            None => format!("unknown subcommand `{shown}`"),
        };
        return Err(ParseError::new(message, ALL_USAGES));
    };
    match spec.name {
        "help" => Ok(Command::Help),
        "issues" => parse_issues(rest),
        "issue" => {
            let (issue, rest) = required_issue(rest, "issue")?;
            no_more(rest, "issue").map(|()| Command::Issue(issue))
        }
        "assign" => parse_assign(rest),
        "status" => parse_status(rest),
        "comment" => {
            let (issue, rest) = required_issue(rest, "comment")?;
            match free_text(rest) {
                Some(text) => Ok(Command::Comment { issue, text }),
                None => Err(ParseError::new(
                    "`comment` needs some text after the issue number",
                    usage_of("comment"),
                )),
            }
        }
        "mute" => mutes::parse_mute(rest),
        "unmute" => mutes::parse_unmute(rest),
        "mutes" => no_more(rest, "mutes").map(|()| Command::Mutes),
        "declare" => Ok(Command::Declare {
            title: free_text(rest),
        }),
        "incidents" => no_more(rest, "incidents").map(|()| Command::Incidents),
        "incident" => incident::parse_incident(rest),
        "impact" => node_arg(rest, "impact").map(|node| Command::Impact { node }),
        "owner" => node_arg(rest, "owner").map(|node| Command::WhoisOwner { node }),
        "update" => parse_update(rest),
        "sla" => match split_first(rest) {
            None => Ok(Command::Sla { product: None }),
            Some((name, after)) => {
                no_more(after, "sla")?;
                Ok(Command::Sla {
                    product: Some(asset_name(name)),
                })
            }
        },
        other => unreachable!("subcommand {other} has a spec but no parser"),
    }
}

fn parse_issues(rest: &str) -> Result<Command, ParseError> {
    let usage = usage_of("issues");
    let Some((word, after)) = split_first(rest) else {
        return Ok(Command::Issues(IssuesScope::Open));
    };
    let scope = match word.to_lowercase().as_str() {
        "open" => IssuesScope::Open,
        "mine" | "me" => IssuesScope::Mine,
        "asset" | "for" => {
            let (name, after) = split_first(after).ok_or_else(|| {
                ParseError::new(format!("`issues {word}` needs an asset name"), usage)
            })?;
            no_more(after, "issues")?;
            return Ok(Command::Issues(IssuesScope::Asset(asset_name(name))));
        }
        _ => IssuesScope::Asset(asset_name(word)),
    };
    no_more(after, "issues")?;
    Ok(Command::Issues(scope))
}

fn parse_update(rest: &str) -> Result<Command, ParseError> {
    let usage = usage_of("update");
    let Some((word, rest)) = split_first(rest) else {
        return Err(ParseError::new(
            "`update` needs an incident number, then the update",
            usage,
        ));
    };
    let incident = incident::incident_number(word, usage)?;
    match free_text(rest) {
        Some(text) => Ok(Command::Update { incident, text }),
        None => Err(ParseError::new(
            "`update` needs some text after the incident number",
            usage,
        )),
    }
}

fn parse_assign(rest: &str) -> Result<Command, ParseError> {
    let usage = usage_of("assign");
    let (issue, rest) = required_issue(rest, "assign")?;
    let rest = match split_first(rest) {
        Some((to, after)) if to.eq_ignore_ascii_case("to") => after,
        _ => rest,
    };
    if rest.is_empty() {
        return Err(ParseError::new(
            "`assign` needs a person after the issue number: a mention, an email or a name",
            usage,
        ));
    }
    let user = user_ref(rest).map_err(|message| ParseError::new(message, usage))?;
    Ok(Command::Assign { issue, user })
}

fn parse_status(rest: &str) -> Result<Command, ParseError> {
    let usage = usage_of("status");
    let (issue, rest) = required_issue(rest, "status")?;
    let Some((word, mut rest)) = split_first(rest) else {
        return Err(ParseError::new(
            "`status` needs a status after the issue number",
            usage,
        ));
    };
    let status = match word.to_lowercase().replace('_', "-").as_str() {
        "investigating" | "investigate" => StatusArg::Investigating,
        "acknowledged" | "acknowledge" | "ack" | "acked" => StatusArg::Acknowledged,
        "open" | "reopen" | "reopened" => StatusArg::Open,
        "fixed" | "fix" | "resolved" => StatusArg::Fixed,
        "expected" => StatusArg::Expected,
        "false-positive" | "falsepositive" | "fp" => StatusArg::FalsePositive,
        "false" => match split_first(rest) {
            Some((positive, after)) if positive.eq_ignore_ascii_case("positive") => {
                rest = after;
                StatusArg::FalsePositive
            }
            _ => return Err(unknown_status(word)),
        },
        _ => return Err(unknown_status(word)),
    };
    Ok(Command::Status {
        issue,
        status,
        reason: free_text(rest),
    })
}

fn unknown_status(word: &str) -> ParseError {
    ParseError::new(
        format!(
            "unknown status `{}`: use investigating, acknowledged, open, fixed, expected or \
             false-positive",
            truncate(word, 40)
        ),
        usage_of("status"),
    )
}

fn user_ref(text: &str) -> Result<UserRef, String> {
    let text = text.trim();
    if let Some(inner) = text.strip_prefix('<').and_then(|t| t.strip_suffix('>'))
        && !inner.contains('<')
    {
        if let Some(mention) = inner.strip_prefix('@') {
            let id = mention.split('|').next().unwrap_or_default();
            if !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Ok(UserRef::Id(id.to_owned()));
            }
            return Err(format!("`{}` is not a Slack mention", truncate(text, 60)));
        }
        if let Some(mailto) = inner.strip_prefix("mailto:") {
            let email = mailto.split('|').next().unwrap_or_default();
            if is_email(email) {
                return Ok(UserRef::Email(email.to_owned()));
            }
        }
        if inner.starts_with("!subteam^") {
            return Err("assign takes one person, not a user group".to_owned());
        }
        if inner.starts_with('#') {
            return Err("assign takes a person, not a channel".to_owned());
        }
        return Err(format!(
            "`{}` is not a person: use a mention, an email or a name",
            truncate(text, 60)
        ));
    }
    let single = !text.contains(char::is_whitespace);
    if single && is_email(text) {
        return Ok(UserRef::Email(text.to_owned()));
    }
    let name = free_text(text.strip_prefix('@').unwrap_or(text)).unwrap_or_default();
    if name.is_empty() || name.contains(['<', '>']) {
        return Err(format!(
            "`{}` is not a person: use a mention, an email or a name",
            truncate(text, 60)
        ));
    }
    Ok(UserRef::Name(name))
}

fn is_email(text: &str) -> bool {
    let mut parts = text.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !text.contains(|c: char| c.is_whitespace() || c == '<' || c == '>')
        }
        _ => false,
    }
}

/// The one node argument of `impact` and `owner`.
fn node_arg(rest: &str, name: &str) -> Result<String, ParseError> {
    let usage = usage_of(name);
    let Some((word, after)) = split_first(rest) else {
        return Err(ParseError::new(
            format!("`{name}` needs a node: a model, source or exposure name, or a unique_id"),
            usage,
        ));
    };
    no_more(after, name)?;
    let node = asset_name(word);
    if node.is_empty() {
        return Err(ParseError::new(format!("`{name}` needs a node"), usage));
    }
    Ok(node)
}

/// An asset or node as typed, without quotes or backticks, and without Slack's link markup when
/// Slack auto-linked something that looked like a domain (`<http://orders.shop|orders.shop>`).
fn asset_name(word: &str) -> String {
    let mut word = word;
    if let Some(inner) = word.strip_prefix('<').and_then(|w| w.strip_suffix('>')) {
        word = match inner.split_once('|') {
            Some((_, label)) => label,
            None => inner
                .strip_prefix("https://")
                .or_else(|| inner.strip_prefix("http://"))
                .unwrap_or(inner),
        };
    }
    let word = strip_quotes(word);
    let word = word
        .strip_prefix('`')
        .and_then(|w| w.strip_suffix('`'))
        .unwrap_or(word);
    unescape(word.trim())
}

fn required_issue<'a>(rest: &'a str, name: &str) -> Result<(i64, &'a str), ParseError> {
    let usage = usage_of(name);
    let Some((word, rest)) = split_first(rest) else {
        return Err(ParseError::new(
            format!("`{name}` needs an issue number, like 12 or #12"),
            usage,
        ));
    };
    Ok((issue_number(word, usage)?, rest))
}

fn looks_like_issue_number(word: &str) -> bool {
    let digits = word.strip_prefix('#').unwrap_or(word);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

fn issue_number(word: &str, usage: &'static str) -> Result<i64, ParseError> {
    let digits = word.strip_prefix('#').unwrap_or(word);
    let bad = || {
        ParseError::new(
            format!(
                "`{}` is not an issue number: use 12 or #12",
                truncate(word, 40)
            ),
            usage,
        )
    };
    positive_number(digits).ok_or_else(bad)
}

/// `12` as 12: ASCII digits only (no sign, no spaces), above 0 and within i64.
fn positive_number(digits: &str) -> Option<i64> {
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse::<i64>().ok().filter(|n| *n > 0)
}

fn no_more(rest: &str, name: &str) -> Result<(), ParseError> {
    if rest.is_empty() {
        Ok(())
    } else {
        Err(ParseError::new(
            format!(
                "`{name}` got more than it takes: `{}`",
                truncate(rest.trim(), 40)
            ),
            usage_of(name),
        ))
    }
}

/// The first whitespace-separated word and the rest, trimmed at its start; None when only
/// whitespace is left.
fn split_first(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start();
    if text.is_empty() {
        return None;
    }
    match text.find(char::is_whitespace) {
        Some(end) => Some((&text[..end], text[end..].trim_start())),
        None => Some((text, "")),
    }
}

/// Free text: trimmed, one pair of surrounding quotes removed, Slack's entities unescaped.
/// None when nothing is left.
fn free_text(text: &str) -> Option<String> {
    let text = unescape(strip_quotes(text.trim()).trim());
    if text.is_empty() { None } else { Some(text) }
}

fn strip_quotes(text: &str) -> &str {
    const PAIRS: &[(char, char)] = &[('"', '"'), ('\'', '\''), ('“', '”'), ('‘', '’'), ('”', '”')];
    for &(open, close) in PAIRS {
        if let Some(inner) = text.strip_prefix(open).and_then(|t| t.strip_suffix(close)) {
            return inner;
        }
    }
    text
}

/// Undoes Slack's escaping of `&`, `<` and `>` in one pass (so `&amp;lt;` becomes `&lt;`).
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let (ch, len) = if tail.starts_with("&amp;") {
            ('&', 5)
        } else if tail.starts_with("&lt;") {
            ('<', 4)
        } else if tail.starts_with("&gt;") {
            ('>', 4)
        } else {
            ('&', 1)
        };
        out.push(ch);
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// The subcommand closest to a typo, when it is close enough.
fn suggestion(word: &str) -> Option<&'static str> {
    if word.chars().count() > 20 {
        return None;
    }
    SPECS
        .iter()
        .flat_map(|s| {
            std::iter::once(&s.name)
                .chain(s.aliases)
                .map(move |n| (s.name, *n))
        })
        .filter(|(_, candidate)| candidate.len() > 2)
        .map(|(name, candidate)| (edit_distance(word, candidate), name))
        .filter(|&(distance, _)| distance <= 2)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, name)| name)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            current[j + 1] = (previous[j] + cost)
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests;
