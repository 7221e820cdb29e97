//! Block Kit for the incident message's buttons: the severity, commander and add-issue modals,
//! and the post-incident report as thread messages.
//!
//! Modals carry `{"incident": n}` in `private_metadata`; callbacks are
//! `steward.incident_severity`, `steward.incident_commander` and `steward.incident_link`.

use super::kit::{
    Message, View, context_md, cut, escape_text, input, one_line, option, plain, section,
    slack_user_id,
};
use super::limits;
use super::modals::SEVERITY_OPTIONS;
use serde_json::{Value, json};

/// Changes an incident's severity: block `severity` (`steward.severity`), the current one
/// selected.
pub fn incident_severity_modal(n: i64, current: &str) -> View {
    let options: Vec<Value> = SEVERITY_OPTIONS.iter().map(|(v, t)| option(t, v)).collect();
    let mut select =
        json!({"type": "static_select", "action_id": "steward.severity", "options": options});
    if let Some(i) = SEVERITY_OPTIONS
        .iter()
        .position(|(v, _)| v.eq_ignore_ascii_case(current.trim()))
    {
        select["initial_option"] = options[i].clone();
    }
    View(json!({
        "type": "modal",
        "callback_id": "steward.incident_severity",
        "title": plain(&format!("INC-{n} severity")),
        "submit": plain("Change"),
        "close": plain("Cancel"),
        "private_metadata": json!({"incident": n}).to_string(),
        "blocks": [input("severity", "Severity", select, false)],
    }))
}

/// Hands an incident to a new commander: block `commander` (`users_select`), the current one
/// selected when it is a Slack user.
pub fn incident_commander_modal(n: i64, current: Option<&str>) -> View {
    let mut select = json!({
        "type": "users_select",
        "action_id": "steward.commander",
        "placeholder": plain("Who leads the response"),
    });
    if let Some(id) = current.and_then(slack_user_id) {
        select["initial_user"] = json!(id);
    }
    View(json!({
        "type": "modal",
        "callback_id": "steward.incident_commander",
        "title": plain(&format!("INC-{n} commander")),
        "submit": plain("Hand over"),
        "close": plain("Cancel"),
        "private_metadata": json!({"incident": n}).to_string(),
        "blocks": [input("commander", "Incident commander", select, false)],
    }))
}

/// An open issue that could join an incident.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkCandidate {
    pub id: i64,
    pub label: String,
    /// Lineage relates it to the incident's issues (listed first).
    pub related: bool,
    /// The open incident it belongs to now (adding it moves it).
    pub in_incident: Option<i64>,
}

/// Adds issues to an incident: a multi-select (block `issues`) of open issues, related ones
/// first, with a note on those that would move from another incident; or a number typed in
/// (block `issue_numbers`) for one not listed.
pub fn incident_link_modal(n: i64, candidates: &[LinkCandidate]) -> View {
    let mut ordered: Vec<&LinkCandidate> = candidates.iter().filter(|c| c.related).collect();
    ordered.extend(candidates.iter().filter(|c| !c.related));
    let shown = &ordered[..ordered.len().min(limits::SELECT_OPTIONS)];
    let mut blocks = Vec::new();
    if shown.is_empty() {
        blocks.push(section(None, "No other open issues to add."));
    } else {
        let options: Vec<Value> = shown
            .iter()
            .map(|c| {
                let mut label = format!("#{} {}", c.id, one_line(&c.label));
                if let Some(other) = c.in_incident {
                    label = format!("#{} (moves from INC-{other}) {}", c.id, one_line(&c.label));
                }
                option(&label, &c.id.to_string())
            })
            .collect();
        blocks.push(input(
            "issues",
            "Issues to add",
            json!({
                "type": "multi_static_select",
                "action_id": "steward.issues",
                "placeholder": plain("Pick issues"),
                "options": options,
            }),
            true,
        ));
    }
    blocks.push(input(
        "issue_numbers",
        "Or issue numbers",
        json!({
            "type": "plain_text_input",
            "action_id": "steward.issue_numbers",
            "max_length": 200,
            "placeholder": plain("e.g. 12, 15"),
        }),
        true,
    ));
    let related = candidates.iter().filter(|c| c.related).count();
    let mut note = format!(
        "{related} of {} open issues are related through lineage and listed first.",
        candidates.len()
    );
    if ordered.len() > shown.len() {
        note.push_str(&format!(
            " Showing {} of {}; type the numbers of others.",
            shown.len(),
            ordered.len()
        ));
    }
    blocks.push(context_md(&note));
    View(json!({
        "type": "modal",
        "callback_id": "steward.incident_link",
        "title": plain(&format!("Add to INC-{n}")),
        "submit": plain("Add"),
        "close": plain("Cancel"),
        "private_metadata": json!({"incident": n}).to_string(),
        "blocks": blocks,
    }))
}

