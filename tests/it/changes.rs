//! Code-change correlation: `changed_since_last_pass` on `steward issue N --json`.

use crate::support::TestApp;
use serde_json::Value;
use steward::app::ingest::{DbtArtifacts, Input};
use steward::domain::issues::{Issue, IssueFilter};

const PAYMENTS: &str = "model.jaffle_analytics.stg_shop__payments";

fn artifact(run: &str, file: &str) -> Vec<u8> {
    let path = format!(
        "{}/manifests/demo/artifacts/{run}/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The healthy manifest with the payments model's checksum replaced when `checksum` is given.
fn manifest(checksum: Option<&str>) -> Vec<u8> {
    let mut m: Value = serde_json::from_slice(&artifact("healthy", "manifest.json")).unwrap();
    if let Some(sum) = checksum {
        m["nodes"][PAYMENTS]["checksum"]["checksum"] = Value::String(sum.to_owned());
    }
    serde_json::to_vec(&m).unwrap()
}

fn ingest(t: &TestApp, manifest: Vec<u8>, run: &str) {
    t.app
        .ingest_dbt(DbtArtifacts {
            manifest: Some(Input::new("manifest.json".to_owned(), manifest)),
            run_results: Some(Input::new(
                format!("{run}/run_results.json"),
                artifact(run, "run_results.json"),
            )),
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("{run}: ingest failed: {e:#}"));
}

fn payments_issue(t: &TestApp) -> Issue {
    t.app
        .issues(&IssueFilter::default())
        .unwrap()
        .into_iter()
        .find(|i| i.asset == PAYMENTS && i.is_active())
        .expect("an open issue on the payments model")
}

fn changed(t: &TestApp) -> Value {
    let issue = payments_issue(t);
    let list = serde_json::to_value(&issue).unwrap();
    assert!(
        list.get("changed_since_last_pass").is_none(),
        "not in lists"
    );
    let detail = serde_json::to_value(t.app.issue(issue.id).unwrap()).unwrap();
    detail["changed_since_last_pass"].clone()
}

#[test]
fn a_checksum_change_since_the_last_pass_is_reported() {
    let t = TestApp::new();
    ingest(&t, manifest(None), "healthy");
    ingest(&t, manifest(Some("0000changed")), "broken");
    assert_eq!(changed(&t), Value::Bool(true));
    let issue = payments_issue(&t);
    let direct = t
        .app
        .store
        .read(|c| steward::domain::changes::changed_since_last_pass(c, &issue))
        .unwrap();
    assert_eq!(direct, Some(true));
}

#[test]
fn the_same_checksum_since_the_last_pass_is_reported_unchanged() {
    let t = TestApp::new();
    ingest(&t, manifest(None), "healthy");
    ingest(&t, manifest(None), "broken");
    assert_eq!(changed(&t), Value::Bool(false));
}

#[test]
fn no_earlier_pass_means_unknown() {
    let t = TestApp::new();
    ingest(&t, manifest(None), "broken");
    assert_eq!(changed(&t), Value::Null);
}
