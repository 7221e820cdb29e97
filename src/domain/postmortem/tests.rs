//! The post-incident report's parts, pinned.

use super::*;
use crate::lineage::{Impact, RootCandidate};
use chrono::TimeZone;

fn t(h: u32, m: u32) -> String {
    issues::ts(Utc.with_ymd_and_hms(2026, 3, 1, h, m, 0).unwrap())
}

fn entry(
    at: String,
    kind: &str,
    actor: Option<&str>,
    issue: Option<i64>,
    detail: serde_json::Value,
) -> TimelineEntry {
    TimelineEntry {
        at,
        kind: kind.into(),
        actor: actor.map(str::to_owned),
        issue,
        incident: if issue.is_some() && kind != "issue_linked" {
            None
        } else {
            Some(1)
        },
        detail,
    }
}

fn incident(resolved: bool) -> Incident {
    Incident {
        id: "INC-1".into(),
        number: 1,
        title: "Revenue dashboard is empty".into(),
        description: Some("Finance saw zeros.".into()),
        severity: "SEV2".into(),
        status: if resolved { "resolved" } else { "monitoring" }.into(),
        commander: Some("ana".into()),
        declared_by: "bruno".into(),
        issues: vec![1, 7],
        root_causes: vec![RootCandidate {
            unique_id: "model.shop.stg_payments".into(),
            explains: 1,
        }],
        impact: Impact {
            data_products: vec!["revenue".into()],
            exposures: vec!["exposure.shop.finance_dashboard".into()],
            owners: vec!["finance@example.com".into()],
            downstream_count: 5,
            models: 4,
        },
        impact_started: Some(t(9, 0)),
        detected: None,
        declared: t(9, 30),
        acknowledged: Some(t(9, 35)),
        mitigated: Some(t(10, 30)),
        resolved: resolved.then(|| t(11, 0)),
        summary: resolved.then(|| "A bad deploy broke the payments model; reverted.".to_owned()),
        resolution_reason: resolved.then(|| "code_change".to_owned()),
        merged_into: None,
        followups: Vec::new(),
        teams: Vec::new(),
    }
}

