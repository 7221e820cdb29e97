//! Every skipped result of a real failing run is explained: listed under the root it descends
//! from, through any of its parents (a relationships test's `to` model too).

use crate::corpus::{ingest_pair, walk};
use crate::support::{TestApp, demo_artifact, fixtures};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use steward::domain::issues::IssueFilter;

/// The unique ids of the skipped results in a run_results file, read as plain JSON.
fn skipped_in(run_results: &Path) -> BTreeSet<String> {
    let v: Value = serde_json::from_slice(&std::fs::read(run_results).unwrap()).unwrap();
    v["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["status"] == "skipped")
        .filter_map(|r| r["unique_id"].as_str().map(str::to_owned))
        .collect()
}

/// Ingests the pair in `dir` and returns (skipped results, those listed under some root).
fn attributed(dir: &Path, name: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let t = TestApp::new();
    ingest_pair(&t, dir, name);
    let listed = t
        .app
        .issues(&IssueFilter::default())
        .unwrap()
        .into_iter()
        .filter(|i| i.symptom_of.is_none())
        .flat_map(|i| i.symptoms)
        .filter(|s| s.status == "skipped")
        .map(|s| s.unique_id)
        .collect();
    (skipped_in(&dir.join("run_results.json")), listed)
}

fn assert_all_attributed(dir: &Path, name: &str) -> usize {
    let (skipped, listed) = attributed(dir, name);
    let missing: Vec<&String> = skipped.difference(&listed).collect();
    println!(
        "{name}: {} skipped, {} attributed",
        skipped.len(),
        skipped.intersection(&listed).count()
    );
    assert!(
        missing.is_empty(),
        "{name}: {} of {} skipped results are under no root: {missing:?}",
        missing.len(),
        skipped.len()
    );
    assert!(
        listed.is_subset(&skipped),
        "{name}: listed as skipped but not skipped: {:?}",
        listed.difference(&skipped).collect::<Vec<_>>()
    );
    skipped.len()
}

#[test]
fn every_skipped_result_of_the_demo_broken_run_is_under_a_root() {
    let dir = demo_artifact("broken", "manifest.json");
    let n = assert_all_attributed(dir.parent().unwrap(), "demo broken run");
    assert!(n > 0, "the demo's broken run skips nodes");
}

#[test]
fn every_skipped_result_of_the_real_runs_is_under_a_root() {
    let Some(fx) = fixtures("every_skipped_result_of_the_real_runs_is_under_a_root") else {
        return;
    };
    let mut runs = 0;
    for rr in walk(&fx.join("dbt"), &|n| n == "run_results.json") {
        let dir = rr.parent().unwrap();
        if !dir.join("manifest.json").exists() || skipped_in(&rr).is_empty() {
            continue;
        }
        let name = dir.strip_prefix(&fx).unwrap().display().to_string();
        assert_all_attributed(dir, &name);
        runs += 1;
    }
    assert!(
        runs > 0,
        "the real failing runs skip nodes (real-failures/fao_elt_pipelines)"
    );
}
