//! Block Kit for data products: the status-change post in a product's channel and the status
//! page section of the App Home.

use super::kit::{
    Message, bold, clip, context_md, cut, escape, header, mention, one_line, plural, section,
    thousands, when,
};
use crate::domain::announcements::Announcement;
use crate::domain::incidents::Incident;
use crate::domain::status::Status;
use chrono::{DateTime, Utc};
use serde_json::Value;

fn status_emoji(s: Status) -> &'static str {
    match s {
        Status::Operational => "🟢",
        Status::Degraded => "🟡",
        Status::Incident => "🔴",
    }
}

/// `<#C123>` for a channel id, else the name as escaped text.
pub(super) fn channel_ref(channel: &str) -> String {
    let m = crate::domain::text::channel_mention(channel);
    if m.starts_with("<#") {
        m
    } else {
        escape(&clip(&one_line(&m), 80))
    }
}

fn incident_line(i: &Incident, now: DateTime<Utc>) -> String {
    let title = escape(&clip(&one_line(&i.title), 150));
    if i.status == "resolved" {
        let took = match (
            i.impact_started.as_deref().or(Some(i.declared.as_str())),
            i.resolved.as_deref(),
        ) {
            (Some(a), Some(b)) => match (super::kit::parse_ts(a), super::kit::parse_ts(b)) {
                (Some(a), Some(b)) if b >= a => {
                    format!(
                        " after {}",
                        crate::sources::artifacts::human_duration((b - a).num_seconds())
                    )
                }
                _ => String::new(),
            },
            _ => String::new(),
        };
        let summary = i
            .summary
            .as_deref()
            .map(|s| format!(": {}", escape(&clip(&one_line(s), 300))))
            .unwrap_or_default();
        format!("✅ *{}* resolved{took}: {title}{summary}", i.id)
    } else {
        let commander = i
            .commander
            .as_deref()
            .filter(|c| !c.trim().is_empty())
            .map(|c| format!(" · commander {}", mention(c)))
            .unwrap_or_default();
        format!(
            "🚨 *{}* ({}) · {} · declared {}{commander}: {title}",
            i.id,
            escape(&clip(&i.severity, 10)),
            escape(&clip(&i.status, 20)),
            when(&i.declared, Some(now)),
        )
    }
}

