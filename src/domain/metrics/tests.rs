//! The metrics report's computation, pinned.

use super::*;
use crate::config::selector::parse_selector;
use crate::domain::products::ProductDef;
use crate::lineage::{LineageSnapshot, Node, NodeKind};
use chrono::TimeZone;

fn node(id: &str, kind: NodeKind, group: Option<&str>, product: Option<&str>) -> Node {
    let name = id.rsplit('.').next().unwrap().to_owned();
    Node {
        unique_id: id.into(),
        kind,
        name: name.clone(),
        package: Some("shop".into()),
        relation: None,
        path: None,
        fqn: vec!["shop".into(), name],
        tags: Vec::new(),
        group: group.map(str::to_owned),
        owners: Vec::new(),
        data_products: product.map(|p| vec![p.to_owned()]).unwrap_or_default(),
        checksum: None,
        severity: None,
        steward: None,
        exposure: None,
    }
}

const RAW: &str = "source.shop.raw.payments";
const STG: &str = "model.shop.stg_payments";
const FCT: &str = "model.shop.fct_revenue";
const STG_USERS: &str = "model.shop.stg_users";

/// raw.payments → stg_payments → fct_revenue (revenue, group finance);
/// stg_users → dim_users (users, group core).
fn lineage() -> Lineage {
    Lineage::build(LineageSnapshot {
        schema_version: 12,
        dbt_version: None,
        project: Some("shop".into()),
        nodes: vec![
            node(RAW, NodeKind::Source, None, None),
            node(STG, NodeKind::Model, Some("finance"), None),
            node(FCT, NodeKind::Model, Some("finance"), Some("revenue")),
            node(STG_USERS, NodeKind::Model, Some("core"), None),
            node(
                "model.shop.dim_users",
                NodeKind::Model,
                Some("core"),
                Some("users"),
            ),
        ],
        edges: vec![(0, 1), (1, 2), (3, 4)],
        groups: Vec::new(),
        attached: Vec::new(),
    })
}

/// revenue (99%), users (90%) and users_nosla (the same node, no target).
fn catalog(l: &Lineage) -> Catalog {
    let mut c = Catalog::build(&[], l);
    c.products[0].sla_target = Some(0.99);
    c.products[1].sla_target = Some(0.9);
    let nosla = ProductDef {
        name: "users_nosla".into(),
        sla_target: None,
        selectors: vec![parse_selector("dim_users").unwrap()],
        ..c.products[1].clone()
    };
    c.products.push(nosla);
    c
}

fn t(h: f64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 31, 0, 0, 0).unwrap()
        + Duration::milliseconds((h * 3_600_000.0) as i64)
}

#[allow(clippy::too_many_arguments)]
fn issue(
    id: i64,
    asset: &str,
    check: &str,
    owner: Option<&str>,
    first_seen: f64,
    ack: Option<f64>,
    resolved: Option<f64>,
    occurrences: i64,
) -> IssueFacts {
    IssueFacts {
        id,
        asset: asset.into(),
        check: check.into(),
        first_owner: owner.map(str::to_owned),
        first_seen: t(first_seen),
        acknowledged: ack.map(t),
        resolved_at: resolved.map(t),
        occurrences,
    }
}

fn incident(
    n: i64,
    declared: f64,
    started: Option<f64>,
    resolved: Option<f64>,
    issues: &[i64],
) -> IncidentFacts {
    IncidentFacts {
        id: format!("INC-{n}"),
        declared: t(declared),
        impact_started: started.map(t),
        resolved: resolved.map(t),
        issues: issues.to_vec(),
    }
}

/// The window is the 100 h before t(100).
fn window() -> Window {
    Window {
        label: "100h".into(),
        length: Duration::hours(100),
    }
}

