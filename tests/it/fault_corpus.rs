//! The fault corpus (issue #9): several hundred malformed manifests, run_results, sources,
//! alerts and OpenLineage events generated from real files (the demo project's artifacts, and
//! the shared fixtures where present): truncations, wrong types at many paths, deleted keys,
//! huge strings, deep nesting, invalid UTF-8, wrong kinds, wrong and overflowing versions. Each
//! must end in a clean error: one line, naming its origin, a few hundred bytes at most even when
//! the input holds a 20 MB string, no panic, and nothing written. Most run in-process through
//! `App`; a sample runs through the CLI binary (exit 2) and over HTTP (400).

use crate::support::{TestApp, TestServer, demo_artifact, ingest_demo, steward};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use steward::app::App;
use steward::app::ingest::{DbtArtifacts, Input};
use steward::error::as_input_error;

mod generate;
pub use generate::{Case, Kind, corpus};

/// The most bytes an error may take, whatever the input.
pub const MAX_ERROR_BYTES: usize = 512;

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
    eprintln!(
        "fault corpus: {} cases refused cleanly: {per_kind:?}",
        cases.len()
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
