//! Messages that stand for many roots: a storm (roots that share one cause, with buttons that act
//! on every member) and a flood summary (one ingest brought more separate roots than a channel
//! should get messages; counts by owner, group and data product, the worst first, and a menu to
//! open each).

use super::alert::{
    AlertView, Links, alert_actions, impact_text, issue_emoji, outcome_word, worst_severity,
};
use super::kit::*;
use super::limits;
use crate::domain::issues::{Issue, Storm};
use crate::domain::text::short_name;
use crate::lineage::Impact;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Members listed one per line in a storm message; the rest are counted.
const MAX_MEMBERS: usize = 10;
/// Roots listed in a flood summary, and options in its "Open…" menu (Slack allows 100).
const MAX_FLOOD_LINES: usize = 12;
const MAX_FLOOD_OPTIONS: usize = 100;

/// A storm's message: its members (roots on several assets) and what they share.
#[derive(Debug, Clone, Copy)]
pub struct StormView<'a> {
    pub storm: &'a Storm,
    /// Every member, active first; `members[0]` is the actions' subject.
    pub members: &'a [Issue],
    /// The union of the members' impact.
    pub impact: Option<&'a Impact>,
    pub owner_mentions: &'a [String],
    pub tell_mentions: &'a [String],
    pub incident: Option<(i64, &'a str)>,
    /// Where to see every member (a signed page link), when pages are served.
    pub list_url: Option<&'a str>,
    pub now: DateTime<Utc>,
}

/// What the members are, in a word: "17 models", "12 tests", "5 failures".
fn members_word(members: &[&Issue]) -> String {
    let kind = |i: &Issue| -> &'static str {
        let node = i.node.as_deref().unwrap_or(&i.asset);
        match node.split('.').next().unwrap_or("") {
            "model" if i.check == "run" => "model",
            "test" => "test",
            "source" => "source",
            "seed" => "seed",
            "snapshot" => "snapshot",
            _ if i.check != "run" => "test",
            _ => "model",
        }
    };
    let n = members.len() as i64;
    let first = kind(members[0]);
    if members.iter().all(|i| kind(i) == first) {
        let many = format!("{first}s");
        format!("{n} {}", plural(n, first, &many))
    } else {
        format!("{n} failures")
    }
}

/// The storm's message, edited in place as members recover, change or join.
pub fn storm_message(v: &StormView) -> Message {
    let members: Vec<&Issue> = v.members.iter().collect();
    let Some(rep) = members.first().copied() else {
        return super::lists::ephemeral_text("Nothing to report: this storm has no members.");
    };
    let ptr = format!("`steward issues --storm {}`", v.storm.id);
    let active: Vec<&Issue> = members.iter().copied().filter(|i| i.is_active()).collect();
    let over = active.is_empty();
    let what = members_word(&members);
    let emoji = if over {
        "✅"
    } else if worst_severity(&members) == "warn" {
        "🟡"
    } else {
        "⛈️"
    };
    let state = if over {
        " · recovered".to_owned()
    } else if active.len() < members.len() {
        format!(" · {} still failing", active.len())
    } else {
        String::new()
    };
    let mut b = Blocks::new(limits::MESSAGE_BLOCKS, limits::MESSAGE_BLOCK_TEXT_TOTAL);
    let links = Links::default();
    let view = AlertView {
        group: v.members,
        impact: v.impact,
        owner_mentions: v.owner_mentions,
        tell_mentions: v.tell_mentions,
        recent_comments: &[],
        links: &links,
        incident: v.incident,
        compiled_sql_available: false,
        trackers: &[],
        tickets: &[],
        now: v.now,
    };
    let actions = alert_actions(&view, &members, over);
    b.hold(std::slice::from_ref(&actions));
    b.push(header(&clip(
        &format!("{emoji} {what}: {}{state}", one_line(&v.storm.label)),
        limits::HEADER_TEXT,
    )));
    let why = match v.storm.kind.as_str() {
        "schema" => "relations of one schema are missing or unreachable",
        "upstream" => "the same job upstream, outside dbt, failed",
        _ => "the same error",
    };
    b.section(
        Some(&format!("steward.storm.{}", v.storm.id)),
        &format!(
            "*One cause, {what}:* {why}.\n{}\nEach is its own issue; the buttons below act on every one still failing.",
            code_block(&clip(&v.storm.label, 600)),
        ),
        1_200,
        &ptr,
    );
    let mut lines: Vec<String> = members
        .iter()
        .take(MAX_MEMBERS)
        .map(|i| {
            format!(
                "{} *{}* {} — {} · #{}",
                issue_emoji(i),
                escape(&clip(&short_name(&i.asset), 80)),
                code(&clip(&short_name(&i.check), 60)),
                escape(&clip(&outcome_word(i), 30)),
                i.id
            )
        })
        .collect();
    if members.len() > MAX_MEMBERS {
        let more = members.len() - MAX_MEMBERS;
        let see = match v.list_url {
            Some(url) => link(url, "see all", ""),
            None => String::new(),
        };
        lines.push(format!("… and {more} more: {ptr} {see}"));
    }
    b.section(None, &lines.join("\n"), 2_800, &ptr);
    b.push(storm_facts(v, &members));
    if v.impact.is_some() || !v.tell_mentions.is_empty() {
        b.section(
            Some(&format!("steward.impact.storm.{}", v.storm.id)),
            &impact_text(v.impact, v.tell_mentions),
            1_500,
            &ptr,
        );
    }
    if !v.owner_mentions.is_empty() {
        b.section(
            None,
            &format!(
                "*Owners:* {}",
                capped(v.owner_mentions, 10, |m| m.clone(), ", ")
            ),
            800,
            &ptr,
        );
    }
    if let Some((n, title)) = v.incident {
        b.section(
            None,
            &format!("🚨 Part of *INC-{n}*: {}", escape(&one_line(title))),
            400,
            "",
        );
    }
    let note =
        (b.left_out > 0).then(|| format!("Some details did not fit in this message: {ptr}."));
    Message {
        text: cut(
            &format!(
                "{emoji} {what} in {}: {}",
                escape(&clip(&rep.env, 40)),
                escape(&one_line(&v.storm.label))
            ),
            1_000,
            "",
        ),
        blocks: b.finish(note, vec![actions]),
    }
}