fn scenario() -> (Vec<IssueFacts>, Vec<IncidentFacts>) {
    let issues = vec![
        issue(1, STG, "test.a", None, 8.0, Some(9.0), Some(20.0), 3),
        issue(2, FCT, "test.b", None, 14.0, Some(16.0), Some(30.0), 1),
        // A source without a group: its first owner is the team.
        issue(3, RAW, "run", Some("ops@x"), -60.0, None, Some(5.0), 10),
        issue(4, FCT, "test.b", None, 89.0, None, None, 2),
        // Before the window: counts nowhere.
        issue(
            5,
            "airflow.old",
            "dag",
            None,
            -40.0,
            Some(-39.0),
            Some(-35.0),
            7,
        ),
        // Unknown asset, no owner.
        issue(6, "airflow.dag_x", "dag", None, 50.0, None, None, 1),
        issue(
            7,
            STG_USERS,
            "test.c",
            None,
            39.0,
            Some(39.5),
            Some(45.0),
            4,
        ),
    ];
    let incidents = vec![
        // Overlapping: 10–20 and 15–30 count as 10–30.
        incident(1, 11.0, Some(10.0), Some(20.0), &[1]),
        incident(2, 16.0, Some(15.0), Some(30.0), &[2]),
        // Spans the window start: only 0–5 counts.
        incident(3, -50.0, Some(-50.0), Some(5.0), &[3]),
        // Reopened (open again), no impact start: declared 90, runs to now.
        incident(4, 90.0, None, None, &[4]),
        // Resolved before the window.
        incident(5, -30.0, Some(-30.0), Some(-10.0), &[5]),
        incident(6, 40.5, Some(40.0), Some(45.0), &[7]),
    ];
    (issues, incidents)
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-9, "{a} != {b}");
}

#[test]
fn products_uptime_budget_and_burn() {
    let l = lineage();
    let (issues, incidents) = scenario();
    let r = compute(&l, &catalog(&l), &issues, &incidents, &window(), t(100.0));
    assert_eq!(r.since, "100h");
    assert_eq!(r.window_start, "2025-01-31T00:00:00.000000Z");
    assert_eq!(r.generated_at, "2025-02-04T04:00:00.000000Z");
    let names: Vec<&str> = r.data_products.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["revenue", "users", "users_nosla"]);

    // revenue: 0–5, 10–30, 90–100 = 35 h of 100 h against 99%.
    let rev = &r.data_products[0];
    assert_eq!(rev.downtime_seconds, 35.0 * 3600.0);
    close(rev.uptime, 0.65);
    assert_eq!(rev.sla_target, Some(0.99));
    assert_eq!(rev.sla_met, Some(false));
    // 6000 min × 1% − 2100 min.
    close(rev.error_budget_minutes_left.unwrap(), -2040.0);
    // 0.35 / 0.01.
    close(rev.burn_rate.unwrap(), 35.0);

    // users: 40–45 = 5 h against 90%.
    let users = &r.data_products[1];
    assert_eq!(users.downtime_seconds, 5.0 * 3600.0);
    close(users.uptime, 0.95);
    assert_eq!(users.sla_met, Some(true));
    close(users.error_budget_minutes_left.unwrap(), 300.0);
    close(users.burn_rate.unwrap(), 0.5);

    // No target: the SLA figures are null, the rest is there.
    let nosla = &r.data_products[2];
    close(nosla.uptime, 0.95);
    assert_eq!(
        (
            nosla.sla_target,
            nosla.sla_met,
            nosla.error_budget_minutes_left,
            nosla.burn_rate
        ),
        (None, None, None, None)
    );
    let json = serde_json::to_value(nosla).unwrap();
    assert!(json["burn_rate"].is_null() && json["sla_met"].is_null());
}

#[test]
fn no_incidents_means_full_uptime_and_whole_budget() {
    let l = lineage();
    let r = compute(&l, &catalog(&l), &[], &[], &window(), t(100.0));
    let rev = &r.data_products[0];
    assert_eq!((rev.uptime, rev.downtime_seconds), (1.0, 0.0));
    close(rev.error_budget_minutes_left.unwrap(), 60.0);
    assert_eq!((rev.burn_rate, rev.sla_met), (Some(0.0), Some(true)));
    assert!(r.teams.is_empty(), "no issues, no teams");
}

