//! Block Kit for the weekly reliability digest (see [`crate::domain::digest`]): a summary, the data
//! products (problems first), the week's incidents, the noisiest assets and the teams. Every list
//! is cut to fit Slack's limits and says how many more `steward digest` shows.

use super::kit::{
    Blocks, Message, bold, capped, clip, code, context_md, cut, escape, field, header, mention,
    one_line, plural, thousands,
};
use super::lists::list_text;
use crate::domain::digest::{Digest, IncidentWeek, ProductWeek, local_time};
use crate::domain::status::Status;
use crate::domain::text::short_name;
use crate::sources::artifacts::human_duration;
use serde_json::json;

/// " · <url|DATA-2> (In Progress)": a follow-up's ticket and the state last read back.
pub(super) fn followup_ticket(f: &crate::domain::incidents::Followup) -> String {
    let Some(key) = f.ticket_key.as_deref() else {
        return String::new();
    };
    let key = escape(&clip(key, 40));
    let mut out = match f.ticket_url.as_deref() {
        Some(u) if u.starts_with("https://") || u.starts_with("http://") => {
            format!(" · <{}|{key}>", escape(&clip(u, 400)))
        }
        _ => format!(" · {key}"),
    };
    if let Some(s) = f.ticket_state.as_deref() {
        out.push_str(&format!(" ({})", escape(&clip(&one_line(s), 40))));
    }
    out
}

/// Where the whole digest is.
const MORE: &str = ": `steward digest`";
/// Text caps per part, so one long list cannot crowd out the others.
const PRODUCTS_TEXT: usize = 3_000;
const INCIDENTS_TEXT: usize = 2_000;
const NOISY_TEXT: usize = 600;
const TEAMS_TEXT: usize = 1_500;
/// Lines per list at most.
const MAX_LINES: usize = 100;

fn status_emoji(s: Status) -> &'static str {
    match s {
        Status::Operational => "🟢",
        Status::Degraded => "🟡",
        Status::Incident => "🔴",
    }
}

fn pct(f: f64) -> String {
    format!("{:.2}%", f * 100.0)
}

fn secs(s: Option<f64>) -> String {
    s.map_or_else(|| "-".to_owned(), |s| human_duration(s.round() as i64))
}

/// "5 (▲ 2 vs last week)", "3 (= last week)".
fn versus(now: u64, before: u64) -> String {
    let trend = match now.cmp(&before) {
        std::cmp::Ordering::Greater => format!("▲ {} vs last week", now - before),
        std::cmp::Ordering::Less => format!("▼ {} vs last week", before - now),
        std::cmp::Ordering::Equal => "= last week".to_owned(),
    };
    format!("{} ({trend})", thousands(now as i64))
}

/// Minutes as "3h 20m", negative as "overspent by 3h 20m".
fn budget(minutes: f64) -> String {
    let s = (minutes * 60.0).round() as i64;
    if s < 0 {
        format!("overspent by {}", human_duration(-s))
    } else {
        format!("{} left", human_duration(s))
    }
}

/// "🔴 *revenue* · 97.62% · SLA 99.50% missed · budget overspent by 2h (30d) · burn 4.76".
fn product_line(p: &ProductWeek) -> String {
    let mut s = format!(
        "{} {} · {} {}",
        status_emoji(p.status),
        bold(&clip(&p.name, 80)),
        crate::domain::sparkline::uptime(&p.daily_uptime),
        pct(p.uptime)
    );
    if let Some(t) = p.sla_target {
        let met = match p.sla_met {
            Some(true) => "met",
            Some(false) => "*missed*",
            None => "",
        };
        s.push_str(&format!(" · SLA {} {met}", pct(t)));
    }
    if let Some(m) = p.error_budget_minutes_left {
        s.push_str(&format!(
            " · budget {} ({})",
            budget(m),
            escape(&clip(&p.sla_window, 10))
        ));
    }
    if let Some(b) = p.burn_rate.filter(|b| *b > 0.0) {
        s.push_str(&format!(" · burn {b:.2}"));
    }
    if p.status != Status::Operational {
        s.push_str(&format!(" · status now: {}", p.status));
    }
    s
}

