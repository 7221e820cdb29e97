//! Generates the fault corpus from real files: each seed (a demo artifact, a small real dbt or
//! OpenLineage file, an alert) is mutated at many paths and written back with `metadata` first,
//! last or with sorted keys.

use crate::support::{demo_artifact, fixtures};
use serde_json::{Value, json};
use std::path::Path;
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
    pub fn label(self) -> &'static str {
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
