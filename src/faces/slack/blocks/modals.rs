//! The modals opened from an alert or an incident: compiled SQL, declare, resolve reason,
//! comment, and the incident's status, resolve and update modals.

use super::kit::*;
use super::limits;
use serde_json::{Value, json};
use std::collections::HashSet;

/// The declare-incident modal's starting values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeclareDraft {
    pub issue_id: i64,
    pub title: String,
    /// Related open issues: id and label.
    pub candidates: Vec<(i64, String)>,
    pub preselected: Vec<i64>,
    pub severity: Option<String>,
}

/// The options of the `steward.severity` select in the declare modal.
pub const SEVERITY_OPTIONS: [(&str, &str); 4] = [
    ("SEV1", "SEV1 · critical"),
    ("SEV2", "SEV2 · major"),
    ("SEV3", "SEV3 · minor"),
    ("SEV4", "SEV4 · low"),
];

/// The options of the `steward.reason_category` select in the resolve modal.
pub const REASON_CATEGORIES: [(&str, &str); 6] = [
    ("upstream_source_late", "Upstream source late"),
    ("code_change", "Code change"),
    ("schema_change", "Schema change"),
    ("infrastructure", "Infrastructure"),
    ("bad_data_at_source", "Bad data at source"),
    ("other", "Other"),
];

/// The options of the `steward.mute_for` select in the resolve modal for `expected`: how long
/// the check stays muted (values parse as durations; the first is the default).
pub const EXPECTED_MUTE_OPTIONS: [(&str, &str); 3] =
    [("24h", "24 hours"), ("7d", "7 days"), ("30d", "30 days")];

/// SQL sections in the compiled-SQL modal.
pub(super) const SQL_SECTIONS: usize = 20;

/// The compiled SQL of a node, in code sections, with where the full text is when it is long.
pub fn sql_modal(issue_id: i64, title_node: &str, sql: &str) -> View {
    let mut blocks = vec![section(
        None,
        &cut(
            &format!(
                "Compiled SQL of {} (issue #{issue_id})",
                code(&clip(title_node, 300))
            ),
            limits::SECTION_TEXT,
            "",
        ),
    )];
    let chunks = sql_chunks(sql, limits::SECTION_TEXT - 8);
    if chunks.is_empty() {
        blocks.push(section(None, "_No compiled SQL is stored for this node._"));
    }
    for (i, chunk) in chunks.iter().take(SQL_SECTIONS).enumerate() {
        blocks.push(json!({
            "type": "section",
            "block_id": format!("steward.sql.{i}"),
            "text": {"type": "mrkdwn", "text": code_block(chunk)},
        }));
    }
    if chunks.len() > SQL_SECTIONS {
        let shown: usize = chunks
            .iter()
            .take(SQL_SECTIONS)
            .map(|c| c.chars().count())
            .sum();
        let total = sql.chars().count();
        blocks.push(section(
            None,
            &format!(
                "… {} more characters not shown. The full SQL is in the dbt project's \
                 `target/compiled/` folder, and in `steward issue {issue_id} --json`.",
                thousands(total.saturating_sub(shown) as i64)
            ),
        ));
    }
    View(json!({
        "type": "modal",
        "callback_id": "steward.sql",
        "title": plain("Compiled SQL"),
        "close": plain("Close"),
        "private_metadata": json!({"issue": issue_id}).to_string(),
        "blocks": blocks,
    }))
}

/// Splits `sql` into pieces whose escaped code block text fits in `max` characters, at line
/// ends where possible.
fn sql_chunks(sql: &str, max: usize) -> Vec<String> {
    // Escaped size of one char; a backtick may gain a zero-width space (see `code_block`).
    let cost = |c: char| match c {
        '&' => 5,
        '<' | '>' => 4,
        '`' => 2,
        _ => 1,
    };
    let budget = max.saturating_sub(6).max(16);
    let chars: Vec<char> = sql.trim_matches('\n').chars().collect();
    let mut out = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let mut used = 0;
        let mut end = start;
        let mut last_newline = None;
        while end < chars.len() && used + cost(chars[end]) <= budget {
            used += cost(chars[end]);
            if chars[end] == '\n' {
                last_newline = Some(end);
            }
            end += 1;
        }
        if end < chars.len()
            && let Some(nl) = last_newline.filter(|nl| nl - start > budget / 2)
        {
            end = nl + 1;
        }
        let chunk: String = chars[start..end].iter().collect();
        if !chunk.trim().is_empty() {
            out.push(chunk.trim_end_matches('\n').to_owned());
        }
        start = end;
    }
    out
}