/// Issue numbers typed in a modal: "12, #15 16" → [12, 15, 16]; anything else is an error
/// naming the bad piece.
pub fn parse_issue_numbers(s: &str) -> Result<Vec<i64>, String> {
    let mut out = Vec::new();
    for piece in s.split(|c: char| c == ',' || c.is_whitespace()) {
        let p = piece.trim().trim_start_matches('#');
        if p.is_empty() {
            continue;
        }
        match p.parse::<i64>() {
            Ok(n) if n > 0 => out.push(n),
            _ => return Err(format!("{piece:?} is not an issue number")),
        }
    }
    Ok(out)
}

/// Thread messages carrying at most this much report.
const POSTMORTEM_MESSAGES: usize = 4;

/// The post-incident report (Markdown from [`crate::domain::postmortem::render`]) as thread messages:
/// headings become bold lines, bullets `•`, tables `label: value` lines. Long reports are split
/// at line ends over a few messages; what does not fit is pointed to the CLI.
pub fn postmortem_messages(n: i64, markdown: &str) -> Vec<Message> {
    let text = markdown_to_mrkdwn(markdown);
    // Sections of whole lines, each under Slack's section limit.
    let section_max = limits::SECTION_TEXT - 100;
    let mut sections: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let starts_heading = line.starts_with('*') && line.ends_with('*') && line.len() > 2;
        if !current.is_empty()
            && (current.chars().count() + line.chars().count() + 1 > section_max
                || (starts_heading && current.chars().count() > 1_500))
        {
            sections.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(&cut(line, section_max, ""));
    }
    if !current.trim().is_empty() {
        sections.push(current);
    }
    let pointer = format!("The full report: `steward postmortem INC-{n}`");
    let budget = limits::MESSAGE_BLOCK_TEXT_TOTAL - 500;
    let mut messages: Vec<Vec<Value>> = vec![Vec::new()];
    let mut used = 0;
    let mut left_out = 0;
    for s in sections {
        let len = s.chars().count();
        let full = messages.last().map(Vec::len).unwrap_or(0) >= limits::MESSAGE_BLOCKS - 2
            || used + len > budget;
        if full {
            if messages.len() == POSTMORTEM_MESSAGES {
                left_out += 1;
                continue;
            }
            messages.push(Vec::new());
            used = 0;
        }
        used += len;
        messages
            .last_mut()
            .expect("one message at least")
            .push(section(None, &s));
    }
    if left_out > 0 {
        messages
            .last_mut()
            .expect("one message at least")
            .push(context_md(&format!(
                "{left_out} more parts did not fit. {pointer}"
            )));
    }
    let total = messages.len();
    messages
        .into_iter()
        .enumerate()
        .map(|(i, blocks)| Message {
            text: if total == 1 {
                format!("📝 Post-incident report for INC-{n}")
            } else {
                format!("📝 Post-incident report for INC-{n} ({}/{total})", i + 1)
            },
            blocks,
        })
        .collect()
}

/// Markdown as the post-incident report writes it → Slack mrkdwn.
fn markdown_to_mrkdwn(md: &str) -> String {
    let lines: Vec<&str> = md.lines().collect();
    let mut out = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_end();
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if trimmed.starts_with('|') {
            // A table: header row (followed by a --- row) is dropped; rows become "a: b".
            let is_header = lines.get(i + 1).is_some_and(|next| {
                next.trim_start().starts_with("| ---") || next.trim_start().starts_with("|---")
            });
            let cells: Vec<&str> = trimmed
                .trim_matches('|')
                .split('|')
                .map(str::trim)
                .collect();
            let separator = cells
                .iter()
                .all(|c| c.chars().all(|ch| ch == '-' || ch == ':'));
            if !is_header && !separator {
                let (first, rest) = cells.split_first().unwrap_or((&"", &[]));
                out.push(format!(
                    "• {}: {}",
                    inline(first),
                    inline(&rest.join(" · "))
                ));
            }
            i += 1;
            continue;
        }
        let converted = if let Some(h) = trimmed.strip_prefix("# ") {
            format!("*{}*", inline(h).replace('*', ""))
        } else if let Some(h) = trimmed
            .strip_prefix("## ")
            .or_else(|| trimmed.strip_prefix("### "))
        {
            format!("*{}*", inline(h).replace('*', ""))
        } else if let Some(item) = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "))
        {
            let bullet = if indent >= 2 { "    ◦ " } else { "• " };
            format!("{bullet}{}", inline(item))
        } else {
            format!("{}{}", " ".repeat(indent.min(6)), inline(trimmed))
        };
        out.push(converted);
        i += 1;
    }
    // No runs of blank lines.
    let mut text = out.join("\n");
    while text.contains("\n\n\n") {
        text = text.replace("\n\n\n", "\n\n");
    }
    text.trim().to_owned()
}

