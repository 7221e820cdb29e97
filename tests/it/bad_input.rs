//! Issue #9's list, one test per item: manifests without nodes (and `--allow-empty` /
//! `allow_empty`), another artifact or version wherever `metadata` sits, overflowing versions,
//! a 20 MB value in an alert, a closed stdout, and manifests read from pipes and FIFOs.

use crate::fault_corpus::{Kind, MAX_ERROR_BYTES, check_error_line, dump};
use crate::support::{TestApp, TestServer, demo_artifact, ingest_demo, steward, steward_command};
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use steward::app::ingest::{DbtArtifacts, Input};
use steward::error::as_input_error;

fn demo(file: &str) -> Value {
    serde_json::from_slice(&std::fs::read(demo_artifact("broken", file)).unwrap()).unwrap()
}

/// `doc` written with `metadata` as its last key.
fn metadata_last(doc: &Value) -> Vec<u8> {
    let obj = doc.as_object().unwrap();
    let mut parts: Vec<String> = obj
        .iter()
        .filter(|(k, _)| *k != "metadata")
        .map(|(k, v)| format!("{}:{v}", json!(k)))
        .collect();
    parts.push(format!("\"metadata\":{}", obj["metadata"]));
    format!("{{{}}}", parts.join(",")).into_bytes()
}

fn with_version(mut doc: Value, url: &str) -> Value {
    doc["metadata"]["dbt_schema_version"] = json!(url);
    doc
}

