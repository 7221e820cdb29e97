//! `/steward incident <INC-n> <action>`: every change to an incident from the slash command,
//! as `steward incident INC-n …` does from the CLI: status, resolve, severity, commander, link,
//! unlink, merge-into, split, postmortem and follow-ups.

use super::{
    Command, ParseError, UserRef, free_text, issue_number, positive_number, split_first, truncate,
    usage_of, user_ref,
};

/// What `incident` changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentAction {
    /// investigating, identified or monitoring.
    Status(String),
    /// Resolve with a reason (`code_change`, `upstream_source_late`, …) and a summary.
    Resolve {
        reason: String,
        summary: String,
    },
    Severity(String),
    Commander(UserRef),
    Link(i64),
    Unlink(i64),
    /// Merge this incident into another open one (its issues, timeline and follow-ups move).
    MergeInto(i64),
    /// Make a new incident, titled `title`, of some of this one's issues.
    Split {
        issues: Vec<i64>,
        title: String,
    },
    /// Post the post-incident report in the incident's thread.
    Postmortem,
    /// Add, close or list the incident's follow-ups.
    Followup(FollowupChange),
}

/// What `incident … followup` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowupChange {
    /// A new follow-up; with `tracker` (`jira` or `linear`), its ticket is created too.
    Add {
        text: String,
        owner: Option<UserRef>,
        tracker: Option<&'static str>,
    },
    /// Set follow-up `id` to `open`, `done` or `dropped`.
    Set {
        id: i64,
        state: &'static str,
    },
    List,
}

const VERBS: &str =
    "status, resolve, severity, commander, link, unlink, merge-into, split, postmortem or followup";

/// `INC-3`, `inc-3`, `#3` or `3`.
pub(super) fn incident_number(word: &str, usage: &'static str) -> Result<i64, ParseError> {
    let digits = match word.get(..4) {
        Some(prefix) if prefix.eq_ignore_ascii_case("inc-") => &word[4..],
        _ => word.strip_prefix('#').unwrap_or(word),
    };
    positive_number(digits).ok_or_else(|| {
        ParseError::new(
            format!(
                "`{}` is not an incident number (use e.g. INC-3)",
                truncate(word, 40)
            ),
            usage,
        )
    })
}

pub(super) fn parse_incident(rest: &str) -> Result<Command, ParseError> {
    let usage = usage_of("incident");
    let Some((word, rest)) = split_first(rest) else {
        return Err(ParseError::new(
            "`incident` needs an incident number and what to change",
            usage,
        ));
    };
    let incident = incident_number(word, usage)?;
    let Some((verb, rest)) = split_first(rest) else {
        return Err(ParseError::new(
            format!("say what to change: {VERBS}"),
            usage,
        ));
    };
    let one = |what: &str| -> Result<String, ParseError> {
        match split_first(rest) {
            Some((w, after)) if after.trim().is_empty() => Ok(w.to_owned()),
            Some(_) => Err(ParseError::new(
                format!("`incident … {what}` takes one word"),
                usage,
            )),
            None => Err(ParseError::new(
                format!("`incident … {what}` needs a value"),
                usage,
            )),
        }
    };
    let action = match verb.to_lowercase().as_str() {
        "status" => {
            let s = one("status")?.to_lowercase();
            if s == "resolved" {
                return Err(ParseError::new(
                    "resolving needs a reason and a summary: `incident INC-n resolve <reason> <summary>`",
                    usage,
                ));
            }
            IncidentAction::Status(s)
        }
        "resolve" => {
            let Some((reason, summary)) = split_first(rest) else {
                return Err(ParseError::new(
                    "`resolve` needs a reason (e.g. code_change) and a summary",
                    usage,
                ));
            };
            let Some(summary) = free_text(summary) else {
                return Err(ParseError::new(
                    "`resolve` needs a summary after the reason",
                    usage,
                ));
            };
            IncidentAction::Resolve {
                reason: reason.to_lowercase(),
                summary,
            }
        }
        "severity" | "sev" => IncidentAction::Severity(one("severity")?.to_uppercase()),
        "commander" | "ic" => {
            let who = free_text(rest)
                .ok_or_else(|| ParseError::new("`commander` needs a person", usage))?;
            IncidentAction::Commander(user_ref(&who).map_err(|m| ParseError::new(m, usage))?)
        }
        "link" => IncidentAction::Link(issue_number(&one("link")?, usage)?),
        "unlink" => IncidentAction::Unlink(issue_number(&one("unlink")?, usage)?),
        "merge-into" | "merge_into" | "merge" => parse_merge(incident, rest, usage)?,
        "split" => parse_split(rest, usage)?,
        "followup" | "follow-up" | "followups" | "follow-ups" => {
            IncidentAction::Followup(parse_followup(rest, usage)?)
        }
        "postmortem" | "report" => {
            if !rest.trim().is_empty() {
                return Err(ParseError::new("`postmortem` takes nothing more", usage));
            }
            IncidentAction::Postmortem
        }
        other => {
            return Err(ParseError::new(
                format!("unknown change `{}`: use {VERBS}", truncate(other, 40)),
                usage,
            ));
        }
    };
    Ok(Command::Incident { incident, action })
}

