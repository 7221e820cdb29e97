//! The App Home tab: open issues per data product, those with none, yours, what is muted, and
//! the status page.

use super::kit::*;
use super::limits;
use super::lists::{issue_line, list_text};
use super::product::{HomeProduct, status_page_blocks};
use crate::domain::issues::Issue;
use crate::domain::text::short_name;
use chrono::{DateTime, Utc};
use serde_json::json;

/// A mute as the Home tab lists it: the asset, or only one check of it.
#[derive(Debug, Clone)]
pub struct HomeMute {
    pub asset: String,
    pub check: Option<String>,
    /// RFC 3339, or "until fixed".
    pub until: String,
    pub reason: Option<String>,
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
    pub muted: &'a [HomeMute],
    /// The status page: every data product's status and uptime.
    pub products: &'a [HomeProduct],
    pub open_incidents: &'a [crate::domain::incidents::Incident],
    /// `[[teams]] error_budget`s.
    pub budgets: &'a [crate::domain::metrics::budgets::TeamBudget],
    pub now: DateTime<Utc>,
}

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
    if !h.budgets.is_empty() {
        let lines: Vec<String> = h
            .budgets
            .iter()
            .map(|b| {
                format!(
                    "{} {}",
                    if b.overspent() { "🔥" } else { "⏳" },
                    escape(&clip(&crate::domain::metrics::budgets::line(b), 300))
                )
            })
            .collect();
        blocks.push(section(
            Some("steward.home.budgets"),
            &list_text(
                "*Error budgets* (failing-check hours per team)",
                &lines,
                10,
                limits::SECTION_TEXT,
                " (`steward report`)",
            ),
        ));
    }
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
            .map(|m| {
                let what = match &m.check {
                    // A check mute is not a whole-asset mute: say which check.
                    Some(check) => format!(
                        "{} (only {})",
                        code(&clip(&short_name(&m.asset), 80)),
                        code(&clip(&short_name(check), 80))
                    ),
                    None => code(&clip(&short_name(&m.asset), 80)),
                };
                let why = m
                    .reason
                    .as_deref()
                    .map(|r| format!(": {}", escape(&clip(r, 120))))
                    .unwrap_or_default();
                format!("🔕 {what} until {}{why}", when(&m.until, None))
            })
            .collect();
        blocks.push(section(
            Some("steward.home.muted"),
            &list_text("*Muted*", &lines, 15, limits::SECTION_TEXT, ""),
        ));
    }
    View(json!({"type": "home", "callback_id": "steward.home", "blocks": blocks}))
}
