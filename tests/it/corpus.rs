//! The real dbt artifacts in `../shared/fixtures/dbt` (dbt-core compat states v4–v12, OpenLineage's
//! dbt test projects, jaffle_shop on BigQuery and duckdb, Tuva): every manifest loads with the node
//! counts the file itself declares, every manifest/run_results pair turns exactly its failing
//! results into issues (idempotently), and root-cause ranking holds on real failures.
//!
//! Expected values are computed here from the files with `serde_json::Value`, independently of
//! Steward's typed parser.

use crate::support::{TestApp, fixtures};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use steward::app::ingest::{DbtArtifacts, Input};
use steward::domain::issues::{Issue, IssueFilter};
use steward::lineage::{Lineage, load_manifest};

/// Every file under `dir` (recursively) whose name satisfies `keep`, sorted.
pub(crate) fn walk(dir: &Path, keep: &dyn Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in
            std::fs::read_dir(&d).unwrap_or_else(|e| panic!("reading {}: {e}", d.display()))
        {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().and_then(|n| n.to_str()).is_some_and(keep) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn rel(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn json(bytes: &[u8], what: &str) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{what} is not JSON: {e}"))
}

/// Entries of a top-level map that may be missing or null.
fn entries<'a>(doc: &'a Value, key: &str) -> Vec<(&'a String, &'a Value)> {
    match doc.get(key) {
        Some(Value::Object(m)) => m.iter().collect(),
        None | Some(Value::Null) => Vec::new(),
        Some(other) => panic!("`{key}` is neither an object nor null: {other}"),
    }
}

/// `https://schemas.getdbt.com/dbt/manifest/v12.json` → 12.
fn schema_number(doc: &Value) -> u32 {
    let url = doc["metadata"]["dbt_schema_version"]
        .as_str()
        .expect("metadata.dbt_schema_version");
    let file = url.rsplit('/').next().unwrap();
    file.trim_end_matches(".json")
        .trim_start_matches('v')
        .parse()
        .unwrap_or_else(|_| panic!("no version number in {url}"))
}

/// The node counts a manifest declares, keyed like `Stats::nodes`.
fn declared_counts(doc: &Value) -> BTreeMap<&'static str, u64> {
    let mut counts: BTreeMap<&'static str, u64> = [
        "model",
        "test",
        "seed",
        "snapshot",
        "analysis",
        "source",
        "exposure",
        "metric",
        "semantic_model",
        "saved_query",
        "unit_test",
    ]
    .into_iter()
    .map(|k| (k, 0))
    .collect();
    for (_, node) in entries(doc, "nodes") {
        let key = match node["resource_type"].as_str() {
            Some("model") => "model",
            Some("test") | Some("data_test") => "test",
            Some("seed") => "seed",
            Some("snapshot") => "snapshot",
            Some("analysis") => "analysis",
            // Hooks (`operation`), RPC and SQL operations are not counted.
            _ => continue,
        };
        *counts.get_mut(key).unwrap() += 1;
    }
    for (top, key) in [
        ("sources", "source"),
        ("exposures", "exposure"),
        ("metrics", "metric"),
        ("semantic_models", "semantic_model"),
        ("saved_queries", "saved_query"),
        ("unit_tests", "unit_test"),
    ] {
        *counts.get_mut(key).unwrap() += entries(doc, top).len() as u64;
    }
    counts
}

/// Every unique_id the manifest defines, in any of its node maps.
fn manifest_ids(doc: &Value) -> HashSet<String> {
    [
        "nodes",
        "sources",
        "exposures",
        "metrics",
        "semantic_models",
        "saved_queries",
        "unit_tests",
    ]
    .iter()
    .flat_map(|k| entries(doc, k))
    .map(|(id, _)| id.clone())
    .collect()
}

/// Whether `parent_map` links two distinct nodes both defined in the manifest.
fn has_internal_parent(doc: &Value, ids: &HashSet<String>) -> bool {
    entries(doc, "parent_map")
        .into_iter()
        .any(|(child, parents)| {
            ids.contains(child)
                && parents
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .any(|p| p != child && ids.contains(p))
        })
}

