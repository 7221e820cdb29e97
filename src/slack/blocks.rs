//! Block Kit rendering: pure functions from core state to Slack messages, modals and the Home tab.
//!
//! Everything here is state in, JSON out: no clock (time is passed in), no network, no store.
//! This is where Slack's limits are enforced ([`super::limits`]): every message and view fits
//! whatever the input size. Long text is cut with a pointer to where the rest is (e.g.
//! "see `steward issue 12`"), long lists end with "… and N more", and when a message runs out of
//! room a closing note says so: nothing is dropped silently and no limit is exceeded.
//!
//! Conventions the handlers rely on:
//! - every `action_id` starts with `steward.`;
//! - an alert's actions block has `block_id` `steward.issue.{id}` and its buttons carry the
//!   issue id as their `value`; an incident's has `steward.incident.{n}` and carries `n`;
//! - modals carry their subject in `private_metadata` as JSON (`{"issue": 12}`).
//!
//! User-provided text (messages, names, titles, comments) is escaped per Slack's mrkdwn rules
//! (`&`, `<`, `>`). Already-resolved mentions (`<@U123>`, `<!subteam^S1>`, `<#C1>`) are kept;
//! `<!here>`, `<!channel>` and `<!everyone>` are not, so no text can ping a whole channel.

use super::limits::{self, Violation};
use crate::artifacts::human_duration;
use crate::issues::{Comment, Issue};
use crate::lineage::Impact;
use crate::render::short_name;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::HashSet;

mod digest;
mod incident_actions;
mod open_link;
mod product;
pub use digest::*;
pub use incident_actions::*;
pub use open_link::*;
pub use product::*;

/// A message for `chat.postMessage` / `chat.update` / `chat.postEphemeral`: a plain `text`
/// fallback (notifications, screen readers) and the blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub text: String,
    pub blocks: Vec<Value>,
}

impl Message {
    /// The API payload; `thread_ts` makes it a thread reply.
    pub fn to_json(&self, channel: &str, thread_ts: Option<&str>) -> Value {
        let mut v = json!({
            "channel": channel,
            "text": self.text,
            "blocks": self.blocks,
            "unfurl_links": false,
            "unfurl_media": false,
        });
        if let Some(ts) = thread_ts {
            v["thread_ts"] = json!(ts);
        }
        v
    }

    /// Slack's limits this message breaks (none, by construction).
    pub fn violations(&self) -> Vec<Violation> {
        limits::check_message(&self.to_json("C0", None))
    }
}

/// A view for `views.open` / `views.update` / `views.publish`: a modal or the Home tab.
#[derive(Debug, Clone, PartialEq)]
pub struct View(pub Value);

impl View {
    /// Slack's limits this view breaks (none, by construction).
    pub fn violations(&self) -> Vec<Violation> {
        limits::check_view(&self.0)
    }
}

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
    pub now: DateTime<Utc>,
}

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
    pub teams: &'a [crate::incidents::TeamContact],
}

/// The App Home tab's content.
#[derive(Debug, Clone, Copy)]
pub struct HomeView<'a> {
    /// Open issues per data product.
    pub by_product: &'a [(String, Vec<Issue>)],
    /// Open issues with no data product.
    pub unowned: &'a [Issue],
    /// Open issues assigned to the viewer.
    pub mine: &'a [Issue],
    /// Muted assets and until when.
    pub muted: &'a [(String, String)],
    /// The status page: every data product's status and uptime.
    pub products: &'a [HomeProduct],
    pub open_incidents: &'a [crate::incidents::Incident],
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

/// Checks shown as sections of one alert; the rest are counted.
const MAX_CHECKS: usize = 5;
/// Lines of a failure message shown in an alert, and their length.
const MESSAGE_LINES: usize = 5;
const MESSAGE_LINE_CHARS: usize = 300;
/// SQL sections in the compiled-SQL modal.
const SQL_SECTIONS: usize = 20;
/// Room kept for the closing "did not fit" note.
const NOTE_TEXT: usize = 200;
/// Length of one line in an issue list.
const LINE_CHARS: usize = 300;

// ---------------------------------------------------------------------------------------------
// Alerts

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
fn alert_actions(a: &AlertView, group: &[&Issue], resolved: bool) -> Value {
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
    let error = active.iter().any(|i| i.severity != "warn");
    let (emoji, word) = if error {
        ("🔴", "failing")
    } else {
        ("🟡", "warning")
    };
    match rep.status.as_str() {
        "acknowledged" | "investigating" => (emoji, format!("{word} · {}", rep.status)),
        _ => (emoji, word.to_owned()),
    }
}