/// The declare-incident modal.
pub fn declare_modal(d: &DeclareDraft) -> View {
    let mut blocks = vec![
        input(
            "title",
            "Title",
            json!({
                "type": "plain_text_input",
                "action_id": "steward.title",
                "initial_value": limits::truncate(d.title.trim(), 150, ""),
                "max_length": 150,
                "placeholder": plain("What is broken, for whom"),
            }),
            false,
        ),
        {
            let options: Vec<Value> = SEVERITY_OPTIONS.iter().map(|(v, t)| option(t, v)).collect();
            let mut el = json!({
                "type": "static_select",
                "action_id": "steward.severity",
                "placeholder": plain("Pick a severity"),
                "options": options,
            });
            if let Some(i) = d.severity.as_deref().and_then(|s| {
                SEVERITY_OPTIONS
                    .iter()
                    .position(|(v, _)| v.eq_ignore_ascii_case(s.trim()))
            }) {
                el["initial_option"] = options[i].clone();
            }
            input("severity", "Severity", el, false)
        },
        input(
            "description",
            "Description",
            json!({
                "type": "plain_text_input",
                "action_id": "steward.description",
                "multiline": true,
                "max_length": 3000,
                "placeholder": plain("What is known so far"),
            }),
            true,
        ),
        input(
            "commander",
            "Incident commander",
            json!({
                "type": "users_select",
                "action_id": "steward.commander",
                "placeholder": plain("Who leads the response"),
            }),
            true,
        ),
    ];

    // Related issues: preselected ones first so they are always among the 100 options.
    let mut seen = HashSet::new();
    let mut ordered: Vec<&(i64, String)> = Vec::new();
    for id in &d.preselected {
        if let Some(c) = d.candidates.iter().find(|(cid, _)| cid == id)
            && seen.insert(c.0)
        {
            ordered.push(c);
        }
    }
    for c in &d.candidates {
        if seen.insert(c.0) {
            ordered.push(c);
        }
    }
    if ordered.is_empty() {
        blocks.push(context_md(&format!(
            "No other open issues are related; issue #{} will be linked.",
            d.issue_id
        )));
    } else {
        let shown = &ordered[..ordered.len().min(limits::SELECT_OPTIONS)];
        let options: Vec<Value> = shown
            .iter()
            .map(|(id, label)| option(&format!("#{id} {}", one_line(label)), &id.to_string()))
            .collect();
        let initial: Vec<Value> = shown
            .iter()
            .zip(&options)
            .filter(|((id, _), _)| d.preselected.contains(id))
            .map(|(_, o)| o.clone())
            .collect();
        let mut el = json!({
            "type": "multi_static_select",
            "action_id": "steward.issues",
            "placeholder": plain("Issues this incident covers"),
            "options": options,
        });
        if !initial.is_empty() {
            el["initial_options"] = json!(initial);
        }
        blocks.push(input("issues", "Linked issues", el, true));
        let mut note = format!(
            "Declared from issue #{}, which is always linked.",
            d.issue_id
        );
        if ordered.len() > shown.len() {
            note.push_str(&format!(
                " Showing {} of {} related open issues; link the rest later with `steward issues`.",
                shown.len(),
                ordered.len()
            ));
        }
        blocks.push(context_md(&note));
    }
    View(json!({
        "type": "modal",
        "callback_id": "steward.declare",
        "title": plain("Declare incident"),
        "submit": plain("Declare"),
        "close": plain("Cancel"),
        "private_metadata": json!({"issue": d.issue_id}).to_string(),
        "blocks": blocks,
    }))
}

/// Asks why an issue is being resolved (as `resolution`: fixed, expected, false_positive).
pub fn reason_modal(issue_id: i64, resolution: &str, open_incident: Option<i64>) -> View {
    reason_modal_for(&[(issue_id, String::new())], resolution, open_incident)
}