#[test]
fn every_manifest_loads_with_the_counts_it_declares() {
    let Some(fx) = fixtures("every_manifest_loads_with_the_counts_it_declares") else {
        return;
    };
    let base = fx.join("dbt");
    let files = walk(&base, &|n| {
        n.starts_with("manifest") && n.ends_with(".json")
    });
    assert!(
        files.len() >= 14,
        "expected at least 14 manifests under {}, found {}",
        base.display(),
        files.len()
    );
    let mut versions = BTreeSet::new();
    for path in &files {
        let name = rel(path, &base);
        let bytes = read(path);
        let doc = json(&bytes, &name);
        let lineage =
            load_manifest(&name, &bytes).unwrap_or_else(|e| panic!("{name} does not load: {e}"));
        let stats = lineage.stats();

        let expected = declared_counts(&doc);
        let got: BTreeMap<&'static str, u64> = expected
            .keys()
            .map(|k| (*k, stats.nodes.get(*k).and_then(Value::as_u64).unwrap_or(0)))
            .collect();
        assert_eq!(
            got, expected,
            "{name}: node counts by kind (stats vs the manifest's own entries)"
        );
        let extra: Vec<&String> = stats
            .nodes
            .keys()
            .filter(|k| !expected.contains_key(k.as_str()))
            .collect();
        assert!(
            extra.is_empty(),
            "{name}: stats counts kinds the test does not know: {extra:?}"
        );

        let version = schema_number(&doc);
        assert_eq!(stats.schema_version, version, "{name}: schema_version");
        versions.insert(version);

        let ids = manifest_ids(&doc);
        if has_internal_parent(&doc, &ids) {
            assert!(
                stats.edges > 0,
                "{name}: parent_map links nodes of the manifest, but the lineage has no edges"
            );
        }
        // Every unique_id the manifest defines is a node of the lineage.
        for id in &ids {
            assert!(
                lineage.get(id).is_some(),
                "{name}: {id} is not in the lineage"
            );
        }
        println!(
            "{name}: v{} nodes {} (model {}, test {}, seed {}, snapshot {}, source {}, exposure {}, metric {}, semantic_model {}) edges {}",
            stats.schema_version,
            lineage.node_count(),
            expected["model"],
            expected["test"],
            expected["seed"],
            expected["snapshot"],
            expected["source"],
            expected["exposure"],
            expected["metric"],
            expected["semantic_model"],
            stats.edges
        );
    }
    for v in 4..=12 {
        assert!(
            versions.contains(&v),
            "no manifest v{v} among the fixtures (found {versions:?})"
        );
    }
    println!(
        "{} manifests loaded, schema versions {versions:?}",
        files.len()
    );
}

const FAILING: [&str; 4] = ["error", "fail", "runtime error", "warn"];

fn all_issues(t: &TestApp) -> Vec<Issue> {
    t.app.issues(&IssueFilter::default()).expect("list issues")
}

pub(crate) fn ingest_pair(
    t: &TestApp,
    dir: &Path,
    name: &str,
) -> steward::app::ingest::IngestSummary {
    ingest_files(
        t,
        &dir.join("manifest.json"),
        &dir.join("run_results.json"),
        name,
    )
}