fn issue_emoji(i: &Issue) -> &'static str {
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
fn outcome_word(i: &Issue) -> String {
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
        field("Severity", &escape(&clip(&rep.severity, 30))),
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
    if group.iter().any(|i| i.symptom_of.is_none()) {
        let mut head = "🎯 *Root cause*".to_owned();
        if failing.is_empty() && skipped.is_empty() {
            head.push_str(": nothing downstream is failing or skipped because of it.");
        } else {
            head.push_str(" of what is below: fix this first.");
        }
        lines.insert(0, head);
    }
    if !failing.is_empty() {
        lines.push(format!(
            "• {} failing below: {}",
            failing.len(),
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

/// Data products, exposures and models downstream, and who to tell.
fn impact_text(impact: Option<&Impact>, tell: &[String]) -> String {
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
        (rep.url.as_deref(), "🔗 Source"),
    ];
    for (url, label) in all {
        if let Some(url) = url.filter(|u| !u.trim().is_empty()) {
            out.push(md(&link(url, label, ptr)));
        }
    }
    out
}

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

// ---------------------------------------------------------------------------------------------
// Modals

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
    let resolution = clip(resolution.trim(), 100);
    let options: Vec<Value> = REASON_CATEGORIES
        .iter()
        .map(|(v, t)| option(t, v))
        .collect();
    let mut blocks = vec![
        section(
            None,
            &format!(
                "Resolving issue #{issue_id} as *{}*.",
                escape(&resolution.replace('_', " ").replace('*', ""))
            ),
        ),
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
    ];
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
            .map(|c| product::channel_ref(c))
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

// ---------------------------------------------------------------------------------------------
// Incidents

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
                    reach.push(product::channel_ref(c));
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

// ---------------------------------------------------------------------------------------------
// Home tab and lists

/// The App Home tab: open issues per data product, those with none, yours, and what is muted.
pub fn home_view(h: &HomeView) -> View {
    let products: Vec<&(String, Vec<Issue>)> =
        h.by_product.iter().filter(|(_, v)| !v.is_empty()).collect();
    let open: usize = products.iter().map(|(_, v)| v.len()).sum::<usize>() + h.unowned.len();

    let mut blocks = vec![
        header("🧭 Steward"),
        context_md(&format!(
            "{} open {} · {} data {} affected · {} assigned to you",
            thousands(open as i64),
            plural(open as i64, "issue", "issues"),
            thousands(products.len() as i64),
            plural(products.len() as i64, "product", "products"),
            thousands(h.mine.len() as i64),
        )),
    ];
    blocks.extend(status_page_blocks(h.products, h.open_incidents, h.now));
    blocks.push(json!({"type": "divider"}));
    let mine: Vec<String> = h.mine.iter().map(issue_line).collect();
    blocks.push(section(
        Some("steward.home.mine"),
        &if mine.is_empty() {
            "*Assigned to you*\nNothing assigned to you. 🎉".to_owned()
        } else {
            list_text(
                "*Assigned to you*",
                &mine,
                10,
                limits::SECTION_TEXT,
                " (`steward issues --status acknowledged`)",
            )
        },
    ));
    blocks.push(json!({"type": "divider"}));

    // Blocks still needed after the products: product overflow note, unowned, divider, muted.
    let tail = 4;
    let room = limits::VIEW_BLOCKS - blocks.len() - tail;
    let shown = products.len().min(room).min(40);
    for (idx, (name, issues)) in products.iter().take(shown).enumerate() {
        let lines: Vec<String> = issues.iter().map(issue_line).collect();
        let title = format!(
            "*📦 {}* · {} open",
            escape(&clip(&one_line(name), 100).replace('*', "∗")),
            thousands(issues.len() as i64)
        );
        blocks.push(section(
            Some(&format!("steward.home.product.{idx}")),
            &list_text(&title, &lines, 8, limits::SECTION_TEXT, ""),
        ));
    }
    if products.len() > shown {
        let rest = &products[shown..];
        let count: usize = rest.iter().map(|(_, v)| v.len()).sum();
        blocks.push(context_md(&format!(
            "… and {} more data products with {} open {}: `steward issues`",
            thousands(rest.len() as i64),
            thousands(count as i64),
            plural(count as i64, "issue", "issues"),
        )));
    }
    if products.is_empty() && h.unowned.is_empty() {
        blocks.push(section(None, "No open issues. 🎉"));
    }
    if !h.unowned.is_empty() {
        let lines: Vec<String> = h.unowned.iter().map(issue_line).collect();
        blocks.push(section(
            Some("steward.home.unowned"),
            &list_text(
                "*No data product*",
                &lines,
                10,
                limits::SECTION_TEXT,
                " (`steward issues --status open`)",
            ),
        ));
    }
    if !h.muted.is_empty() {
        blocks.push(json!({"type": "divider"}));
        let lines: Vec<String> = h
            .muted
            .iter()
            .map(|(asset, until)| {
                format!(
                    "🔕 {} until {}",
                    code(&clip(&short_name(asset), 80)),
                    when(until, None)
                )
            })
            .collect();
        blocks.push(section(
            Some("steward.home.muted"),
            &list_text("*Muted*", &lines, 15, limits::SECTION_TEXT, ""),
        ));
    }
    View(json!({"type": "home", "callback_id": "steward.home", "blocks": blocks}))
}

/// A stakeholder update on an incident: "📣 update on INC-n: text", by its author.
pub fn stakeholder_update(actor_mention: &str, incident: i64, text: &str) -> Message {
    activity_reply(
        actor_mention,
        &format!(
            "📣 update on {}: {}",
            crate::incidents::label(incident),
            text.trim()
        ),
    )
}

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
fn issue_line(i: &Issue) -> String {
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
fn list_text(title: &str, lines: &[String], max_lines: usize, max: usize, more: &str) -> String {
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

// ---------------------------------------------------------------------------------------------
// A message under construction, within Slack's limits

/// Blocks added in order of importance. Blocks that no longer fit are left out and counted;
/// room is held back for the tail (actions) and for a closing note saying what was left out.
struct Blocks {
    list: Vec<Value>,
    text: usize,
    max_text: usize,
    max_blocks: usize,
    held_text: usize,
    held_blocks: usize,
    left_out: usize,
}

impl Blocks {
    fn new(max_blocks: usize, max_text: usize) -> Self {
        Blocks {
            list: Vec::new(),
            text: 0,
            max_text,
            max_blocks,
            held_text: NOTE_TEXT,
            held_blocks: 1,
            left_out: 0,
        }
    }

    /// Holds back room for blocks added by [`Blocks::finish`].
    fn hold(&mut self, tail: &[Value]) {
        self.held_blocks += tail.len();
        self.held_text += tail.iter().map(text_len).sum::<usize>();
    }

    /// Text characters still free.
    fn room(&self) -> usize {
        self.max_text.saturating_sub(self.text + self.held_text)
    }

    fn push(&mut self, block: Value) -> bool {
        let n = text_len(&block);
        if self.list.len() + self.held_blocks >= self.max_blocks || n > self.room() {
            self.left_out += 1;
            return false;
        }
        self.text += n;
        self.list.push(block);
        true
    }

    /// A section of `text` cut to `cap` (and to the room left) with `pointer`.
    fn section(&mut self, block_id: Option<&str>, text: &str, cap: usize, pointer: &str) -> bool {
        let max = cap.min(limits::SECTION_TEXT).min(self.room());
        if max < 80 || text.trim().is_empty() {
            if !text.trim().is_empty() {
                self.left_out += 1;
            }
            return false;
        }
        self.push(section(block_id, &cut(text, max, pointer)))
    }

    fn finish(mut self, note: Option<String>, tail: Vec<Value>) -> Vec<Value> {
        if let Some(note) = note {
            self.list.push(context_md(&cut(&note, NOTE_TEXT, "")));
        }
        self.list.extend(tail);
        self.list
    }
}

/// Characters of text objects in a block, as Slack counts them toward `msg_blocks_too_long`
/// (counted generously: every text object anywhere inside).
fn text_len(v: &Value) -> usize {
    match v {
        Value::Object(m) => {
            let is_text = matches!(
                m.get("type").and_then(Value::as_str),
                Some("plain_text" | "mrkdwn")
            );
            m.iter()
                .map(|(k, v)| match (is_text, k.as_str(), v) {
                    (true, "text", Value::String(s)) => s.chars().count(),
                    _ => text_len(v),
                })
                .sum()
        }
        Value::Array(a) => a.iter().map(text_len).sum(),
        _ => 0,
    }
}

// ---------------------------------------------------------------------------------------------
// Block Kit pieces

fn plain(text: &str) -> Value {
    let text = if text.trim().is_empty() { "-" } else { text };
    json!({"type": "plain_text", "text": text, "emoji": true})
}

fn md(text: &str) -> Value {
    let text = if text.trim().is_empty() { "-" } else { text };
    json!({"type": "mrkdwn", "text": text})
}

fn header(text: &str) -> Value {
    json!({"type": "header", "text": plain(&limits::truncate(&one_line(text), limits::HEADER_TEXT, ""))})
}

fn section(block_id: Option<&str>, text: &str) -> Value {
    let mut s = json!({"type": "section", "text": md(&cut(text, limits::SECTION_TEXT, ""))});
    if let Some(id) = block_id {
        s["block_id"] = json!(id);
    }
    s
}

fn context_md(text: &str) -> Value {
    json!({"type": "context", "elements": [md(&cut(text, limits::SECTION_TEXT, ""))]})
}

fn field(label: &str, value: &str) -> Value {
    md(&cut(&format!("*{label}*\n{value}"), 300, ""))
}

fn button(action_id: &str, text: &str, value: &str, style: Option<&str>) -> Value {
    let mut b = json!({
        "type": "button",
        "action_id": action_id,
        "text": plain(&limits::truncate(text, limits::BUTTON_TEXT, "")),
        "value": limits::truncate(value, limits::BUTTON_VALUE, ""),
    });
    if let Some(style) = style {
        b["style"] = json!(style);
    }
    b
}

fn option(text: &str, value: &str) -> Value {
    json!({
        "text": plain(&limits::truncate(&one_line(text), limits::OPTION_TEXT, "")),
        "value": limits::truncate(value, limits::OPTION_VALUE, ""),
    })
}

fn input(block_id: &str, label: &str, element: Value, optional: bool) -> Value {
    json!({
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": element,
        "optional": optional,
    })
}

// ---------------------------------------------------------------------------------------------
// Text

/// Escapes `&`, `<` and `>` for mrkdwn, and breaks up ``` so text cannot open a code block.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    no_fence(out)
}

/// "```" with a zero-width space inside, so it neither opens nor closes a code block.
fn no_fence(mut s: String) -> String {
    while s.contains("```") {
        s = s.replace("```", "`\u{200b}``");
    }
    s
}

/// Escapes free text that may already hold Slack tokens (a comment posted in Slack, an activity
/// line built with mentions): user, group and channel mentions, dates and web links are kept, as
/// are the entities `&amp;`, `&lt;`, `&gt;`; everything else is escaped.
fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                if let Some(end) = rest.find('>') {
                    let token = &rest[..=end];
                    if is_safe_token(token) {
                        out.push_str(token);
                        rest = &rest[end + 1..];
                        continue;
                    }
                }
                out.push_str("&lt;");
            }
            '>' => out.push_str("&gt;"),
            '&' => {
                if let Some(e) = ["&amp;", "&lt;", "&gt;"]
                    .into_iter()
                    .find(|e| rest.starts_with(e))
                {
                    out.push_str(e);
                    rest = &rest[e.len()..];
                    continue;
                }
                out.push_str("&amp;");
            }
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    no_fence(out)
}

/// `<@U1>`, `<@U1|ana>`, `<!subteam^S1>`, `<#C1>`, `<!date^…>`, `<https://…|label>`; not
/// `<!here>`, `<!channel>` or `<!everyone>`.
fn is_safe_token(token: &str) -> bool {
    let Some(inner) = token.strip_prefix('<').and_then(|t| t.strip_suffix('>')) else {
        return false;
    };
    if inner.is_empty() || inner.contains('<') {
        return false;
    }
    let target = inner.split_once('|').map_or(inner, |(t, _)| t);
    let id = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric());
    if let Some(rest) = target.strip_prefix('@') {
        return id(rest);
    }
    if let Some(rest) = target.strip_prefix("!subteam^") {
        return id(rest);
    }
    if let Some(rest) = target.strip_prefix('#') {
        return id(rest);
    }
    if target.starts_with("!date^") {
        return true;
    }
    ["http://", "https://", "mailto:"]
        .iter()
        .any(|p| target.starts_with(p))
        && !target.contains(char::is_whitespace)
}

/// A person as mrkdwn: a resolved mention as is, a bare Slack user id as a mention, anything
/// else (an email, a name) as escaped text.
fn mention(s: &str) -> String {
    let s = s.trim();
    if s.starts_with('<')
        && is_safe_token(s)
        && !s.starts_with("<http")
        && !s.starts_with("<mailto")
    {
        return s.to_owned();
    }
    if let Some(id) = slack_user_id(s) {
        return format!("<@{id}>");
    }
    escape(&clip(&one_line(s), 100))
}

/// A Slack user group id ("S0123ABC"), safe inside `<!subteam^…>`.
fn is_group_id(s: &str) -> bool {
    let s = s.trim();
    s.starts_with('S')
        && (3..=32).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// The Slack user id in "U123ABC" or "<@U123ABC>" / "<@U123ABC|ana>".
fn slack_user_id(s: &str) -> Option<&str> {
    let s = s.trim();
    let id = match s.strip_prefix("<@").and_then(|r| r.strip_suffix('>')) {
        Some(inner) => inner.split_once('|').map_or(inner, |(id, _)| id),
        None => s,
    };
    let ok = id.len() >= 3
        && id.len() <= 32
        && (id.starts_with('U') || id.starts_with('W'))
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && id.chars().any(|c| c.is_ascii_digit());
    ok.then_some(id)
}

/// Inline code: escaped, on one line, with no backtick to end it early.
fn code(s: &str) -> String {
    let clean = inline(s);
    if clean.is_empty() {
        "`-`".to_owned()
    } else {
        format!("`{clean}`")
    }
}

/// Escaped text safe inside an inline code span.
fn inline(s: &str) -> String {
    escape(one_line(s).replace('`', "'").trim())
}

/// Bold, escaped text (an asterisk in it would end the bold early).
fn bold(s: &str) -> String {
    format!("*{}*", escape(&one_line(s).replace('*', "∗")))
}

/// A code block; a ``` inside cannot close it early.
fn code_block(s: &str) -> String {
    let mut body = escape(s);
    if body.ends_with('`') {
        body.push('\u{200b}');
    }
    if body.starts_with('`') {
        body.insert(0, '\u{200b}');
    }
    format!("```{body}```")
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Raw text cut to `max` characters with "…" (escape afterwards).
fn clip(s: &str, max: usize) -> String {
    limits::truncate(s, max, "")
}

/// Cuts mrkdwn to `max` characters with `pointer`, never inside an entity (`&amp;`), a token
/// (`<@U1>`, `<https://…|…>`) or an open code block.
fn cut(text: &str, max: usize, pointer: &str) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let tail = if pointer.is_empty() {
        "…".to_owned()
    } else {
        format!("… ({pointer})")
    };
    let tail_len = tail.chars().count();
    if max < tail_len + 4 {
        return if pointer.is_empty() {
            "…".chars().take(max).collect()
        } else {
            cut(text, max, "")
        };
    }
    let mut prefix: String = text.chars().take(max - tail_len - 4).collect();
    if let Some(lt) = prefix.rfind('<')
        && !prefix[lt..].contains('>')
    {
        prefix.truncate(lt);
    }
    if let Some(amp) = prefix.rfind('&')
        && prefix.rfind('>').is_none_or(|gt| gt < amp)
        && !prefix[amp..].contains(';')
    {
        prefix.truncate(amp);
    }
    let kept = prefix.trim_end_matches('`').len();
    prefix.truncate(kept);
    if prefix.matches("```").count() % 2 == 1 {
        prefix.push_str("\n```");
    }
    prefix.push_str(&tail);
    prefix
}

/// Where the rest of an issue is.
fn pointer(issue_id: i64) -> String {
    format!("see `steward issue {issue_id}`")
}

/// Up to `max` items joined by `sep`, then "… and N more".
fn capped<T>(items: &[T], max: usize, f: impl Fn(&T) -> String, sep: &str) -> String {
    let mut s = items.iter().take(max).map(f).collect::<Vec<_>>().join(sep);
    if items.len() > max {
        s.push_str(&format!(
            "{sep}… and {} more",
            thousands((items.len() - max) as i64)
        ));
    }
    s
}

fn plural<'a>(n: i64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// 1234567 → "1,234,567".
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A time shown in the reader's time zone (Slack's date token), with how long ago when `now` is
/// known; text that is not a timestamp is shown escaped.
/// A stored timestamp as Slack shows it to each reader (their time zone), with a UTC fallback.
pub fn slack_time(ts: &str) -> String {
    when(ts, None)
}

fn when(ts: &str, now: Option<DateTime<Utc>>) -> String {
    let Some(t) = parse_ts(ts) else {
        return if ts.trim().is_empty() {
            "unknown".to_owned()
        } else {
            escape(&clip(&one_line(ts), 60))
        };
    };
    let token = format!(
        "<!date^{}^{{date_short_pretty}} {{time}}|{}>",
        t.timestamp(),
        t.format("%Y-%m-%d %H:%M UTC")
    );
    match now {
        Some(now) if now >= t => {
            format!("{token} ({} ago)", human_duration((now - t).num_seconds()))
        }
        Some(now) => format!("{token} (in {})", human_duration((t - now).num_seconds())),
        None => token,
    }
}

/// "3h 5m ago", or the escaped text when it is not a timestamp.
fn ago(ts: &str, now: DateTime<Utc>) -> String {
    match parse_ts(ts) {
        Some(t) => format!("{} ago", human_duration((now - t).num_seconds())),
        None => escape(&clip(&one_line(ts), 40)),
    }
}

/// A mrkdwn link, made safe; one that is too long or not http(s) is shown as text.
fn link(url: &str, label: &str, ptr: &str) -> String {
    let url = url.trim();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return format!("{label}: {}", code(&clip(url, 200)));
    }
    if url.chars().count() > 1_000 {
        return format!("{label}: link too long to show ({ptr})");
    }
    let mut safe = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            '<' => safe.push_str("%3C"),
            '>' => safe.push_str("%3E"),
            '|' => safe.push_str("%7C"),
            c if c.is_whitespace() => safe.push_str(&format!("%{:02X}", c as u32 & 0xff)),
            c => safe.push(c),
        }
    }
    format!("<{safe}|{label}>")
}