/// The post in a data product's channel when its status changes or an incident starts or stops
/// affecting it: what it is now, which incidents, and where to follow them. No raw issues.
pub fn product_update(
    a: &Announcement,
    incidents: &[Incident],
    incidents_channel: &str,
    now: DateTime<Utc>,
) -> Message {
    let name = bold(&clip(&a.product, 100));
    let headline = match (a.from, a.to) {
        (_, Status::Incident) if !a.incidents_added.is_empty() => {
            format!("{} {name} is affected by an incident", status_emoji(a.to))
        }
        (Status::Incident, Status::Incident) => {
            format!(
                "{} {name} is still affected by an incident",
                status_emoji(a.to)
            )
        }
        (_, Status::Degraded) => format!("{} {name} is degraded", status_emoji(a.to)),
        (_, Status::Operational) => format!("{} {name} is operational again", status_emoji(a.to)),
        (_, Status::Incident) => {
            format!("{} {name} is affected by an incident", status_emoji(a.to))
        }
    };
    let mut blocks: Vec<Value> = vec![section(None, &headline)];
    let find = |id: &String| incidents.iter().find(|i| &i.id == id);
    let mut lines: Vec<String> = Vec::new();
    for id in &a.incidents_added {
        match find(id) {
            Some(i) => lines.push(incident_line(i, now)),
            None => lines.push(format!("🚨 *{}*", escape(&clip(id, 20)))),
        }
    }
    for id in &a.incidents_removed {
        match find(id) {
            Some(i) if i.status == "resolved" => lines.push(incident_line(i, now)),
            _ => lines.push(format!("*{}* no longer affects it", escape(&clip(id, 20)))),
        }
    }
    let still: Vec<&String> = a
        .incidents
        .iter()
        .filter(|i| !a.incidents_added.contains(i))
        .collect();
    if !still.is_empty() && (!a.incidents_added.is_empty() || !a.incidents_removed.is_empty()) {
        lines.push(format!(
            "Still open: {}",
            still
                .iter()
                .map(|s| escape(&clip(s, 20)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if a.to == Status::Degraded {
        lines.push(format!(
            "{} open {} upstream; no incident is declared. The data may be late or incomplete.",
            thousands(a.open_issues as i64),
            plural(a.open_issues as i64, "issue", "issues")
        ));
    }
    if !lines.is_empty() {
        blocks.push(section(
            None,
            &cut(&lines.join("\n"), 2_900, " (see `steward incidents`)"),
        ));
    }
    let mut context = Vec::new();
    if a.to == Status::Incident || !a.incidents_removed.is_empty() {
        context.push(format!("Follow it in {}", channel_ref(incidents_channel)));
    }
    if let Some(t) = a.tier {
        context.push(format!("tier {t}"));
    }
    if let Some(team) = &a.team {
        context.push(format!("owned by {}", escape(&clip(&one_line(team), 80))));
    }
    context.push(format!("was {}", a.from));
    blocks.push(context_md(&context.join(" · ")));
    let text = cut(
        &format!(
            "{} {} is {}{}",
            status_emoji(a.to),
            escape(&clip(&one_line(&a.product), 100)),
            a.to,
            if a.incidents.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    a.incidents
                        .iter()
                        .map(|s| escape(&clip(s, 20)))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ),
        1_000,
        "",
    );
    Message { text, blocks }
}

/// One data product on the Home tab's status page.
#[derive(Debug, Clone, PartialEq)]
pub struct HomeProduct {
    pub name: String,
    pub status: Status,
    /// Uptime over `window` (the product's SLA window, 30 days unless configured), a fraction.
    pub uptime: f64,
    /// The window's label, e.g. `30d`.
    pub window: String,
    /// The SLA target as a fraction, if any.
    pub sla_target: Option<f64>,
    pub incidents: Vec<String>,
}

/// The Home tab's status page: one line per data product (status, uptime against its SLA,
/// open incidents), then the open incidents. At most `max_lines` products are listed; the rest are
/// counted, worst first.
pub fn status_page_blocks(
    products: &[HomeProduct],
    open_incidents: &[Incident],
    now: DateTime<Utc>,
) -> Vec<Value> {
    let mut sorted: Vec<&HomeProduct> = products.iter().collect();
    sorted.sort_by(|a, b| {
        let rank = |s: Status| match s {
            Status::Incident => 0,
            Status::Degraded => 1,
            Status::Operational => 2,
        };
        rank(a.status)
            .cmp(&rank(b.status))
            .then(a.uptime.total_cmp(&b.uptime))
            .then(a.name.cmp(&b.name))
    });
    let lines: Vec<String> = sorted
        .iter()
        .map(|p| {
            let sla = match p.sla_target {
                Some(t) if p.uptime + 1e-12 >= t => format!(" (SLA {} met)", pct(t)),
                Some(t) => format!(" (SLA {} *missed*)", pct(t)),
                None => String::new(),
            };
            let inc = if p.incidents.is_empty() {
                String::new()
            } else {
                format!(
                    " · {}",
                    p.incidents
                        .iter()
                        .map(|s| escape(&clip(s, 20)))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            format!(
                "{} {} · {} · {} uptime {}{sla}{inc}",
                status_emoji(p.status),
                bold(&clip(&p.name, 80)),
                p.status,
                pct(p.uptime),
                escape(&clip(&p.window, 10)),
            )
        })
        .collect();
    let mut out = vec![header("📊 Data products")];
    if lines.is_empty() {
        out.push(section(
            Some("steward.home.products"),
            "No data products yet: define `[[products]]` in steward.toml or set `meta.data_product` in dbt.",
        ));
    } else {
        out.push(section(
            Some("steward.home.products"),
            super::list_text(
                "",
                &lines,
                25,
                super::limits::SECTION_TEXT,
                " (`steward report`)",
            )
            .trim_start_matches('\n'),
        ));
    }
    let inc_lines: Vec<String> = open_incidents
        .iter()
        .map(|i| incident_line(i, now))
        .collect();
    out.push(section(
        Some("steward.home.incidents"),
        &if inc_lines.is_empty() {
            "*Open incidents*\nNone. 🎉".to_owned()
        } else {
            super::list_text(
                "*Open incidents*",
                &inc_lines,
                10,
                super::limits::SECTION_TEXT,
                " (`steward incidents`)",
            )
        },
    ));
    out
}

/// A fraction as a percentage with enough digits to tell 99.95% from 100%.
fn pct(f: f64) -> String {
    let p = f * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{p:.0}%")
    } else if p >= 99.0 {
        // Rounded down, so 99.999% never shows as 100%.
        format!("{:.2}%", ((p * 100.0) + 1e-6).floor() / 100.0)
    } else {
        format!("{p:.1}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lineage::Impact;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap()
    }

    fn incident(n: i64, status: &str) -> Incident {
        Incident {
            id: format!("INC-{n}"),
            number: n,
            title: "Orders <late> & *wrong*".into(),
            description: None,
            severity: "SEV2".into(),
            status: status.into(),
            commander: Some("U0ANA1".into()),
            declared_by: "<@U0BRUNO>".into(),
            issues: vec![1],
            root_causes: Vec::new(),
            impact: Impact::default(),
            impact_started: Some("2026-03-02T09:00:00Z".into()),
            detected: None,
            declared: "2026-03-02T09:30:00Z".into(),
            acknowledged: None,
            mitigated: None,
            resolved: (status == "resolved").then(|| "2026-03-02T11:15:00Z".to_owned()),
            summary: (status == "resolved").then(|| "Backfilled the late load".to_owned()),
            resolution_reason: None,
            merged_into: None,
            followups: Vec::new(),
            teams: Vec::new(),
        }
    }

    fn announcement(from: Status, to: Status, added: &[&str], removed: &[&str]) -> Announcement {
        Announcement {
            product: "orders".into(),
            channel: Some("C0ORDERS01".into()),
            team: Some("commerce".into()),
            tier: Some(1),
            from,
            to,
            incidents_added: added.iter().map(|s| s.to_string()).collect(),
            incidents_removed: removed.iter().map(|s| s.to_string()).collect(),
            incidents: if to == Status::Incident {
                added.iter().map(|s| s.to_string()).collect()
            } else {
                Vec::new()
            },
            open_issues: 2,
        }
    }

    fn text_of(m: &Message) -> String {
        serde_json::to_string(&m.blocks).unwrap()
    }

    #[test]
    fn an_incident_starting_names_it_its_commander_and_where_to_follow() {
        let a = announcement(Status::Degraded, Status::Incident, &["INC-4"], &[]);
        let m = product_update(&a, &[incident(4, "identified")], "C0INCIDEN1", now());
        assert!(m.violations().is_empty(), "{:?}", m.violations());
        let t = text_of(&m);
        assert!(t.contains("is affected by an incident"), "{t}");
        assert!(
            t.contains("INC-4") && t.contains("SEV2") && t.contains("<@U0ANA1>"),
            "{t}"
        );
        assert!(t.contains("Orders &lt;late&gt; &amp;"), "escaped: {t}");
        assert!(t.contains("<#C0INCIDEN1>"), "{t}");
        assert!(m.text.contains("orders is incident (INC-4)"), "{}", m.text);
    }

    #[test]
    fn a_resolution_says_how_long_and_the_summary() {
        let a = announcement(Status::Incident, Status::Operational, &[], &["INC-4"]);
        let m = product_update(&a, &[incident(4, "resolved")], "#data-incidents", now());
        let t = text_of(&m);
        assert!(t.contains("is operational again"), "{t}");
        assert!(t.contains("resolved after 2h 15m"), "{t}");
        assert!(t.contains("Backfilled the late load"), "{t}");
        assert!(m.violations().is_empty());
    }

    #[test]
    fn degraded_counts_issues_without_listing_them() {
        let a = announcement(Status::Operational, Status::Degraded, &[], &[]);
        let m = product_update(&a, &[], "C0INCIDEN1", now());
        let t = text_of(&m);
        assert!(
            t.contains("is degraded") && t.contains("2 open issues upstream"),
            "{t}"
        );
        assert!(!t.contains("Follow it in"), "{t}");
    }

    #[test]
    fn many_incidents_still_fit() {
        let ids: Vec<String> = (1..400).map(|n| format!("INC-{n}")).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let a = announcement(Status::Operational, Status::Incident, &refs, &[]);
        let incidents: Vec<Incident> = (1..400).map(|n| incident(n, "investigating")).collect();
        let m = product_update(&a, &incidents, "C0INCIDEN1", now());
        assert!(m.violations().is_empty(), "{:?}", m.violations());
    }

    #[test]
    fn the_home_status_page_puts_incidents_first_and_shows_the_sla() {
        let products = vec![
            HomeProduct {
                name: "marketing".into(),
                status: Status::Operational,
                uptime: 1.0,
                window: "30d".into(),
                sla_target: Some(0.99),
                incidents: vec![],
            },
            HomeProduct {
                name: "orders".into(),
                status: Status::Incident,
                uptime: 0.9912,
                window: "30d".into(),
                sla_target: Some(0.995),
                incidents: vec!["INC-4".into()],
            },
        ];
        let blocks = status_page_blocks(&products, &[incident(4, "investigating")], now());
        let t = serde_json::to_string(&blocks).unwrap();
        let orders = t.find("orders").unwrap();
        let marketing = t.find("marketing").unwrap();
        assert!(orders < marketing, "{t}");
        assert!(t.contains("99.12% uptime 30d (SLA 99.50% *missed*)"), "{t}");
        assert!(t.contains("100% uptime 30d (SLA 99% met)"), "{t}");
        assert!(t.contains("*Open incidents*"), "{t}");
        assert_eq!(pct(0.99951), "99.95%");
    }
}