fn ingest_files(
    t: &TestApp,
    manifest: &Path,
    run_results: &Path,
    name: &str,
) -> steward::app::ingest::IngestSummary {
    t.app
        .ingest_dbt(DbtArtifacts {
            manifest: Some(Input::new(manifest.display().to_string(), read(manifest))),
            run_results: Some(Input::new(
                run_results.display().to_string(),
                read(run_results),
            )),
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("{name}: ingest failed: {e:#}"))
}

/// The asset a test's result should land on: its attached node, else the non-test nodes it
/// depends on (any of them), else the test itself when nothing it depends on is in the manifest.
fn expected_test_assets(
    manifest: &Value,
    ids: &HashSet<String>,
    test_id: &str,
) -> Option<Vec<String>> {
    let node = manifest["nodes"].get(test_id)?;
    if let Some(a) = node["attached_node"].as_str().filter(|a| ids.contains(*a)) {
        return Some(vec![a.to_owned()]);
    }
    let deps: Vec<String> = node["depends_on"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|d| ids.contains(*d) && !d.starts_with("test."))
        .map(str::to_owned)
        .collect();
    Some(if deps.is_empty() {
        vec![test_id.to_owned()]
    } else {
        deps
    })
}

#[test]
fn every_pair_opens_one_issue_per_failing_result_idempotently() {
    let Some(fx) = fixtures("every_pair_opens_one_issue_per_failing_result_idempotently") else {
        return;
    };
    let base = fx.join("dbt");
    let dirs: Vec<PathBuf> = walk(&base, &|n| n == "manifest.json")
        .into_iter()
        .map(|p| p.parent().unwrap().to_path_buf())
        .filter(|d| d.join("run_results.json").is_file())
        .collect();
    assert!(
        dirs.len() >= 8,
        "expected at least 8 manifest/run_results pairs, found {}",
        dirs.len()
    );
    let mut total_failing = 0;
    for dir in &dirs {
        let name = rel(dir, &base);
        total_failing += check_pair(
            &dir.join("manifest.json"),
            &dir.join("run_results.json"),
            &name,
        );
    }
    assert!(
        total_failing >= 6,
        "the fixtures hold at least 6 failing results, found {total_failing}"
    );
}

#[test]
fn pair_with_a_string_failures_count_still_opens_its_issues() {
    let Some(fx) = fixtures("pair_with_a_string_failures_count_still_opens_its_issues") else {
        return;
    };
    let name = "openlineage/no_test_metadata";
    let dir = fx.join("dbt").join(name);
    assert_eq!(
        check_pair(
            &dir.join("manifest.json"),
            &dir.join("run_results.json"),
            name
        ),
        2
    );
}

#[test]
fn failing_results_off_the_manifest_are_still_one_issue_each() {
    let Some(fx) = fixtures("failing_results_off_the_manifest_are_still_one_issue_each") else {
        return;
    };
    let dbt = fx.join("dbt");
    // Results of other projects, read against the dbt-core test project's manifest: none of
    // their nodes is in it, and every failure must still be an issue.
    let manifest = dbt.join("dbt-core/manifest_state_v12.json");
    for (name, failing) in [
        ("openlineage/test", 4),
        ("dbt-artifacts-parser/jaffle_shop_bq_v4", 1),
    ] {
        let label = format!("{name} run_results vs dbt-core v12 manifest");
        let n = check_pair(&manifest, &dbt.join(name).join("run_results.json"), &label);
        assert_eq!(n, failing, "{label}");
    }
}

/// Ingests a manifest and run_results into a fresh app and checks its issues; returns the number
/// of failing results.
fn check_pair(manifest_path: &Path, results_path: &Path, name: &str) -> usize {
    let name = name.to_owned();
    let manifest = json(&read(manifest_path), &name);
    let results = json(&read(results_path), &name);
    let ids = manifest_ids(&manifest);
    let failing: Vec<(&str, &str)> = results["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["unique_id"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
            )
        })
        .filter(|(_, s)| FAILING.contains(s))
        .collect();

    let t = TestApp::new();
    let first = ingest_files(&t, manifest_path, results_path, &name);
    let issues = all_issues(&t);
    assert_eq!(
        issues.len(),
        failing.len(),
        "{name}: {} failing results but {} issues: {:#?}",
        failing.len(),
        issues.len(),
        issues
            .iter()
            .map(|i| (&i.asset, &i.check))
            .collect::<Vec<_>>()
    );
    assert_eq!(first.applied.opened.len(), failing.len(), "{name}: opened");
    for (uid, status) in &failing {
        let is_test = uid.starts_with("test.") || uid.starts_with("unit_test.");
        let matching: Vec<&Issue> = issues
            .iter()
            .filter(|i| {
                if is_test {
                    i.check == *uid
                } else {
                    i.asset == *uid && i.check == "run"
                }
            })
            .collect();
        assert_eq!(
            matching.len(),
            1,
            "{name}: {uid} ({status}) should be exactly one issue, got {matching:#?}"
        );
        let issue = matching[0];
        let known = ids.contains(*uid);
        assert_eq!(issue.asset_known, known, "{name}: asset_known of {uid}");
        assert_eq!(issue.node.as_deref(), Some(*uid), "{name}: node of {uid}");
        assert_eq!(issue.dbt_status, *status, "{name}: dbt_status of {uid}");
        assert_eq!(issue.status, "open", "{name}: status of {uid}");
        assert_eq!(issue.occurrences, 1, "{name}: occurrences of {uid}");
        if is_test {
            match expected_test_assets(&manifest, &ids, uid) {
                Some(assets) => assert!(
                    assets.contains(&issue.asset),
                    "{name}: {uid} landed on {}, expected one of {assets:?}",
                    issue.asset
                ),
                None => assert_eq!(
                    issue.asset, *uid,
                    "{name}: a test absent from the manifest is its own asset"
                ),
            }
        }
    }

    // The same pair again: every result is a duplicate and nothing changes.
    let again = ingest_files(&t, manifest_path, results_path, &name);
    assert!(
        again.applied.opened.is_empty()
            && again.applied.updated.is_empty()
            && again.applied.reopened.is_empty()
            && again.applied.recovered.is_empty(),
        "{name}: re-ingest changed issues: {again}"
    );
    assert_eq!(
        again.applied.duplicates, again.applied.results,
        "{name}: re-ingest should be all duplicates: {again}"
    );
    let after = all_issues(&t);
    assert_eq!(
        serde_json::to_value(&after).unwrap(),
        serde_json::to_value(&issues).unwrap(),
        "{name}: issues changed on re-ingest"
    );
    println!(
        "{name}: {} results, {} failing -> {} issues ({} on assets not in the manifest); re-ingest: {} duplicates",
        first.applied.results,
        failing.len(),
        issues.len(),
        issues.iter().filter(|i| !i.asset_known).count(),
        again.applied.duplicates
    );
    failing.len()
}