/// "*INC-3* SEV2 · 4h 0m · resolved: Payments model fails".
fn incident_line(i: &IncidentWeek) -> String {
    let took = if i.ongoing {
        format!("ongoing for {}", secs(Some(i.duration_seconds)))
    } else {
        secs(Some(i.duration_seconds))
    };
    format!(
        "*{}* {} · {took} · {}: {}",
        escape(&clip(&i.id, 20)),
        escape(&clip(&i.severity, 10)),
        escape(&clip(&i.status, 20)),
        escape(&clip(&one_line(&i.title), 150))
    )
}

/// The weekly digest message.
pub fn digest_message(d: &Digest) -> Message {
    let mut b = Blocks::new(
        super::limits::MESSAGE_BLOCKS,
        super::limits::MESSAGE_BLOCK_TEXT_TOTAL,
    );
    b.push(header(&format!(
        "📊 Weekly reliability digest · week of {}",
        clip(&d.week, 20)
    )));
    b.push(context_md(&format!(
        "The 7 days from {} to {} ({})",
        escape(&clip(&local_time(&d.window_start, &d.timezone), 40)),
        escape(&clip(&local_time(&d.window_end, &d.timezone), 40)),
        escape(&clip(&d.timezone, 40))
    )));
    let missed = d
        .data_products
        .iter()
        .filter(|p| p.sla_met == Some(false))
        .count();
    let with_sla = d
        .data_products
        .iter()
        .filter(|p| p.sla_met.is_some())
        .count();
    let mut fields = vec![
        field(
            "Incidents declared",
            &versus(
                d.incidents_declared.len() as u64,
                d.previous_week.incidents_declared,
            ),
        ),
        field(
            "Incidents resolved",
            &thousands(d.incidents_resolved.len() as i64),
        ),
        field(
            "Issues opened",
            &versus(d.issues_opened, d.previous_week.issues_opened),
        ),
        field(
            "MTTA · MTTR",
            &format!("{} · {}", secs(d.mtta_seconds), secs(d.mttr_seconds)),
        ),
    ];
    if with_sla > 0 {
        fields.push(field(
            "SLAs met",
            &format!("{} of {with_sla}", thousands((with_sla - missed) as i64)),
        ));
    }
    b.push(json!({"type": "section", "fields": fields}));
    if !d.incidents_per_week.is_empty() {
        b.push(context_md(&format!(
            "Incidents per week, last {}: {} ({})",
            d.incidents_per_week.len(),
            crate::domain::sparkline::counts(&d.incidents_per_week),
            d.incidents_per_week
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }

    if !d.open_followups.is_empty() {
        let lines = capped(
            &d.open_followups,
            8,
            |f| {
                format!(
                    "• INC-{}: {}{}{}",
                    f.incident,
                    escape(&clip(&one_line(&f.text), 150)),
                    f.owner
                        .as_deref()
                        .map(|o| format!(" — {}", mention(o)))
                        .unwrap_or_default(),
                    followup_ticket(f)
                )
            },
            "\n",
        );
        b.section(
            None,
            &format!(
                "*Follow-ups still open ({})*\n{lines}",
                d.open_followups.len()
            ),
            1_500,
            "`steward incident INC-n --json`",
        );
    }

    // Data products, those that need attention first.
    let mut products: Vec<&ProductWeek> = d.data_products.iter().collect();
    products.sort_by_key(|p| {
        let attention = p.sla_met == Some(false) || p.status != Status::Operational;
        !attention
    });
    let lines: Vec<String> = products.iter().map(|p| product_line(p)).collect();
    let title = format!(
        "*Data products* ({})",
        thousands(d.data_products.len() as i64)
    );
    if lines.is_empty() {
        b.section(None, &format!("{title}\nNone defined."), PRODUCTS_TEXT, "");
    } else {
        list(&mut b, &title, &lines, PRODUCTS_TEXT);
    }

    for (what, list_of) in [
        ("declared", &d.incidents_declared),
        ("resolved", &d.incidents_resolved),
    ] {
        let title = format!(
            "*{} {} {what}*",
            thousands(list_of.len() as i64),
            plural(list_of.len() as i64, "incident", "incidents")
        );
        let lines: Vec<String> = list_of.iter().map(incident_line).collect();
        if lines.is_empty() {
            b.section(None, &title, INCIDENTS_TEXT, "");
        } else {
            list(&mut b, &title, &lines, INCIDENTS_TEXT);
        }
    }

    if !d.noisiest_assets.is_empty() {
        let lines: Vec<String> = d
            .noisiest_assets
            .iter()
            .map(|n| {
                format!(
                    "{} · {} {}",
                    code(&clip(&short_name(&n.name), 80)),
                    thousands(n.occurrences),
                    plural(n.occurrences, "failure", "failures")
                )
            })
            .collect();
        list(&mut b, "*Noisiest assets*", &lines, NOISY_TEXT);
    }

    if !d.teams.is_empty() {
        let lines: Vec<String> = d
            .teams
            .iter()
            .map(|t| {
                format!(
                    "{} · {} opened · MTTA {} · MTTR {}",
                    bold(&clip(&t.team, 60)),
                    thousands(t.issues_opened as i64),
                    secs(t.mtta_seconds),
                    secs(t.mttr_seconds)
                )
            })
            .collect();
        list(&mut b, "*Teams*", &lines, TEAMS_TEXT);
    }

    if !d.error_budgets.is_empty() {
        let lines: Vec<String> = d
            .error_budgets
            .iter()
            .map(|b| escape(&clip(&crate::domain::metrics::budgets::line(b), 300)))
            .collect();
        list(&mut b, "*Error budgets*", &lines, TEAMS_TEXT);
    }

    let note = (b.left_out > 0)
        .then(|| "Some parts did not fit in Slack; the whole digest: `steward digest`".to_owned());
    let text = cut(
        &format!(
            "Weekly reliability digest (week of {}): {} {} declared, {} {} opened{}",
            escape(&clip(&d.week, 20)),
            d.incidents_declared.len(),
            plural(d.incidents_declared.len() as i64, "incident", "incidents"),
            d.issues_opened,
            plural(d.issues_opened as i64, "issue", "issues"),
            if missed > 0 {
                format!(
                    ", {missed} {} missed {}",
                    plural(missed as i64, "data product", "data products"),
                    plural(missed as i64, "its SLA", "their SLA")
                )
            } else {
                String::new()
            }
        ),
        1_000,
        "",
    );
    Message {
        text,
        blocks: b.finish(note, vec![]),
    }
}

/// A titled list in one section, cut to `cap` (and the room left), ending with how many more.
fn list(b: &mut Blocks, title: &str, lines: &[String], cap: usize) {
    let max = cap.min(super::limits::SECTION_TEXT).min(b.room());
    if max < 80 {
        b.left_out += 1;
        return;
    }
    b.section(
        None,
        &list_text(title, lines, MAX_LINES, max, MORE),
        max,
        "",
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::digest::PreviousWeek;
    use crate::domain::metrics::{Noisy, TeamMetrics};

    fn digest(products: usize, incidents: usize, teams: usize) -> Digest {
        let long = "x".repeat(400);
        let incident = |n: usize| IncidentWeek {
            id: format!("INC-{n}"),
            title: format!("<!channel> {long} & `code` *bold* {n}"),
            severity: "SEV2".into(),
            status: "investigating".into(),
            declared: "2025-03-30T10:00:00.000000Z".into(),
            resolved: None,
            duration_seconds: 3600.0 * n as f64,
            ongoing: n.is_multiple_of(2),
        };
        Digest {
            week: "2025-03-31".into(),
            timezone: "Europe/Paris".into(),
            window_start: "2025-03-24T08:00:00.000000Z".into(),
            window_end: "2025-03-31T07:00:00.000000Z".into(),
            data_products: (0..products)
                .map(|i| ProductWeek {
                    name: format!("product_{i}_{long}"),
                    status: match i % 3 {
                        0 => Status::Operational,
                        1 => Status::Degraded,
                        _ => Status::Incident,
                    },
                    uptime: 0.97,
                    downtime_seconds: 5.0 * 3600.0,
                    sla_target: i.is_multiple_of(2).then_some(0.995),
                    sla_met: i.is_multiple_of(2).then_some(i.is_multiple_of(4)),
                    burn_rate: Some(6.0),
                    error_budget_minutes_left: Some(-120.5),
                    sla_window: "30d".into(),
                    daily_uptime: vec![1.0, 1.0, 0.9, 1.0, 1.0, 1.0, 0.97],
                })
                .collect(),
            incidents_declared: (0..incidents).map(incident).collect(),
            incidents_resolved: (0..incidents).map(incident).collect(),
            issues_opened: 1234,
            mtta_seconds: Some(5400.0),
            mttr_seconds: None,
            incident_mttr_seconds: None,
            noisiest_assets: (0..3)
                .map(|i| Noisy {
                    name: format!("model.shop.{long}_{i}"),
                    occurrences: 1000 - i,
                })
                .collect(),
            teams: (0..teams)
                .map(|i| TeamMetrics {
                    team: format!("team_{i}_{long}"),
                    issues_opened: i as u64,
                    mtta_seconds: Some(60.0),
                    mttr_seconds: None,
                    incident_mttr_seconds: None,
                    noisiest_assets: Vec::new(),
                    noisiest_checks: Vec::new(),
                })
                .collect(),
            error_budgets: Vec::new(),
            previous_week: PreviousWeek {
                incidents_declared: 0,
                issues_opened: 2000,
            },
            incidents_per_week: vec![0, 2, 1, 3],
            open_followups: Vec::new(),
        }
    }

    #[test]
    fn many_products_incidents_and_teams_fit_slack() {
        for (p, i, t) in [(0, 0, 0), (3, 1, 1), (500, 200, 300), (5_000, 1_000, 1_000)] {
            let m = digest_message(&digest(p, i, t));
            assert!(
                m.violations().is_empty(),
                "{p}/{i}/{t}: {:?}",
                m.violations()
            );
            assert!(m.blocks.len() <= super::super::limits::MESSAGE_BLOCKS);
            let all = serde_json::to_string(&m.blocks).unwrap();
            assert!(!all.contains("<!channel>"), "no channel ping");
            if p > 50 {
                assert!(
                    all.contains("more: `steward digest`"),
                    "says where the rest is"
                );
            }
        }
    }

    #[test]
    fn open_followups_show_their_ticket_and_its_state() {
        let mut d = digest(1, 1, 1);
        let followup =
            |id: i64, key: Option<&str>, state: Option<&str>| crate::domain::incidents::Followup {
                id,
                incident: 3,
                text: format!("Follow-up {id}"),
                owner: Some("U0ANA".into()),
                state: "open".into(),
                tracker: key.map(|_| "jira".into()),
                ticket_key: key.map(str::to_owned),
                ticket_url: key.map(|k| format!("https://example.atlassian.net/browse/{k}")),
                ticket_state: state.map(str::to_owned),
                ticket_checked_at: None,
                created_by: "cli".into(),
                created_at: "2025-03-30T10:00:00Z".into(),
                updated_at: "2025-03-30T10:00:00Z".into(),
            };
        d.open_followups = vec![
            followup(1, Some("DATA-2"), Some("In Progress")),
            followup(2, Some("DATA-3"), None),
            followup(3, None, None),
        ];
        let all = serde_json::to_string(&digest_message(&d).blocks).unwrap();
        for needle in [
            "INC-3: Follow-up 1 — <@U0ANA> · <https://example.atlassian.net/browse/DATA-2|DATA-2> (In Progress)",
            "INC-3: Follow-up 2 — <@U0ANA> · <https://example.atlassian.net/browse/DATA-3|DATA-3>\\n",
            "INC-3: Follow-up 3 — <@U0ANA>",
        ] {
            assert!(all.contains(needle), "{needle}: {all}");
        }
    }

    #[test]
    fn summary_trends_and_problems_first() {
        let m = digest_message(&digest(4, 2, 1));
        let all = serde_json::to_string(&m.blocks).unwrap();
        assert!(all.contains("week of 2025-03-31"), "{all}");
        assert!(
            all.contains("from Mon 24 Mar 2025 09:00 to Mon 31 Mar 2025 09:00 (Europe/Paris)"),
            "{all}"
        );
        assert!(all.contains("2 (▲ 2 vs last week)"), "incidents: {all}");
        assert!(all.contains("1,234 (▼ 766 vs last week)"), "issues: {all}");
        assert!(all.contains("1h 30m"), "MTTA: {all}");
        assert!(all.contains("SLAs met") && all.contains("1 of 2"), "{all}");
        assert!(all.contains("overspent by 2h 0m (30d)"), "{all}");
        assert!(all.contains("ongoing for"), "{all}");
        // Product 0 (operational, SLA met) comes after the three needing attention.
        let first = all.find("product_1_").unwrap();
        let zero = all.find("product_0_").unwrap();
        assert!(first < zero, "{all}");
        assert!(
            m.text.contains(
                "2 incidents declared, 1234 issues opened, 1 data product missed its SLA"
            ),
            "{}",
            m.text
        );
    }
}
