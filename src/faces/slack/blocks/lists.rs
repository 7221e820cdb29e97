//! Slash-command answers: plain ephemeral text, titled issue lists (one issue a line) and an
//! incident's follow-ups.

use super::alert::{issue_emoji, outcome_word};
use super::kit::*;
use super::limits;
use crate::domain::incidents::Followup;
use crate::domain::issues::Issue;
use crate::domain::text::short_name;

/// Length of one line in an issue list.
const LINE_CHARS: usize = 300;

/// A plain answer, e.g. to a slash command. Mentions are kept; other `<`, `>`, `&` are escaped.
pub fn ephemeral_text(text: &str) -> Message {
    let body = escape_text(text.trim());
    let body = if body.is_empty() {
        "(empty)".to_owned()
    } else {
        body
    };
    let shown = cut(&body, limits::SECTION_TEXT, "cut to fit Slack");
    Message {
        text: shown.clone(),
        blocks: vec![section(None, &shown)],
    }
}

/// A titled list of issues, one line each, for slash-command answers.
pub fn issue_list(issues: &[Issue], title: &str) -> Message {
    let mut b = Blocks::new(limits::MESSAGE_BLOCKS, limits::MESSAGE_BLOCK_TEXT_TOTAL);
    let title = one_line(title.trim());
    let title = if title.is_empty() {
        "Issues".to_owned()
    } else {
        title
    };
    b.push(header(&title));
    let mut shown = 0;
    if issues.is_empty() {
        b.push(section(None, "No issues."));
    }
    let lines: Vec<String> = issues.iter().map(issue_line).collect();
    while shown < lines.len() {
        let room = b.room().min(limits::SECTION_TEXT);
        let mut text = String::new();
        let mut len = 0;
        let mut taken = 0;
        for line in &lines[shown..] {
            let n = line.chars().count() + 1;
            if len + n > room {
                break;
            }
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(line);
            len += n;
            taken += 1;
        }
        if taken == 0 || !b.push(section(None, &text)) {
            break;
        }
        shown += taken;
    }
    let note = (shown < lines.len()).then(|| {
        format!(
            "… and {} more: `steward issues`",
            thousands((lines.len() - shown) as i64)
        )
    });
    let text = cut(
        &format!(
            "{}: {} {}",
            escape(&clip(&title, 200)),
            issues.len(),
            plural(issues.len() as i64, "issue", "issues")
        ),
        1_000,
        "",
    );
    Message {
        text,
        blocks: b.finish(note, vec![]),
    }
}

/// One issue on one line: "🔴 *#12* `stg_payments` · `run` error · `prod` · investigating · <@U1>".
pub(super) fn issue_line(i: &Issue) -> String {
    let mut s = format!(
        "{} *#{}* {} · {} {} · {} · {}",
        issue_emoji(i),
        i.id,
        code(&clip(&short_name(&i.asset), 60)),
        code(&clip(&short_name(&i.check), 60)),
        escape(&clip(&one_line(&outcome_word(i)), 30)),
        code(&clip(&i.env, 30)),
        escape(&clip(&i.status, 30)),
    );
    if let Some(a) = i.assignee.as_deref() {
        s.push_str(&format!(" · {}", mention(&clip(a, 80))));
    }
    if let Some(r) = i.symptom_of {
        s.push_str(&format!(" · symptom of #{r}"));
    }
    cut(&s, LINE_CHARS, "")
}

/// `title` and as many of `lines` as fit in `max` characters (at most `max_lines`), then
/// "… and N more{more}".
pub(super) fn list_text(
    title: &str,
    lines: &[String],
    max_lines: usize,
    max: usize,
    more: &str,
) -> String {
    let more = clip(more, 100);
    let mut out = cut(title, 300, "");
    let mut len = out.chars().count();
    let reserve = 40 + more.chars().count();
    let mut shown = 0;
    for line in lines.iter().take(max_lines) {
        let line = cut(line, LINE_CHARS, "");
        let n = line.chars().count() + 1;
        if len + n + reserve > max {
            break;
        }
        out.push('\n');
        out.push_str(&line);
        len += n;
        shown += 1;
    }
    if shown < lines.len() {
        out.push_str(&format!(
            "\n… and {} more{more}",
            thousands((lines.len() - shown) as i64)
        ));
    }
    out
}

/// An incident's follow-ups, one a line: "*3* ⬜ Add a freshness test — <@U1> · <url|DATA-2>
/// (In Progress)", open ones first. The tickets' states are as last read back.
pub fn followup_list(incident: &str, followups: &[Followup]) -> Message {
    let title = format!("{}'s follow-ups", one_line(incident));
    if followups.is_empty() {
        let text = format!(
            "{} has no follow-ups. Add one: `/steward incident {} followup add …`",
            escape(&clip(incident, 40)),
            escape(&clip(incident, 40))
        );
        return Message {
            text: text.clone(),
            blocks: vec![section(None, &text)],
        };
    }
    let mut sorted: Vec<&Followup> = followups.iter().collect();
    sorted.sort_by_key(|f| (f.state != "open", f.id));
    let lines: Vec<String> = sorted
        .iter()
        .map(|f| {
            let mark = match f.state.as_str() {
                "done" => "✅",
                "dropped" => "✖️",
                _ => "⬜",
            };
            let owner = f
                .owner
                .as_deref()
                .map(|o| format!(" — {}", mention(&clip(o, 80))))
                .unwrap_or_default();
            format!(
                "*{}* {mark} {}{owner}{}",
                f.id,
                escape(&clip(&one_line(&f.text), 200)),
                super::digest::followup_ticket(f)
            )
        })
        .collect();
    let open = followups.iter().filter(|f| f.state == "open").count();
    let body = list_text(
        &format!("*{}* ({open} open)", escape(&clip(&title, 150))),
        &lines,
        50,
        limits::SECTION_TEXT,
        ": `steward incident … followup list`",
    );
    Message {
        text: cut(
            &format!(
                "{}: {} ({open} open)",
                escape(&clip(&title, 150)),
                followups.len()
            ),
            1_000,
            "",
        ),
        blocks: vec![section(None, &body)],
    }
}