fn storm_facts(v: &StormView, members: &[&Issue]) -> Value {
    let active = members.iter().filter(|i| i.is_active()).count();
    let assignee = members
        .iter()
        .find_map(|i| i.assignee.as_deref())
        .map(mention)
        .unwrap_or_else(|| "nobody yet".to_owned());
    let first = members
        .iter()
        .map(|i| i.first_seen.as_str())
        .min()
        .unwrap_or("");
    let skipped: usize = members.iter().map(|i| i.symptoms.len()).sum();
    let mut fields = vec![
        field("Failing", &format!("{active} of {}", members.len())),
        field("Assignee", &assignee),
        field("Environment", &code(&clip(&v.storm.env, 60))),
        field("Severity", worst_severity(members)),
        field("First seen", &when(first, Some(v.now))),
        field("Storm", &format!("#{}", v.storm.id)),
    ];
    if skipped > 0 {
        fields.push(field(
            "Below them",
            &format!("{} skipped or failing", thousands(skipped as i64)),
        ));
    }
    if let Some(run) = members.iter().find_map(|i| i.url.as_deref()) {
        fields.push(field("Run", &link(run, "open the run", "")));
    }
    json!({"type": "section", "block_id": format!("steward.facts.storm.{}", v.storm.id), "fields": fields})
}

/// One root of a flood, with what it touches.
#[derive(Debug, Clone)]
pub struct FloodRoot {
    pub issue: Issue,
    /// The dbt group of its asset, if any.
    pub group: Option<String>,
    /// The data products it affects.
    pub products: Vec<String>,
    /// Nodes below it (its impact's size), to rank the worst first.
    pub reach: usize,
}

/// A flood summary: too many separate roots from one ingest for one channel.
#[derive(Debug, Clone, Copy)]
pub struct FloodView<'a> {
    pub env: &'a str,
    pub roots: &'a [FloodRoot],
    /// The configured most top-level messages per ingest and channel.
    pub flood_max: usize,
    pub now: DateTime<Utc>,
}

/// Worst first: errors, then failing before recovered, then the widest reach, then the oldest.
pub fn rank_flood(roots: &mut [FloodRoot]) {
    roots.sort_by_key(|r| {
        (
            !r.issue.is_active(),
            r.issue.severity == "warn",
            std::cmp::Reverse(r.products.len()),
            std::cmp::Reverse(r.reach),
            r.issue.id,
        )
    });
}

fn counts(roots: &[FloodRoot], key: impl Fn(&FloodRoot) -> Vec<String>) -> String {
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for r in roots.iter().filter(|r| r.issue.is_active()) {
        for k in key(r) {
            *by.entry(k).or_default() += 1;
        }
    }
    let mut v: Vec<(String, usize)> = by.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if v.is_empty() {
        return "none".to_owned();
    }
    capped(
        &v,
        6,
        |(k, n)| format!("{} ({n})", escape(&clip(k, 40))),
        ", ",
    )
}

