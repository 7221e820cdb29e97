//! The alert message for a group of root issues on one asset (its thread replies are in
//! `replies`).

use super::kit::*;
use super::limits;
use super::lists::ephemeral_text;
use crate::domain::issues::{Comment, Issue};
use crate::domain::text::short_name;
use crate::lineage::Impact;
use crate::sources::artifacts::human_duration;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::HashSet;

/// Links shown under an alert.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Links {
    pub docs_url: Option<String>,
    pub run_url: Option<String>,
    pub log_url: Option<String>,
}

/// Everything an alert message shows: root issues on one asset and their context.
#[derive(Debug, Clone, Copy)]
pub struct AlertView<'a> {
    /// Root issues on one asset; `group[0]` is the representative (its id is the actions' subject).
    pub group: &'a [Issue],
    pub impact: Option<&'a Impact>,
    /// Already resolved: "<@U123>", "<!subteam^S1>", or plain "ana@example.com".
    pub owner_mentions: &'a [String],
    /// Downstream owners to contact, same form.
    pub tell_mentions: &'a [String],
    /// Up to 3 comments from earlier issues on this asset.
    pub recent_comments: &'a [Comment],
    pub links: &'a Links,
    /// The linked incident's number and title.
    pub incident: Option<(i64, &'a str)>,
    pub compiled_sql_available: bool,
    /// The trackers configured (`jira`, `linear`): a button asks each for a ticket.
    pub trackers: &'a [&'a str],
    /// The tickets created for these issues: (key, address).
    pub tickets: &'a [(String, String)],
    pub now: DateTime<Utc>,
}

/// The options of the `steward.status` select on an alert.
pub const STATUS_OPTIONS: [(&str, &str); 4] = [
    ("investigating", "🔎 Investigating"),
    ("fixed", "✅ Fixed"),
    ("expected", "🤷 Expected"),
    ("false_positive", "🙅 False positive"),
];

/// The options of the `steward.mute` overflow on an alert.
pub const MUTE_OPTIONS: [(&str, &str); 3] = [
    ("24h", "🔕 Mute for 24 hours"),
    ("7d", "🔕 Mute for 7 days"),
    ("until_fixed", "🔕 Mute until fixed"),
];

/// Checks shown as sections of one alert; the rest are counted.
const MAX_CHECKS: usize = 5;
/// Lines of a failure message shown in an alert, and their length.
const MESSAGE_LINES: usize = 5;
pub(super) const MESSAGE_LINE_CHARS: usize = 300;