/// `split <n> [n…] [--title] <title…>`: the issues to move (`12` or `#12`, commas allowed), then
/// the new incident's title.
fn parse_split(rest: &str, usage: &'static str) -> Result<IncidentAction, ParseError> {
    let mut issues = Vec::new();
    let mut rest = rest;
    while let Some((word, after)) = split_first(rest) {
        let word = word.trim_end_matches(',');
        let digits = word.strip_prefix('#').unwrap_or(word);
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            break;
        }
        issues.push(issue_number(word, usage)?);
        rest = after;
    }
    if issues.is_empty() {
        return Err(ParseError::new(
            "`split` needs the issues to move, then a title: e.g. `split 12 13 Orders backfill`",
            usage,
        ));
    }
    issues.sort_unstable();
    issues.dedup();
    let rest = match split_first(rest) {
        Some((flag, after)) if flag.eq_ignore_ascii_case("--title") => after,
        _ => rest,
    };
    let title = free_text(rest).ok_or_else(|| {
        ParseError::new(
            "`split` needs a title for the new incident after the issues",
            usage,
        )
    })?;
    Ok(IncidentAction::Split { issues, title })
}

/// `followup [list] | add TEXT [--owner @person] [--jira|--linear] | done|drop|reopen <id>`.
fn parse_followup(rest: &str, usage: &'static str) -> Result<FollowupChange, ParseError> {
    let Some((verb, rest)) = split_first(rest) else {
        return Ok(FollowupChange::List);
    };
    let state = match verb.to_lowercase().as_str() {
        "list" | "ls" => {
            if !rest.trim().is_empty() {
                return Err(ParseError::new("`followup list` takes nothing more", usage));
            }
            return Ok(FollowupChange::List);
        }
        "add" | "new" => return parse_followup_add(rest, usage),
        "done" | "close" => "done",
        "drop" | "dropped" => "dropped",
        "reopen" | "open" => "open",
        other => {
            return Err(ParseError::new(
                format!(
                    "unknown follow-up change `{}`: use add, done, drop, reopen or list",
                    truncate(other, 40)
                ),
                usage,
            ));
        }
    };
    let id = match split_first(rest) {
        Some((w, after)) if after.trim().is_empty() => {
            positive_number(w.strip_prefix('#').unwrap_or(w)).ok_or_else(|| {
                ParseError::new(
                    format!("`{}` is not a follow-up number", truncate(w, 40)),
                    usage,
                )
            })?
        }
        _ => {
            return Err(ParseError::new(
                format!("`followup {verb}` needs one follow-up number (see `followup list`)"),
                usage,
            ));
        }
    };
    Ok(FollowupChange::Set { id, state })
}

/// `add TEXT [--owner @person] [--jira|--linear]`: the flags may come anywhere; the rest is
/// the text. A mention Slack escaped (`<@U1|dana smith>`) is one value, spaces and all.
fn parse_followup_add(rest: &str, usage: &'static str) -> Result<FollowupChange, ParseError> {
    let (mut words, mut owner, mut tracker) = (Vec::new(), None, None);
    let mut rest = rest.trim_start();
    while let Some((word, after)) = split_first(rest) {
        rest = after;
        match word.to_lowercase().as_str() {
            "--jira" | "--linear" => {
                let wanted = if word.eq_ignore_ascii_case("--jira") {
                    "jira"
                } else {
                    "linear"
                };
                if tracker.is_some_and(|t| t != wanted) {
                    return Err(ParseError::new(
                        "a follow-up is tracked in Jira or in Linear, not both",
                        usage,
                    ));
                }
                tracker = Some(wanted);
            }
            "--owner" => {
                let value = if rest.starts_with('<') {
                    let end = rest.find('>').map_or(rest.len(), |i| i + 1);
                    let (v, after) = rest.split_at(end);
                    rest = after.trim_start();
                    v
                } else {
                    let (v, after) = split_first(rest).unwrap_or(("", ""));
                    rest = after;
                    v
                };
                if value.is_empty() {
                    return Err(ParseError::new("`--owner` needs a person", usage));
                }
                owner = Some(user_ref(value).map_err(|m| ParseError::new(m, usage))?);
            }
            _ => words.push(word),
        }
    }
    let text = free_text(&words.join(" ")).ok_or_else(|| {
        ParseError::new(
            "`followup add` needs what is to be done, e.g. `followup add Add a freshness test --owner @dana`",
            usage,
        )
    })?;
    Ok(FollowupChange::Add {
        text,
        owner,
        tracker,
    })
}

/// `merge-into [into] <INC-m>`: the open incident this one joins.
fn parse_merge(n: i64, rest: &str, usage: &'static str) -> Result<IncidentAction, ParseError> {
    let rest = match split_first(rest) {
        Some((into, after)) if into.eq_ignore_ascii_case("into") => after,
        _ => rest,
    };
    let into = match split_first(rest) {
        Some((w, after)) if after.trim().is_empty() => incident_number(w, usage)?,
        Some(_) => {
            return Err(ParseError::new(
                "`incident … merge-into` takes one incident",
                usage,
            ));
        }
        None => {
            return Err(ParseError::new(
                "`incident … merge-into` needs the incident to merge into",
                usage,
            ));
        }
    };
    if into == n {
        return Err(ParseError::new(
            "an incident cannot be merged into itself",
            usage,
        ));
    }
    Ok(IncidentAction::MergeInto(into))
}
