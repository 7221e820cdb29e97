//! Several processes on one database, and kill -9: people's commands next to ingests and a
//! busy `steward serve` never fail; concurrent first opens migrate once; a killed ingest leaves
//! the before- or the complete after-state; every alert acknowledged before a kill -9 of
//! `serve` is in the database afterwards. Bounded loops, loopback only.

use crate::support::{ServeProcess, demo_artifact, ingest_demo, stderr, steward};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use steward::store::Store;

/// Runs `steward` commands on the issues the demo's broken run opened (#1–#6): assign,
/// comment and status in turn. Returns the failures (command and stderr).
fn person_commands(db: &Path, worker: usize, rounds: usize) -> Vec<String> {
    let mut failures = Vec::new();
    for i in 0..rounds {
        let id = (1 + (worker + i) % 6).to_string();
        let who = format!("person{worker}@example.com");
        let text = format!("worker {worker} round {i}");
        let args: Vec<&str> = match i % 3 {
            0 => vec!["assign", &id, &who],
            1 => vec!["comment", &id, &text],
            _ => vec!["status", &id, "investigating"],
        };
        let out = steward(db, &args);
        if !out.status.success() {
            failures.push(format!("steward {args:?}: {}", stderr(&out).trim()));
        }
    }
    failures
}

/// The demo's broken run, `copies` times over (node ids, names and relations suffixed): a
/// manifest and run results large enough that an ingest takes a while. Returns their paths.
fn big_artifacts(dir: &Path, copies: usize) -> (PathBuf, PathBuf) {
    let read = |f: &str| -> Value {
        serde_json::from_slice(&std::fs::read(demo_artifact("broken", f)).unwrap()).unwrap()
    };
    let mut manifest = read("manifest.json");
    let mut results = read("run_results.json");
    let nodes = manifest["nodes"].as_object().unwrap().clone();
    let suffixed = |id: &str, k: usize| format!("{id}_c{k}");
    for k in 1..copies {
        for (id, node) in &nodes {
            let mut n = node.clone();
            n["unique_id"] = Value::String(suffixed(id, k));
            for key in ["name", "alias", "relation_name"] {
                if let Some(v) = n[key].as_str() {
                    n[key] = Value::String(format!("{v}_c{k}"));
                }
            }
            if let Some(deps) = n["depends_on"]["nodes"].as_array_mut() {
                for d in deps {
                    let dep = d.as_str().unwrap().to_owned();
                    if nodes.contains_key(&dep) {
                        *d = Value::String(suffixed(&dep, k));
                    }
                }
            }
            manifest["nodes"][suffixed(id, k)] = n;
        }
    }
    let originals = results["results"].as_array().unwrap().clone();
    let all = results["results"].as_array_mut().unwrap();
    for k in 1..copies {
        for r in &originals {
            let id = r["unique_id"].as_str().unwrap();
            if nodes.contains_key(id) {
                let mut r = r.clone();
                r["unique_id"] = Value::String(suffixed(id, k));
                all.push(r);
            }
        }
    }
    let (m, r) = (
        dir.join("big_manifest.json"),
        dir.join("big_run_results.json"),
    );
    std::fs::write(&m, serde_json::to_vec(&manifest).unwrap()).unwrap();
    std::fs::write(&r, serde_json::to_vec(&results).unwrap()).unwrap();
    (m, r)
}

fn spawn_ingest(db: &Path, manifest: &Path, results: &Path) -> Child {
    crate::support::steward_bin()
        .arg("--db")
        .arg(db)
        .args(["ingest", "dbt", "--manifest"])
        .arg(manifest)
        .arg("--run-results")
        .arg(results)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn steward ingest")
}

#[test]
fn people_never_fail_while_ingests_write() {
    people_next_to_ingests(25);
}

/// 4 people run `rounds` commands each while `steward ingest dbt` loops in another process;
/// none may fail, nor any ingest.
fn people_next_to_ingests(rounds: usize) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    ingest_demo(&db, "broken");
    let (manifest, results) = big_artifacts(dir.path(), 20);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (people, ingests) = std::thread::scope(|s| {
        let ingester = s.spawn(|| {
            let mut runs = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && runs.len() < 10 * rounds {
                let out = spawn_ingest(&db, &manifest, &results)
                    .wait_with_output()
                    .unwrap();
                runs.push((
                    out.status.success(),
                    String::from_utf8_lossy(&out.stderr).into_owned(),
                ));
            }
            runs
        });
        let workers: Vec<_> = (0..4)
            .map(|w| {
                let db = &db;
                s.spawn(move || person_commands(db, w, rounds))
            })
            .collect();
        let failures: Vec<String> = workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        (failures, ingester.join().unwrap())
    });
    let total = 4 * rounds;
    assert!(
        people.is_empty(),
        "{} of {total} commands failed: {people:#?}",
        people.len()
    );
    let failed: Vec<_> = ingests.iter().filter(|(ok, _)| !ok).collect();
    assert!(failed.is_empty(), "ingests failed: {failed:#?}");
    assert!(!ingests.is_empty());
    eprintln!(
        "{total} person commands next to {} ingests: 0 failures",
        ingests.len()
    );
}

