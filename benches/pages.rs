//! Pages benchmark: the incident page for an incident whose root reaches 500 nodes (render
//! time and HTML size, target < 50 ms and < 1 MB) and the status page with 20 data products and
//! a year of incidents (target < 50 ms), each in process and through the real HTTP server on a
//! random port, against `/healthz` on the same server in the same run.
//!
//! Data, built in process: a root model with 500 models below it in four layers (each with one
//! or two parents in the layer above), 20 data products on the last layer (`meta.data_product`,
//! three models each), and a year of history written straight into a fresh store: 2,000
//! incidents (one every ~4.4 h, each linked to an issue on a random model), 4,000 issues.
//!
//!     cargo bench --bench pages

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod stats;

use bytes::Bytes;
use chrono::Utc;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rusqlite::params;
use std::sync::Arc;
use std::time::Instant;
use steward::app::App;
use steward::config::Config;
use steward::domain::issues::ts;
use steward::faces::http::pages::{self, signed::Linker};
use steward::lineage::{Lineage, LineageSnapshot, Node, NodeKind};

const LAYERS: [u32; 4] = [20, 60, 170, 250];
const PRODUCTS: usize = 20;
const INCIDENTS: i64 = 2_000;
const ROUNDS: usize = 30;
const TARGET_MS: f64 = 50.0;

fn model(name: &str) -> Node {
    let mut n = Node::bare(
        format!("model.analytics.{name}"),
        NodeKind::Model,
        name,
        vec!["analytics".into(), name.into()],
    );
    n.package = Some("analytics".into());
    n
}

/// The root and 500 models below it; returns the lineage and the models' unique_ids.
fn lineage() -> (Lineage, Vec<String>) {
    let mut nodes = vec![model("root")];
    let mut edges = Vec::new();
    let mut above: Vec<u32> = vec![0];
    let mut seed: u64 = 0x5eed;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for (l, count) in LAYERS.iter().enumerate() {
        let mut made = Vec::new();
        for i in 0..*count {
            let idx = nodes.len() as u32;
            let mut n = model(&format!("m{l}_{i}"));
            if l == LAYERS.len() - 1 && (i as usize) < PRODUCTS * 3 {
                n.data_products = vec![format!("product_{:02}", i as usize % PRODUCTS)];
            }
            nodes.push(n);
            let a = above[next(above.len())];
            edges.push((a, idx));
            if i % 3 == 0 && above.len() > 1 {
                let b = above[next(above.len())];
                if b != a {
                    edges.push((b, idx));
                }
            }
            made.push(idx);
        }
        above = made;
    }
    let ids = nodes.iter().map(|n| n.unique_id.clone()).collect();
    let lineage = Lineage::build(LineageSnapshot {
        schema_version: 12,
        dbt_version: None,
        project: Some("analytics".into()),
        nodes,
        edges,
        groups: Vec::new(),
        attached: Vec::new(),
    });
    (lineage, ids)
}

/// A year of incidents and issues; INC-1 (open) is linked to the failing root.
fn generate(app: &App, models: Vec<String>) {
    let now = Utc::now();
    let env = app.lineage.default_env().to_owned();
    app.store
        .write(move |tx| {
            let year = chrono::Duration::days(365);
            let step = year / INCIDENTS as i32;
            let mut issue = tx.prepare(
                "INSERT INTO issues (id, env, asset, asset_known, check_name, node, origin, status,
                    resolution, severity, lineage_failing, raw_status, owners, occurrences,
                    first_seen, last_seen, resolved_at, incident_id, created_at, updated_at)
                 VALUES (?1, ?2, ?3, 1, ?4, ?4, 'dbt', ?5, ?6, 'error', 1, 'error', '[]', 1, ?7,
                    ?7, ?8, ?9, ?7, ?7)",
            )?;
            let mut incident = tx.prepare(
                "INSERT INTO incidents (id, title, severity, status, declared_by, declared_at,
                    impact_started, acknowledged_at, resolved_at, updated_at)
                 VALUES (?1, ?2, 'SEV2', ?3, 'bench', ?4, ?4, ?4, ?5, ?4)",
            )?;
            for n in 1..=INCIDENTS {
                let open = n == 1;
                let started = if open {
                    now - chrono::Duration::hours(3)
                } else {
                    now - step * n as i32
                };
                let resolved = (!open).then(|| started + chrono::Duration::minutes(20 + n % 300));
                incident.execute(params![
                    n,
                    format!("Incident {n}: stale models"),
                    if open { "investigating" } else { "resolved" },
                    ts(started),
                    resolved.map(ts),
                ])?;
                let asset = if open {
                    &models[0]
                } else {
                    &models[1 + (n as usize * 7919) % (models.len() - 1)]
                };
                for k in 0..2 {
                    let id = n * 2 - 1 + k;
                    let linked = (k == 0).then_some(n);
                    issue.execute(params![
                        id,
                        env,
                        asset,
                        format!("test.analytics.check_{id}"),
                        if open { "open" } else { "resolved" },
                        (!open).then_some("recovered"),
                        ts(started),
                        resolved.map(ts),
                        linked,
                    ])?;
                }
            }
            Ok(())
        })
        .expect("generate");
}