fn data(resolved: bool, now: DateTime<Utc>) -> PostmortemData {
    let incident = incident(resolved);
    let mut timeline = vec![
        entry(
            t(9, 1),
            "opened",
            None,
            Some(1),
            serde_json::json!({"status": "error"}),
        ),
        entry(
            t(9, 30),
            "declared",
            Some("bruno"),
            None,
            serde_json::json!({"title": "Revenue dashboard is empty", "severity": "SEV2"}),
        ),
        entry(
            t(9, 30),
            "issue_linked",
            Some("bruno"),
            Some(1),
            serde_json::json!({"issue": 1}),
        ),
        entry(
            t(9, 35),
            "status_changed",
            Some("ana"),
            None,
            serde_json::json!({"from": "investigating", "to": "identified"}),
        ),
        entry(
            t(9, 40),
            "assigned",
            Some("ana"),
            Some(1),
            serde_json::json!({"to": "carla"}),
        ),
        entry(
            t(9, 50),
            "issue_linked",
            Some("ana"),
            Some(7),
            serde_json::json!({"issue": 7, "moved_from": 2}),
        ),
        entry(
            t(10, 0),
            "commented",
            Some("dmitri"),
            None,
            serde_json::json!({"text": "Reverting the deploy now"}),
        ),
        entry(
            t(10, 5),
            "severity_changed",
            Some("ana"),
            None,
            serde_json::json!({"from": "SEV3", "to": "SEV2"}),
        ),
        entry(
            t(10, 30),
            "status_changed",
            Some("ana"),
            None,
            serde_json::json!({"from": "identified", "to": "monitoring"}),
        ),
    ];
    if resolved {
        timeline.push(entry(
            t(10, 50),
            "recovered",
            None,
            Some(1),
            serde_json::json!({"passes": 1}),
        ));
        timeline.push(entry(
            t(11, 0),
            "status_changed",
            Some("ana"),
            None,
            serde_json::json!({"from": "monitoring", "to": "resolved", "summary": "Reverted.", "reason": "code_change"}),
        ));
    }
    let comments = vec![
        ReportComment {
            at: t(10, 0),
            author: "dmitri".into(),
            body: "Reverting the deploy now".into(),
            issue: None,
        },
        ReportComment {
            at: t(10, 10),
            author: "erin".into(),
            body: "Line one\nline two".into(),
            issue: Some(1),
        },
    ];
    let people = People {
        commander: incident.commander.clone(),
        declared_by: incident.declared_by.clone(),
        assignees: vec!["carla".into()],
        participants: participants(&timeline, &comments),
    };
    PostmortemData {
        metrics: Metrics::compute(&incident, now),
        issues: vec![
            LinkedIssue {
                id: 1,
                asset: "model.shop.stg_payments".into(),
                check: "run".into(),
                status: if resolved { "resolved" } else { "open" }.into(),
                resolution: resolved.then(|| "recovered".to_owned()),
                assignee: Some("carla".into()),
                owners: vec!["payments@example.com".into()],
                first_seen: t(9, 0),
                resolved_at: resolved.then(|| t(10, 50)),
                run_url: Some("https://github.com/acme/dbt/actions/runs/8123456789".into()),
            },
            LinkedIssue {
                id: 7,
                asset: "source.shop.marketing.ad_spend".into(),
                check: "freshness".into(),
                status: "open".into(),
                resolution: None,
                assignee: None,
                owners: vec![],
                first_seen: t(9, 10),
                resolved_at: None,
                run_url: None,
            },
        ],
        roots: vec![RootCause {
            unique_id: "model.shop.stg_payments".into(),
            explains: 1,
            issues: vec![1],
            paths: vec![
                ImpactPath {
                    kind: "data_product".into(),
                    target: "revenue".into(),
                    path: vec![
                        "model.shop.stg_payments".into(),
                        "model.shop.orders".into(),
                        "model.shop.revenue_daily".into(),
                    ],
                },
                ImpactPath {
                    kind: "exposure".into(),
                    target: "exposure.shop.finance_dashboard".into(),
                    path: vec![
                        "model.shop.stg_payments".into(),
                        "model.shop.orders".into(),
                        "model.shop.revenue_daily".into(),
                        "exposure.shop.finance_dashboard".into(),
                    ],
                },
            ],
        }],
        exposures: vec![ExposureBrief {
            unique_id: "exposure.shop.finance_dashboard".into(),
            label: Some("Finance dashboard".into()),
            url: Some("https://bi.example.com/finance".into()),
            owners: vec!["finance@example.com".into()],
        }],
        timeline,
        comments,
        people,
        incident,
        now,
    }
}

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, h, m, 0).unwrap()
}

/// The `## name` section's text, up to the next `## `.
fn section<'a>(md: &'a str, name: &str) -> &'a str {
    let start = md
        .find(&format!("\n## {name}\n"))
        .unwrap_or_else(|| panic!("no section {name}:\n{md}"));
    let rest = &md[start + 1..];
    let end = rest[3..].find("\n## ").map(|e| e + 4).unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn resolved_report_has_every_section_in_order() {
    let md = render(&data(true, at(15, 0)));
    let headings: Vec<&str> = md.lines().filter(|l| l.starts_with("## ")).collect();
    assert_eq!(
        headings,
        [
            "## Summary",
            "## Timeline",
            "## Root cause",
            "## Impact",
            "## People",
            "## Comments",
            "## Metrics",
            "## Action items"
        ]
    );
    assert!(md.starts_with("# Post-incident report: INC-1 Revenue dashboard is empty\n"));
    let summary = section(&md, "Summary");
    assert!(
        summary.contains("A bad deploy broke the payments model; reverted."),
        "{summary}"
    );
    assert!(summary.contains("- **Severity:** SEV2"));
    assert!(summary.contains("resolved (reason: code_change)"));
    assert!(
        summary.contains("- **Duration of impact:** 2h 0m"),
        "{summary}"
    );
    assert!(
        summary.contains("#1 `stg_payments` — run — resolved (recovered)"),
        "{summary}"
    );
    assert!(
        summary.contains("`marketing.ad_spend` — freshness"),
        "{summary}"
    );
    assert!(summary.contains("assigned to carla"));
    assert!(
        summary.contains(
            "assigned to carla, [run](<https://github.com/acme/dbt/actions/runs/8123456789>)\n"
        ),
        "the run links from its issue: {summary}"
    );
    assert_eq!(summary.matches("[run](").count(), 1, "{summary}");
}

