//! The metrics report through the real `steward` binary, on the demo project's broken run:
//! an incident on issue 1, resolved, shows as downtime of `revenue` and in the teams table.

use crate::support::{stderr, steward};
use serde_json::Value;
use std::path::Path;

fn ok(db: &Path, args: &[&str]) -> String {
    crate::support::steward_ok(db, args)
}

#[test]
fn report_shows_downtime_and_teams() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("steward.db");
    crate::support::ingest_demo(&db, "broken");
    ok(
        &db,
        &["declare", "--title", "Revenue is wrong", "--issue", "1"],
    );
    ok(
        &db,
        &[
            "incident",
            "INC-1",
            "status",
            "resolved",
            "--summary",
            "Fixed the payments model",
        ],
    );

    let r: Value = serde_json::from_str(&ok(&db, &["report", "--since", "30d", "--json"]))
        .expect("JSON output");
    assert_eq!(r["since"], "30d");
    assert!(r["window_start"].is_string() && r["generated_at"].is_string());
    let products = r["data_products"].as_array().unwrap();
    let revenue = products
        .iter()
        .find(|p| p["name"] == "revenue")
        .unwrap_or_else(|| panic!("no revenue product: {r:#}"));
    let uptime = revenue["uptime"].as_f64().unwrap();
    assert!((0.0..1.0).contains(&uptime), "{revenue:#}");
    assert!(revenue["downtime_seconds"].as_f64().unwrap() > 0.0);
    for key in [
        "sla_target",
        "sla_met",
        "error_budget_minutes_left",
        "burn_rate",
    ] {
        assert!(revenue.get(key).is_some(), "{key} in {revenue:#}");
    }

    let teams = r["teams"].as_array().unwrap();
    let names: Vec<&str> = teams.iter().filter_map(|t| t["team"].as_str()).collect();
    assert!(
        names
            .iter()
            .any(|n| ["finance", "core", "marketing"].contains(n) || n.contains('@')),
        "{names:?}"
    );
    let opened: u64 = teams
        .iter()
        .map(|t| t["issues_opened"].as_u64().unwrap())
        .sum();
    assert!(opened >= 1, "{r:#}");
    assert!(
        teams.iter().any(|t| t["incident_mttr_seconds"].is_number()),
        "the resolved incident counts for its issue's team: {r:#}"
    );
    for t in teams {
        for key in [
            "mtta_seconds",
            "mttr_seconds",
            "noisiest_assets",
            "noisiest_checks",
        ] {
            assert!(t.get(key).is_some(), "{key} in {t:#}");
        }
    }

    // The human form: two tables.
    let text = ok(&db, &["report"]);
    assert!(
        text.contains("PRODUCT") && text.contains("revenue"),
        "{text}"
    );
    assert!(text.contains("TEAM") && text.contains("MTTA"), "{text}");

    // A bad window is refused with exit 2.
    let out = steward(&db, &["report", "--since", "soon"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}
