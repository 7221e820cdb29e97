//! The incident message in the incident channel, and the stakeholder update sent to product
//! channels.

use super::alert::impact_text;
use super::kit::*;
use super::limits;
use super::lists::{issue_line, list_text};
use super::replies::activity_reply;
use crate::domain::issues::Issue;
use crate::lineage::Impact;
use serde_json::json;

/// Everything an incident message shows.
#[derive(Debug, Clone, Copy)]
pub struct IncidentView<'a> {
    pub number: i64,
    pub title: &'a str,
    pub severity: &'a str,
    pub status: &'a str,
    /// A mention, e.g. "<@U123>".
    pub commander: Option<&'a str>,
    pub issues: &'a [Issue],
    pub impact: Option<&'a Impact>,
    pub declared_by: &'a str,
    pub declared_at: &'a str,
    /// The teams to contact, with their user group and channel.
    pub teams: &'a [crate::domain::incidents::TeamContact],
    /// The pagers that took the incident: ("PagerDuty", a link back when one came).
    pub paged: &'a [(String, Option<String>)],
    /// The trackers configured (`jira`, `linear`), each with the incident's ticket in it when
    /// one exists: (key, address). The message offers "Create Jira issue" / "Create Linear
    /// issue" for each tracker without one, and shows the tickets.
    pub trackers: &'a [(&'a str, Option<(&'a str, &'a str)>)],
}

/// A tracker's name for people, its button's `action_id` and label.
fn tracker_button(tracker: &str) -> Option<(&'static str, &'static str, &'static str)> {
    match tracker {
        "jira" => Some(("Jira", "steward.incident.ticket", "🎫 Create Jira issue")),
        "linear" => Some((
            "Linear",
            "steward.incident.ticket.linear",
            "🎫 Create Linear issue",
        )),
        _ => None,
    }
}

