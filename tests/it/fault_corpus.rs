//! The fault corpus (issue #9): several hundred malformed manifests, run_results, sources,
//! alerts and OpenLineage events generated from real files (the demo project's artifacts, and
//! the shared fixtures where present): truncations, wrong types at many paths, deleted keys,
//! huge strings, deep nesting, invalid UTF-8, wrong kinds, wrong and overflowing versions. Each
//! must end in a clean error: one line, naming its origin, a few hundred bytes at most even when
//! the input holds a 20 MB string, no panic, and nothing written. Most run in-process through
//! `App`; a sample runs through the CLI binary (exit 2) and over HTTP (400).

use crate::support::{TestApp, TestServer, demo_artifact, fixtures, ingest_demo, steward};
use serde_json::{Value, json};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use steward::app::App;
use steward::error::as_input_error;
use steward::ingest::{DbtArtifacts, Input};

/// The most bytes an error may take, whatever the input.
pub const MAX_ERROR_BYTES: usize = 512;
/// What a huge string is: 20 MB.
const HUGE: usize = 20 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Manifest,
    RunResults,
    Sources,
    Alert,
    OpenLineage,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Manifest => "manifest",
            Kind::RunResults => "run_results",
            Kind::Sources => "sources",
            Kind::Alert => "alert",
            Kind::OpenLineage => "openlineage",
        }
    }

    /// The CLI arguments that ingest `file` as this kind.
    pub fn cli_args(self, file: &str) -> Vec<String> {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect();
        match self {
            Kind::Manifest => v(&["ingest", "dbt", "--manifest", file]),
            Kind::RunResults => v(&["ingest", "dbt", "--run-results", file]),
            Kind::Sources => v(&["ingest", "dbt", "--sources", file]),
            Kind::Alert => v(&["ingest", "alert", file]),
            Kind::OpenLineage => v(&["ingest", "openlineage", file]),
        }
    }
}

/// Where `metadata` goes when a seed is written back out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    MetadataFirst,
    MetadataLast,
    /// Keys sorted, as `json.dump(sort_keys=True)` writes them.
    Sorted,
}

struct Seed {
    label: String,
    kind: Kind,
    value: Value,
    order: Order,
}

pub struct Case {
    pub name: String,
    pub kind: Kind,
    pub bytes: Vec<u8>,
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read seed")).expect("seed is JSON")
}

/// The real files the corpus is made from: the demo project's artifacts (in the repo), small
/// real dbt and OpenLineage files from the shared fixtures when present, and alerts in the
/// shape Airflow callbacks send.
fn seeds() -> Vec<Seed> {
    let seed = |label: &str, kind, value, order| Seed {
        label: label.to_owned(),
        kind,
        value,
        order,
    };
    let demo = |f: &str| read_json(&demo_artifact("broken", f));
    let alert = json!({
        "source": "airflow", "asset": "fct_revenue", "check": "load_revenue.task",
        "status": "fail", "severity": "error", "message": "task failed",
        "url": "https://airflow.example.com/log", "run_id": "scheduled__2026",
        "occurred_at": "2026-01-01T00:00:00Z", "id": "a-1"
    });
    let mut out = vec![
        seed(
            "demo",
            Kind::Manifest,
            demo("manifest.json"),
            Order::MetadataFirst,
        ),
        seed(
            "demo",
            Kind::RunResults,
            demo("run_results.json"),
            Order::MetadataFirst,
        ),
        seed(
            "demo",
            Kind::Sources,
            demo("sources.json"),
            Order::MetadataFirst,
        ),
        seed("one", Kind::Alert, alert.clone(), Order::Sorted),
        seed(
            "list",
            Kind::Alert,
            json!([alert.clone(), alert]),
            Order::Sorted,
        ),
    ];
    match fixtures("fault corpus (real dbt and OpenLineage seeds)") {
        Some(fx) => {
            let dbt = fx.join("dbt");
            for (label, kind, path) in [
                (
                    "ol-build-v3",
                    Kind::Manifest,
                    dbt.join("openlineage/build/manifest.json"),
                ),
                (
                    "ol-singular-v11",
                    Kind::Manifest,
                    dbt.join("openlineage/singular_test/manifest.json"),
                ),
                (
                    "core-v4",
                    Kind::RunResults,
                    dbt.join("dbt-core/run_results_v4.json"),
                ),
                (
                    "ol-test-v2",
                    Kind::RunResults,
                    dbt.join("openlineage/test/run_results.json"),
                ),
            ] {
                out.push(seed(label, kind, read_json(&path), Order::MetadataFirst));
            }
            let ol = fx.join("openlineage");
            let events = read_json(&ol.join("openlineage_dbt/fail__result.json"));
            out.push(seed(
                "dbt-fail-event",
                Kind::OpenLineage,
                events[0].clone(),
                Order::Sorted,
            ));
            out.push(seed(
                "dbt-fail-list",
                Kind::OpenLineage,
                events,
                Order::Sorted,
            ));
            let airflow = read_json(&ol.join("airflow_integration_requests/failing/bash.json"));
            out.push(seed(
                "airflow-bash",
                Kind::OpenLineage,
                airflow,
                Order::Sorted,
            ));
        }
        None => {
            // Without the fixtures, one event in the shape Airflow's provider sends.
            let event = json!({
                "eventType": "FAIL", "eventTime": "2026-01-01T00:00:00Z",
                "run": {"runId": "r-1", "facets": {"errorMessage": {"message": "boom"}}},
                "job": {"namespace": "airflow", "name": "dag.task"},
                "outputs": [{"namespace": "duckdb://x", "name": "demo.analytics.fct_revenue"}],
                "producer": "x"
            });
            out.push(seed(
                "event",
                Kind::OpenLineage,
                event.clone(),
                Order::Sorted,
            ));
            out.push(seed(
                "list",
                Kind::OpenLineage,
                json!([event]),
                Order::Sorted,
            ));
        }
    }
    out
}