#[test]
fn old_run_results_versions_parse() {
    let Some(fx) = fixtures("old_run_results_versions_parse") else {
        return;
    };
    let core = fx.join("dbt/dbt-core");
    let t = TestApp::new();
    t.app
        .ingest_dbt(DbtArtifacts {
            manifest: Some(Input::new(
                "manifest_state_v12.json",
                read(&core.join("manifest_state_v12.json")),
            )),
            ..Default::default()
        })
        .expect("manifest v12");
    for v in 4..=6 {
        let file = format!("run_results_v{v}.json");
        let doc = json(&read(&core.join(&file)), &file);
        let n = doc["results"].as_array().unwrap().len();
        let summary = t
            .app
            .ingest_dbt(DbtArtifacts {
                run_results: Some(Input::new(file.clone(), read(&core.join(&file)))),
                ..Default::default()
            })
            .unwrap_or_else(|e| panic!("{file}: {e:#}"));
        assert_eq!(
            summary.applied.results + summary.ignored_results,
            n,
            "{file}: every result read"
        );
        assert_eq!(summary.applied.passing, n, "{file}: all success");
        assert_eq!(summary.applied.failing, 0, "{file}");
        println!("{file}: {summary}");
    }
    assert!(
        all_issues(&t).is_empty(),
        "all-success run_results raise no issue"
    );
}