#[test]
fn timeline_is_every_event_in_order_with_its_actor() {
    let md = render(&data(true, at(15, 0)));
    let timeline = section(&md, "Timeline");
    let lines: Vec<&str> = timeline.lines().filter(|l| l.starts_with("- ")).collect();
    assert_eq!(lines.len(), 11, "{timeline}");
    assert_eq!(
        lines[0],
        "- 2026-03-01 09:01:00 UTC · Steward · issue #1: failed (error)"
    );
    assert_eq!(
        lines[1],
        "- 2026-03-01 09:30:00 UTC · bruno · declared the incident \"Revenue dashboard is empty\" (SEV2)"
    );
    assert!(lines[2].ends_with("· bruno · linked issue #1"));
    assert!(lines[3].ends_with("· ana · status investigating → identified"));
    assert!(lines[4].ends_with("· ana · issue #1: assigned to carla"));
    assert!(lines[5].ends_with("· ana · moved issue #7 here from INC-2"));
    assert!(lines[6].ends_with("· dmitri · commented: Reverting the deploy now"));
    assert!(lines[7].ends_with("· ana · severity SEV3 → SEV2"));
    assert!(lines[9].ends_with("· Steward · issue #1: recovered"));
    assert!(
        lines[10]
            .ends_with("· ana · status monitoring → resolved (reason: code_change): Reverted.")
    );
}

#[test]
fn root_cause_paths_and_impact_are_named() {
    let md = render(&data(true, at(15, 0)));
    let root = section(&md, "Root cause");
    assert!(
        root.contains("1. `model.shop.stg_payments` — explains 1 failing asset; issue #1"),
        "{root}"
    );
    assert!(
        root.contains("   - data product **revenue**: stg_payments → orders → revenue_daily"),
        "{root}"
    );
    assert!(root.contains(
        "   - exposure `finance_dashboard`: stg_payments → orders → revenue_daily → finance_dashboard"
    ));
    let impact = section(&md, "Impact");
    assert!(impact.contains("- **Data products:** revenue"));
    assert!(impact.contains(
        "  - `finance_dashboard` (Finance dashboard) — owners: finance@example.com — <https://bi.example.com/finance>"
    ), "{impact}");
    assert!(impact.contains("- **Owners to contact:** finance@example.com, payments@example.com"));
    assert!(impact.contains("- **Downstream:** 4 models (5 data assets in all)"));
}

#[test]
fn people_comments_metrics_and_action_items() {
    let md = render(&data(true, at(15, 0)));
    let people = section(&md, "People");
    assert!(people.contains("- **Commander:** ana"));
    assert!(people.contains("- **Declared by:** bruno"));
    assert!(people.contains("- **Assignees:** carla"));
    assert!(
        people.contains("- **Participants:** bruno, ana, dmitri, erin"),
        "{people}"
    );
    let comments = section(&md, "Comments");
    assert!(comments.contains("- 2026-03-01 10:00:00 UTC · **dmitri**: Reverting the deploy now"));
    assert!(
        comments.contains("**erin** on issue #1: Line one\n  line two"),
        "{comments}"
    );
    let metrics = section(&md, "Metrics");
    assert!(
        metrics.contains("| Duration of impact (impact started → resolved) | 2h 0m |"),
        "{metrics}"
    );
    assert!(metrics.contains("| Response (declared → resolved) | 1h 30m |"));
    assert!(metrics.contains("| Time to acknowledge (declared → acknowledged) | 5m 0s |"));
    assert!(metrics.contains("| Time to mitigate (declared → mitigated) | 1h 0m |"));
    let actions = section(&md, "Action items");
    assert!(actions.contains("\n- [ ] \n"), "{actions:?}");
    assert!(md.ends_with("- [ ] \n"));
}