/// The refusal of `bytes` as `kind` by a fresh app with the demo run in it; checks that
/// nothing was written.
fn refusal(kind: Kind, origin: &str, bytes: Vec<u8>) -> String {
    let t = TestApp::new();
    let read = |f: &str| Some(Input::read(&demo_artifact("broken", f)).unwrap());
    t.app
        .ingest_dbt(DbtArtifacts {
            manifest: read("manifest.json"),
            ..Default::default()
        })
        .unwrap();
    let before = dump(&t.db_path());
    let input = Some(Input::new(origin, bytes));
    let artifacts = match kind {
        Kind::Manifest => DbtArtifacts {
            manifest: input,
            ..Default::default()
        },
        Kind::RunResults => DbtArtifacts {
            run_results: input,
            ..Default::default()
        },
        Kind::Sources => DbtArtifacts {
            sources: input,
            ..Default::default()
        },
        _ => unreachable!("dbt artifacts only"),
    };
    let err = t.app.ingest_dbt(artifacts).expect_err("refused");
    let line = as_input_error(&err).expect("an input error").to_string();
    check_error_line(&line, origin).unwrap();
    assert_eq!(dump(&t.db_path()), before, "{origin}: nothing written");
    line
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn stored_node_count(db: &Path) -> u64 {
    let out = steward(db, &["lineage", "stats", "--json"]);
    let stats: Value = serde_json::from_slice(&out.stdout).expect("stats JSON");
    stats["nodes"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(Value::as_u64)
        .sum()
}

#[test]
fn a_manifest_whose_nodes_are_null_missing_or_empty_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("steward.db");
    ingest_demo(&db, "broken");
    let nodes_before = stored_node_count(&db);
    let before = dump(&db);
    let manifest = demo("manifest.json");
    let mut variants = Vec::new();
    for (what, nodes) in [
        ("null", Some(json!(null))),
        ("empty", Some(json!({}))),
        ("missing", None),
    ] {
        let mut m = manifest.clone();
        match nodes {
            Some(n) => m["nodes"] = n,
            None => {
                m.as_object_mut().unwrap().remove("nodes");
            }
        }
        let file = write_file(
            dir.path(),
            &format!("{what}.json"),
            &serde_json::to_vec(&m).unwrap(),
        );
        let path = file.display().to_string();
        let out = steward(&db, &["ingest", "dbt", "--manifest", &path]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {err}");
        assert_eq!(
            err.trim_end(),
            format!(
                "error: {path}: at `nodes`: `nodes` is {what}, so this manifest would empty the \
                 lineage graph; refused (pass --allow-empty, or allow_empty over HTTP, to accept it)"
            )
        );
        assert_eq!(dump(&db), before, "{what}: nothing written");
        variants.push(path);
    }
    assert_eq!(stored_node_count(&db), nodes_before);

    // Asked for, it is taken: the graph keeps only what the manifest still has (its sources).
    let out = steward(
        &db,
        &["ingest", "dbt", "--manifest", &variants[0], "--allow-empty"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sources = manifest["sources"].as_object().unwrap().len() as u64;
    let others = [
        "exposures",
        "metrics",
        "semantic_models",
        "saved_queries",
        "unit_tests",
    ]
    .iter()
    .filter_map(|k| manifest[*k].as_object())
    .map(|o| o.len() as u64)
    .sum::<u64>();
    assert_eq!(stored_node_count(&db), sources + others);
    assert!(stored_node_count(&db) < nodes_before);
}

#[tokio::test(flavor = "multi_thread")]
async fn allow_empty_over_http_json_multipart_and_push() {
    let s = TestServer::start(None).await;
    let db = s.test_app.db_path();
    let mut full = demo("manifest.json");
    let body = json!({ "manifest": full }).to_string().into_bytes();
    assert_eq!(s.send("POST", "/v1/dbt", &[], body).await.0, 200);
    let before = dump(&db);
    full["nodes"] = json!(null);
    let empty = full;

    let (status, reply) = s
        .send(
            "POST",
            "/v1/dbt",
            &[],
            json!({ "manifest": empty }).to_string().into_bytes(),
        )
        .await;
    assert_eq!(status, 400, "{reply}");
    let line = reply["error"].as_str().unwrap();
    check_error_line(line, "POST /v1/dbt (manifest): at `nodes`: `nodes` is null").unwrap();
    assert_eq!(dump(&db), before, "refused: nothing written");

    let multipart = |allow: &str| {
        let mut b = Vec::new();
        for (name, value) in [
            ("allow_empty", allow.as_bytes().to_vec()),
            ("manifest", serde_json::to_vec(&empty).unwrap()),
        ] {
            b.extend_from_slice(
                format!("--B\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n")
                    .as_bytes(),
            );
            b.extend_from_slice(&value);
            b.extend_from_slice(b"\r\n");
        }
        b.extend_from_slice(b"--B--\r\n");
        b
    };
    let ct = [("content-type", "multipart/form-data; boundary=B")];
    let (status, reply) = s.send("POST", "/v1/dbt", &ct, multipart("maybe")).await;
    assert_eq!(status, 400, "{reply}");
    assert!(
        reply["error"].as_str().unwrap().contains("allow_empty"),
        "{reply}"
    );
    let (status, reply) = s.send("POST", "/v1/dbt", &ct, multipart("false")).await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(dump(&db), before, "refused: nothing written");

    let (status, reply) = s.send("POST", "/v1/dbt", &ct, multipart("true")).await;
    assert_eq!(status, 200, "{reply}");
    let (status, reply) = s
        .send(
            "POST",
            "/v1/dbt",
            &[],
            json!({ "manifest": empty, "allow_empty": true })
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply["manifest"]["nodes"],
        s.test_app.app.lineage.current().node_count()
    );

    // `steward push --allow-empty` sends the flag; without it the server refuses.
    let artifacts = |allow_empty| DbtArtifacts {
        manifest: Some(Input::new(
            "target/manifest.json",
            serde_json::to_vec(&empty).unwrap(),
        )),
        allow_empty,
        ..Default::default()
    };
    let refused = steward::faces::cli::push::build_body(&artifacts(false)).unwrap();
    assert_eq!(s.send("POST", "/v1/dbt", &[], refused).await.0, 400);
    let allowed = steward::faces::cli::push::build_body(&artifacts(true)).unwrap();
    let (status, reply) = s.send("POST", "/v1/dbt", &[], allowed).await;
    assert_eq!(status, 200, "{reply}");
    s.server.stop().await;
}

#[test]
fn another_artifact_or_an_unsupported_version_is_refused_wherever_metadata_sits() {
    let run_results = demo("run_results.json");
    // 2. A run_results file as the manifest, its metadata after its results.
    let line = refusal(Kind::Manifest, "rr.json", metadata_last(&run_results));
    assert!(
        line.starts_with("rr.json: at `metadata.dbt_schema_version` (line 1 column "),
        "{line}"
    );
    assert!(line.ends_with(": this is a dbt run_results file, not a dbt manifest (\"https://schemas.getdbt.com/dbt/run-results/v6.json\")"), "{line}");

    // 3. A v99 manifest with sorted keys: `metadata` comes after `macros`, far past 64 KiB.
    let v99 = with_version(
        demo("manifest.json"),
        "https://schemas.getdbt.com/dbt/manifest/v99.json",
    );
    let sorted = serde_json::to_vec(&v99).unwrap();
    let at = sorted
        .windows(11)
        .position(|w| w == b"\"metadata\":")
        .unwrap();
    assert!(at > 64 * 1024, "metadata at byte {at}");
    let line = refusal(Kind::Manifest, "sorted.json", sorted);
    assert!(
        line.ends_with(
            ": dbt manifest schema \"v99\" is not supported (supported: v1–v12); upgrade Steward"
        ),
        "{line}"
    );

    // 4. Versions that overflow.
    for digits in ["4294967296".to_owned(), "9".repeat(200_000)] {
        let url = format!("https://schemas.getdbt.com/dbt/manifest/v{digits}.json");
        let doc = serde_json::to_vec(&with_version(demo("manifest.json"), &url)).unwrap();
        let line = refusal(Kind::Manifest, "overflow.json", doc);
        assert!(
            line.contains("is not supported (supported: v1–v12)"),
            "{line}"
        );
        assert!(line.len() < 300, "{} bytes", line.len());
    }

    // 5. run_results v99 with metadata after results; sources v4 the same.
    let rr99 = with_version(
        run_results,
        "https://schemas.getdbt.com/dbt/run-results/v99.json",
    );
    let line = refusal(Kind::RunResults, "rr99.json", metadata_last(&rr99));
    assert!(line.ends_with(": dbt run_results file schema \"v99\" is not supported (supported: v1–v6); upgrade Steward"), "{line}");
    let s4 = with_version(
        demo("sources.json"),
        "https://schemas.getdbt.com/dbt/sources/v4.json",
    );
    let line = refusal(Kind::Sources, "s4.json", metadata_last(&s4));
    assert!(
        line.contains("schema \"v4\" is not supported (supported: v1–v3)"),
        "{line}"
    );

    // A good manifest loads the same wherever its metadata sits.
    let m = demo("manifest.json");
    let first = steward::lineage::load_manifest("m", &serde_json::to_vec(&m).unwrap()).unwrap();
    let last = steward::lineage::load_manifest("m", &metadata_last(&m)).unwrap();
    assert_eq!(first.stats().nodes, last.stats().nodes);
    assert_eq!((first.schema_version, last.schema_version), (12, 12));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_20_mb_status_gets_a_short_error_from_the_cli_and_http() {
    let alert =
        json!({"asset": "fct_revenue", "check": "dag.task", "status": "f".repeat(20 << 20)});
    let bytes = serde_json::to_vec(&alert).unwrap();
    let expected = format!(
        "at `[0].status`: status \"{}…\" is not `fail` or `pass`",
        "f".repeat(steward::error::MAX_QUOTED_CHARS)
    );

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("steward.db");
    let file = write_file(dir.path(), "alert.json", &bytes);
    let path = file.display().to_string();
    let out = steward(&db, &["ingest", "alert", &path]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err, format!("error: {path}: {expected}\n"));

    let s = TestServer::start(None).await;
    let (status, reply) = s.send("POST", "/v1/alerts", &[], bytes).await;
    assert_eq!(status, 400);
    assert_eq!(
        reply,
        json!({ "error": format!("POST /v1/alerts: {expected}") })
    );
    assert!(reply.to_string().len() < MAX_ERROR_BYTES);
    s.server.stop().await;
}

#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    use std::os::fd::{FromRawFd, OwnedFd};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("steward.db");
    ingest_demo(&db, "broken");
    for args in [
        &["issues"][..],
        &["issues", "--json"],
        &["issue", "1"],
        &["lineage", "stats"],
    ] {
        // A pipe whose reader is gone before the command writes: every write gets EPIPE.
        let mut fds = [0; 2];
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        unsafe { libc::close(fds[0]) };
        // SAFETY: fds[1] is the pipe's write end, open and owned by nothing else.
        let write_end = unsafe { OwnedFd::from_raw_fd(fds[1]) };
        let out = steward_command(&db, args)
            .stdout(Stdio::from(write_end))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn manifests_are_read_from_pipes_and_fifos() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("steward.db");
    let manifest = std::fs::read(demo_artifact("broken", "manifest.json")).unwrap();
    let regular = demo_artifact("broken", "manifest.json")
        .display()
        .to_string();
    let expected = steward(&db, &["lineage", "stats", "--json", "--manifest", &regular]);
    assert!(expected.status.success());

    // `--manifest /dev/stdin` fed by a pipe, as `--manifest <(cat manifest.json)` is.
    let run_piped = |args: &[&str], input: Vec<u8>| {
        let mut child = steward_command(&db, args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let feeder = std::thread::spawn(move || stdin.write_all(&input));
        let out = child.wait_with_output().unwrap();
        feeder.join().unwrap().unwrap();
        out
    };
    let out = run_piped(
        &["ingest", "dbt", "--manifest", "/dev/stdin"],
        manifest.clone(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("manifest v12 with 63 nodes"));
    let out = run_piped(
        &["ingest", "dbt", "--manifest", "/dev/stdin"],
        b" \n".to_vec(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: /dev/stdin: the file is empty\n"
    );

    // A FIFO.
    let fifo = dir.path().join("manifest.fifo");
    let c_path = std::ffi::CString::new(fifo.display().to_string()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, manifest))
    };
    let path = fifo.display().to_string();
    let out = steward(&db, &["lineage", "stats", "--json", "--manifest", &path]);
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, expected.stdout);
}