/// Most issues one resolve modal takes (its metadata must stay under Slack's 3,000 characters).
pub const REASON_MAX_ISSUES: usize = 300;

/// The reason modal for every issue a message shows (a storm's members, a group's checks): up to
/// 10 can be unticked one by one; more are resolved together. `issues` are (id, label).
pub fn reason_modal_for(
    issues: &[(i64, String)],
    resolution: &str,
    open_incident: Option<i64>,
) -> View {
    let issues = &issues[..issues.len().min(REASON_MAX_ISSUES)];
    let issue_id = issues.first().map(|(id, _)| *id).unwrap_or_default();
    let resolution = clip(resolution.trim(), 100);
    let options: Vec<Value> = REASON_CATEGORIES
        .iter()
        .map(|(v, t)| option(t, v))
        .collect();
    let as_what = escape(&resolution.replace('_', " ").replace('*', ""));
    let mut blocks = vec![if issues.len() > 1 {
        section(
            None,
            &format!("Resolving {} issues as *{as_what}*.", issues.len()),
        )
    } else {
        section(
            None,
            &format!("Resolving issue #{issue_id} as *{as_what}*."),
        )
    }];
    if (2..=limits::CHECKBOX_OPTIONS).contains(&issues.len()) {
        let options: Vec<Value> = issues
            .iter()
            .map(|(id, label)| {
                option(
                    &clip(&format!("#{id} {label}"), limits::OPTION_TEXT),
                    &id.to_string(),
                )
            })
            .collect();
        blocks.push(input(
            "which",
            "Which issues",
            json!({
                "type": "checkboxes",
                "action_id": "steward.which",
                "options": options,
                "initial_options": options,
            }),
            false,
        ));
    }
    blocks.extend([
        input(
            "category",
            "What caused it",
            json!({
                "type": "static_select",
                "action_id": "steward.reason_category",
                "placeholder": plain("Pick a cause"),
                "options": options,
            }),
            false,
        ),
        input(
            "reason",
            "Reason",
            json!({
                "type": "plain_text_input",
                "action_id": "steward.reason_text",
                "multiline": true,
                "max_length": 3000,
                "placeholder": plain("What happened, and what was done"),
            }),
            true,
        ),
    ]);
    if resolution == "expected" {
        let options: Vec<Value> = EXPECTED_MUTE_OPTIONS
            .iter()
            .map(|(v, t)| option(t, v))
            .collect();
        blocks.push(input(
            "mute_for",
            "Mute this check for",
            json!({
                "type": "static_select",
                "action_id": "steward.mute_for",
                "options": options,
                "initial_option": options[0],
            }),
            false,
        ));
    }
    // Part of an open incident: resolving the issue needs a confirmation (the incident stays).
    if let Some(n) = open_incident {
        blocks.insert(
            1,
            section(
                None,
                &format!(
                    "⚠️ This issue is part of *INC-{n}*, which is still open. Resolving the issue does not resolve the incident."
                ),
            ),
        );
        blocks.push(input(
            "confirm",
            "Confirm",
            json!({
                "type": "checkboxes",
                "action_id": "steward.confirm",
                "options": [option(&format!("Resolve it anyway; INC-{n} stays open"), "resolve_anyway")],
            }),
            false,
        ));
    }
    let mut meta = json!({"issue": issue_id, "resolution": resolution});
    if issues.len() > 1 {
        meta["issues"] = json!(issues.iter().map(|(id, _)| id).collect::<Vec<_>>());
    }
    if let Some(n) = open_incident {
        meta["incident"] = json!(n);
    }
    View(json!({
        "type": "modal",
        "callback_id": "steward.reason",
        "title": plain(&limits::truncate(&format!("Resolve: {}", resolution.replace('_', " ")), limits::MODAL_TITLE, "")),
        "submit": plain("Resolve"),
        "close": plain("Cancel"),
        "private_metadata": meta.to_string(),
        "blocks": blocks,
    }))
}