/// The alert for a group of root issues on one asset, edited in place as they change.
pub fn alert_message(a: &AlertView) -> Message {
    let group = distinct(a.group);
    let Some(rep) = group.first().copied() else {
        return ephemeral_text("Nothing to report: this alert has no issues.");
    };
    let ptr = pointer(rep.id);
    let asset = clip(&short_name(&rep.asset), 100);
    let resolved = group.iter().all(|i| !i.is_active());
    let (emoji, label) = state(&group);

    let actions = alert_actions(a, &group, resolved);
    let mut b = Blocks::new(limits::MESSAGE_BLOCKS, limits::MESSAGE_BLOCK_TEXT_TOTAL);
    b.hold(std::slice::from_ref(&actions));
    b.push(header(&format!(
        "{emoji} {asset} · {label} · {}",
        clip(&rep.env, 30)
    )));
    if resolved {
        b.section(None, &resolution_text(rep, a.now), 1_000, &ptr);
    }

    let shown = group.len().min(MAX_CHECKS);
    let cap = (4_500 / shown).clamp(400, 1_500);
    for issue in group.iter().take(MAX_CHECKS) {
        let id = format!("steward.check.{}", issue.id);
        b.section(Some(&id), &check_text(issue), cap, &pointer(issue.id));
    }
    if group.len() > MAX_CHECKS {
        b.push(context_md(&cut(
            &format!(
                "… and {} more checks failing on {}: `steward issues --asset {}`",
                group.len() - MAX_CHECKS,
                code(&asset),
                inline(&clip(&rep.asset, 150)),
            ),
            500,
            "",
        )));
    }

    b.push(facts(&group, a.now));
    b.section(
        Some(&format!("steward.cause.{}", rep.id)),
        &cause_text(&group),
        1_500,
        &ptr,
    );
    if !rep.asset_known {
        b.push(context_md(&format!(
            "⚠️ {} is not in the dbt manifest, so its lineage and owners are unknown.",
            code(&clip(&rep.asset, 200))
        )));
    }
    if a.impact.is_some() || !a.tell_mentions.is_empty() {
        b.section(
            Some(&format!("steward.impact.{}", rep.id)),
            &impact_text(a.impact, a.tell_mentions),
            1_500,
            &ptr,
        );
    }
    b.section(
        None,
        &owners_text(a.owner_mentions, &group, &asset),
        800,
        &ptr,
    );
    if let Some((n, title)) = a.incident {
        b.section(
            None,
            &format!("🚨 Part of *INC-{n}*: {}", escape(&one_line(title))),
            400,
            "",
        );
    } else if let Some(inc) = group.iter().find_map(|i| i.incident_id) {
        b.section(None, &format!("🚨 Linked to incident {inc}."), 400, "");
    }
    if !resolved && let Some(until) = group.iter().find_map(|i| i.muted_until.as_deref()) {
        let expired = parse_ts(until).is_some_and(|t| t <= a.now);
        if !expired {
            b.section(
                None,
                &format!(
                    "🔕 Muted until {}: new failures update this message without a new alert.",
                    when(until, Some(a.now))
                ),
                400,
                "",
            );
        }
    }
    if !a.tickets.is_empty() {
        let list = capped(a.tickets, 3, |(key, url)| link(url, key, ""), ", ");
        b.push(context_md(&format!("🎫 Tracked in {list}")));
    }
    if !a.recent_comments.is_empty() {
        b.section(None, &comments_text(a.recent_comments, a.now), 1_200, &ptr);
    }
    let links = links_elements(a.links, rep, &ptr);
    if !links.is_empty() {
        b.push(json!({"type": "context", "elements": links}));
    }

    let note =
        (b.left_out > 0).then(|| format!("Some details did not fit in this message: {ptr}."));
    Message {
        text: alert_fallback(&group, emoji, &asset),
        blocks: b.finish(note, vec![actions]),
    }
}

/// The actions under an alert: declare, assign, status, comment, mute, compiled SQL.
pub(super) fn alert_actions(a: &AlertView, group: &[&Issue], resolved: bool) -> Value {
    let rep = group[0];
    let value = rep.id.to_string();
    let linked = a.incident.is_some() || group.iter().any(|i| i.incident_id.is_some());
    let mut elements = Vec::new();
    if !resolved && !linked {
        elements.push(button(
            "steward.declare",
            "🚨 Declare incident",
            &value,
            Some("danger"),
        ));
    }
    if !resolved {
        let mut assign = json!({
            "type": "users_select",
            "action_id": "steward.assign",
            "placeholder": plain("Assign to…"),
        });
        if let Some(user) = rep.assignee.as_deref().and_then(slack_user_id) {
            assign["initial_user"] = json!(user);
        }
        elements.push(assign);
        let options: Vec<Value> = STATUS_OPTIONS.iter().map(|(v, t)| option(t, v)).collect();
        let mut status = json!({
            "type": "static_select",
            "action_id": "steward.status",
            "placeholder": plain("Set status…"),
            "options": options,
        });
        if let Some(i) = STATUS_OPTIONS.iter().position(|(v, _)| *v == rep.status) {
            status["initial_option"] = options[i].clone();
        }
        elements.push(status);
    }
    elements.push(button("steward.comment", "💬 Comment", &value, None));
    if !resolved {
        elements.push(json!({
            "type": "overflow",
            "action_id": "steward.mute",
            "options": MUTE_OPTIONS.iter().map(|(v, t)| option(t, v)).collect::<Vec<_>>(),
        }));
    }
    if a.compiled_sql_available {
        elements.push(button("steward.show_sql", "🧾 Compiled SQL", &value, None));
    }
    if a.tickets.is_empty() {
        for tracker in a.trackers {
            let label = match *tracker {
                "jira" => "🎫 Create Jira issue",
                "linear" => "🎫 Create Linear issue",
                _ => continue,
            };
            elements.push(button(
                &format!("steward.ticket.{tracker}"),
                label,
                &value,
                None,
            ));
        }
    }
    json!({"type": "actions", "block_id": format!("steward.issue.{}", rep.id), "elements": elements})
}

