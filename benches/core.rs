//! Core benchmarks: manifest load, lineage queries and ingest on a generated ~20k-node dbt
//! project, each reported as a ratio against a baseline measured in the same run.
//!
//! Prepare the data once (needs dbt 1.9, see benches/gen/prepare.sh), then:
//!     bash benches/gen/prepare.sh && cargo bench --bench core
//! `STEWARD_BENCH_DATA` overrides the data folder (default target/bench-data);
//! `STEWARD_BENCH_ONLY=load` runs only the manifest load (and needs no run_results.json).

/// The same allocator as the `steward` binary, so in-process figures match it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod queries;
mod stats;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use steward::app::App;
use steward::app::ingest::{DbtArtifacts, Input};
use steward::config::Config;

struct Run {
    wall: Duration,
    max_rss_kb: i64,
}

/// Runs a command to completion and reports wall time and the child's peak RSS (wait4).
fn measure(cmd: &mut Command) -> Run {
    let start = Instant::now();
    let child = cmd
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, status and usage are valid out-pointers.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(r, pid, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{cmd:?} failed"
    );
    std::mem::forget(child);
    Run {
        wall,
        max_rss_kb: usage.ru_maxrss,
    }
}

fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

fn python_load(files: &[&Path]) -> Command {
    let mut c = Command::new("python3");
    let list: Vec<String> = files
        .iter()
        .map(|f| format!("{:?}", f.display().to_string()))
        .collect();
    c.arg("-c").arg(format!(
        "import json\nfor f in [{}]: json.load(open(f))",
        list.join(", ")
    ));
    c
}

fn main() {
    let data = std::env::var("STEWARD_BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data"));
    let manifest = data.join("manifest.json");
    let run_results = data.join("run_results.json");
    let only_load = std::env::var("STEWARD_BENCH_ONLY").is_ok_and(|v| v == "load");
    if !manifest.exists() || !(only_load || run_results.exists()) {
        eprintln!(
            "no benchmark data in {}: run `bash benches/gen/prepare.sh` first (needs dbt-core 1.9 and dbt-duckdb 1.9)",
            data.display()
        );
        std::process::exit(1);
    }
    let steward_bin = env!("CARGO_BIN_EXE_steward");
    let rounds: usize = std::env::var("STEWARD_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(9);
    let mb = std::fs::metadata(&manifest).unwrap().len() as f64 / 1e6;
    let rr_mb = std::fs::metadata(&run_results).map_or(0.0, |m| m.len() as f64 / 1e6);
    println!("# Steward core benchmarks\n");
    println!(
        "data: {} ({mb:.1} MB manifest, {rr_mb:.1} MB run_results); {rounds} rounds after a warm-up, medians\n",
        data.display()
    );

    // 1. Manifest load + graph build vs python json.load, as separate processes.
    let (mut ours_t, mut ours_m, mut py_t, mut py_m) = (vec![], vec![], vec![], vec![]);
    // One warm-up of each, so both read the file from the page cache.
    measure(
        Command::new(steward_bin)
            .args(["lineage", "stats", "--json", "--manifest"])
            .arg(&manifest),
    );
    measure(&mut python_load(&[&manifest]));
    for _ in 0..rounds {
        let r = measure(
            Command::new(steward_bin)
                .args(["lineage", "stats", "--json", "--manifest"])
                .arg(&manifest),
        );
        ours_t.push(r.wall.as_secs_f64());
        ours_m.push(r.max_rss_kb as f64);
        let r = measure(&mut python_load(&[&manifest]));
        py_t.push(r.wall.as_secs_f64());
        py_m.push(r.max_rss_kb as f64);
    }
    let (ot_min, pt_min) = (min(&ours_t), min(&py_t));
    let (ot, om, pt, pm) = (
        stats::median(ours_t),
        stats::median(ours_m),
        stats::median(py_t),
        stats::median(py_m),
    );
    println!("## Manifest load + graph build (`steward lineage stats --manifest F --json`)\n");
    println!("| | wall | peak RSS |\n|---|---|---|");
    println!("| steward | {:.0} ms | {:.0} MB |", ot * 1e3, om / 1024.0);
    println!(
        "| python3 json.load (baseline) | {:.0} ms | {:.0} MB |",
        pt * 1e3,
        pm / 1024.0
    );
    println!(
        "| **ratio** | **{:.1}× faster** (target ≥ 10×) | **{:.2}× the memory** (target ≤ 0.33) |",
        pt / ot,
        om / pm
    );
    println!(
        "| fastest round of each | {:.0} ms vs {:.0} ms: {:.1}× | |\n",
        ot_min * 1e3,
        pt_min * 1e3,
        pt_min / ot_min
    );

    // 2. Queries on the loaded graph.
    let input = Input::read(&manifest).unwrap();
    let t = Instant::now();
    let lineage = Arc::new(input.load_manifest().unwrap());
    let in_process_load = t.elapsed();
    drop(input);
    let stats = lineage.stats();
    println!(
        "in-process load: {:.0} ms; graph: {} nodes, {} edges\n",
        in_process_load.as_secs_f64() * 1e3,
        lineage.node_count(),
        stats.edges
    );
    if only_load {
        return;
    }
    queries::query_benchmarks(&lineage);

    // 3. Ingest of manifest + run_results with commit, vs python reading the two files.
    let (mut ours, mut py) = (vec![], vec![]);
    let dir = tempfile::tempdir().unwrap();
    for i in 0..rounds {
        let db = dir.path().join(format!("ingest-{i}.db"));
        let r = measure(
            Command::new(steward_bin)
                .arg("--db")
                .arg(&db)
                .args(["ingest", "dbt", "--manifest"])
                .arg(&manifest)
                .arg("--run-results")
                .arg(&run_results),
        );
        ours.push(r.wall.as_secs_f64());
        py.push(
            measure(&mut python_load(&[&manifest, &run_results]))
                .wall
                .as_secs_f64(),
        );
    }
    let (o, p) = (stats::median(ours), stats::median(py));
    println!(
        "## Ingest: manifest + 20k-result run_results, commit included (`steward ingest dbt`, fresh database)\n"
    );
    println!("| | wall |\n|---|---|");
    println!("| steward ingest (whole process) | {:.0} ms |", o * 1e3);
    println!(
        "| python3 json.load of the two files (baseline) | {:.0} ms |",
        p * 1e3
    );
    println!(
        "| **ratio** | **{:.2}× the baseline** (target ≤ 0.5, and < 1 s) |\n",
        o / p
    );

    // In process: results only, onto a store that already has the manifest.
    let app = App::open(Config::default(), &dir.path().join("warm.db")).unwrap();
    app.ingest_dbt(DbtArtifacts {
        manifest: Some(Input::new("manifest", std::fs::read(&manifest).unwrap())),
        ..Default::default()
    })
    .unwrap();
    let rr = std::fs::read(&run_results).unwrap();
    let t = Instant::now();
    let s = app
        .ingest_dbt(DbtArtifacts {
            run_results: Some(Input::new("run_results", rr)),
            ..Default::default()
        })
        .unwrap();
    println!(
        "in-process ingest of the run_results alone (lineage already loaded): {:.0} ms for {} results, {} issues opened\n",
        t.elapsed().as_secs_f64() * 1e3,
        s.applied.results,
        s.applied.opened.len()
    );
}