/// One line of Markdown inline text → mrkdwn: `**bold**` → `*bold*`; mentions and links kept,
/// everything else escaped.
fn inline(s: &str) -> String {
    escape_text(s).replace("**", "*")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_text(m: &Message) -> String {
        serde_json::to_string(&m.blocks).unwrap()
    }

    #[test]
    fn modals_fit_and_carry_the_incident() {
        for v in [
            incident_severity_modal(3, "sev2"),
            incident_commander_modal(3, Some("<@U0ANA1>")),
            incident_link_modal(3, &[]),
        ] {
            assert!(v.violations().is_empty(), "{:?}", v.violations());
            assert_eq!(v.0["private_metadata"], r#"{"incident":3}"#);
        }
        let sev = incident_severity_modal(3, "sev2");
        assert_eq!(
            sev.0["blocks"][0]["element"]["initial_option"]["value"],
            "SEV2"
        );
        let cmd = incident_commander_modal(3, Some("<@U0ANA1>"));
        assert_eq!(cmd.0["blocks"][0]["element"]["initial_user"], "U0ANA1");
        let nobody = incident_commander_modal(3, Some("ana@example.com"));
        assert!(
            nobody.0["blocks"][0]["element"]
                .get("initial_user")
                .is_none()
        );
    }

    #[test]
    fn the_link_modal_lists_related_issues_first_and_says_what_moves() {
        let mut candidates: Vec<LinkCandidate> = (1..=150)
            .map(|id| LinkCandidate {
                id,
                label: format!("model_{id} not_null"),
                related: false,
                in_incident: None,
            })
            .collect();
        candidates.push(LinkCandidate {
            id: 200,
            label: "stg_payments run".into(),
            related: true,
            in_incident: Some(2),
        });
        let v = incident_link_modal(7, &candidates);
        assert!(v.violations().is_empty(), "{:?}", v.violations());
        let options = v.0["blocks"][0]["element"]["options"].as_array().unwrap();
        assert_eq!(options.len(), 100);
        assert_eq!(options[0]["value"], "200");
        assert!(
            options[0]["text"]["text"]
                .as_str()
                .unwrap()
                .contains("moves from INC-2")
        );
        let note = v.0["blocks"][2]["elements"][0]["text"].as_str().unwrap();
        assert!(
            note.contains("1 of 151") && note.contains("Showing 100 of 151"),
            "{note}"
        );
    }

    #[test]
    fn typed_issue_numbers_parse_or_name_the_bad_piece() {
        assert_eq!(parse_issue_numbers("12, #15 16").unwrap(), vec![12, 15, 16]);
        assert_eq!(parse_issue_numbers("  ").unwrap(), Vec::<i64>::new());
        assert!(
            parse_issue_numbers("12, banana")
                .unwrap_err()
                .contains("banana")
        );
        assert!(parse_issue_numbers("-3").is_err());
    }

    #[test]
    fn the_report_becomes_mrkdwn_with_mentions_and_links_kept() {
        let md = "# Post-incident report: INC-1 Revenue <stale> & late\n\n## Summary\n\nA **renamed** column.\n\n- **Severity:** SEV2\n  - nested <@U0ANA>\n- dash <https://bi.example.com/d/42>\n\n## Metrics\n\n| Metric | Value |\n| --- | --- |\n| Duration | 2h 39m |\n";
        let m = postmortem_messages(1, md);
        assert_eq!(m.len(), 1);
        let t = all_text(&m[0]);
        assert!(
            t.contains("*Post-incident report: INC-1 Revenue &lt;stale&gt; &amp; late*"),
            "{t}"
        );
        assert!(t.contains("*Summary*"), "{t}");
        assert!(t.contains("A *renamed* column."), "{t}");
        assert!(t.contains("• *Severity:* SEV2"), "{t}");
        assert!(t.contains("◦ nested <@U0ANA>"), "{t}");
        assert!(t.contains("<https://bi.example.com/d/42>"), "{t}");
        assert!(t.contains("• Duration: 2h 39m"), "{t}");
        assert!(!t.contains("Metric: Value") && !t.contains("---"), "{t}");
        assert!(m[0].violations().is_empty());
    }

    #[test]
    fn a_huge_report_is_split_and_points_to_the_cli() {
        let mut md = String::from("# Post-incident report: INC-9 big\n\n## Timeline\n\n");
        for i in 0..5_000 {
            md.push_str(&format!("- 2026-11-25 04:38:51 UTC · <@U0ANA> · issue #{i}: commented: something long enough to matter here\n"));
        }
        let m = postmortem_messages(9, &md);
        assert_eq!(m.len(), POSTMORTEM_MESSAGES);
        for msg in &m {
            assert!(msg.violations().is_empty(), "{:?}", msg.violations());
        }
        assert!(m[0].text.contains("(1/4)"));
        assert!(all_text(m.last().unwrap()).contains("steward postmortem INC-9"));
    }
}