/// The group's state: an emoji and a word for the header.
fn state(group: &[&Issue]) -> (&'static str, String) {
    let active: Vec<&Issue> = group.iter().copied().filter(|i| i.is_active()).collect();
    let Some(rep) = active.first() else {
        return match group[0].resolution.as_deref() {
            None | Some("recovered") => ("✅", "recovered".to_owned()),
            Some(r) => (
                "✅",
                format!("resolved: {}", clip(&r.replace('_', " "), 30)),
            ),
        };
    };
    if active.iter().all(|i| i.status == "recovering") {
        return ("🟢", "recovering".to_owned());
    }
    let (emoji, word) = if worst_severity(group) != "warn" {
        ("🔴", "failing")
    } else {
        ("🟡", "warning")
    };
    match rep.status.as_str() {
        "acknowledged" | "investigating" => (emoji, format!("{word} · {}", rep.status)),
        _ => (emoji, word.to_owned()),
    }
}

/// The worst severity the message shows: of the issues still failing (not recovering), else of
/// the active ones, else of all; an error beats a warning.
pub(super) fn worst_severity<'a>(group: &[&'a Issue]) -> &'a str {
    let failing: Vec<&Issue> = group
        .iter()
        .copied()
        .filter(|i| i.is_active() && i.status != "recovering")
        .collect();
    let active: Vec<&Issue> = group.iter().copied().filter(|i| i.is_active()).collect();
    let shown = [failing, active, group.to_vec()]
        .into_iter()
        .find(|g| !g.is_empty())
        .unwrap_or_default();
    shown
        .iter()
        .map(|i| i.severity.as_str())
        .find(|s| *s != "warn")
        .or_else(|| shown.first().map(|i| i.severity.as_str()))
        .unwrap_or("warn")
}

pub(super) fn issue_emoji(i: &Issue) -> &'static str {
    if !i.is_active() {
        "✅"
    } else if i.status == "recovering" {
        "🟢"
    } else if i.severity == "warn" {
        "🟡"
    } else {
        "🔴"
    }
}

/// What the issue's last result said: the dbt status, or the resolution once resolved.
pub(super) fn outcome_word(i: &Issue) -> String {
    if !i.is_active() {
        return i
            .resolution
            .as_deref()
            .unwrap_or("resolved")
            .replace('_', " ");
    }
    if i.dbt_status.trim().is_empty() {
        i.severity.clone()
    } else {
        i.dbt_status.clone()
    }
}

/// "🔴 stg_shop__payments: run error (prod)".
fn alert_fallback(group: &[&Issue], emoji: &str, asset: &str) -> String {
    let checks = capped(
        group,
        3,
        |i| {
            format!(
                "{} {}",
                escape(&clip(&short_name(&i.check), 80)),
                escape(&clip(&outcome_word(i), 40))
            )
        },
        ", ",
    );
    cut(
        &format!(
            "{emoji} {}: {checks} ({})",
            escape(asset),
            escape(&clip(&group[0].env, 40))
        ),
        1_000,
        "",
    )
}

