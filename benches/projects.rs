//! Several projects in one environment (issue #8): replacing one project's part among three
//! ~46 MB projects vs loading that project alone, impact and root-cause queries over the union,
//! and a restart bringing every graph back from SQLite. Each is reported as a ratio against a
//! baseline measured in the same run.
//!
//! Prepare the data once (needs dbt 1.9, see benches/gen/prepare.sh), then:
//!     GEN_ARGS="--models 3800 --tests 6500 --exposures 160 --sources 110" \
//!         bash benches/gen/prepare.sh target/bench-data46
//!     STEWARD_BENCH_DATA=target/bench-data46 cargo bench --bench projects
//! The three projects are the generated one under three names (`analytics`, `analytics_b`,
//! `analytics_c`: unique ids, packages, schemas and project names all renamed).

/// The same allocator as the `steward` binary, so in-process figures match it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod queries;
mod stats;

use std::path::{Path, PathBuf};
use std::time::Instant;
use steward::app::App;
use steward::app::ingest::{DbtArtifacts, Input};
use steward::config::Config;

/// The generated manifest renamed to project `name`.
fn renamed(text: &str, name: &str) -> Vec<u8> {
    if name == "analytics" {
        return text.as_bytes().to_vec();
    }
    text.replace(".analytics.", &format!(".{name}."))
        .replace("\"analytics\"", &format!("\"{name}\""))
        .into_bytes()
}

fn push(app: &App, bytes: &[u8], env: &str) {
    app.ingest_dbt(DbtArtifacts {
        manifest: Some(Input::new("manifest.json", bytes.to_vec())),
        env: Some(env.to_owned()),
        ..Default::default()
    })
    .expect("ingest");
}

fn main() {
    let data = std::env::var("STEWARD_BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data46"));
    let manifest = data.join("manifest.json");
    let Ok(text) = std::fs::read_to_string(&manifest) else {
        eprintln!(
            "no benchmark data in {}: run benches/gen/prepare.sh first (see this file's header)",
            data.display()
        );
        std::process::exit(1);
    };
    let rounds: usize = std::env::var("STEWARD_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(9);
    let projects: Vec<Vec<u8>> = ["analytics", "analytics_b", "analytics_c"]
        .iter()
        .map(|n| renamed(&text, n))
        .collect();
    println!("# Several projects in one environment\n");
    println!(
        "data: 3 projects of {:.1} MB each ({}); {rounds} rounds after a warm-up, medians\n",
        projects[0].len() as f64 / 1e6,
        data.display()
    );
    let dir = tempfile::tempdir().unwrap();

    // 1. Replacing one project's part among three vs loading that project alone in its
    //    environment (the same ingest call, each a re-push, store write included).
    let three = App::open(Config::default(), &dir.path().join("three.db")).unwrap();
    for p in &projects {
        push(&three, p, "prod");
    }
    let (mut replace_t, mut alone_t) = (vec![], vec![]);
    for round in 0..=rounds {
        let t = Instant::now();
        push(&three, &projects[1], "prod");
        let replace = t.elapsed().as_secs_f64();
        let alone_app = App::open(
            Config::default(),
            &dir.path().join(format!("alone{round}.db")),
        )
        .unwrap();
        let t = Instant::now();
        push(&alone_app, &projects[1], "prod");
        let alone = t.elapsed().as_secs_f64();
        if round > 0 {
            replace_t.push(replace);
            alone_t.push(alone);
        }
    }
    let (r, a) = (stats::median(replace_t), stats::median(alone_t));
    println!("## Replacing one project's part among three (in-process ingest of its manifest)\n");
    println!("| | wall |\n|---|---|");
    println!("| replace one of three projects | {:.0} ms |", r * 1e3);
    println!("| load that project alone (baseline) | {:.0} ms |", a * 1e3);
    println!("| **ratio** | **{:.2}×** (target ≤ 1.10×) |\n", r / a);

    // 2. Queries over the union of the three.
    let union = three.lineage.env(Some("prod"));
    println!(
        "union graph: {} nodes, {} edges\n",
        union.node_count(),
        union.edge_count()
    );
    queries::query_benchmarks(&union);

    // 3. Restart: every graph back from SQLite, against parsing the three manifests.
    drop(three);
    let (mut restart_t, mut parse_t) = (vec![], vec![]);
    for round in 0..=rounds {
        let t = Instant::now();
        let app = App::open(Config::default(), &dir.path().join("three.db")).unwrap();
        let restart = t.elapsed().as_secs_f64();
        assert_eq!(app.lineage_projects(Some("prod")).unwrap().len(), 3);
        drop(app);
        let t = Instant::now();
        for p in &projects {
            std::hint::black_box(Input::new("m", p.clone()).load_manifest().unwrap());
        }
        let parse = t.elapsed().as_secs_f64();
        if round > 0 {
            restart_t.push(restart);
            parse_t.push(parse);
        }
    }
    let (r, p) = (stats::median(restart_t), stats::median(parse_t));
    println!("## Restart with three stored projects (`App::open`)\n");
    println!("| | wall |\n|---|---|");
    println!(
        "| every graph back from SQLite | {:.0} ms (target < 1000 ms) |",
        r * 1e3
    );
    println!(
        "| parsing the three manifests (baseline) | {:.0} ms |",
        p * 1e3
    );
    println!("| **ratio** | **{:.2}×** |", r / p);
}