/// A comment on an issue.
pub fn comment_modal(issue_id: i64) -> View {
    View(json!({
        "type": "modal",
        "callback_id": "steward.comment",
        "title": plain(&limits::truncate(&format!("Comment on #{issue_id}"), limits::MODAL_TITLE, "")),
        "submit": plain("Comment"),
        "close": plain("Cancel"),
        "private_metadata": json!({"issue": issue_id}).to_string(),
        "blocks": [input(
            "comment",
            "Comment",
            json!({
                "type": "plain_text_input",
                "action_id": "steward.comment_text",
                "multiline": true,
                "max_length": 3000,
                "placeholder": plain("What you found, what you did"),
            }),
            false,
        )],
    }))
}

/// Moves an incident through its lifecycle: callback `steward.incident_status`, metadata
/// `{"incident": n}`, block `status` (`steward.incident_status_value`) and an optional `note`.
pub fn incident_status_modal(n: i64, current: &str) -> View {
    let options: Vec<Value> = ["investigating", "identified", "monitoring"]
        .iter()
        .map(|s| option(&format!("{}{}", &s[..1].to_ascii_uppercase(), &s[1..]), s))
        .collect();
    let initial = options.iter().find(|o| o["value"] == current).cloned();
    let mut select = json!({"type": "static_select", "action_id": "steward.incident_status_value", "options": options});
    if let Some(i) = initial {
        select["initial_option"] = i;
    }
    View(json!({
        "type": "modal",
        "callback_id": "steward.incident_status",
        "title": plain(&format!("INC-{n} status")),
        "submit": plain("Update"),
        "close": plain("Cancel"),
        "private_metadata": json!({"incident": n}).to_string(),
        "blocks": [
            input("status", "Status", select, false),
            input("note", "What changed", json!({"type": "plain_text_input", "action_id": "steward.incident_note", "multiline": true, "max_length": 3000}), true),
        ],
    }))
}

/// Resolves an incident: a summary (required) and a reason category.
pub fn incident_resolve_modal(n: i64) -> View {
    let categories: Vec<Value> = REASON_CATEGORIES
        .iter()
        .map(|(v, t)| option(t, v))
        .collect();
    View(json!({
        "type": "modal",
        "callback_id": "steward.incident_resolve",
        "title": plain(&format!("Resolve INC-{n}")),
        "submit": plain("Resolve"),
        "close": plain("Cancel"),
        "private_metadata": json!({"incident": n}).to_string(),
        "blocks": [
            input("summary", "Summary", json!({"type": "plain_text_input", "action_id": "steward.incident_summary", "multiline": true, "max_length": 3000}), false),
            input("category", "Cause", json!({"type": "static_select", "action_id": "steward.reason_category", "options": categories}), false),
        ],
    }))
}

/// Posts an update on an incident (stored as its comment, replied in its thread). When the
/// incident affects data products with channels, a checkbox (block `notify`, ticked by default)
/// also sends it to them as a stakeholder update.
pub fn incident_comment_modal(n: i64, product_channels: &[String]) -> View {
    let mut blocks = vec![input(
        "comment",
        "Update",
        json!({"type": "plain_text_input", "action_id": "steward.comment_text", "multiline": true, "max_length": 3000}),
        false,
    )];
    if !product_channels.is_empty() {
        let shown: Vec<String> = product_channels
            .iter()
            .take(5)
            .map(|c| super::product::channel_ref(c))
            .collect();
        let more = product_channels.len().saturating_sub(shown.len());
        let label = format!(
            "Also post to the data products' channels ({} channel{}{})",
            product_channels.len(),
            if product_channels.len() == 1 { "" } else { "s" },
            if more > 0 { ", and more" } else { "" }
        );
        let opt = option(&label, "products");
        blocks.push(input(
            "notify",
            "Stakeholders",
            json!({"type": "checkboxes", "action_id": "steward.notify", "options": [opt.clone()], "initial_options": [opt]}),
            true,
        ));
        blocks.push(context_md(&format!(
            "Product channels: {}",
            shown.join(" ")
        )));
    }
    View(json!({
        "type": "modal",
        "callback_id": "steward.incident_comment",
        "title": plain(&format!("Update INC-{n}")),
        "submit": plain("Post"),
        "close": plain("Cancel"),
        "private_metadata": json!({"incident": n}).to_string(),
        "blocks": blocks,
    }))
}