/// One check of the group: what failed, how often, and the first lines of the message.
fn check_text(i: &Issue) -> String {
    let mut s = format!(
        "{} *{}* — {}",
        issue_emoji(i),
        code(&clip(&short_name(&i.check), 120)),
        escape(&clip(&one_line(&outcome_word(i)), 60))
    );
    if let Some(f) = i.failures.filter(|f| *f > 0) {
        s.push_str(&format!(
            " · {} failing {}",
            thousands(f),
            plural(f, "row", "rows")
        ));
    }
    s.push_str(&format!(
        " · {} failing {} · issue #{}",
        thousands(i.occurrences),
        plural(i.occurrences, "run", "runs"),
        i.id
    ));
    if let Some(sys) = i.source_system.as_deref().filter(|s| !s.is_empty()) {
        s.push_str(&format!(" · from {}", escape(&clip(&one_line(sys), 40))));
    }
    if let Some(msg) = i.message.as_deref() {
        let lines: Vec<&str> = msg
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.trim().is_empty())
            .collect();
        if !lines.is_empty() {
            let shown: Vec<String> = lines
                .iter()
                .take(MESSAGE_LINES)
                .map(|l| clip(l, MESSAGE_LINE_CHARS))
                .collect();
            s.push('\n');
            s.push_str(&code_block(&shown.join("\n")));
            if lines.len() > MESSAGE_LINES {
                let more = lines.len() - MESSAGE_LINES;
                s.push_str(&format!(
                    "\n… {more} more {}: {}",
                    plural(more as i64, "line", "lines"),
                    pointer(i.id)
                ));
            }
        }
    }
    s
}

/// Status, assignee, env, severity, when, run and issue ids, as section fields.
fn facts(group: &[&Issue], now: DateTime<Utc>) -> Value {
    let rep = group
        .iter()
        .copied()
        .find(|i| i.is_active())
        .unwrap_or(group[0]);
    let status = match rep.resolution.as_deref() {
        Some(r) if !rep.is_active() => format!("resolved ({})", r.replace('_', " ")),
        _ => rep.status.clone(),
    };
    let assignee = group
        .iter()
        .find_map(|i| i.assignee.as_deref())
        .map(mention)
        .unwrap_or_else(|| "nobody yet".to_owned());
    let first = group
        .iter()
        .map(|i| i.first_seen.as_str())
        .min()
        .unwrap_or("");
    let last = group
        .iter()
        .map(|i| i.last_seen.as_str())
        .max()
        .unwrap_or("");
    let mut fields = vec![
        field("Status", &escape(&clip(&status, 60))),
        field("Assignee", &assignee),
        field("Environment", &code(&clip(&rep.env, 60))),
        field("Severity", &escape(&clip(worst_severity(group), 30))),
        field("First seen", &when(first, Some(now))),
        field("Last seen", &when(last, Some(now))),
    ];
    if let Some(run) = group.iter().find_map(|i| i.run_id.as_deref()) {
        fields.push(field("Run", &code(&clip(run, 120))));
    }
    let source = match rep.source_system.as_deref() {
        Some(sys) if !sys.is_empty() => format!("{} ({})", rep.origin, sys),
        _ => rep.origin.clone(),
    };
    fields.push(field("Source", &escape(&clip(&one_line(&source), 80))));
    fields.push(field(
        if group.len() > 1 { "Issues" } else { "Issue" },
        &capped(group, 6, |i| format!("#{}", i.id), ", "),
    ));
    json!({"type": "section", "block_id": format!("steward.facts.{}", rep.id), "fields": fields})
}

