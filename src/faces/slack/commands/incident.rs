//! `/steward incident <INC-n> <action>`: every change to an incident from the slash command,
//! as `steward incident INC-n …` does from the CLI: status, resolve, severity, commander, link,
//! unlink, merge-into, split and postmortem.

use super::{
    Command, ParseError, UserRef, free_text, issue_number, split_first, truncate, usage_of,
    user_ref,
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
}

const VERBS: &str =
    "status, resolve, severity, commander, link, unlink, merge-into, split or postmortem";

/// `INC-3`, `inc-3`, `#3` or `3`.
pub(super) fn incident_number(word: &str, usage: &'static str) -> Result<i64, ParseError> {
    let digits = match word.get(..4) {
        Some(prefix) if prefix.eq_ignore_ascii_case("inc-") => &word[4..],
        _ => word.strip_prefix('#').unwrap_or(word),
    };
    digits
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0 && digits.chars().all(|c| c.is_ascii_digit()))
        .ok_or_else(|| {
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
