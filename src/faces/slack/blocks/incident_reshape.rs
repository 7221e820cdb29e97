//! The modals that reshape incidents: merge one into another open incident, and split some
//! issues off into a new one.

use super::kit::*;
use super::limits;
use serde_json::{Value, json};

/// Merges incident `n` into another: block `into` (a `static_select` of the other open
/// incidents, at most 100), with what merging does said above it.
pub fn incident_merge_modal(n: i64, open: &[(i64, String)]) -> View {
    let options: Vec<Value> = open
        .iter()
        .filter(|(m, _)| *m != n)
        .take(limits::SELECT_OPTIONS)
        .map(|(m, title)| {
            option(
                &clip(&format!("INC-{m} {}", one_line(title)), limits::OPTION_TEXT),
                &m.to_string(),
            )
        })
        .collect();
    let blocks = if options.is_empty() {
        vec![section(
            None,
            "There is no other open incident to merge into.",
        )]
    } else {
        vec![
            section(
                None,
                &format!(
                    "INC-{n}'s issues, timeline and follow-ups move to the incident you choose, and INC-{n} is closed as merged."
                ),
            ),
            input(
                "into",
                "Merge into",
                json!({"type": "static_select", "action_id": "steward.merge_into", "options": options, "placeholder": plain("An open incident")}),
                false,
            ),
        ]
    };
    let mut view = json!({
        "type": "modal",
        "callback_id": "steward.incident_merge",
        "title": plain(&format!("Merge INC-{n}")),
        "close": plain("Cancel"),
        "private_metadata": json!({"incident": n}).to_string(),
        "blocks": blocks,
    });
    if !open.iter().all(|(m, _)| *m == n) {
        view["submit"] = plain("Merge");
    }
    View(view)
}

/// Splits some of incident `n`'s issues off: block `issues` (a `multi_static_select` of its
/// issues, at most 100) and block `title` for the new incident.
pub fn incident_split_modal(n: i64, issues: &[(i64, String)]) -> View {
    let options: Vec<Value> = issues
        .iter()
        .take(limits::SELECT_OPTIONS)
        .map(|(id, label)| {
            option(
                &clip(&format!("#{id} {}", one_line(label)), limits::OPTION_TEXT),
                &id.to_string(),
            )
        })
        .collect();
    View(json!({
        "type": "modal",
        "callback_id": "steward.incident_split",
        "title": plain(&format!("Split INC-{n}")),
        "submit": plain("Split"),
        "close": plain("Cancel"),
        "private_metadata": json!({"incident": n}).to_string(),
        "blocks": [
            section(None, &format!("The issues you choose leave INC-{n} for a new incident with the same severity and commander.")),
            input("issues", "Issues to split off", json!({"type": "multi_static_select", "action_id": "steward.split_issues", "options": options, "placeholder": plain("Some of its issues")}), false),
            input("title", "New incident's title", json!({"type": "plain_text_input", "action_id": "steward.split_title", "max_length": 150}), false),
        ],
    }))
}