/// "Root cause" with the symptoms it explains, or "Symptom of #N".
fn cause_text(group: &[&Issue]) -> String {
    let mut lines = Vec::new();
    let symptoms_of: Vec<&Issue> = group
        .iter()
        .copied()
        .filter(|i| i.symptom_of.is_some())
        .collect();
    for i in symptoms_of.iter().take(5) {
        lines.push(format!(
            "↪️ {} is a *symptom of #{}*: fix that one first.",
            code(&clip(&short_name(&i.check), 80)),
            i.symptom_of.unwrap_or_default()
        ));
    }
    if symptoms_of.len() > 5 {
        lines.push(format!(
            "… and {} more symptoms of other issues",
            symptoms_of.len() - 5
        ));
    }

    let mut seen = HashSet::new();
    let mut failing: Vec<String> = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    let mut ids_seen = HashSet::new();
    for s in group.iter().flat_map(|i| i.symptoms.iter()) {
        if !seen.insert((s.unique_id.as_str(), s.issue)) {
            continue;
        }
        let name = code(&clip(&short_name(&s.unique_id), 60));
        match s.issue {
            Some(id) => {
                ids_seen.insert(id);
                failing.push(format!(
                    "#{id} {name} ({})",
                    escape(&clip(&one_line(&s.status), 20))
                ));
            }
            None if s.status == "skipped" => skipped.push(name),
            None => failing.push(format!(
                "{name} ({})",
                escape(&clip(&one_line(&s.status), 20))
            )),
        }
    }
    for id in group.iter().flat_map(|i| i.root_cause_of.iter()) {
        if ids_seen.insert(*id) {
            failing.push(format!("#{id}"));
        }
    }
    let over = group.iter().all(|i| !i.is_active());
    if group.iter().any(|i| i.symptom_of.is_none()) {
        let head = match (failing.is_empty() && skipped.is_empty(), over) {
            (true, false) => {
                "🎯 *Root cause*: nothing downstream is failing or skipped because of it."
                    .to_owned()
            }
            (true, true) => {
                "🎯 *Root cause*: nothing downstream failed or was skipped because of it."
                    .to_owned()
            }
            (false, false) => "🎯 *Root cause* of what is below: fix this first.".to_owned(),
            (false, true) => format!(
                "🎯 *Was the root* of {}.",
                explained(failing.len(), skipped.len())
            ),
        };
        lines.insert(0, head);
    }
    if !failing.is_empty() {
        lines.push(format!(
            "• {} {} below: {}",
            failing.len(),
            if over { "failed" } else { "failing" },
            capped(&failing, 10, String::clone, ", ")
        ));
    }
    if !skipped.is_empty() {
        lines.push(format!(
            "• {} skipped: {}",
            skipped.len(),
            capped(&skipped, 8, String::clone, ", ")
        ));
    }
    lines.join("\n")
}

/// "24 skipped nodes and 2 failures below": what a recovered root explained.
pub(super) fn explained(failing: usize, skipped: usize) -> String {
    let (failing, skipped) = (failing as i64, skipped as i64);
    let mut parts = Vec::new();
    if skipped > 0 {
        parts.push(format!(
            "{} skipped {}",
            thousands(skipped),
            plural(skipped, "node", "nodes")
        ));
    }
    if failing > 0 {
        parts.push(format!(
            "{} {} below",
            thousands(failing),
            plural(failing, "failure", "failures")
        ));
    }
    parts.join(" and ")
}

/// Data products, exposures and models downstream, and who to tell.
pub(super) fn impact_text(impact: Option<&Impact>, tell: &[String]) -> String {
    let mut lines = Vec::new();
    if let Some(imp) = impact {
        lines.push("*Impact*".to_owned());
        if !imp.data_products.is_empty() {
            lines.push(format!(
                "• {} data {}: {}",
                imp.data_products.len(),
                plural(imp.data_products.len() as i64, "product", "products"),
                capped(&imp.data_products, 6, |p| bold(&clip(p, 60)), ", ")
            ));
        }
        if !imp.exposures.is_empty() {
            lines.push(format!(
                "• {} {}: {}",
                imp.exposures.len(),
                plural(imp.exposures.len() as i64, "exposure", "exposures"),
                capped(&imp.exposures, 6, |e| code(&clip(&short_name(e), 60)), ", ")
            ));
        }
        if imp.models > 0 || imp.downstream_count > 0 {
            lines.push(format!(
                "• {} downstream {}, {} downstream {} in all",
                thousands(imp.models as i64),
                plural(imp.models as i64, "model", "models"),
                thousands(imp.downstream_count as i64),
                plural(imp.downstream_count as i64, "node", "nodes"),
            ));
        }
        if lines.len() == 1 {
            lines.push("• nothing downstream in the manifest".to_owned());
        }
    }
    if !tell.is_empty() {
        lines.push(format!(
            "*Let them know*: {}",
            capped(tell, 12, |m| mention(m), ", ")
        ));
    }
    lines.join("\n")
}