/// A path like `nodes.#0.unique_id`: `#n` is the n-th entry of an object or array.
fn get_mut<'v>(v: &'v mut Value, path: &str) -> Option<&'v mut Value> {
    path.split('.')
        .try_fold(v, |v, seg| match seg.strip_prefix('#') {
            Some(n) => {
                let n: usize = n.parse().ok()?;
                match v {
                    Value::Array(a) => a.get_mut(n),
                    Value::Object(o) => o.values_mut().nth(n),
                    _ => None,
                }
            }
            None => v.as_object_mut()?.get_mut(seg),
        })
}

/// Sets `path` (its parent must exist; an object gains the key) to `new`.
fn set(v: &mut Value, path: &str, new: Value) -> bool {
    let (parent, last) = path.rsplit_once('.').unwrap_or(("", path));
    let parent = if parent.is_empty() {
        Some(v)
    } else {
        get_mut(v, parent)
    };
    match (parent, last.strip_prefix('#')) {
        (Some(p), Some(_)) => match get_mut(p, last) {
            Some(slot) => {
                *slot = new;
                true
            }
            None => false,
        },
        (Some(Value::Object(o)), None) => {
            o.insert(last.to_owned(), new);
            true
        }
        _ => false,
    }
}

/// Deletes the key at `path`; false when it is not there.
fn delete(v: &mut Value, path: &str) -> bool {
    let (parent, last) = path.rsplit_once('.').unwrap_or(("", path));
    let parent = if parent.is_empty() {
        Some(v)
    } else {
        get_mut(v, parent)
    };
    match parent {
        Some(Value::Object(o)) => o.remove(last).is_some(),
        _ => false,
    }
}

/// Writes `v` with its top-level `metadata` where `order` puts it.
fn write(v: &Value, order: Order) -> Vec<u8> {
    let Some(obj) = v.as_object().filter(|o| o.contains_key("metadata")) else {
        return serde_json::to_vec(v).unwrap();
    };
    let mut keys: Vec<&String> = obj.keys().filter(|k| *k != "metadata").collect();
    match order {
        Order::Sorted => return serde_json::to_vec(v).unwrap(),
        Order::MetadataFirst => keys.insert(0, obj.keys().find(|k| *k == "metadata").unwrap()),
        Order::MetadataLast => keys.push(obj.keys().find(|k| *k == "metadata").unwrap()),
    }
    let parts: Vec<String> = keys
        .iter()
        .map(|k| format!("{}:{}", json!(k), obj[k.as_str()]))
        .collect();
    format!("{{{}}}", parts.join(",")).into_bytes()
}