/// The incident's message in the incident channel, edited in place as it changes.
pub fn incident_message(i: &IncidentView) -> Message {
    let n = i.number;
    let ptr = format!("see `steward issues` for all {} issues", i.issues.len());
    let closed = matches!(
        i.status.to_ascii_lowercase().as_str(),
        "resolved" | "closed"
    );
    let value = n.to_string();
    let mut elements = Vec::new();
    if closed {
        elements.push(button("steward.incident.status", "↩️ Reopen", &value, None));
    } else {
        elements.push(button("steward.incident.status", "📣 Status", &value, None));
        elements.push(button(
            "steward.incident.severity",
            "🔥 Severity",
            &value,
            None,
        ));
        elements.push(button(
            "steward.incident.commander",
            "🧑‍✈️ Commander",
            &value,
            None,
        ));
        elements.push(button(
            "steward.incident.link",
            "➕ Add issue",
            &value,
            None,
        ));
        elements.push(button("steward.incident.merge", "🔀 Merge", &value, None));
        if i.issues.len() > 1 {
            elements.push(button("steward.incident.split", "✂️ Split", &value, None));
        }
    }
    elements.push(button(
        "steward.incident.comment",
        "💬 Add update",
        &value,
        None,
    ));
    if !closed {
        elements.push(button(
            "steward.incident.resolve",
            "✅ Resolve",
            &value,
            Some("primary"),
        ));
    }
    elements.push(button(
        "steward.incident.postmortem",
        "📝 Postmortem",
        &value,
        None,
    ));
    for (tracker, ticket) in i.trackers {
        if let (Some((_, action_id, label)), None) = (tracker_button(tracker), ticket) {
            elements.push(button(action_id, label, &value, None));
        }
    }
    let actions = json!({"type": "actions", "block_id": format!("steward.incident.{n}"), "elements": elements});

    let mut b = Blocks::new(limits::MESSAGE_BLOCKS, limits::MESSAGE_BLOCK_TEXT_TOTAL);
    b.hold(std::slice::from_ref(&actions));
    let emoji = if closed { "✅" } else { "🚨" };
    b.push(header(&format!("{emoji} INC-{n}: {}", one_line(i.title))));
    let commander = i
        .commander
        .filter(|c| !c.trim().is_empty())
        .map(mention)
        .unwrap_or_else(|| "nobody yet".to_owned());
    b.push(json!({
        "type": "section",
        "block_id": format!("steward.incident.{n}.facts"),
        "fields": [
            field("Severity", &escape(&clip(&one_line(i.severity), 40))),
            field("Status", &escape(&clip(&one_line(i.status), 40))),
            field("Commander", &commander),
            field("Declared by", &mention(&clip(i.declared_by, 100))),
            field("Declared", &when(i.declared_at, None)),
            field("Issues", &thousands(i.issues.len() as i64)),
        ],
    }));
    if i.impact.is_some() {
        b.section(None, &impact_text(i.impact, &[]), 1_500, "");
    }
    if !i.teams.is_empty() {
        let lines: Vec<String> = i
            .teams
            .iter()
            .map(|t| {
                let mut reach = Vec::new();
                if let Some(g) = t.slack_group.as_deref().filter(|g| is_group_id(g)) {
                    reach.push(format!("<!subteam^{}>", g.trim()));
                }
                if let Some(c) = &t.channel {
                    reach.push(super::product::channel_ref(c));
                }
                format!(
                    "• {}{} — {}",
                    bold(&clip(&t.name, 80)),
                    if reach.is_empty() {
                        String::new()
                    } else {
                        format!(" {}", reach.join(" "))
                    },
                    escape(&clip(&one_line(&t.why.join("; ")), 200))
                )
            })
            .collect();
        b.section(
            Some(&format!("steward.incident.{n}.teams")),
            &list_text("*Teams to contact*", &lines, 10, 1_500, ""),
            1_500,
            "",
        );
    }
    if !i.paged.is_empty() {
        b.section(
            Some(&format!("steward.incident.{n}.paged")),
            &paged_line(i.paged),
            500,
            "",
        );
    }
    let tickets: Vec<String> = i
        .trackers
        .iter()
        .filter_map(|(tracker, ticket)| {
            let (key, url) = (*ticket)?;
            let name = tracker_button(tracker).map_or("Ticket", |t| t.0);
            let key = escape(&clip(key, 40));
            Some(
                match url.starts_with("https://") || url.starts_with("http://") {
                    true => format!("{name}: <{}|{key}>", escape(&clip(url, 400))),
                    false => format!("{name}: {key}"),
                },
            )
        })
        .collect();
    if !tickets.is_empty() {
        let text = format!("🎫 {}", tickets.join(" · "));
        b.section(
            Some(&format!("steward.incident.{n}.ticket")),
            &text,
            500,
            "",
        );
    }
    if i.issues.is_empty() {
        b.section(None, "No issues are linked yet.", 200, "");
    } else {
        let lines: Vec<String> = i.issues.iter().map(issue_line).collect();
        b.section(
            Some(&format!("steward.incident.{n}.issues")),
            &list_text("*Linked issues*", &lines, 25, 3_000, " (`steward issues`)"),
            3_000,
            &ptr,
        );
    }
    let note = (b.left_out > 0).then(|| "Some details did not fit in this message.".to_owned());
    let text = cut(
        &format!(
            "{emoji} INC-{n} ({}): {}, {} linked {}",
            escape(&clip(&one_line(i.severity), 20)),
            escape(&clip(&one_line(i.title), 200)),
            i.issues.len(),
            plural(i.issues.len() as i64, "issue", "issues"),
        ),
        1_000,
        "",
    );
    Message {
        text,
        blocks: b.finish(note, vec![actions]),
    }
}

/// "📟 Paged via PagerDuty, Opsgenie", each a link when one came back.
fn paged_line(paged: &[(String, Option<String>)]) -> String {
    let names: Vec<String> = paged
        .iter()
        .map(|(via, link)| match link {
            Some(l) if l.starts_with("https://") => format!("<{}|{}>", escape(l), escape(via)),
            _ => escape(via),
        })
        .collect();
    format!("📟 Paged via {}", names.join(", "))
}

/// A stakeholder update on an incident: "📣 update on INC-n: text", by its author.
pub fn stakeholder_update(actor_mention: &str, incident: i64, text: &str) -> Message {
    activity_reply(
        actor_mention,
        &format!(
            "📣 update on {}: {}",
            crate::domain::incidents::label(incident),
            text.trim()
        ),
    )
}