/// The long run, outside CI: `cargo test --test it -- --ignored --nocapture soak`.
/// 600 person commands next to ingests (the figure) and 60 kill -9 of an ingest.
#[test]
#[ignore = "a soak of a few minutes; run by hand"]
fn soak_people_and_killed_ingests() {
    people_next_to_ingests(150);
    killed_ingests(60);
}

#[test]
fn concurrent_first_opens_migrate_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut opens = 0;
    for round in 0..10 {
        let db = dir.path().join(format!("new{round}.db"));
        let children: Vec<Child> = (0..3)
            .map(|_| {
                crate::support::steward_bin()
                    .arg("--db")
                    .arg(&db)
                    .args(["issues", "--json"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            opens += 1;
        }
        let store = Store::open(&db).unwrap();
        let (version, mode): (i64, String) = store
            .read(|c| {
                Ok((
                    c.pragma_query_value(None, "user_version", |r| r.get(0))?,
                    c.pragma_query_value(None, "journal_mode", |r| r.get(0))?,
                ))
            })
            .unwrap();
        assert!(version >= 4, "round {round}: schema version {version}");
        assert_eq!(mode, "wal", "round {round}");
    }
    eprintln!("{opens} concurrent first opens in 10 rounds of 3: 0 failures");
}

/// Posts alerts with ids `{prefix}-0`, `{prefix}-1`, … until `until`, from one connection at a
/// time; returns the ids answered 2xx.
async fn post_alerts(base: String, prefix: String, until: Instant) -> Vec<String> {
    let mut acked = Vec::new();
    let mut i = 0;
    while Instant::now() < until {
        let id = format!("{prefix}-{i}");
        i += 1;
        let alert = serde_json::json!({
            "source": "burst", "asset": format!("asset_{prefix}"), "check": "load",
            "status": if i % 2 == 0 { "pass" } else { "fail" }, "id": id,
        });
        let sent = tokio::time::timeout(
            Duration::from_secs(5),
            try_post(&base, alert.to_string().into_bytes()),
        )
        .await;
        match sent {
            Ok(Some(status)) if (200..300).contains(&status) => acked.push(id),
            Ok(Some(status)) => panic!("alert {id} answered {status}"),
            _ => break, // the server is gone
        }
    }
    acked
}

/// POSTs to /v1/alerts; None when the connection fails (the server was killed).
async fn try_post(base: &str, body: Vec<u8>) -> Option<u16> {
    use http_body_util::Full;
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let client: Client<_, Full<bytes::Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let req = hyper::Request::post(format!("{base}/v1/alerts"))
        .header("content-type", "application/json")
        .body(Full::new(bytes::Bytes::from(body)))
        .unwrap();
    client.request(req).await.ok().map(|r| r.status().as_u16())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_never_fail_next_to_a_busy_serve() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    ingest_demo(&db, "broken");
    let serve = ServeProcess::start(&db, None);
    let base = format!("http://{}", serve.addr);
    let until = Instant::now() + Duration::from_secs(3);
    let pushers: Vec<_> = (0..3)
        .map(|p| tokio::spawn(post_alerts(base.clone(), format!("p{p}"), until)))
        .collect();
    let people = tokio::task::spawn_blocking({
        let db = db.clone();
        move || {
            std::thread::scope(|s| {
                let workers: Vec<_> = (0..4)
                    .map(|w| {
                        let db = &db;
                        s.spawn(move || person_commands(db, w, 15))
                    })
                    .collect();
                workers
                    .into_iter()
                    .flat_map(|w| w.join().unwrap())
                    .collect::<Vec<_>>()
            })
        }
    })
    .await
    .unwrap();
    let mut acked = 0;
    for p in pushers {
        acked += p.await.unwrap().len();
    }
    assert!(
        people.is_empty(),
        "{} of 60 commands failed: {people:#?}",
        people.len()
    );
    assert!(acked > 0, "the pushes went through");
    eprintln!("60 person commands next to serve taking {acked} alert pushes: 0 failures");
}

/// What an ingest changes, counted.
fn state(db: &Path) -> Vec<(String, i64)> {
    let store = Store::open(db).unwrap();
    store
        .read(|c| {
            let mut out = Vec::new();
            for table in [
                "ingests",
                "observations",
                "issues",
                "events",
                "symptoms",
                "outbox",
                "node_checksums",
                "lineage_parts",
            ] {
                let n: i64 =
                    c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
                out.push((table.to_owned(), n));
            }
            Ok(out)
        })
        .unwrap()
}

/// A consistent copy of `src` (whatever its WAL holds) at `dst`.
fn snapshot(src: &Path, dst: &Path) {
    let dst = dst.to_str().unwrap().to_owned();
    Store::open(src)
        .unwrap()
        .read(|c| Ok(c.execute("VACUUM INTO ?1", [dst])?))
        .unwrap();
}

#[test]
fn a_killed_ingest_leaves_the_before_or_the_after_state() {
    killed_ingests(12);
}

/// Kills `steward ingest dbt` of a large run `trials` times at points spread over it; each
/// time the database must show the before- or the complete after-state.
fn killed_ingests(trials: u32) {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.db");
    ingest_demo(&base, "broken");
    let (manifest, results) = big_artifacts(dir.path(), 30);
    let before = state(&base);
    // The complete after-state, and how long a whole ingest takes.
    let full = dir.path().join("full.db");
    snapshot(&base, &full);
    let started = Instant::now();
    let out = spawn_ingest(&full, &manifest, &results)
        .wait_with_output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let took = started.elapsed();
    let after = state(&full);
    assert_ne!(before, after, "the big ingest changes the database");

    let (mut saw_before, mut saw_after) = (0, 0);
    for t in 0..trials {
        let db = dir.path().join(format!("trial{t}.db"));
        snapshot(&base, &db);
        let wal = dir.path().join(format!("trial{t}.db-wal"));
        let mut child = spawn_ingest(&db, &manifest, &results);
        if t % 2 == 0 {
            // Kill points spread over the whole ingest (parsing, then the transaction) and a
            // little past it.
            std::thread::sleep(took * 3 * (t + 1) / (2 * trials));
        } else {
            // Kill as the transaction writes: the moment the WAL first grows (pages spilled
            // or the commit being written), then a little later each trial.
            let deadline = Instant::now() + took * 3;
            while Instant::now() < deadline && std::fs::metadata(&wal).map_or(0, |m| m.len()) == 0 {
                std::thread::sleep(Duration::from_micros(200));
            }
            std::thread::sleep(Duration::from_millis(u64::from(t / 2) * 3));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let now = state(&db);
        if now == before {
            saw_before += 1;
        } else if now == after {
            saw_after += 1;
        } else {
            panic!("trial {t}: a partial ingest: {now:?}\nbefore {before:?}\nafter {after:?}");
        }
    }
    eprintln!(
        "{trials} kill -9 of an ingest taking {took:?}: {saw_before} before, {saw_after} after, 0 partial"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_acknowledged_before_a_kill_9_of_serve_are_durable() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let mut total = 0;
    for round in 0..3 {
        let serve = ServeProcess::start(&db, None);
        let base = format!("http://{}", serve.addr);
        let far = Instant::now() + Duration::from_secs(30);
        let pushers: Vec<_> = (0..4)
            .map(|p| tokio::spawn(post_alerts(base.clone(), format!("r{round}p{p}"), far)))
            .collect();
        tokio::time::sleep(Duration::from_millis(400 + 200 * round)).await;
        tokio::task::spawn_blocking(move || serve.kill9())
            .await
            .unwrap();
        let mut acked = Vec::new();
        for p in pushers {
            acked.extend(p.await.unwrap());
        }
        assert!(
            !acked.is_empty(),
            "round {round}: some alerts were acknowledged"
        );
        let keys: std::collections::HashSet<String> = Store::open(&db)
            .unwrap()
            .read(|c| {
                let mut st =
                    c.prepare("SELECT key FROM observations WHERE key LIKE 'alert:burst:%'")?;
                // Keys end with the environment (`@default`).
                let keys = st
                    .query_map([], |r| r.get::<_, String>(0))?
                    .map(|k| {
                        k.map(|k| {
                            k.rsplit_once('@')
                                .map_or(k.clone(), |(key, _)| key.to_owned())
                        })
                    })
                    .collect::<Result<_, _>>()?;
                Ok(keys)
            })
            .unwrap();
        let lost: Vec<_> = acked
            .iter()
            .filter(|id| !keys.contains(&format!("alert:burst:{id}")))
            .collect();
        assert!(
            lost.is_empty(),
            "round {round}: acknowledged but lost: {lost:?}"
        );
        total += acked.len();
    }
    eprintln!("3 kill -9 of serve during alert bursts: {total} acknowledged alerts, 0 lost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_request_in_flight_finish() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let mut serve = ServeProcess::start(&db, None);
    let alert = serde_json::json!({
        "source": "burst", "asset": "orders", "check": "load", "status": "fail", "id": "in-flight",
    })
    .to_string();
    let head = format!(
        "POST /v1/alerts HTTP/1.1\r\nhost: steward\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        alert.len()
    );
    let (first, rest) = alert.as_bytes().split_at(10);
    let mut stream = tokio::net::TcpStream::connect(serve.addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(
        unsafe { libc::kill(serve.child.id() as i32, libc::SIGTERM) },
        0
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream.write_all(rest).await.unwrap();
    let answer = crate::support::read_until_closed(&mut stream, Duration::from_secs(10)).await;
    let (status, reply) = crate::support::parse_raw_response(&answer);
    assert_eq!(status, 200, "{reply} {:?}", serve.log.lock().unwrap());
    let exited = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(status) = serve.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    })
    .await
    .unwrap();
    assert!(
        exited.is_some_and(|s| s.success()),
        "serve exits cleanly: {exited:?}"
    );
    let n: i64 = Store::open(&db)
        .unwrap()
        .read(|c| {
            Ok(c.query_row(
                "SELECT count(*) FROM observations WHERE key = 'alert:burst:in-flight@default'",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(n, 1);
}
