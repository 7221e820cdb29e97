//! Incident writes and the post-incident report through the real `steward` binary, on the demo
//! project's broken run: declare, link (and refuse a link across open incidents), move through
//! the lifecycle, post an update, resolve with a summary, and read it all back as JSON and as a
//! Markdown report. Refused actions exit 2 with one line and change nothing.

use crate::support::{stderr, stdout, steward};
use serde_json::Value;
use std::path::Path;
use std::process::Output;

const PAYMENTS: &str = "model.jaffle_analytics.stg_shop__payments";
const AD_SPEND: &str = "source.jaffle_analytics.marketing.ad_spend";

fn ingest_broken(db: &Path) {
    crate::support::ingest_demo(db, "broken");
}

fn ok(db: &Path, args: &[&str]) -> String {
    crate::support::steward_ok(db, args)
}

fn json(db: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(db, args)).expect("JSON output")
}

/// The command is refused: exit 2, one line on stderr naming `what`, nothing on stdout.
fn refused(out: &Output, what: &str) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "expected exit 2; stderr: {err}");
    assert_eq!(err.trim().lines().count(), 1, "one-line error: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(what), "the error names {what}: {err}");
    assert!(stdout(out).is_empty(), "{}", stdout(out));
    err
}

/// Everything an incident is made of, to check refused commands change nothing.
fn state(db: &Path, n: &str) -> (Value, usize) {
    let report = json(db, &["postmortem", n, "--json"]);
    (
        report["incident"].clone(),
        report["timeline"].as_array().unwrap().len(),
    )
}

fn rfc3339(v: &Value, field: &str) {
    let s = v[field]
        .as_str()
        .unwrap_or_else(|| panic!("`{field}` is a string: {v:#}"));
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("`{field}` = {s:?} is not RFC 3339: {e}"));
}