/// Wrong-typed values per path, by kind. Every one of them must be refused.
fn wrong_types(kind: Kind) -> Vec<(&'static str, Vec<Value>)> {
    match kind {
        Kind::Manifest => vec![
            ("nodes", vec![json!(5), json!("x"), json!([1]), json!(true)]),
            ("metadata", vec![json!(5), json!("x"), json!([1])]),
            (
                "metadata.dbt_schema_version",
                vec![json!(12), json!([]), json!({})],
            ),
            ("metadata.dbt_version", vec![json!(5)]),
            ("nodes.#0", vec![json!("x"), json!(5), json!([])]),
            ("nodes.#0.unique_id", vec![json!(5), json!(null), json!([])]),
            ("nodes.#0.name", vec![json!(5), json!([])]),
            ("nodes.#0.fqn", vec![json!("x"), json!(5)]),
            ("nodes.#0.tags", vec![json!(5), json!({})]),
            ("nodes.#0.depends_on", vec![json!("x"), json!(5)]),
            ("nodes.#0.depends_on.nodes", vec![json!(5), json!("x")]),
            ("nodes.#0.config", vec![json!("x"), json!(5)]),
            ("nodes.#0.resource_type", vec![json!(5)]),
            ("nodes.#1.unique_id", vec![json!(5)]),
            ("sources", vec![json!(5), json!("x")]),
            ("sources.#0.unique_id", vec![json!(5)]),
            ("exposures", vec![json!(5)]),
            ("parent_map", vec![json!("x"), json!(5)]),
            ("parent_map.#0", vec![json!(5), json!("x")]),
            ("groups", vec![json!(5)]),
        ],
        Kind::RunResults | Kind::Sources => vec![
            (
                "results",
                vec![json!(5), json!("x"), json!({}), json!(null)],
            ),
            ("results.#0", vec![json!(5), json!("x"), json!([])]),
            (
                "results.#0.unique_id",
                vec![json!(5), json!(null), json!([])],
            ),
            ("results.#0.status", vec![json!(5), json!(null), json!({})]),
            ("results.#0.message", vec![json!(5), json!([])]),
            ("results.#0.timing", vec![json!("x"), json!(5)]),
            ("results.#0.timing.#0", vec![json!("x")]),
            ("results.#0.timing.#0.completed_at", vec![json!(5)]),
            ("results.#1.unique_id", vec![json!(5)]),
            (
                "metadata",
                vec![json!(5), json!("x"), json!([]), json!(null)],
            ),
            ("metadata.dbt_schema_version", vec![json!(6), json!([])]),
            ("metadata.invocation_id", vec![json!(5)]),
            ("metadata.generated_at", vec![json!(5)]),
            ("args", vec![json!(5), json!("x")]),
            ("args.target", vec![json!(5)]),
            ("results.#0.max_loaded_at", vec![json!(5)]),
            ("results.#0.max_loaded_at_time_ago_in_s", vec![json!("x")]),
        ],
        Kind::Alert => vec![
            (
                "status",
                vec![json!(5), json!(null), json!("maybe"), json!("")],
            ),
            (
                "asset",
                vec![json!(5), json!(null), json!(""), json!("   ")],
            ),
            ("check", vec![json!(5), json!("")]),
            ("severity", vec![json!("critical"), json!(5)]),
            ("occurred_at", vec![json!("yesterday"), json!(5)]),
            ("message", vec![json!(5)]),
            ("url", vec![json!([])]),
            ("id", vec![json!(5)]),
            ("source", vec![json!({})]),
            ("extra_field", vec![json!(1)]),
        ],
        Kind::OpenLineage => vec![
            ("run", vec![json!(5), json!("x"), json!(null)]),
            ("run.runId", vec![json!(5), json!(null)]),
            ("job", vec![json!("x"), json!(5)]),
            ("job.name", vec![json!(5)]),
            ("job.namespace", vec![json!([])]),
            ("outputs", vec![json!(5), json!("x")]),
            ("outputs.#0", vec![json!("x")]),
            ("outputs.#0.name", vec![json!(5)]),
            ("eventType", vec![json!(5)]),
            ("eventTime", vec![json!(5)]),
            ("run.facets", vec![json!("x")]),
            ("run.facets.errorMessage", vec![json!(5)]),
        ],
    }
}