/// Checks `root_candidates` against its definition, computed with `upstream`.
fn check_candidates(
    name: &str,
    lineage: &Lineage,
    failing: &[petgraph::graph::NodeIndex],
) -> Vec<(String, usize)> {
    let set: HashSet<_> = failing.iter().copied().collect();
    let candidates = lineage.root_candidates(failing);
    for c in &candidates {
        let idx = lineage
            .get(&c.unique_id)
            .unwrap_or_else(|| panic!("{name}: candidate {} is not a node", c.unique_id));
        assert!(
            set.contains(&idx),
            "{name}: candidate {} is not failing",
            c.unique_id
        );
        let failing_above: Vec<&str> = lineage
            .upstream(idx)
            .into_iter()
            .filter(|u| set.contains(u))
            .map(|u| lineage.node(u).unique_id.as_str())
            .collect();
        assert!(
            failing_above.is_empty(),
            "{name}: candidate {} has failing ancestors {failing_above:?}",
            c.unique_id
        );
        // It explains itself and every failing node below it.
        let below = set
            .iter()
            .filter(|f| **f != idx && lineage.upstream(**f).contains(&idx))
            .count();
        assert_eq!(c.explains, 1 + below, "{name}: explains of {}", c.unique_id);
    }
    assert!(
        candidates
            .windows(2)
            .all(|w| w[0].explains >= w[1].explains),
        "{name}: not sorted by explains descending: {candidates:?}"
    );
    // Every failing node is a candidate or lies below one.
    for f in &set {
        let uid = &lineage.node(*f).unique_id;
        let up = lineage.upstream(*f);
        assert!(
            candidates.iter().any(|c| &c.unique_id == uid
                || up.iter().any(|u| lineage.node(*u).unique_id == c.unique_id)),
            "{name}: failing {uid} is explained by no candidate"
        );
    }
    candidates
        .into_iter()
        .map(|c| (c.unique_id, c.explains))
        .collect()
}

#[test]
fn root_candidates_on_real_failures() {
    let Some(fx) = fixtures("root_candidates_on_real_failures") else {
        return;
    };
    for (name, expected) in [
        (
            "openlineage/test",
            // Three failing tests on test_first_dbt_model, one on its child test_second_dbt_model.
            vec![("model.dbt_bigquery_test.test_first_dbt_model".to_owned(), 2)],
        ),
        (
            "dbt-artifacts-parser/jaffle_shop_bq_v4",
            // The one erroring model has no parents nor children in this manifest.
            vec![("model.jaffle_shop.test_insert_overwrite".to_owned(), 1)],
        ),
    ] {
        let dir = fx.join("dbt").join(name);
        let t = TestApp::new();
        ingest_pair(&t, &dir, name);
        let lineage = t.app.lineage.current();
        let issues = all_issues(&t);
        assert!(!issues.is_empty(), "{name}: the fixture has failures");
        let mut failing = Vec::new();
        for i in &issues {
            if let Some(idx) = lineage.get(&i.asset).filter(|_| i.asset_known) {
                failing.push(idx);
            }
        }
        let got = check_candidates(name, &lineage, &failing);
        let distinct: HashSet<_> = failing.iter().collect();
        println!(
            "{name}: {} failing issues on {} nodes -> candidates {got:?}",
            issues.len(),
            distinct.len()
        );
        assert_eq!(got, expected, "{name}: candidates");

        // An incident over every failing issue ranks the same root causes, in the same order.
        let incident = t
            .app
            .declare(
                steward::domain::incidents::Declaration {
                    title: format!("{name} failures"),
                    severity: "SEV3".into(),
                    declared_by: "corpus".into(),
                    issues: issues.iter().map(|i| i.id).collect(),
                    ..Default::default()
                },
                &steward::domain::access::Actor::admin("corpus"),
            )
            .unwrap();
        let ranked: Vec<(String, usize)> = incident
            .root_causes
            .iter()
            .map(|c| (c.unique_id.clone(), c.explains))
            .collect();
        assert_eq!(
            ranked, expected,
            "{name}: the incident's ranked root causes"
        );

        // The issues agree: those on a node below a candidate are its symptoms.
        let roots: Vec<&Issue> = issues.iter().filter(|i| i.symptom_of.is_none()).collect();
        for i in &issues {
            match i.symptom_of {
                None => assert!(
                    expected.iter().any(|(uid, _)| *uid == i.asset),
                    "{name}: issue {} on {} is a root but its asset is not a candidate",
                    i.id,
                    i.asset
                ),
                Some(root) => {
                    let r = issues
                        .iter()
                        .find(|x| x.id == root)
                        .expect("root issue exists");
                    assert!(
                        roots.iter().any(|x| x.id == r.id),
                        "{name}: issue {} is a symptom of a non-root",
                        i.id
                    );
                }
            }
        }
    }
}