async fn get(
    client: &Client<hyper_util::client::legacy::connect::HttpConnector, Empty<Bytes>>,
    url: &str,
) -> (u16, usize) {
    let resp = client.get(url.parse().unwrap()).await.expect("request");
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, body.len())
}

fn main() {
    let (lineage, models) = lineage();
    let mut config = Config::default();
    config.http.public_pages = true;
    let dir = tempfile::tempdir().expect("temp dir");
    let app = App::open(config, &dir.path().join("bench.db")).expect("open");
    let reach = lineage.downstream(lineage.get(&models[0]).unwrap()).len();
    app.lineage.replace(Arc::new(lineage));
    generate(&app, models);
    println!("# Pages benchmark\n");
    println!(
        "data: a root reaching {reach} nodes; {} data products; {INCIDENTS} incidents over a year\n",
        app.catalog().products.len()
    );
    let linker = Linker::plain();
    let (incident_ms, html) =
        stats::time(ROUNDS, || pages::incident_html(&app, 1, &linker).unwrap());
    let incident_bytes = html.len();
    println!(
        "incident page: {} nodes drawn ({} of them \"N more\"), {} edges\n",
        html.matches(" data-role=\"").count(),
        html.matches(" data-role=\"more\"").count(),
        html.matches("<path class=\"edge").count()
    );
    let (status_ms, status) = stats::time(ROUNDS, || pages::status_html(&app, &linker).unwrap());
    assert!(status.contains("INC-2"), "the history is on the page");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (healthz, status_http, incident_http) = rt.block_on(async {
        let server = steward::faces::http::start(app.clone(), "127.0.0.1:0", None)
            .await
            .unwrap();
        let base = format!("http://{}", server.addr);
        let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
        let mut times = [Vec::new(), Vec::new(), Vec::new()];
        for round in 0..=ROUNDS {
            for (k, path) in ["/healthz", "/status", "/incidents/INC-1"]
                .iter()
                .enumerate()
            {
                let t = Instant::now();
                let (code, _) = get(&client, &format!("{base}{path}")).await;
                assert_eq!(code, 200, "{path}");
                if round > 0 {
                    times[k].push(t.elapsed().as_secs_f64() * 1000.0);
                }
            }
        }
        server.stop().await;
        let [a, b, c] = times;
        (stats::median(a), stats::median(b), stats::median(c))
    });
    println!("| what | median | vs `/healthz` | target |");
    println!("|---|---|---|---|");
    println!("| `/healthz` over HTTP | {healthz:.2} ms | 1× | |");
    println!(
        "| incident page, rendered in process | {incident_ms:.2} ms | | < {TARGET_MS:.0} ms: {} |",
        if incident_ms < TARGET_MS {
            "met"
        } else {
            "NOT met"
        }
    );
    println!(
        "| incident page over HTTP | {incident_http:.2} ms | {:.1}× | |",
        incident_http / healthz
    );
    println!(
        "| incident page HTML | {:.0} KiB | | < 1 MB: {} |",
        incident_bytes as f64 / 1024.0,
        if incident_bytes < 1_000_000 {
            "met"
        } else {
            "NOT met"
        }
    );
    println!(
        "| status page, rendered in process | {status_ms:.2} ms | | < {TARGET_MS:.0} ms: {} |",
        if status_ms < TARGET_MS {
            "met"
        } else {
            "NOT met"
        }
    );
    println!(
        "| status page over HTTP | {status_http:.2} ms | {:.1}× | < {TARGET_MS:.0} ms: {} |",
        status_http / healthz,
        if status_http < TARGET_MS {
            "met"
        } else {
            "NOT met"
        }
    );
}