#[test]
fn teams_mtta_mttr_and_noise() {
    let l = lineage();
    let (issues, incidents) = scenario();
    let r = compute(&l, &catalog(&l), &issues, &incidents, &window(), t(100.0));
    let teams: Vec<&str> = r.teams.iter().map(|t| t.team.as_str()).collect();
    assert_eq!(teams, ["core", "finance", "ops@x", "unowned"]);
    let [core, finance, ops, unowned] = &r.teams[..] else {
        panic!()
    };

    // finance: issues 1, 2, 4 opened; acks after 1 h and 2 h; resolved after 12 h and 16 h;
    // INC-1 (10 h) and INC-2 (15 h) resolved, INC-4 still open.
    assert_eq!(finance.issues_opened, 3);
    assert_eq!(finance.mtta_seconds, Some(1.5 * 3600.0));
    assert_eq!(finance.mttr_seconds, Some(14.0 * 3600.0));
    assert_eq!(finance.incident_mttr_seconds, Some(12.5 * 3600.0));
    let noisy = |v: &[Noisy]| -> Vec<(String, i64)> {
        v.iter().map(|n| (n.name.clone(), n.occurrences)).collect()
    };
    assert_eq!(
        noisy(&finance.noisiest_assets),
        [(FCT.to_owned(), 3), (STG.to_owned(), 3)],
        "ties by name"
    );
    assert_eq!(
        noisy(&finance.noisiest_checks),
        [("test.a".to_owned(), 3), ("test.b".to_owned(), 3)]
    );

    // ops@x: opened before the window, resolved in it after 65 h; INC-3 took 55 h.
    assert_eq!(ops.issues_opened, 0);
    assert_eq!(ops.mtta_seconds, None);
    assert_eq!(ops.mttr_seconds, Some(65.0 * 3600.0));
    assert_eq!(ops.incident_mttr_seconds, Some(55.0 * 3600.0));
    assert_eq!(noisy(&ops.noisiest_assets), [(RAW.to_owned(), 10)]);

    assert_eq!(
        (
            core.issues_opened,
            core.mtta_seconds,
            core.mttr_seconds,
            core.incident_mttr_seconds
        ),
        (1, Some(1800.0), Some(6.0 * 3600.0), Some(5.0 * 3600.0))
    );

    // unowned: one open issue, nothing acknowledged or resolved: nulls, not zeros.
    assert_eq!(unowned.issues_opened, 1);
    assert_eq!(
        (
            unowned.mtta_seconds,
            unowned.mttr_seconds,
            unowned.incident_mttr_seconds
        ),
        (None, None, None)
    );
    let json = serde_json::to_value(&r).unwrap();
    let u = &json["teams"][3];
    assert!(u["mtta_seconds"].is_null() && u["incident_mttr_seconds"].is_null());
    assert_eq!(u["noisiest_checks"][0]["name"], "dag");
}

#[test]
fn noisiest_keeps_the_top_five() {
    let l = lineage();
    let issues: Vec<IssueFacts> = (1..=7)
        .map(|i| issue(i, &format!("x.{i}"), "c", Some("t"), 50.0, None, None, i))
        .collect();
    let r = compute(&l, &Catalog::default(), &issues, &[], &window(), t(100.0));
    let names: Vec<&str> = r.teams[0]
        .noisiest_assets
        .iter()
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(names, ["x.7", "x.6", "x.5", "x.4", "x.3"]);
    assert_eq!(r.teams[0].noisiest_checks[0].occurrences, 28);
}

#[test]
fn windows_parse() {
    assert_eq!(Window::parse("7d").unwrap().length, Duration::days(7));
    assert_eq!(Window::parse(" 90d ").unwrap().label, "90d");
    assert_eq!(Window::parse("12h").unwrap().length, Duration::hours(12));
    assert_eq!(Window::default(), Window::parse("30d").unwrap());
    // humantime's syntax: a year is 365.25 days.
    assert_eq!(Window::parse("1y").unwrap().length, Duration::hours(8766));
    for bad in ["", "0d", "30", "thirty", "3 fortnights"] {
        assert!(Window::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn renders_two_tables() {
    let l = lineage();
    let (issues, incidents) = scenario();
    let r = compute(&l, &catalog(&l), &issues, &incidents, &window(), t(100.0));
    let text = render(&r);
    assert!(text.contains("PRODUCT") && text.contains("TEAM"), "{text}");
    assert!(
        text.contains("65.000%") && text.contains("missed"),
        "{text}"
    );
    assert!(text.contains("1h 30m"), "finance MTTA: {text}");
}