/// Keys whose deletion must be refused, by kind.
fn required(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Manifest => &["nodes", "nodes.#0.unique_id", "sources.#0.unique_id"],
        Kind::RunResults | Kind::Sources => {
            &["results", "results.#0.unique_id", "results.#0.status"]
        }
        Kind::Alert => &["asset", "check", "status"],
        Kind::OpenLineage => &["run", "job", "run.runId", "job.name", "job.namespace"],
    }
}

/// `metadata.dbt_schema_version` values each kind must refuse.
fn bad_versions(kind: Kind) -> Vec<String> {
    let url = |a: &str, v: &str| format!("https://schemas.getdbt.com/dbt/{a}/v{v}.json");
    let mut out = vec![
        "banana".to_owned(),
        String::new(),
        url("catalog", "1"),
        url("semantic_manifest", "1"),
        format!("https://schemas.getdbt.com/dbt/{}/v.json", kind.label()),
    ];
    let (own, max, others) = match kind {
        Kind::Manifest => ("manifest", 12, [("run-results", "6"), ("sources", "3")]),
        Kind::RunResults => ("run-results", 6, [("manifest", "12"), ("sources", "3")]),
        Kind::Sources => ("sources", 3, [("run-results", "6"), ("manifest", "12")]),
        _ => return Vec::new(),
    };
    out.extend(others.iter().map(|(a, v)| url(a, v)));
    for v in [
        "0".to_owned(),
        (max + 1).to_string(),
        "99".to_owned(),
        "4294967296".to_owned(),
        "18446744073709551616".to_owned(),
        "9".repeat(200_000),
    ] {
        out.push(url(own, &v));
    }
    out
}

/// Every case: at least 200 from the demo artifacts alone.
pub fn corpus() -> Vec<Case> {
    let mut cases = Vec::new();
    let seeds = seeds();
    for seed in &seeds {
        let mut push = |what: &str, bytes: Vec<u8>| {
            cases.push(Case {
                name: format!("fault/{}/{}/{what}", seed.kind.label(), seed.label),
                kind: seed.kind,
                bytes,
            })
        };
        // In a list, a fault in its second element.
        let base = if seed.value.is_array() { "#1." } else { "" };
        let mutated = |f: &dyn Fn(&mut Value) -> bool| {
            let mut v = seed.value.clone();
            f(&mut v).then(|| write(&v, seed.order))
        };
        let original = write(&seed.value, seed.order);
        for k in 0..9 {
            push(
                &format!("truncated-{k}of9"),
                original[..original.len() * k / 9].to_vec(),
            );
        }
        for (path, values) in wrong_types(seed.kind) {
            for (i, value) in values.into_iter().enumerate() {
                let path = format!("{base}{path}");
                if let Some(b) = mutated(&|v| set(v, &path, value.clone())) {
                    push(&format!("type-{path}-{i}"), b);
                }
            }
        }
        for path in required(seed.kind) {
            let path = format!("{base}{path}");
            if let Some(b) = mutated(&|v| delete(v, &path)) {
                push(&format!("deleted-{path}"), b);
            }
        }
        for (i, version) in bad_versions(seed.kind).into_iter().enumerate() {
            for order in [Order::MetadataFirst, Order::MetadataLast] {
                let mut v = seed.value.clone();
                set(&mut v, "metadata.dbt_schema_version", json!(version));
                push(&format!("version-{i}-{}", order as u8), write(&v, order));
            }
        }
        if seed.kind == Kind::Manifest {
            for (what, nodes) in [("null", json!(null)), ("empty", json!({}))] {
                push(
                    &format!("nodes-{what}"),
                    mutated(&|v| set(v, "nodes", nodes.clone())).unwrap(),
                );
            }
        }
        // Invalid UTF-8 inside a string the parser reads, and as a stray byte before the JSON.
        let utf8_path = match seed.kind {
            Kind::Manifest => "nodes.#0.name",
            Kind::RunResults | Kind::Sources => "results.#0.unique_id",
            Kind::Alert => "status",
            Kind::OpenLineage => "job.name",
        };
        if let Some(b) = mutated(&|v| set(v, &format!("{base}{utf8_path}"), json!("@@BAD@@"))) {
            push(
                "invalid-utf8-in-string",
                replace(&b, b"@@BAD@@", b"ab\xffcd"),
            );
        }
        push(
            "invalid-utf8-before",
            [b"\xff".as_slice(), &original].concat(),
        );
        // Deep nesting: never closed, or closed where a value of another shape is read. (Deep
        // but closed nesting inside a part Steward skips is valid JSON, and loads.)
        for (path, closed) in deep_paths(seed.kind) {
            let path = format!("{base}{path}");
            if let Some(b) = mutated(&|v| set(v, &path, json!("@@DEEP@@"))) {
                let close = if *closed {
                    "]".repeat(100_000)
                } else {
                    String::new()
                };
                let deep = format!("{}{close}", "[".repeat(100_000));
                let what = if *closed { "deep" } else { "deep-unclosed" };
                push(
                    &format!("{what}-{path}"),
                    replace(&b, b"\"@@DEEP@@\"", deep.as_bytes()),
                );
            }
        }
    }
    // Another artifact given in place of this one, metadata before or after its contents.
    let find = |k: Kind| seeds.iter().find(|s| s.kind == k).unwrap();
    for (as_kind, file) in [
        (Kind::Manifest, Kind::RunResults),
        (Kind::Manifest, Kind::Sources),
        (Kind::RunResults, Kind::Manifest),
        (Kind::RunResults, Kind::Sources),
        (Kind::Sources, Kind::RunResults),
        (Kind::Sources, Kind::Manifest),
    ] {
        for order in [Order::MetadataFirst, Order::MetadataLast, Order::Sorted] {
            cases.push(Case {
                name: format!(
                    "fault/{}/is-a-{}/{}",
                    as_kind.label(),
                    file.label(),
                    order as u8
                ),
                kind: as_kind,
                bytes: write(&find(file).value, order),
            });
        }
    }
    cases.extend(huge_cases(&seeds));
    cases
}

