//! Thread replies under an alert, a storm or a flood summary: who did what, a recovery (with
//! what the root explained), a repeated failure.

use super::alert::{MESSAGE_LINE_CHARS, explained, outcome_word};
use super::kit::*;
use crate::domain::issues::Issue;
use crate::domain::text::short_name;
use crate::sources::artifacts::human_duration;
use chrono::{DateTime, Utc};

/// A short thread reply recording who did what: "<@U1> assigned <@U2>".
pub fn activity_reply(actor_mention: &str, what: &str) -> Message {
    let text = cut(
        &format!("{} {}", mention(actor_mention), escape_text(what.trim())),
        2_900,
        "",
    );
    Message {
        text: text.clone(),
        blocks: vec![context_md(&text)],
    }
}

/// The thread reply when an issue resolves: "✅ `run` recovered after 2h 13m, 4 failing runs".
pub fn recovery_reply(issue: &Issue, now: DateTime<Utc>) -> Message {
    let end = issue
        .resolved_at
        .as_deref()
        .and_then(parse_ts)
        .unwrap_or(now);
    let took = parse_ts(&issue.first_seen)
        .map(|start| format!(" after {}", human_duration((end - start).num_seconds())))
        .unwrap_or_default();
    let what = match issue.resolution.as_deref() {
        None | Some("recovered") => "recovered".to_owned(),
        Some(r) => format!("resolved as {}", escape(&clip(&r.replace('_', " "), 40))),
    };
    let mut text = format!(
        "✅ {} {what}{took}, {} failing {}",
        code(&clip(&short_name(&issue.check), 80)),
        thousands(issue.occurrences),
        plural(issue.occurrences, "run", "runs"),
    );
    let skipped = issue
        .symptoms
        .iter()
        .filter(|s| s.issue.is_none() && s.status == "skipped")
        .count();
    let failing = issue.symptoms.len() - skipped;
    if issue.symptom_of.is_none() && failing + skipped > 0 {
        text.push_str(&format!(
            "; was the root of {}",
            explained(failing, skipped)
        ));
    }
    if let Some(reason) = issue
        .resolution_reason
        .as_deref()
        .filter(|r| !r.trim().is_empty())
    {
        text.push_str(&format!(": {}", escape_text(&one_line(reason))));
    }
    let text = cut(&text, 2_900, &pointer(issue.id));
    Message {
        text: text.clone(),
        blocks: vec![section(None, &text)],
    }
}

/// The thread reply when a muted or already-alerted issue fails again.
pub fn repeat_failure_reply(issue: &Issue) -> Message {
    let mut text = format!(
        "🔁 {} failed again ({}): {} failing {} since {}",
        code(&clip(&short_name(&issue.check), 80)),
        escape(&clip(&one_line(&outcome_word(issue)), 40)),
        thousands(issue.occurrences),
        plural(issue.occurrences, "run", "runs"),
        when(&issue.first_seen, None),
    );
    if let Some(f) = issue.failures.filter(|f| *f > 0) {
        text.push_str(&format!(
            ", {} failing {} now",
            thousands(f),
            plural(f, "row", "rows")
        ));
    }
    text.push('.');
    let fallback = cut(&text, 1_000, "");
    if let Some(first) = issue
        .message
        .as_deref()
        .and_then(|m| m.lines().find(|l| !l.trim().is_empty()))
    {
        text.push('\n');
        text.push_str(&code_block(&clip(first.trim(), MESSAGE_LINE_CHARS)));
    }
    Message {
        text: fallback,
        blocks: vec![section(None, &cut(&text, 2_900, &pointer(issue.id)))],
    }
}

/// What a root's own message becomes once a failure upstream explains it (an Airflow load that
/// failed, another project's model): a pointer to the root's alert, without buttons, since the
/// work happens there now.
pub fn explained_upstream(symptom: &Issue, root: &Issue, channel: &str, ts: &str) -> Message {
    let url = crate::domain::text::slack_permalink(channel, ts);
    let source = root
        .source_system
        .as_deref()
        .filter(|s| *s != "dbt")
        .map(|s| format!(", from {}", escape(&clip(s, 40))))
        .unwrap_or_default();
    let text = format!(
        "↪️ {} on {} is now explained upstream: {} {} failed (issue #{}{source}). Updates continue in {}.",
        code(&clip(&short_name(&symptom.check), 80)),
        code(&clip(&short_name(&symptom.asset), 80)),
        code(&clip(&short_name(&root.asset), 80)),
        escape(&clip(&one_line(&root.check), 40)),
        root.id,
        link(&url, "its alert", "")
    );
    Message {
        text: format!(
            "{}: explained by {} (issue #{})",
            short_name(&symptom.asset),
            short_name(&root.asset),
            root.id
        ),
        blocks: vec![
            header(&format!(
                "↪️ {} · explained upstream",
                clip(&short_name(&symptom.asset), 120)
            )),
            section(
                Some(&format!("steward.explained.{}", symptom.id)),
                &cut(&text, 2_900, ""),
            ),
            context_md(&format!("Issue #{} · {}", symptom.id, escape(&symptom.env))),
        ],
    }
}