/// The flood summary, edited as its roots recover.
pub fn flood_message(v: &FloodView) -> Message {
    let roots = v.roots;
    let active = roots.iter().filter(|r| r.issue.is_active()).count();
    let errors = roots
        .iter()
        .filter(|r| r.issue.is_active() && r.issue.severity != "warn")
        .count();
    let emoji = if active == 0 { "✅" } else { "🌊" };
    let ptr = format!(
        "`steward issues --env {} --status open`",
        inline(&clip(v.env, 60))
    );
    let mut b = Blocks::new(limits::MESSAGE_BLOCKS, limits::MESSAGE_BLOCK_TEXT_TOTAL);
    let options: Vec<Value> = roots
        .iter()
        .filter(|r| r.issue.is_active())
        .take(MAX_FLOOD_OPTIONS)
        .map(|r| {
            option(
                &clip(
                    &format!(
                        "#{} {} · {}",
                        r.issue.id,
                        short_name(&r.issue.asset),
                        short_name(&r.issue.check)
                    ),
                    limits::OPTION_TEXT,
                ),
                &r.issue.id.to_string(),
            )
        })
        .collect();
    let tail: Vec<Value> = if options.is_empty() {
        Vec::new()
    } else {
        vec![json!({
            "type": "actions",
            "block_id": "steward.flood",
            "elements": [{
                "type": "static_select",
                "action_id": "steward.flood_open",
                "placeholder": plain("Open one…"),
                "options": options,
            }],
        })]
    };
    b.hold(&tail);
    b.push(header(&clip(
        &format!(
            "{emoji} {} separate failures in {} · {active} failing",
            roots.len(),
            v.env
        ),
        limits::HEADER_TEXT,
    )));
    b.section(
        None,
        &format!(
            "One run brought more separate failures than this channel should get messages (more than {}), so they are summed up here. Each is still its own issue; updates show in this message. *{errors}* {} failing.",
            v.flood_max,
            plural(errors as i64, "error is", "errors are"),
        ),
        800,
        &ptr,
    );
    b.push(json!({"type": "section", "fields": [
        field("By owner", &counts(roots, |r| if r.issue.owners.is_empty() { vec!["no owner".to_owned()] } else { r.issue.owners.clone() })),
        field("By group", &counts(roots, |r| vec![r.group.clone().unwrap_or_else(|| "no group".to_owned())])),
        field("By data product", &counts(roots, |r| if r.products.is_empty() { vec!["none".to_owned()] } else { r.products.clone() })),
    ]}));
    let mut lines: Vec<String> = roots
        .iter()
        .take(MAX_FLOOD_LINES)
        .map(|r| {
            let products = if r.products.is_empty() {
                String::new()
            } else {
                format!(" · affects {}", capped(&r.products, 3, |p| escape(p), ", "))
            };
            format!(
                "{} #{} *{}* {} — {}{products}",
                issue_emoji(&r.issue),
                r.issue.id,
                escape(&clip(&short_name(&r.issue.asset), 60)),
                code(&clip(&short_name(&r.issue.check), 50)),
                escape(&clip(&outcome_word(&r.issue), 20)),
            )
        })
        .collect();
    if roots.len() > MAX_FLOOD_LINES {
        lines.push(format!(
            "… and {} more: {ptr}",
            roots.len() - MAX_FLOOD_LINES
        ));
    }
    b.section(
        Some("steward.flood.worst"),
        &format!("*Worst first*\n{}", lines.join("\n")),
        2_900,
        &ptr,
    );
    let note =
        (b.left_out > 0).then(|| format!("Some details did not fit in this message: {ptr}."));
    Message {
        text: format!(
            "{emoji} {} separate failures in {} ({active} failing)",
            roots.len(),
            escape(&clip(v.env, 40))
        ),
        blocks: b.finish(note, tail),
    }
}

/// What a root's own message says once the root joined a storm: where its updates go now.
pub fn moved_into_storm(storm: &Storm, members: usize, channel: &str, ts: &str) -> Message {
    let url = crate::domain::text::slack_permalink(channel, ts);
    let text = format!(
        "⛈️ This failure is now one of {members} that share one cause: {}. Updates continue in {}.",
        escape(&clip(&one_line(&storm.label), 300)),
        link(&url, "the storm's message", "")
    );
    Message {
        text: format!("This failure is now part of storm #{}", storm.id),
        blocks: vec![section(None, &text)],
    }
}