fn owners_text(mentions: &[String], group: &[&Issue], asset: &str) -> String {
    if !mentions.is_empty() {
        return format!("*Owners*: {}", capped(mentions, 12, |m| mention(m), ", "));
    }
    let mut raw: Vec<&String> = Vec::new();
    for o in group.iter().flat_map(|i| i.owners.iter()) {
        if !raw.contains(&o) {
            raw.push(o);
        }
    }
    if raw.is_empty() {
        format!(
            "*Owners*: none known. Set `meta.owner` on {} in dbt.",
            code(asset)
        )
    } else {
        format!(
            "*Owners*: {}",
            capped(&raw, 12, |o| escape(&clip(o, 80)), ", ")
        )
    }
}

fn resolution_text(rep: &Issue, now: DateTime<Utc>) -> String {
    let at = rep.resolved_at.as_deref();
    let end = at.and_then(parse_ts).unwrap_or(now);
    let took = parse_ts(&rep.first_seen)
        .map(|start| human_duration((end - start).num_seconds()))
        .map(|d| format!(" after {d}"))
        .unwrap_or_default();
    let when_text = at
        .map(|t| format!(" {}", when(t, Some(now))))
        .unwrap_or_default();
    let mut s = match rep.resolution.as_deref() {
        None | Some("recovered") => {
            format!("✅ *Recovered*{took}: the check passed again{when_text}.")
        }
        Some(r) => format!(
            "✅ *Resolved as {}*{took}{when_text}.",
            escape(&clip(&r.replace('_', " "), 40))
        ),
    };
    if let Some(reason) = rep
        .resolution_reason
        .as_deref()
        .filter(|r| !r.trim().is_empty())
    {
        s.push_str(&format!(
            "\n> {}",
            cut(&escape_text(&one_line(reason)), 600, "")
        ));
    }
    s
}

fn comments_text(comments: &[Comment], now: DateTime<Utc>) -> String {
    let mut s = "*Earlier on this asset*".to_owned();
    for c in comments.iter().take(3) {
        s.push_str(&format!(
            "\n> {} · {}: {}",
            mention(&clip(&c.author, 80)),
            ago(&c.at, now),
            cut(&escape_text(&one_line(&c.body)), 280, "")
        ));
    }
    if comments.len() > 3 {
        s.push_str(&format!("\n… and {} more", comments.len() - 3));
    }
    s
}

fn links_elements(links: &Links, rep: &Issue, ptr: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let all = [
        (links.docs_url.as_deref(), "📘 Docs"),
        (links.run_url.as_deref(), "▶️ Run"),
        (links.log_url.as_deref(), "📜 Logs"),
        // A dbt issue's url is its run's, already linked as "Run".
        (
            rep.url
                .as_deref()
                .filter(|u| links.run_url.as_deref() != Some(*u)),
            "🔗 Source",
        ),
    ];
    for (url, label) in all {
        if let Some(url) = url.filter(|u| !u.trim().is_empty()) {
            out.push(md(&link(url, label, ptr)));
        }
    }
    out
}

/// The group without repeated issue ids, in order.
fn distinct(group: &[Issue]) -> Vec<&Issue> {
    let mut seen = HashSet::new();
    group.iter().filter(|i| seen.insert(i.id)).collect()
}