/// Where to nest 100,000 arrays, and whether they are closed.
fn deep_paths(kind: Kind) -> &'static [(&'static str, bool)] {
    match kind {
        Kind::Manifest => &[
            ("macros", false),
            ("nodes.#0.fqn", true),
            ("nodes.#0.meta", false),
        ],
        Kind::RunResults | Kind::Sources => &[
            ("elapsed_time", false),
            ("results.#0.timing", true),
            ("results.#0.adapter_response", false),
        ],
        Kind::Alert => &[("message", true), ("message", false)],
        Kind::OpenLineage => &[("run.facets.custom", true), ("producer", false)],
    }
}

fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("placeholder present");
    [&bytes[..at], to, &bytes[at + from.len()..]].concat()
}

/// Huge strings where an error would quote them: values, keys, versions. Half are 20 MB, half
/// 2 MB (a debug build formats serde's message for each at about 10 MB/s).
fn huge_cases(seeds: &[Seed]) -> Vec<Case> {
    let huge = format!("\"{}\"", "f".repeat(HUGE));
    let large = format!("\"{}\"", "f".repeat(HUGE / 10));
    let plan: [(Kind, &str); 10] = [
        (Kind::Manifest, "metadata.dbt_schema_version"),
        (Kind::Manifest, "nodes"),
        (Kind::RunResults, "results"),
        (Kind::Manifest, "nodes.#0.fqn"),
        (Kind::Alert, "status"),
        (Kind::RunResults, "metadata.dbt_schema_version"),
        (Kind::OpenLineage, "run"),
        (Kind::Sources, "results.#0.timing"),
        (Kind::Alert, "occurred_at"),
        (Kind::Alert, "severity"),
    ];
    let mut out = Vec::new();
    for (i, (kind, path)) in plan.into_iter().enumerate() {
        let huge = if i % 2 == 0 { &huge } else { &large };
        let seed = seeds
            .iter()
            .find(|s| s.kind == kind && !s.value.is_array())
            .unwrap();
        let mut v = seed.value.clone();
        assert!(set(&mut v, path, json!("@@HUGE@@")), "{path}");
        let bytes = replace(&write(&v, seed.order), b"\"@@HUGE@@\"", huge.as_bytes());
        out.push(Case {
            name: format!("fault/{}/huge-{path}", kind.label()),
            kind,
            bytes,
        });
    }
    // A 20 MB unknown key in an alert.
    let mut alert = seeds
        .iter()
        .find(|s| s.kind == Kind::Alert)
        .unwrap()
        .value
        .clone();
    set(&mut alert, "@@HUGE@@", json!(1));
    let bytes = replace(
        &serde_json::to_vec(&alert).unwrap(),
        b"\"@@HUGE@@\"",
        huge.as_bytes(),
    );
    out.push(Case {
        name: "fault/alert/huge-key".into(),
        kind: Kind::Alert,
        bytes,
    });
    out
}