#[test]
fn incident_lifecycle_through_the_cli_and_its_postmortem() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    ingest_broken(&db);
    let issue = |id: &str| json(&db, &["issue", id, "--json"]);
    assert_eq!(issue("1")["asset"], PAYMENTS);
    assert_eq!(issue("7")["asset"], AD_SPEND);

    // Declare with the payments error, then link the stale source.
    let line = ok(
        &db,
        &[
            "declare",
            "--title",
            "Revenue dashboard shows no payments",
            "--issue",
            "1",
            "--severity",
            "SEV2",
            "--actor",
            "ana",
        ],
    );
    assert!(line.starts_with("declared INC-1: "), "{line}");
    assert_eq!(
        ok(&db, &["incident", "INC-1", "link", "7", "--actor", "ana"]).trim(),
        "issue #7 linked to INC-1"
    );
    assert_eq!(issue("7")["incident_id"], 1);

    // An issue in another open incident is not taken silently; --move takes it.
    ok(
        &db,
        &["declare", "--title", "Customer emails", "--issue", "3"],
    );
    let before = state(&db, "INC-1");
    let err = refused(
        &steward(&db, &["incident", "INC-1", "link", "3"]),
        "issue 3",
    );
    assert!(err.contains("INC-2") && err.contains("--move"), "{err}");
    refused(&steward(&db, &["incident", "INC-2", "link", "7"]), "INC-1");
    refused(
        &steward(&db, &["incident", "INC-1", "link", "7"]),
        "already linked",
    );
    assert_eq!(state(&db, "INC-1"), before, "refusals change nothing");
    assert_eq!(issue("3")["incident_id"], 2);
    ok(&db, &["incident", "INC-1", "link", "3", "--move"]);
    assert_eq!(issue("3")["incident_id"], 1);
    assert!(
        json(&db, &["incident", "2", "--json"])["issues"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        ok(&db, &["incident", "INC-1", "unlink", "3"]).trim(),
        "issue #3 unlinked from INC-1"
    );
    assert!(issue("3")["incident_id"].is_null());
    refused(
        &steward(&db, &["incident", "INC-1", "unlink", "3"]),
        "not linked",
    );

    // Severity and commander, by `INC-n` or bare `n`.
    assert_eq!(
        ok(&db, &["incident", "1", "severity", "sev1"]).trim(),
        "INC-1 is SEV1"
    );
    refused(
        &steward(&db, &["incident", "1", "severity", "SEV9"]),
        "SEV9",
    );
    assert_eq!(
        ok(
            &db,
            &["incident", "INC-1", "commander", "bruno", "--actor", "ana"]
        )
        .trim(),
        "INC-1 commander: bruno"
    );

    // The lifecycle, an update, and resolving (which needs a summary).
    assert_eq!(
        ok(
            &db,
            &["incident", "1", "status", "monitoring", "--actor", "bruno"]
        )
        .trim(),
        "INC-1 is monitoring"
    );
    assert_eq!(
        ok(
            &db,
            &[
                "comment",
                "INC-1",
                "Reverted the payments deploy; rerunning",
                "--author",
                "carla"
            ]
        )
        .trim(),
        "update posted on INC-1"
    );
    ok(
        &db,
        &["comment", "1", "Payments model fails on a null cast"],
    );

    // `incidents --json` and `incident INC-1 --json` carry the incident as every face shows it.
    let list = json(&db, &["incidents", "--json"]);
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "INC-1")
        .expect("INC-1 is listed while open")
        .clone();
    let one = json(&db, &["incident", "INC-1", "--json"]);
    assert_eq!(listed, one);
    assert_eq!(one["title"], "Revenue dashboard shows no payments");
    assert_eq!(one["severity"], "SEV1");
    assert_eq!(one["status"], "monitoring");
    assert_eq!(one["commander"], "bruno");
    assert_eq!(one["issues"], serde_json::json!([1, 7]));
    let roots: Vec<&str> = one["root_causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["unique_id"].as_str().unwrap())
        .collect();
    assert!(
        roots.contains(&PAYMENTS) && roots.contains(&AD_SPEND),
        "{roots:?}"
    );
    for field in ["data_products", "exposures", "owners"] {
        assert!(
            !one["impact"][field].as_array().unwrap().is_empty(),
            "impact.{field}: {one:#}"
        );
    }
    assert!(
        one["impact"]["data_products"]
            .as_array()
            .unwrap()
            .contains(&Value::from("revenue"))
    );
    for field in ["impact_started", "detected", "declared", "acknowledged"] {
        rfc3339(&one, field);
    }
    assert!(one["resolved"].is_null());

    let before = state(&db, "INC-1");
    let err = refused(
        &steward(&db, &["incident", "INC-1", "status", "resolved"]),
        "INC-1",
    );
    assert!(err.contains("summary"), "{err}");
    refused(
        &steward(&db, &["incident", "INC-1", "status", "closed"]),
        "closed",
    );
    assert_eq!(state(&db, "INC-1"), before, "refusals change nothing");
    assert_eq!(
        ok(
            &db,
            &[
                "incident",
                "INC-1",
                "status",
                "resolved",
                "--summary",
                "A deploy broke the payments model; reverted and rerun.",
                "--reason",
                "code_change",
                "--actor",
                "bruno",
            ]
        )
        .trim(),
        "INC-1 is resolved"
    );
    let resolved = json(&db, &["incident", "INC-1", "--json"]);
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["resolution_reason"], "code_change");
    for field in ["impact_started", "declared", "acknowledged", "resolved"] {
        rfc3339(&resolved, field);
    }
    assert!(
        json(&db, &["incidents", "--json"])
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["id"] != "INC-1"),
        "a resolved incident is not open"
    );
    let all = json(&db, &["incidents", "--all", "--json"]);
    assert_eq!(
        all.as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == "INC-1")
            .unwrap(),
        &resolved
    );

    // A resolved incident refuses changes; only a status change (a reopening) is allowed.
    let before = state(&db, "INC-1");
    for args in [
        &["incident", "INC-1", "link", "2"][..],
        &["incident", "INC-1", "unlink", "7"],
        &["incident", "INC-1", "severity", "SEV3"],
        &["incident", "INC-1", "commander", "dmitri"],
        &[
            "incident",
            "INC-1",
            "status",
            "resolved",
            "--summary",
            "again",
        ],
        &["comment", "INC-1", "too late"],
    ] {
        let err = refused(&steward(&db, args), "INC-1");
        assert!(err.contains("resolved"), "{args:?}: {err}");
    }
    assert_eq!(state(&db, "INC-1"), before, "refusals change nothing");

    // The post-incident report.
    let md = ok(&db, &["postmortem", "INC-1"]);
    for heading in [
        "## Summary",
        "## Timeline",
        "## Root cause",
        "## Impact",
        "## People",
        "## Comments",
        "## Metrics",
        "## Action items",
    ] {
        assert!(md.lines().any(|l| l == heading), "missing {heading}:\n{md}");
    }
    let section = |name: &str| -> String {
        md.split("\n## ")
            .find(|s| s.starts_with(name))
            .unwrap_or_else(|| panic!("no {name}"))
            .to_owned()
    };
    assert!(section("Summary").contains("A deploy broke the payments model"));
    assert!(section("Root cause").contains(PAYMENTS), "{md}");
    assert!(section("Root cause").contains(" → "), "{md}");
    assert!(section("Impact").contains("revenue"), "{md}");
    assert!(md.contains("Reverted the payments deploy; rerunning"));
    assert!(section("Comments").contains("Payments model fails on a null cast"));
    let timeline = section("Timeline");
    for what in [
        "ana · declared the incident",
        "ana · linked issue #7",
        "moved issue #3 here from INC-2",
        "unlinked issue #3",
        "severity SEV2 → SEV1",
        "ana · made bruno the commander",
        "bruno · status investigating → monitoring",
        "carla · commented: Reverted the payments deploy",
        "issue #1: commented: Payments model fails on a null cast",
        "bruno · status monitoring → resolved (reason: code_change)",
    ] {
        assert!(
            timeline.contains(what),
            "timeline lacks {what:?}:\n{timeline}"
        );
    }
    let people = section("People");
    assert!(people.contains("- **Commander:** bruno"), "{people}");
    assert!(people.contains("- **Declared by:** ana"), "{people}");
    assert!(people.contains("carla"), "{people}");
    assert!(section("Metrics").contains("Time to acknowledge"));
    assert!(md.contains("- [ ] "));
    let data = json(&db, &["postmortem", "1", "--json"]);
    assert_eq!(data["incident"]["id"], "INC-1");
    assert!(!data["metrics"]["ongoing"].as_bool().unwrap());
    assert!(data["metrics"]["response_seconds"].is_i64());

    // Reopening is allowed and logged as such.
    assert_eq!(
        ok(&db, &["incident", "INC-1", "status", "investigating"]).trim(),
        "INC-1 reopened: investigating"
    );
    let reopened = json(&db, &["incident", "INC-1", "--json"]);
    assert!(reopened["resolved"].is_null());
    assert!(ok(&db, &["postmortem", "INC-1"]).contains("reopened: resolved → investigating"));
}