#[test]
fn an_open_incident_runs_until_now() {
    let now = at(12, 15);
    let p = data(false, now);
    assert_eq!(
        p.metrics,
        Metrics {
            impact_seconds: Some(3 * 3600 + 15 * 60),
            response_seconds: Some(2 * 3600 + 45 * 60),
            acknowledge_seconds: Some(300),
            mitigate_seconds: Some(3600),
            ongoing: true,
        }
    );
    let md = render(&p);
    assert!(md.contains("_No summary yet"));
    assert!(md.contains("- **Status:** monitoring"));
    assert!(md.contains("- **Resolved:** not yet"));
    assert!(
        md.contains("| Duration of impact (impact started → resolved) | 3h 15m (ongoing) |"),
        "{md}"
    );
    assert!(md.contains("| Response (declared → resolved) | 2h 45m (ongoing) |"));
    assert!(md.contains("_Generated 2026-03-01 12:15:00 UTC by Steward._"));
}

#[test]
fn an_empty_incident_still_renders_every_section() {
    let now = at(9, 30);
    let mut p = data(false, now);
    p.incident.acknowledged = None;
    p.incident.mitigated = None;
    p.incident.impact_started = None;
    p.incident.impact = Impact::default();
    p.issues.clear();
    p.roots.clear();
    p.exposures.clear();
    p.timeline.clear();
    p.comments.clear();
    p.people = People {
        declared_by: "bruno".into(),
        ..Default::default()
    };
    p.metrics = Metrics::compute(&p.incident, now);
    assert_eq!(p.metrics.impact_seconds, None);
    assert_eq!(p.metrics.acknowledge_seconds, None);
    let md = render(&p);
    for h in [
        "## Summary",
        "## Timeline",
        "## Root cause",
        "## Impact",
        "## People",
        "## Comments",
        "## Metrics",
        "## Action items",
    ] {
        assert!(md.contains(&format!("\n{h}\n")), "{h}");
    }
    assert!(md.contains("- **Linked issues:** none"));
    assert!(md.contains("_No events._"));
    assert!(md.contains("_No root-cause candidate"));
    assert!(md.contains("- **Exposures:** none"));
    assert!(md.contains("- **Commander:** none"));
    assert!(md.contains("| Time to acknowledge (declared → acknowledged) | — |"));
}

#[test]
fn names_and_durations_are_short() {
    assert_eq!(short_name("model.shop.orders"), "orders");
    assert_eq!(
        short_name("source.shop.marketing.ad_spend"),
        "marketing.ad_spend"
    );
    assert_eq!(short_name("model.shop.orders.v2"), "orders.v2");
    assert_eq!(short_name("db.schema.table"), "db.schema.table");
    assert_eq!(short_name("run"), "run");
    assert_eq!(human_duration(45), "45s");
    assert_eq!(human_duration(450), "7m 30s");
    assert_eq!(human_duration(7500), "2h 5m");
    assert_eq!(human_duration(3 * 86_400 + 4 * 3600 + 59), "3d 4h");
}

#[test]
fn participants_come_once_in_order_of_first_action() {
    let timeline = vec![
        entry(t(9, 0), "opened", None, Some(1), serde_json::json!({})),
        entry(
            t(9, 30),
            "declared",
            Some("bruno"),
            None,
            serde_json::json!({}),
        ),
        entry(
            t(9, 45),
            "commented",
            Some("ana"),
            None,
            serde_json::json!({}),
        ),
        entry(
            t(9, 50),
            "assigned",
            Some("bruno"),
            Some(1),
            serde_json::json!({}),
        ),
    ];
    let comments = vec![
        ReportComment {
            at: t(9, 40),
            author: "carla".into(),
            body: "x".into(),
            issue: Some(1),
        },
        ReportComment {
            at: t(9, 45),
            author: "ana".into(),
            body: "y".into(),
            issue: None,
        },
    ];
    assert_eq!(
        participants(&timeline, &comments),
        ["bruno", "carla", "ana"]
    );
}