/// Everything stored, as text: every row of every table.
pub fn dump(db: &Path) -> String {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open the database read-only");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = String::new();
    for t in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                (0..n)
                    .map(|i| {
                        r.get::<_, rusqlite::types::Value>(i)
                            .map(|v| format!("{v:?}"))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .unwrap();
        for row in rows {
            out.push_str(&format!("{t}: {}\n", row.unwrap().join(" | ")));
        }
    }
    out
}

/// Checks one refusal's text: one line, naming `origin`, short.
pub fn check_error_line(line: &str, origin: &str) -> Result<(), String> {
    if line.contains('\n') || line.contains('\r') {
        return Err(format!("more than one line: {line}"));
    }
    if !line.contains(origin) {
        return Err(format!("does not name {origin}: {line}"));
    }
    if line.len() > MAX_ERROR_BYTES {
        return Err(format!("{} bytes: {}…", line.len(), &line[..200]));
    }
    Ok(())
}

/// Runs `case` through `app`; the error's text when it was refused cleanly.
fn run_in_process(app: &App, case: &Case) -> Result<String, String> {
    let input = Input::new(case.name.clone(), case.bytes.clone());
    let outcome = catch_unwind(AssertUnwindSafe(|| match case.kind {
        Kind::Manifest => app.ingest_dbt(DbtArtifacts {
            manifest: Some(input),
            ..Default::default()
        }),
        Kind::RunResults => app.ingest_dbt(DbtArtifacts {
            run_results: Some(input),
            ..Default::default()
        }),
        Kind::Sources => app.ingest_dbt(DbtArtifacts {
            sources: Some(input),
            ..Default::default()
        }),
        Kind::Alert => app.ingest_alerts(input, None),
        Kind::OpenLineage => app.ingest_openlineage(input, None),
    }))
    .map_err(|_| "panicked".to_owned())?;
    match outcome {
        Ok(summary) => Err(format!("accepted: {summary}")),
        Err(e) => match as_input_error(&e) {
            Some(input) => {
                let line = input.to_string();
                check_error_line(&line, &case.name).map(|_| line)
            }
            None => Err(format!("internal error, not an input error: {e:#}")),
        },
    }
}

#[test]
fn every_fault_in_the_corpus_is_refused_cleanly_and_writes_nothing() {
    let t = TestApp::new();
    let read = |f: &str| Some(Input::read(&demo_artifact("broken", f)).unwrap());
    t.app
        .ingest_dbt(DbtArtifacts {
            manifest: read("manifest.json"),
            run_results: read("run_results.json"),
            sources: read("sources.json"),
            ..Default::default()
        })
        .unwrap();
    let before = dump(&t.db_path());
    assert!(before.contains("issues: "), "the demo run opened issues");
    let lineage = t.app.lineage.current();
    let cases = corpus();
    assert!(cases.len() >= 200, "only {} cases", cases.len());
    let mut failures = Vec::new();
    let mut per_kind = std::collections::BTreeMap::new();
    for case in &cases {
        *per_kind.entry(case.kind.label()).or_insert(0) += 1;
        if let Err(problem) = run_in_process(&t.app, case) {
            failures.push(format!("{}: {problem}", case.name));
            continue;
        }
        if !std::sync::Arc::ptr_eq(&lineage, &t.app.lineage.current()) {
            failures.push(format!("{}: the lineage was replaced", case.name));
        }
        if dump(&t.db_path()) != before {
            failures.push(format!("{}: the database changed", case.name));
            break;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    for kind in ["manifest", "run_results", "sources", "alert", "openlineage"] {
        assert!(
            per_kind.get(kind).copied().unwrap_or(0) >= 20,
            "{kind}: {per_kind:?}"
        );
    }
}

/// A sample of the corpus, one or more of each kind of fault, huge strings included.
fn sample() -> Vec<Case> {
    let wanted = [
        "fault/manifest/demo/truncated-4of9",
        "fault/manifest/demo/nodes-null",
        "fault/manifest/demo/version-9-1",
        "fault/manifest/is-a-run_results/1",
        "fault/manifest/huge-metadata.dbt_schema_version",
        "fault/run_results/demo/deleted-results.#0.status",
        "fault/run_results/huge-results",
        "fault/sources/demo/invalid-utf8-in-string",
        "fault/alert/huge-status",
        "fault/alert/huge-key",
        "fault/alert/list/type-#1.severity-0",
        "fault/openlineage/huge-run",
    ];
    let cases: Vec<Case> = corpus()
        .into_iter()
        .filter(|c| wanted.contains(&c.name.as_str()))
        .collect();
    assert_eq!(cases.len(), wanted.len(), "every sampled case exists");
    cases
}

#[test]
fn a_sample_of_the_corpus_exits_2_from_the_cli_with_one_short_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("steward.db");
    ingest_demo(&db, "broken");
    let before = dump(&db);
    for case in sample() {
        let file = dir.path().join(case.name.replace('/', "_"));
        std::fs::write(&file, &case.bytes).unwrap();
        let path = file.display().to_string();
        let args = case.kind.cli_args(&path);
        let out = steward(&db, &args.iter().map(String::as_str).collect::<Vec<_>>());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {err}", case.name);
        assert!(
            out.stdout.is_empty(),
            "{}: printed {:?}",
            case.name,
            out.stdout
        );
        let line = err.strip_suffix('\n').unwrap_or(&err);
        assert!(line.starts_with("error: "), "{}: {line}", case.name);
        check_error_line(line, &path).unwrap_or_else(|p| panic!("{}: {p}", case.name));
        assert_eq!(dump(&db), before, "{}: the database changed", case.name);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sample_of_the_corpus_gets_a_short_400_over_http() {
    let s = TestServer::start(None).await;
    let db = s.test_app.db_path();
    let multipart = |name: &str, bytes: &[u8]| {
        let mut body =
            format!("--XBOUNDARY\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n")
                .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n--XBOUNDARY--\r\n");
        body
    };
    let ct = [("content-type", "multipart/form-data; boundary=XBOUNDARY")];
    let demo = std::fs::read(demo_artifact("broken", "manifest.json")).unwrap();
    let (status, reply) = s
        .send("POST", "/v1/dbt", &ct, multipart("manifest", &demo))
        .await;
    assert_eq!(status, 200, "{reply}");
    let before = dump(&db);
    for case in sample() {
        let (path, origin, headers, body) = match case.kind {
            Kind::Manifest | Kind::RunResults | Kind::Sources => {
                let part = case.kind.label();
                let origin = format!("POST /v1/dbt (part {part})");
                ("/v1/dbt", origin, &ct[..], multipart(part, &case.bytes))
            }
            Kind::Alert => (
                "/v1/alerts",
                "POST /v1/alerts".to_owned(),
                &[][..],
                case.bytes.clone(),
            ),
            Kind::OpenLineage => (
                "/v1/openlineage",
                "POST /v1/openlineage".to_owned(),
                &[][..],
                case.bytes.clone(),
            ),
        };
        let (status, reply) = s.send("POST", path, headers, body).await;
        assert_eq!(status, 400, "{}: {reply}", case.name);
        let text = reply.to_string();
        assert!(
            text.len() < MAX_ERROR_BYTES + 64,
            "{}: {} bytes",
            case.name,
            text.len()
        );
        let line = reply["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{}: {reply}", case.name));
        check_error_line(line, &origin).unwrap_or_else(|p| panic!("{}: {p}", case.name));
        assert_eq!(dump(&db), before, "{}: the database changed", case.name);
    }
    s.server.stop().await;
}