#[test]
fn missing_incidents_and_issues_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    ingest_broken(&db);
    ok(&db, &["declare", "--title", "Payments", "--issue", "1"]);
    let before = state(&db, "INC-1");
    for args in [
        &["incident", "INC-99", "--json"][..],
        &["incident", "INC-99", "status", "monitoring"],
        &["incident", "INC-99", "link", "2"],
        &["incident", "INC-99", "unlink", "1"],
        &["incident", "INC-99", "severity", "SEV1"],
        &["incident", "99", "commander", "ana"],
        &["comment", "INC-99", "hello"],
        &["postmortem", "INC-99"],
    ] {
        refused(&steward(&db, args), "INC-99");
    }
    refused(
        &steward(&db, &["incident", "INC-1", "link", "999"]),
        "issue 999",
    );
    refused(
        &steward(&db, &["incident", "INC-1", "unlink", "999"]),
        "issue 999",
    );
    refused(&steward(&db, &["comment", "999", "hello"]), "issue 999");
    refused(&steward(&db, &["incident", "nope", "--json"]), "nope");
    refused(&steward(&db, &["postmortem", "INC-x"]), "INC-x");
    assert_eq!(state(&db, "INC-1"), before, "refusals change nothing");
}

#[test]
fn resolving_as_expected_mutes_the_check_and_bad_mute_durations_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    ingest_broken(&db);
    let issue = |id: &str| json(&db, &["issue", id, "--json"]);
    let before = issue("1");
    assert_eq!(before["status"], "open");
    assert!(before["muted_until"].is_null());

    // Refused before anything is written: a bad duration, a duration out of range, and a
    // duration with a resolution that does not mute.
    for args in [
        &["resolve", "1", "expected", "--mute-for", "banana"][..],
        &["resolve", "1", "expected", "--mute-for", "0h"],
        &["resolve", "1", "expected", "--mute-for", "400d"],
        &["resolve", "1", "fixed", "--mute-for", "7d"],
        &["resolve", "1", "false_positive", "--mute-for", "24h"],
    ] {
        refused(&steward(&db, args), "--mute-for");
    }
    assert_eq!(issue("1"), before, "refusals change nothing");

    let started = crate::support::cli_now();
    let line = ok(
        &db,
        &[
            "resolve",
            "1",
            "expected",
            "--reason",
            "payments backfill, known",
            "--mute-for",
            "7d",
            "--actor",
            "ana",
        ],
    );
    assert!(
        line.starts_with("issue #1 resolved (expected), check muted until "),
        "{line}"
    );
    let after = issue("1");
    assert_eq!(after["status"], "resolved");
    assert_eq!(after["resolution"], "expected");
    rfc3339(&after, "muted_until");
    let until = chrono::DateTime::parse_from_rfc3339(after["muted_until"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let week = chrono::Duration::days(7);
    assert!(
        until >= started + week && until <= crate::support::cli_now() + week,
        "muted for 7 days: {until}"
    );
    let muted: Vec<&Value> = after["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "muted")
        .collect();
    assert_eq!(muted.len(), 1, "{:#}", after["events"]);
    assert_eq!(muted[0]["actor"], "ana");
    assert_eq!(muted[0]["detail"]["until"], after["muted_until"]);

    // Without --mute-for, expected mutes the check for 24 hours.
    ok(&db, &["resolve", "7", "expected"]);
    let stale = issue("7");
    let until = chrono::DateTime::parse_from_rfc3339(stale["muted_until"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let day = chrono::Duration::hours(24);
    assert!(
        until >= started + day && until <= crate::support::cli_now() + day,
        "muted for 24 hours: {until}"
    );
}

#[test]
fn closing_an_issue_of_an_open_incident_needs_a_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    ingest_broken(&db);
    ok(
        &db,
        &["declare", "--title", "Payments broken", "--issue", "1"],
    );
    let before = state(&db, "INC-1");
    let out = steward(&db, &["resolve", "1", "fixed", "--reason", "reverted"]);
    let err = refused(&out, "issue 1");
    assert!(err.contains("INC-1") && err.contains("--confirm"), "{err}");
    assert_eq!(state(&db, "INC-1"), before, "nothing changed");
    assert_eq!(json(&db, &["issue", "1", "--json"])["status"], "open");
    let linked = json(&db, &["issues", "--incident", "INC-1", "--json"]);
    let ids: Vec<i64> = linked
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [1]);
    refused(
        &steward(&db, &["issues", "--incident", "banana"]),
        "--incident",
    );

    ok(
        &db,
        &["resolve", "1", "fixed", "--reason", "reverted", "--confirm"],
    );
    assert_eq!(json(&db, &["issue", "1", "--json"])["status"], "resolved");
    let incident = json(&db, &["incident", "INC-1", "--json"]);
    assert_eq!(
        incident["status"], "investigating",
        "the incident stays open"
    );
    let (_, events) = state(&db, "INC-1");
    assert!(
        events > before.1,
        "the resolution is on the incident's timeline"
    );

    // Once the incident is resolved, its issues close without a confirmation.
    ok(&db, &["declare", "--title", "Orders", "--issue", "6"]);
    ok(
        &db,
        &[
            "incident",
            "INC-2",
            "status",
            "resolved",
            "--summary",
            "fixed upstream",
            "--reason",
            "other",
        ],
    );
    ok(&db, &["resolve", "6", "fixed"]);
}

#[test]
fn merge_split_and_follow_ups_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    ingest_broken(&db);
    ok(
        &db,
        &[
            "declare",
            "--title",
            "Payments",
            "--issue",
            "1",
            "--issue",
            "7",
            "--severity",
            "SEV2",
        ],
    );
    ok(&db, &["declare", "--title", "Customers", "--issue", "3"]);

    // Merge INC-2 into INC-1: its issue and timeline move, INC-2 is closed as merged.
    let line = ok(
        &db,
        &["incident", "INC-2", "merge-into", "INC-1", "--actor", "ana"],
    );
    assert_eq!(line.trim(), "INC-2 merged into INC-1 (1 issue moved)");
    let one = json(&db, &["incident", "INC-1", "--json"]);
    assert_eq!(one["issues"], serde_json::json!([1, 3, 7]));
    let two = json(&db, &["incident", "INC-2", "--json"]);
    assert_eq!(two["status"], "resolved");
    assert_eq!(two["merged_into"], 1);
    assert_eq!(two["issues"], serde_json::json!([]));
    let report = json(&db, &["postmortem", "INC-1", "--json"]);
    let kinds: Vec<&str> = report["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"merged"), "{kinds:?}");
    assert_eq!(
        kinds.iter().filter(|k| **k == "declared").count(),
        2,
        "INC-2's declaration moved with its timeline: {kinds:?}"
    );
    // A merged (resolved) incident cannot be merged again; nothing changes.
    let before = state(&db, "INC-1");
    refused(
        &steward(&db, &["incident", "INC-2", "merge-into", "INC-1"]),
        "INC-2",
    );
    assert_eq!(state(&db, "INC-1"), before);
    refused(
        &steward(&db, &["incident", "INC-1", "merge-into", "INC-1"]),
        "INC-1",
    );

    // Split #3 off into a new incident with the same severity.
    let line = ok(
        &db,
        &[
            "incident",
            "INC-1",
            "split",
            "3",
            "--title",
            "Customer emails",
        ],
    );
    assert_eq!(line.trim(), "INC-3 split off INC-1: #3");
    let three = json(&db, &["incident", "INC-3", "--json"]);
    assert_eq!(three["issues"], serde_json::json!([3]));
    assert_eq!(three["severity"], "SEV2");
    assert_eq!(
        json(&db, &["incident", "INC-1", "--json"])["issues"],
        serde_json::json!([1, 7])
    );
    // Not an issue of INC-1, or every issue of it: refused.
    refused(
        &steward(&db, &["incident", "INC-1", "split", "3", "--title", "x"]),
        "issue 3",
    );
    refused(
        &steward(
            &db,
            &["incident", "INC-1", "split", "1", "7", "--title", "x"],
        ),
        "INC-1",
    );

    // Follow-ups: added, done, shown as the report's action items.
    let line = ok(
        &db,
        &[
            "incident",
            "INC-1",
            "followup",
            "add",
            "Alert on payment loads before 6am",
            "--owner",
            "ana@example.com",
        ],
    );
    assert_eq!(line.trim(), "follow-up 1 added to INC-1");
    ok(
        &db,
        &["incident", "INC-1", "followup", "add", "Backfill January"],
    );
    assert_eq!(
        ok(&db, &["incident", "INC-1", "followup", "done", "2"]).trim(),
        "follow-up 2 is done"
    );
    refused(
        &steward(&db, &["incident", "INC-3", "followup", "done", "1"]),
        "follow-up 1",
    );
    refused(
        &steward(&db, &["incident", "INC-1", "followup", "done", "2"]),
        "follow-up 2",
    );
    let one = json(&db, &["incident", "INC-1", "--json"]);
    assert_eq!(one["followups"][0]["state"], "open");
    assert_eq!(one["followups"][1]["state"], "done");
    let md = ok(&db, &["postmortem", "INC-1"]);
    let actions = md.split("## Action items").nth(1).unwrap();
    assert!(
        actions.contains("- [ ] Alert on payment loads before 6am — ana@example.com"),
        "{actions}"
    );
    assert!(actions.contains("- [x] Backfill January"), "{actions}");
    let digest = json(&db, &["digest", "--json"]);
    assert_eq!(
        digest["open_followups"].as_array().unwrap().len(),
        1,
        "{digest:#}"
    );
}