/// The group without repeated issue ids, in order.
fn distinct(group: &[Issue]) -> Vec<&Issue> {
    let mut seen = HashSet::new();
    group.iter().filter(|i| seen.insert(i.id)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::issues::Symptom;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, 2, 12, 0, 0).unwrap()
    }

    fn issue(id: i64, asset: &str, check: &str) -> Issue {
        Issue {
            id,
            env: "prod".into(),
            asset: asset.into(),
            asset_known: true,
            check: check.into(),
            node: Some(asset.into()),
            origin: "dbt".into(),
            source_system: None,
            status: "open".into(),
            resolution: None,
            resolution_reason: None,
            severity: "error".into(),
            dbt_status: "error".into(),
            message: Some(
                "Database Error in model stg_shop__payments (models/staging/stg_shop__payments.sql)\n  column \"amount_cents\" does not exist\n  compiled Code at target/run/shop/models/staging/stg_shop__payments.sql".into(),
            ),
            failures: None,
            url: None,
            run_id: Some("a1b2c3d4-0000-4000-8000-000000000001".into()),
            owners: vec!["ana@example.com".into()],
            occurrences: 4,
            consecutive_passes: 0,
            first_seen: "2024-05-02T09:47:00.000000Z".into(),
            last_seen: "2024-05-02T11:55:00.000000Z".into(),
            resolved_at: None,
            assignee: None,
            symptom_of: None,
            root_cause_of: vec![],
            symptoms: vec![],
            muted_until: None,
            incident_id: None,
            created_at: "2024-05-02T09:47:00.000000Z".into(),
            updated_at: "2024-05-02T11:55:00.000000Z".into(),
            compiled_sql: None,
        }
    }

    fn payments() -> Issue {
        issue(12, "model.shop.stg_shop__payments", "run")
    }

    fn test_issue(id: i64) -> Issue {
        let mut i = issue(
            id,
            "model.shop.stg_shop__payments",
            "test.shop.not_null_stg_shop__payments_payment_id.5a1b2c",
        );
        i.dbt_status = "fail".into();
        i.failures = Some(37);
        i.message = Some("Got 37 results, configured to fail if != 0".into());
        i
    }

    struct Ctx {
        links: Links,
        owners: Vec<String>,
        tell: Vec<String>,
        comments: Vec<Comment>,
        impact: Impact,
    }

    fn ctx() -> Ctx {
        Ctx {
            links: Links {
                docs_url: Some(
                    "https://docs.example.com/#!/model/model.shop.stg_shop__payments".into(),
                ),
                run_url: Some("https://airflow.example.com/dags/dbt/runs/42?a=1&b=2".into()),
                log_url: None,
            },
            owners: vec![
                "<@U0123ANA>".into(),
                "<!subteam^S0DATA>".into(),
                "bo@example.com".into(),
            ],
            tell: vec!["<@U0456FIN>".into()],
            comments: vec![Comment {
                id: 1,
                author: "<@U0123ANA>".into(),
                body: "Last time this was the Stripe export being late & <b>partial</b>".into(),
                at: "2024-04-20T08:00:00.000000Z".into(),
            }],
            impact: Impact {
                data_products: vec!["Finance reporting".into(), "Growth".into()],
                exposures: vec!["exposure.shop.weekly_revenue".into()],
                owners: vec!["fin@example.com".into()],
                downstream_count: 41,
                models: 23,
            },
        }
    }

    fn view<'a>(group: &'a [Issue], c: &'a Ctx) -> AlertView<'a> {
        AlertView {
            group,
            impact: Some(&c.impact),
            owner_mentions: &c.owners,
            tell_mentions: &c.tell,
            recent_comments: &c.comments,
            links: &c.links,
            incident: None,
            compiled_sql_available: false,
            now: now(),
        }
    }

    #[track_caller]
    fn assert_fits(m: &Message) {
        let v = m.violations();
        assert!(
            v.is_empty(),
            "violations: {v:#?}\n{}",
            serde_json::to_string_pretty(&m.blocks).unwrap()
        );
    }

    #[track_caller]
    fn assert_view_fits(v: &View) {
        let errs = v.violations();
        assert!(
            errs.is_empty(),
            "violations: {errs:#?}\n{}",
            serde_json::to_string_pretty(&v.0).unwrap()
        );
    }

    fn collect(v: &Value, key: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k == key
                        && let Some(s) = x.as_str()
                    {
                        out.push(s.to_owned());
                    }
                    collect(x, key, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| collect(x, key, out)),
            _ => {}
        }
    }

    fn action_ids(blocks: &[Value]) -> Vec<String> {
        let mut out = Vec::new();
        collect(&json!(blocks), "action_id", &mut out);
        out
    }

    fn all_text(blocks: &[Value]) -> String {
        let mut out = Vec::new();
        collect(&json!(blocks), "text", &mut out);
        out.join("\n")
    }

    /// No partial entity and no unbalanced token in mrkdwn.
    #[track_caller]
    fn assert_well_formed(s: &str) {
        for (i, _) in s.match_indices('&') {
            let rest = &s[i..];
            let in_url = s[..i]
                .rfind('<')
                .is_some_and(|lt| s[..i].rfind('>').is_none_or(|gt| gt < lt));
            assert!(
                in_url
                    || rest.starts_with("&amp;")
                    || rest.starts_with("&lt;")
                    || rest.starts_with("&gt;"),
                "bare & in {s:?}"
            );
        }
        let mut depth = 0i32;
        let mut line_start = true;
        for c in s.chars() {
            match c {
                '<' => depth += 1,
                '>' if line_start => {} // a block quote
                '>' => depth -= 1,
                _ => {}
            }
            line_start = c == '\n';
            assert!((0..=1).contains(&depth), "unbalanced <> in {s:?}");
        }
        assert_eq!(depth, 0, "unclosed < in {s:?}");
        assert_eq!(s.matches("```").count() % 2, 0, "open code block in {s:?}");
    }

    /// Every mrkdwn text object is well formed (plain_text is not parsed by Slack).
    fn assert_all_well_formed(blocks: &[Value]) {
        fn walk(v: &Value) {
            match v {
                Value::Object(m) => {
                    if m.get("type").and_then(Value::as_str) == Some("mrkdwn") {
                        assert_well_formed(m["text"].as_str().unwrap());
                    }
                    m.values().for_each(walk);
                }
                Value::Array(a) => a.iter().for_each(walk),
                _ => {}
            }
        }
        blocks.iter().for_each(walk);
    }

    #[test]
    fn a_failing_run_alert_says_what_when_how_often_and_who() {
        let group = [payments()];
        let c = ctx();
        let m = alert_message(&view(&group, &c));
        assert_fits(&m);
        assert_all_well_formed(&m.blocks);
        assert_eq!(m.text, "🔴 stg_shop__payments: run error (prod)");
        assert_eq!(m.blocks[0]["type"], "header");
        assert_eq!(
            m.blocks[0]["text"]["text"],
            "🔴 stg_shop__payments · failing · prod"
        );
        let text = all_text(&m.blocks);
        for needle in [
            "`run`",
            "column \"amount_cents\" does not exist",
            "4 failing runs",
            "issue #12",
            "<!date^1714643220^",
            "(2h 13m ago)",
            "🎯 *Root cause*",
            "*Finance reporting*",
            "`weekly_revenue`",
            "23 downstream models, 41 downstream nodes",
            "*Let them know*: <@U0456FIN>",
            "*Owners*: <@U0123ANA>, <!subteam^S0DATA>, bo@example.com",
            "late &amp; &lt;b&gt;partial&lt;/b&gt;",
            "<https://airflow.example.com/dags/dbt/runs/42?a=1&b=2|▶️ Run>",
            "`a1b2c3d4-0000-4000-8000-000000000001`",
            "nobody yet",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
        }
        let ids = action_ids(&m.blocks);
        assert_eq!(
            ids,
            [
                "steward.declare",
                "steward.assign",
                "steward.status",
                "steward.comment",
                "steward.mute"
            ]
        );
        let actions = m.blocks.last().unwrap();
        assert_eq!(actions["type"], "actions");
        assert_eq!(actions["block_id"], "steward.issue.12");
        assert_eq!(actions["elements"][0]["value"], "12");
        assert_eq!(actions["elements"][3]["value"], "12");
        let statuses: Vec<&str> = actions["elements"][2]["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["value"].as_str().unwrap())
            .collect();
        assert_eq!(
            statuses,
            ["investigating", "fixed", "expected", "false_positive"]
        );
        let mutes: Vec<&str> = actions["elements"][4]["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["value"].as_str().unwrap())
            .collect();
        assert_eq!(mutes, ["24h", "7d", "until_fixed"]);
        assert!(ids.iter().all(|id| id.starts_with("steward.")));
    }

    #[test]
    fn a_group_lists_each_check_and_the_fallback_names_them() {
        let mut run = payments();
        run.assignee = Some("U0123ANA".into());
        run.status = "investigating".into();
        let mut warn = test_issue(13);
        warn.severity = "warn".into();
        warn.dbt_status = "warn".into();
        let group = [run, test_issue(14), warn];
        let c = ctx();
        let mut v = view(&group, &c);
        v.compiled_sql_available = true;
        let m = alert_message(&v);
        assert_fits(&m);
        assert_eq!(
            m.text,
            "🔴 stg_shop__payments: run error, not_null_stg_shop__payments_payment_id fail, not_null_stg_shop__payments_payment_id warn (prod)"
        );
        assert_eq!(
            m.blocks[0]["text"]["text"],
            "🔴 stg_shop__payments · failing · investigating · prod"
        );
        let text = all_text(&m.blocks);
        assert!(text.contains("37 failing rows"), "{text}");
        assert!(
            text.contains("🟡 *`not_null_stg_shop__payments_payment_id`* — warn"),
            "{text}"
        );
        assert!(text.contains("#12, #14, #13"), "{text}");
        assert!(text.contains("<@U0123ANA>"));
        let ids = action_ids(&m.blocks);
        assert!(ids.contains(&"steward.show_sql".to_owned()));
        let actions = m.blocks.last().unwrap();
        assert_eq!(actions["elements"][1]["initial_user"], "U0123ANA");
        assert_eq!(
            actions["elements"][2]["initial_option"]["value"],
            "investigating"
        );
        for id in [12, 13, 14] {
            assert!(
                m.blocks
                    .iter()
                    .any(|b| b["block_id"] == format!("steward.check.{id}"))
            );
        }
    }

    #[test]
    fn a_warning_alert_is_yellow() {
        let mut w = test_issue(20);
        w.severity = "warn".into();
        w.dbt_status = "warn".into();
        let group = [w];
        let c = ctx();
        let m = alert_message(&view(&group, &c));
        assert!(
            m.text.starts_with("🟡 stg_shop__payments: not_null"),
            "{}",
            m.text
        );
        assert!(
            m.blocks[0]["text"]["text"]
                .as_str()
                .unwrap()
                .contains("warning")
        );
    }

    #[test]
    fn a_linked_incident_hides_declare_and_is_shown() {
        let group = [payments()];
        let c = ctx();
        let mut v = view(&group, &c);
        v.incident = Some((7, "Payments <late> & *broken*"));
        let m = alert_message(&v);
        assert_fits(&m);
        let ids = action_ids(&m.blocks);
        assert!(!ids.contains(&"steward.declare".to_owned()), "{ids:?}");
        assert!(ids.contains(&"steward.assign".to_owned()));
        let text = all_text(&m.blocks);
        assert!(
            text.contains("*INC-7*: Payments &lt;late&gt; &amp; *broken*"),
            "{text}"
        );

        let mut linked = payments();
        linked.incident_id = Some(3);
        let group = [linked];
        let m = alert_message(&view(&group, &c));
        assert!(!action_ids(&m.blocks).contains(&"steward.declare".to_owned()));
    }

    #[test]
    fn symptoms_and_symptom_of_are_summarised() {
        let mut root = payments();
        root.root_cause_of = vec![30, 31];
        root.symptoms = vec![
            Symptom {
                unique_id: "test.shop.unique_orders_id.1".into(),
                status: "fail".into(),
                issue: Some(30),
            },
            Symptom {
                unique_id: "model.shop.orders".into(),
                status: "skipped".into(),
                issue: None,
            },
            Symptom {
                unique_id: "model.shop.revenue".into(),
                status: "skipped".into(),
                issue: None,
            },
        ];
        let group = [root];
        let c = ctx();
        let text = all_text(&alert_message(&view(&group, &c)).blocks);
        assert!(
            text.contains("• 2 failing below: #30 `unique_orders_id` (fail), #31"),
            "{text}"
        );
        assert!(text.contains("• 2 skipped: `orders`, `revenue`"), "{text}");

        let mut sym = test_issue(40);
        sym.symptom_of = Some(12);
        let group = [sym];
        let text = all_text(&alert_message(&view(&group, &c)).blocks);
        assert!(text.contains("is a *symptom of #12*"), "{text}");
        assert!(!text.contains("Root cause"), "{text}");
    }

    #[test]
    fn a_recovered_alert_keeps_context_and_drops_workflow_actions() {
        let mut i = payments();
        i.status = "resolved".into();
        i.resolution = Some("recovered".into());
        i.resolved_at = Some("2024-05-02T12:00:00.000000Z".into());
        i.muted_until = Some("2024-05-09T12:00:00.000000Z".into());
        let group = [i];
        let c = ctx();
        let mut v = view(&group, &c);
        v.compiled_sql_available = true;
        let m = alert_message(&v);
        assert_fits(&m);
        assert_eq!(m.text, "✅ stg_shop__payments: run recovered (prod)");
        let text = all_text(&m.blocks);
        assert!(text.contains("✅ *Recovered* after 2h 13m"), "{text}");
        assert!(
            text.contains("column \"amount_cents\""),
            "context kept: {text}"
        );
        assert!(!text.contains("Muted until"), "{text}");
        assert_eq!(
            action_ids(&m.blocks),
            ["steward.comment", "steward.show_sql"]
        );

        let mut f = payments();
        f.status = "resolved".into();
        f.resolution = Some("false_positive".into());
        f.resolution_reason = Some("Test was <wrong> & flaky".into());
        f.resolved_at = Some("2024-05-02T11:00:00.000000Z".into());
        let group = [f];
        let m = alert_message(&view(&group, &c));
        assert_fits(&m);
        let text = all_text(&m.blocks);
        assert!(text.contains("*Resolved as false positive*"), "{text}");
        assert!(
            text.contains("> Test was &lt;wrong&gt; &amp; flaky"),
            "{text}"
        );
        assert_eq!(action_ids(&m.blocks), ["steward.comment"]);
    }

    #[test]
    fn muted_and_unknown_assets_are_said() {
        let mut i = issue(50, "analytics.raw_events", "airflow_sla");
        i.asset_known = false;
        i.origin = "alert".into();
        i.source_system = Some("airflow".into());
        i.muted_until = Some("2024-05-03T12:00:00.000000Z".into());
        let group = [i];
        let c = ctx();
        let mut v = view(&group, &c);
        v.impact = None;
        v.tell_mentions = &[];
        v.owner_mentions = &[];
        let m = alert_message(&v);
        assert_fits(&m);
        let text = all_text(&m.blocks);
        assert!(text.contains("🔕 Muted until <!date^1714737600^"), "{text}");
        assert!(text.contains("is not in the dbt manifest"), "{text}");
        assert!(text.contains("alert (airflow)"), "{text}");
        assert!(text.contains("*Owners*: ana@example.com"), "{text}");
    }

    #[test]
    fn a_huge_alert_still_fits_and_says_where_the_rest_is() {
        let evil = "*bold* <!channel> <script> & `tick` ```fence``` _it_ ~s~ ".repeat(40);
        let mut group = Vec::new();
        for id in 0..60 {
            let mut i = issue(
                1000 + id,
                &format!("model.shop.{}", "very_long_model_name_".repeat(20)),
                &format!("test.shop.{}{id}.abc", evil.replace(' ', "_")),
            );
            i.env = evil.clone();
            i.message = Some(format!("{}\n", "x".repeat(10_000)).repeat(3) + &evil);
            i.failures = Some(9_999_999_999);
            i.run_id = Some(evil.clone());
            i.assignee = Some(evil.clone());
            i.source_system = Some(evil.clone());
            i.owners = vec![evil.clone(); 100];
            i.muted_until = Some(evil.clone());
            i.url = Some(format!("https://example.com/{}", "p".repeat(5_000)));
            i.root_cause_of = (0..500).collect();
            i.symptoms = (0..500)
                .map(|n| Symptom {
                    unique_id: format!("model.shop.m{n}_{}", "z".repeat(200)),
                    status: if n % 2 == 0 {
                        "skipped".into()
                    } else {
                        evil.clone()
                    },
                    issue: (n % 2 == 1).then_some(5000 + n),
                })
                .collect();
            group.push(i);
        }
        let impact = Impact {
            data_products: vec![evil.clone(); 1000],
            exposures: vec![format!("exposure.shop.{evil}"); 1000],
            owners: vec![evil.clone(); 10],
            downstream_count: 100_000,
            models: 15_000,
        };
        let mentions: Vec<String> = (0..500).map(|n| format!("<@U{n:08}>")).collect();
        let comments: Vec<Comment> = (0..10)
            .map(|n| Comment {
                id: n,
                author: evil.clone(),
                body: evil.repeat(10),
                at: evil.clone(),
            })
            .collect();
        let links = Links {
            docs_url: Some(format!("https://docs/{}", "d|<>".repeat(2_000))),
            run_url: Some(format!("https://run/{evil}")),
            log_url: Some(format!("javascript:{evil}")),
        };
        let v = AlertView {
            group: &group,
            impact: Some(&impact),
            owner_mentions: &mentions,
            tell_mentions: &mentions,
            recent_comments: &comments,
            links: &links,
            incident: Some((9, &evil)),
            compiled_sql_available: true,
            now: now(),
        };
        let m = alert_message(&v);
        assert_fits(&m);
        assert_all_well_formed(&m.blocks);
        let mut md_texts = Vec::new();
        for b in &m.blocks {
            if b["type"] != "header" {
                collect(b, "text", &mut md_texts);
            }
        }
        let md_texts = md_texts.join("\n");
        assert!(
            !md_texts.contains("<!channel>"),
            "channel ping must be escaped"
        );
        assert!(!md_texts.contains("<script>"));
        assert!(!m.text.contains("<!channel>"));
        let text = all_text(&m.blocks);
        assert!(text.contains("… and 55 more checks failing"), "{text}");
        assert!(text.contains("see `steward issue 1000`"), "{text}");
        assert!(
            text.contains("more lines") || text.contains("… (see `steward issue"),
            "{text}"
        );
        assert!(text.contains("• 750 failing below: #5001 `m1_"), "{text}");
        assert!(text.contains("• 250 skipped: `m0_"), "{text}");
        assert!(text.contains("… and 488 more"), "{text}");
        assert!(
            text.contains("Docs: link too long to show (see `steward issue 1000`)"),
            "{text}"
        );
        assert!(text.contains("Logs: `javascript:"), "{text}");
        assert_eq!(m.blocks.last().unwrap()["block_id"], "steward.issue.1000");
        assert!(action_ids(&m.blocks).contains(&"steward.show_sql".to_owned()));
        assert!(m.text.chars().count() <= 1_000);
        assert!(m.text.contains("and 57 more"), "{}", m.text);
    }

    #[test]
    fn every_alert_size_fits() {
        let c = ctx();
        for n in [1usize, 2, 5, 6, 20, 200] {
            for msg_len in [0usize, 100, 2_999, 3_000, 3_001, 12_000] {
                let group: Vec<Issue> = (0..n)
                    .map(|k| {
                        let mut i = test_issue(k as i64 + 1);
                        i.message = (msg_len > 0).then(|| "é&<".repeat(msg_len / 3));
                        i.symptoms = (0..n * 3)
                            .map(|s| Symptom {
                                unique_id: format!("model.p.m{s}"),
                                status: "skipped".into(),
                                issue: None,
                            })
                            .collect();
                        i
                    })
                    .collect();
                let m = alert_message(&view(&group, &c));
                assert_fits(&m);
                assert_all_well_formed(&m.blocks);
                assert_eq!(m.blocks.last().unwrap()["type"], "actions");
            }
        }
        let empty = alert_message(&view(&[], &c));
        assert_fits(&empty);
    }

    #[test]
    fn the_sql_modal_splits_and_points_to_the_full_text() {
        let sql = "select\n  payment_id,\n  amount_cents / 100.0 as amount\nfrom raw.stripe.payments\nwhere status <> 'failed' and a < b && c > d";
        let v = sql_modal(12, "model.shop.stg_shop__payments", sql);
        assert_view_fits(&v);
        assert_eq!(v.0["type"], "modal");
        assert_eq!(v.0["title"]["text"], "Compiled SQL");
        assert_eq!(v.0["private_metadata"], r#"{"issue":12}"#);
        let blocks = v.0["blocks"].as_array().unwrap();
        assert_eq!(blocks.len(), 2);
        let body = blocks[1]["text"]["text"].as_str().unwrap();
        assert!(body.starts_with("```select\n"), "{body}");
        assert!(
            body.contains("status &lt;&gt; 'failed' and a &lt; b &amp;&amp; c &gt; d```"),
            "{body}"
        );

        let line = "select a.*, b.`col` from `proj.ds.t` a join b on a.id = b.id -- <&> ``` x\n";
        let big = line.repeat(60_000 / line.len() + 1);
        let v = sql_modal(7, "model.shop.big", &big);
        assert_view_fits(&v);
        let blocks = v.0["blocks"].as_array().unwrap();
        assert_eq!(blocks.len(), 1 + SQL_SECTIONS + 1);
        let last = blocks.last().unwrap()["text"]["text"].as_str().unwrap();
        assert!(last.contains("target/compiled/"), "{last}");
        assert!(last.contains("steward issue 7 --json"), "{last}");
        assert!(last.contains("more characters not shown"), "{last}");
        for b in &blocks[1..=SQL_SECTIONS] {
            let t = b["text"]["text"].as_str().unwrap();
            assert!(t.starts_with("```") && t.ends_with("```"));
            assert_eq!(t.matches("```").count(), 2, "{t}");
            assert!(
                t.trim_end_matches("```").ends_with(" x"),
                "split at a line end"
            );
        }

        let one_line_sql = "x".repeat(10_000);
        let v = sql_modal(8, "m", &one_line_sql);
        assert_view_fits(&v);
        let shown: usize = v.0["blocks"].as_array().unwrap()[1..]
            .iter()
            .map(|b| b["text"]["text"].as_str().unwrap().matches('x').count())
            .sum();
        assert_eq!(shown, 10_000, "nothing lost when it fits");

        let v = sql_modal(9, "m", "");
        assert_view_fits(&v);
        assert!(all_text(v.0["blocks"].as_array().unwrap()).contains("No compiled SQL"));
    }

    #[test]
    fn the_declare_modal_has_its_inputs() {
        let d = DeclareDraft {
            issue_id: 12,
            title: "stg_shop__payments failing in prod".into(),
            candidates: vec![
                (12, "stg_shop__payments: run".into()),
                (14, "orders: unique_orders_id".into()),
            ],
            preselected: vec![12],
            severity: Some("sev2".into()),
        };
        let v = declare_modal(&d);
        assert_view_fits(&v);
        let m = &v.0;
        assert_eq!(m["callback_id"], "steward.declare");
        assert_eq!(m["submit"]["text"], "Declare");
        let meta: Value = serde_json::from_str(m["private_metadata"].as_str().unwrap()).unwrap();
        assert_eq!(meta, json!({"issue": 12}));
        let blocks = m["blocks"].as_array().unwrap();
        let ids: Vec<&str> = blocks
            .iter()
            .filter_map(|b| b["block_id"].as_str())
            .collect();
        assert_eq!(
            ids,
            ["title", "severity", "description", "commander", "issues"]
        );
        assert_eq!(
            action_ids(blocks),
            [
                "steward.title",
                "steward.severity",
                "steward.description",
                "steward.commander",
                "steward.issues"
            ]
        );
        assert_eq!(
            blocks[0]["element"]["initial_value"],
            "stg_shop__payments failing in prod"
        );
        assert_eq!(blocks[1]["element"]["initial_option"]["value"], "SEV2");
        assert_eq!(blocks[2]["element"]["multiline"], true);
        assert_eq!(blocks[2]["optional"], true);
        assert_eq!(blocks[3]["element"]["type"], "users_select");
        assert_eq!(blocks[3]["optional"], true);
        assert_eq!(blocks[4]["element"]["type"], "multi_static_select");
        assert_eq!(blocks[4]["element"]["initial_options"][0]["value"], "12");
        assert_eq!(
            blocks[4]["element"]["initial_options"]
                .as_array()
                .unwrap()
                .len(),
            1
        );

        let big = DeclareDraft {
            issue_id: 1,
            title: "T<&>*".repeat(100),
            candidates: (0..300)
                .map(|n| (n, format!("{}{n}", "long label *<&> ".repeat(20))))
                .collect(),
            preselected: vec![250, 299, 9999],
            severity: Some("bogus".into()),
        };
        let v = declare_modal(&big);
        assert_view_fits(&v);
        let blocks = v.0["blocks"].as_array().unwrap();
        let el = &blocks[4]["element"];
        assert_eq!(el["options"].as_array().unwrap().len(), 100);
        let initial: Vec<&str> = el["initial_options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["value"].as_str().unwrap())
            .collect();
        assert_eq!(initial, ["250", "299"]);
        assert!(blocks[1]["element"].get("initial_option").is_none());
        assert_eq!(
            blocks[0]["element"]["initial_value"]
                .as_str()
                .unwrap()
                .chars()
                .count(),
            150
        );
        assert!(all_text(blocks).contains("Showing 100 of 300"));

        let none = declare_modal(&DeclareDraft {
            issue_id: 3,
            title: String::new(),
            ..Default::default()
        });
        assert_view_fits(&none);
        assert!(all_text(none.0["blocks"].as_array().unwrap()).contains("issue #3 will be linked"));
    }

    #[test]
    fn the_reason_and_comment_modals() {
        let v = reason_modal(12, "fixed", None);
        assert_view_fits(&v);
        assert_eq!(v.0["callback_id"], "steward.reason");
        assert_eq!(v.0["title"]["text"], "Resolve: fixed");
        let meta: Value = serde_json::from_str(v.0["private_metadata"].as_str().unwrap()).unwrap();
        assert_eq!(meta, json!({"issue": 12, "resolution": "fixed"}));
        let blocks = v.0["blocks"].as_array().unwrap();
        let cats: Vec<&str> = blocks[1]["element"]["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["value"].as_str().unwrap())
            .collect();
        assert_eq!(
            cats,
            [
                "upstream_source_late",
                "code_change",
                "schema_change",
                "infrastructure",
                "bad_data_at_source",
                "other"
            ]
        );
        assert_eq!(blocks[2]["element"]["multiline"], true);
        assert_eq!(
            action_ids(blocks),
            ["steward.reason_category", "steward.reason_text"]
        );
        assert_eq!(
            reason_modal(1, "false_positive", None).0["title"]["text"],
            "Resolve: false positive"
        );
        assert_view_fits(&reason_modal(1, &"<&>*".repeat(1_000), None));

        // An issue of an open incident: a warning and a required confirmation.
        let v = reason_modal(12, "fixed", Some(3));
        assert_view_fits(&v);
        let text = v.0.to_string();
        assert!(
            text.contains("part of *INC-3*, which is still open"),
            "{text}"
        );
        let confirm = v.0["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["block_id"] == "confirm")
            .expect("a confirm block");
        assert_eq!(confirm["optional"], false);
        assert_eq!(confirm["element"]["type"], "checkboxes");
        assert_eq!(
            v.0["private_metadata"],
            r#"{"incident":3,"issue":12,"resolution":"fixed"}"#
        );

        let v = comment_modal(12);
        assert_view_fits(&v);
        assert_eq!(v.0["callback_id"], "steward.comment");
        assert_eq!(v.0["private_metadata"], r#"{"issue":12}"#);
        assert_eq!(
            action_ids(v.0["blocks"].as_array().unwrap()),
            ["steward.comment_text"]
        );
        assert_view_fits(&comment_modal(i64::MIN));
    }

    #[test]
    fn the_expected_reason_modal_asks_how_long_to_mute_the_check() {
        let v = reason_modal(12, "expected", None);
        assert_view_fits(&v);
        let blocks = v.0["blocks"].as_array().unwrap();
        assert_eq!(
            action_ids(blocks),
            [
                "steward.reason_category",
                "steward.reason_text",
                "steward.mute_for"
            ]
        );
        let mute = blocks.last().unwrap();
        assert_eq!(mute["type"], "input");
        assert_eq!(mute["block_id"], "mute_for");
        assert_eq!(mute["label"]["text"], "Mute this check for");
        assert_eq!(mute["element"]["type"], "static_select");
        let values: Vec<&str> = mute["element"]["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["value"].as_str().unwrap())
            .collect();
        assert_eq!(values, ["24h", "7d", "30d"]);
        assert_eq!(mute["element"]["initial_option"]["value"], "24h");
        for value in values {
            assert!(crate::config::parse_duration(value).is_some(), "{value}");
        }
        // Only `expected` mutes.
        for other in ["fixed", "false_positive"] {
            let v = reason_modal(12, other, None);
            assert!(
                !v.0.to_string().contains("mute_for"),
                "{other} has no mute select"
            );
        }
    }

    #[test]
    fn thread_replies() {
        let m = activity_reply("<@U1ANA>", "assigned <@U2BO>");
        assert_fits(&m);
        assert_eq!(m.text, "<@U1ANA> assigned <@U2BO>");
        let m = activity_reply(
            "<@U1ANA>",
            "commented: a < b & <!channel> <!subteam^S1DATA>",
        );
        assert_eq!(
            m.text,
            "<@U1ANA> commented: a &lt; b &amp; &lt;!channel&gt; <!subteam^S1DATA>"
        );
        assert_fits(&activity_reply(&"x".repeat(5_000), &"<&>".repeat(5_000)));

        let mut i = payments();
        i.status = "resolved".into();
        i.resolution = Some("recovered".into());
        i.resolved_at = Some("2024-05-02T12:00:00.000000Z".into());
        let m = recovery_reply(&i, now());
        assert_fits(&m);
        assert_eq!(m.text, "✅ `run` recovered after 2h 13m, 4 failing runs");
        i.resolved_at = None;
        i.resolution = Some("fixed".into());
        i.resolution_reason = Some("backfilled <raw>".into());
        i.occurrences = 1;
        let m = recovery_reply(&i, now() + chrono::Duration::hours(1));
        assert_eq!(
            m.text,
            "✅ `run` resolved as fixed after 3h 13m, 1 failing run: backfilled &lt;raw&gt;"
        );
        i.resolution_reason = Some("y".repeat(50_000));
        assert_fits(&recovery_reply(&i, now()));

        let mut t = test_issue(14);
        t.occurrences = 5;
        let m = repeat_failure_reply(&t);
        assert_fits(&m);
        assert!(m.text.starts_with("🔁 `not_null_stg_shop__payments_payment_id` failed again (fail): 5 failing runs since <!date^"), "{}", m.text);
        assert!(m.text.contains("37 failing rows now"));
        assert!(all_text(&m.blocks).contains("```Got 37 results"));
        t.message = Some("z".repeat(20_000));
        t.check = "q".repeat(5_000);
        assert_fits(&repeat_failure_reply(&t));
    }

    #[test]
    fn the_incident_message() {
        let issues = [payments(), test_issue(14)];
        let impact = ctx().impact;
        let v = IncidentView {
            number: 7,
            title: "Payments late & <broken>",
            severity: "SEV2",
            status: "investigating",
            commander: Some("<@U0123ANA>"),
            issues: &issues,
            impact: Some(&impact),
            declared_by: "<@U0456BO>",
            declared_at: "2024-05-02T11:58:00.000000Z",
            teams: &[crate::incidents::TeamContact {
                name: "finance".into(),
                slack_group: Some("S0FINANCE1".into()),
                channel: Some("C0FINANCE1".into()),
                why: vec!["owns data product Finance reporting".into()],
            }],
        };
        let m = incident_message(&v);
        assert_fits(&m);
        assert_eq!(
            m.blocks[0]["text"]["text"],
            "🚨 INC-7: Payments late & <broken>"
        );
        assert_eq!(
            m.text,
            "🚨 INC-7 (SEV2): Payments late &amp; &lt;broken&gt;, 2 linked issues"
        );
        let text = all_text(&m.blocks);
        for needle in [
            "*Commander*\n<@U0123ANA>",
            "*Declared by*\n<@U0456BO>",
            "*Linked issues*",
            "*#12*",
            "*#14*",
            "*Finance reporting*",
            "*Teams to contact*",
            "*finance* <!subteam^S0FINANCE1> <#C0FINANCE1> — owns data product Finance reporting",
        ] {
            assert!(text.contains(needle), "missing {needle:?}: {text}");
        }
        let actions = m.blocks.last().unwrap();
        assert_eq!(actions["block_id"], "steward.incident.7");
        assert_eq!(
            action_ids(&m.blocks),
            [
                "steward.incident.status",
                "steward.incident.severity",
                "steward.incident.commander",
                "steward.incident.link",
                "steward.incident.comment",
                "steward.incident.resolve",
                "steward.incident.postmortem"
            ]
        );
        assert!(
            actions["elements"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["value"] == "7")
        );

        let many: Vec<Issue> = (0..300)
            .map(|n| {
                let mut i = test_issue(n);
                i.asset = format!("model.x.{}", "*<&>".repeat(50));
                i
            })
            .collect();
        let long = "T".repeat(1_000);
        let v = IncidentView {
            issues: &many,
            title: &long,
            commander: None,
            status: "resolved",
            ..v
        };
        let m = incident_message(&v);
        assert_fits(&m);
        assert_all_well_formed(&m.blocks);
        let text = all_text(&m.blocks);
        assert!(text.contains("… and 2"), "{text}");
        assert!(text.contains("more (`steward issues`)"), "{text}");
        // Resolved: reopen, updates and the report only.
        assert_eq!(
            action_ids(&m.blocks),
            [
                "steward.incident.status",
                "steward.incident.comment",
                "steward.incident.postmortem"
            ]
        );
        assert!(text.contains("Reopen"), "{text}");
    }

    #[test]
    fn the_home_tab_caps_everything() {
        let mut mine = payments();
        mine.assignee = Some("<@U0123ANA>".into());
        mine.status = "acknowledged".into();
        let products = vec![("Finance".to_owned(), vec![mine.clone(), test_issue(14)])];
        let unowned = vec![issue(20, "model.shop.orders", "run")];
        let muted = vec![(
            "model.shop.events".to_owned(),
            "2024-05-03T12:00:00.000000Z".to_owned(),
        )];
        let status = vec![HomeProduct {
            name: "Finance".into(),
            status: crate::products::Status::Degraded,
            uptime: 0.999,
            window: "30d".into(),
            sla_target: Some(0.995),
            incidents: Vec::new(),
        }];
        let h = HomeView {
            by_product: &products,
            unowned: &unowned,
            mine: std::slice::from_ref(&mine),
            muted: &muted,
            products: &status,
            open_incidents: &[],
            now: now(),
        };
        let v = home_view(&h);
        assert_view_fits(&v);
        assert_eq!(v.0["type"], "home");
        let text = all_text(v.0["blocks"].as_array().unwrap());
        for needle in [
            "*Assigned to you*",
            "*📦 Finance* · 2 open",
            "*No data product*",
            "*Muted*",
            "`events` until <!date^",
            "3 open issues · 1 data product affected · 1 assigned to you",
            "📊 Data products",
            "🟡 *Finance* · degraded · 99.90% uptime 30d (SLA 99.50% met)",
            "*Open incidents*\nNone.",
        ] {
            assert!(text.contains(needle), "missing {needle:?}: {text}");
        }

        let issues: Vec<Issue> = (0..300)
            .map(|n| {
                let mut i = test_issue(n);
                i.check = format!("test.x.{}", "c*<>&".repeat(60));
                i
            })
            .collect();
        let products: Vec<(String, Vec<Issue>)> = (0..120)
            .map(|p| (format!("{} {p}", "Product*<&>".repeat(30)), issues.clone()))
            .collect();
        let muted: Vec<(String, String)> = (0..200)
            .map(|n| (format!("model.x.m{n}"), "until fixed".to_owned()))
            .collect();
        let status: Vec<HomeProduct> = (0..120)
            .map(|p| HomeProduct {
                name: format!("{} {p}", "Product*<&>".repeat(30)),
                status: crate::products::Status::Incident,
                uptime: 0.5,
                window: "30d".into(),
                sla_target: Some(0.999),
                incidents: (0..50).map(|n| format!("INC-{n}")).collect(),
            })
            .collect();
        let h = HomeView {
            by_product: &products,
            unowned: &issues,
            mine: &issues,
            muted: &muted,
            products: &status,
            open_incidents: &[],
            now: now(),
        };
        let v = home_view(&h);
        assert_view_fits(&v);
        let blocks = v.0["blocks"].as_array().unwrap();
        assert!(blocks.len() <= limits::VIEW_BLOCKS);
        assert_all_well_formed(blocks);
        let text = all_text(blocks);
        assert!(
            text.contains("… and 80 more data products with 24,000 open issues"),
            "{text}"
        );
        assert!(text.contains("… and 185 more"), "muted capped: {text}");
        assert!(text.contains("… and 2"), "{text}");

        let empty = home_view(&HomeView {
            by_product: &[],
            unowned: &[],
            mine: &[],
            muted: &[],
            products: &[],
            open_incidents: &[],
            now: now(),
        });
        assert_view_fits(&empty);
        assert!(all_text(empty.0["blocks"].as_array().unwrap()).contains("No open issues"));
    }

    #[test]
    fn lists_and_plain_answers() {
        let issues = [payments(), test_issue(14)];
        let m = issue_list(&issues, "Open issues on <prod>");
        assert_fits(&m);
        assert_eq!(m.text, "Open issues on &lt;prod&gt;: 2 issues");
        let text = all_text(&m.blocks);
        assert!(
            text.contains("🔴 *#12* `stg_shop__payments` · `run` error · `prod` · open"),
            "{text}"
        );

        let many: Vec<Issue> = (0..300)
            .map(|n| {
                let mut i = test_issue(n);
                i.assignee = Some("x&".repeat(100));
                i
            })
            .collect();
        let m = issue_list(&many, &"t".repeat(500));
        assert_fits(&m);
        assert_all_well_formed(&m.blocks);
        let text = all_text(&m.blocks);
        assert!(text.contains("more: `steward issues`"), "{text}");

        let m = issue_list(&[], "Mine");
        assert_fits(&m);
        assert!(all_text(&m.blocks).contains("No issues."));

        let m = ephemeral_text("Assigned #12 to <@U1ANA>. a<b");
        assert_fits(&m);
        assert_eq!(m.text, "Assigned #12 to <@U1ANA>. a&lt;b");
        let m = ephemeral_text(&"long & <text> ".repeat(1_000));
        assert_fits(&m);
        assert!(m.text.ends_with("… (cut to fit Slack)"));
        assert_fits(&ephemeral_text(""));
    }

    #[test]
    fn cutting_never_breaks_entities_tokens_or_code_blocks() {
        let s = format!(
            "a &amp; <@U1ABC> b &lt;c&gt; <https://x.io/?a=1&b=2|link> ```code &amp; {}``` tail {}",
            "q".repeat(50),
            "<!date^1^{time}|t> ".repeat(5)
        );
        for max in 40..s.chars().count() + 2 {
            let c = cut(&s, max, "see `steward issue 1`");
            assert!(c.chars().count() <= max, "{max}: {c}");
            assert_well_formed(&c);
        }
        assert_eq!(cut("short", 10, "p"), "short");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(-1_000), "-1,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(
            escape_text("&amp; & <@U1> <!here> <https://a.b|c>"),
            "&amp; &amp; <@U1> &lt;!here&gt; <https://a.b|c>"
        );
        assert_eq!(mention("U0123ANA"), "<@U0123ANA>");
        assert_eq!(mention("ana@example.com"), "ana@example.com");
        assert_eq!(mention("<script>"), "&lt;script&gt;");
        assert_eq!(code("a`b<c"), "`a'b&lt;c`");
    }

    #[test]
    fn messages_serialise_for_the_api() {
        let m = ephemeral_text("hi");
        let v = m.to_json("C123", Some("1714643220.000100"));
        assert_eq!(v["channel"], "C123");
        assert_eq!(v["thread_ts"], "1714643220.000100");
        assert_eq!(v["text"], "hi");
        assert!(m.to_json("C1", None).get("thread_ts").is_none());
    }

    #[test]
    fn incident_modals_fit_slack() {
        for v in [
            incident_status_modal(12345, "identified"),
            incident_resolve_modal(12345),
            incident_comment_modal(7, &[]),
            incident_comment_modal(7, &vec!["C0FINANCE1".to_owned(); 40]),
        ] {
            assert!(v.violations().is_empty(), "{:?}", v.violations());
        }
        // With product channels, the update also goes to them unless unticked.
        let v = incident_comment_modal(7, &["C0FINANCE1".to_owned(), "data-eng".to_owned()]);
        let notify = &v.0["blocks"][1];
        assert_eq!(notify["block_id"], "notify");
        assert_eq!(notify["element"]["initial_options"][0]["value"], "products");
        assert!(
            v.0.to_string().contains("<#C0FINANCE1> #data-eng"),
            "{}",
            v.0
        );
        assert_eq!(
            incident_comment_modal(7, &[]).0["blocks"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let v = incident_status_modal(3, "identified");
        assert_eq!(
            v.0["blocks"][0]["element"]["initial_option"]["value"],
            "identified"
        );
    }
}
