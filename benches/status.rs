//! Status page benchmark: the public `GET /status` and `GET /status.json` of the real HTTP server
//! (in process, random port) under an open-loop load of 200 requests/s, against a `/healthz`
//! baseline at the same rate on the same server in the same run.
//!
//! Data: the large generated manifest of the core benchmarks (`target/bench-data/manifest.json`,
//! see benches/gen/prepare.sh; `STEWARD_BENCH_DATA` overrides the folder), else a synthetic
//! dbt-shaped lineage of the same size built in process, so the benchmark runs without dbt.
//! 50 data products are configured with selectors (path, group, exposure, tag, `+model`); the
//! manifest's own `meta.data_product`s are dropped so that the page shows those 50
//! (`STEWARD_BENCH_META_PRODUCTS=1` keeps them: 754 products on the large manifest). A year of
//! history is written straight into a fresh store: 200,000 issues (2% = 4,000 still open) and
//! 10,000 incidents (20 open), each linked to an issue.
//!
//! Latency is measured from each request's *intended* send time (a fixed 5 ms schedule), so a
//! slow server cannot hide its queue (coordinated omission). During the status load an issue is
//! resolved once a second and the next `/status.json` must already leave it out.
//!
//!     cargo bench --bench status                          # 20 s per phase
//!     STEWARD_BENCH_SECONDS=5 cargo bench --bench status  # a quick run

/// The same allocator as the `steward` binary, so in-process figures match it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod stats;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rusqlite::params;
use steward::app::App;
use steward::app::ingest::Input;
use steward::config::Config;
use steward::domain::issues::{IssueFilter, Resolution, Status, ts};
use steward::domain::products::{self, Catalog};
use steward::domain::status;
use steward::lineage::{Lineage, LineageSnapshot, Node, NodeKind};

const ISSUES: i64 = 200_000;
const INCIDENTS: i64 = 10_000;
const RATE: f64 = 200.0;
const TARGET_P99_MS: f64 = 50.0;
const ROUNDS: usize = 5;
const DOMAINS: [&str; 10] = [
    "finance",
    "commerce",
    "sales",
    "marketing",
    "support",
    "product",
    "people",
    "engineering",
    "logistics",
    "risk",
];

// ---------------------------------------------------------------------------------------------
// Data

/// A small deterministic PRNG (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn node(unique_id: String, kind: NodeKind, path: Option<String>, tags: &[&str]) -> Node {
    let name = unique_id.rsplit('.').next().unwrap().to_owned();
    Node {
        kind,
        fqn: vec!["analytics".into(), name.clone()],
        name,
        package: Some("analytics".into()),
        relation: None,
        path,
        tags: tags.iter().map(|t| t.to_string()).collect(),
        group: None,
        owners: Vec::new(),
        data_products: Vec::new(),
        checksum: None,
        severity: None,
        steward: None,
        exposure: None,
        unique_id,
    }
}

/// `count` models in `models/{folder}/{domain}/`, round-robin over the domains, each
/// referencing 1–4 models of `from` or of this layer made before it (mostly of its own domain).
fn layer(
    nodes: &mut Vec<Node>,
    edges: &mut Vec<(u32, u32)>,
    rng: &mut Rng,
    count: u32,
    (folder, prefix): (&str, &str),
    from: &[Vec<u32>],
) -> Vec<Vec<u32>> {
    let mut made: Vec<Vec<u32>> = vec![Vec::new(); DOMAINS.len()];
    for i in 0..count {
        let d = i as usize % DOMAINS.len();
        let domain = DOMAINS[d];
        let name = format!("{prefix}_{domain}_{i}");
        let idx = nodes.len() as u32;
        let mut n = node(
            format!("model.analytics.{name}"),
            NodeKind::Model,
            Some(format!("models/{folder}/{domain}/{name}.sql")),
            &[folder, domain, if i % 3 == 0 { "hourly" } else { "daily" }],
        );
        n.group = Some(domain.to_owned());
        nodes.push(n);
        let mine = edges.len();
        for _ in 0..1 + rng.below(4) {
            let pd = if rng.below(5) == 0 {
                rng.below(DOMAINS.len())
            } else {
                d
            };
            let (a, b) = (&from[pd], &made[pd]);
            if a.len() + b.len() == 0 {
                continue;
            }
            let k = rng.below(a.len() + b.len());
            let p = if k < a.len() { a[k] } else { b[k - a.len()] };
            if !edges[mine..].contains(&(p, idx)) {
                edges.push((p, idx));
            }
        }
        made[d].push(idx);
    }
    made
}

/// A dbt-shaped project about the size of the generated one: 200 sources with one staging model
/// each, 3,700 intermediate and 3,000 mart models in 10 domains (path, tag and group per
/// domain), each referencing 1–4 earlier models, 300 exposures on 1–5 marts, 12,000 tests.
fn synthetic_lineage() -> Lineage {
    let mut rng = Rng(0x5eed_1234_abcd_0042);
    let mut nodes: Vec<Node> = Vec::new();
    let mut edges: Vec<(u32, u32)> = Vec::new();
    let mut attached: Vec<(u32, Vec<u32>)> = Vec::new();
    let mut staging: Vec<Vec<u32>> = vec![Vec::new(); DOMAINS.len()];
    for s in 0..200u32 {
        let (system, d) = (
            format!("system{}", s / 10),
            (s / 10) as usize % DOMAINS.len(),
        );
        let src = nodes.len() as u32;
        nodes.push(node(
            format!("source.analytics.{system}.table{s}"),
            NodeKind::Source,
            Some(format!("models/staging/{system}/_sources.yml")),
            &[],
        ));
        let stg = nodes.len() as u32;
        let name = format!("stg_{system}__table{s}");
        nodes.push(node(
            format!("model.analytics.{name}"),
            NodeKind::Model,
            Some(format!("models/staging/{system}/{name}.sql")),
            &["staging", DOMAINS[d]],
        ));
        edges.push((src, stg));
        staging[d].push(stg);
    }
    let ints = layer(
        &mut nodes,
        &mut edges,
        &mut rng,
        3700,
        ("intermediate", "int"),
        &staging,
    );
    let marts = layer(
        &mut nodes,
        &mut edges,
        &mut rng,
        3000,
        ("marts", "fct"),
        &ints,
    );
    for e in 0..300u32 {
        let d = e as usize % DOMAINS.len();
        let idx = nodes.len() as u32;
        nodes.push(node(
            format!("exposure.analytics.{}_dashboard_{e}", DOMAINS[d]),
            NodeKind::Exposure,
            Some("models/exposures.yml".into()),
            &[],
        ));
        let mine = edges.len();
        for _ in 0..1 + rng.below(5) {
            let p = marts[d][rng.below(marts[d].len())];
            if !edges[mine..].contains(&(p, idx)) {
                edges.push((p, idx));
            }
        }
    }
    let models: Vec<u32> = (0..nodes.len() as u32)
        .filter(|i| nodes[*i as usize].kind == NodeKind::Model)
        .collect();
    for t in 0..12_000u32 {
        let m = models[rng.below(models.len())];
        let idx = nodes.len() as u32;
        nodes.push(node(
            format!("test.analytics.not_null_{t}"),
            NodeKind::Test,
            None,
            &[],
        ));
        edges.push((m, idx));
        attached.push((idx, vec![m]));
    }
    Lineage::build(LineageSnapshot {
        schema_version: 12,
        dbt_version: None,
        project: Some("analytics".into()),
        nodes,
        edges,
        groups: Vec::new(),
        attached,
    })
}

/// The generated manifest when present, else the synthetic project; without
/// `STEWARD_BENCH_META_PRODUCTS=1`, nodes lose their `meta.data_product`.
fn lineage() -> (Lineage, String) {
    let data = std::env::var("STEWARD_BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data"));
    let manifest = data.join("manifest.json");
    let (lineage, what) = if manifest.exists() {
        let input = Input::read(&manifest).expect("read manifest");
        let l = input.load_manifest().expect("load manifest");
        let mb = input.bytes.len() as f64 / 1e6;
        (l, format!("{} ({mb:.1} MB, dbt parse)", manifest.display()))
    } else {
        (
            synthetic_lineage(),
            format!(
                "synthetic dbt-shaped lineage (no {}; run benches/gen/prepare.sh for the real one)",
                manifest.display()
            ),
        )
    };
    if std::env::var("STEWARD_BENCH_META_PRODUCTS").is_ok_and(|v| v == "1") {
        return (lineage, what);
    }
    let mut snapshot = lineage.to_snapshot();
    for n in &mut snapshot.nodes {
        n.data_products.clear();
    }
    (Lineage::build(snapshot), what)
}

/// 50 products, five per domain: its marts by path, its dbt group, two of its exposures (and
/// everything upstream), everything upstream of one of its marts, and its tag plus its
/// intermediate folder. SLA windows of 7, 30 and 90 days.
fn products_config(l: &Lineage) -> String {
    let mut toml = String::new();
    for (k, d) in DOMAINS.iter().enumerate() {
        let mut marts: Vec<&str> = l
            .nodes()
            .filter(|(_, n)| {
                n.kind == NodeKind::Model
                    && n.path
                        .as_deref()
                        .is_some_and(|p| p.starts_with(&format!("models/marts/{d}/")))
            })
            .map(|(_, n)| n.name.as_str())
            .collect();
        marts.sort_unstable();
        let mut exposures: Vec<&str> = l
            .nodes()
            .filter(|(_, n)| n.kind == NodeKind::Exposure && n.name.starts_with(&format!("{d}_")))
            .map(|(_, n)| n.name.as_str())
            .collect();
        exposures.sort_unstable();
        let dashboards: Vec<String> = if exposures.len() >= 2 {
            exposures[..2]
                .iter()
                .map(|e| format!("\"exposure:{e}\""))
                .collect()
        } else {
            vec![format!("\"{}+\"", marts[marts.len() / 2])]
        };
        toml.push_str(&format!(
            r#"
[[products]]
name = "{d}_marts"
team = "{d}"
channel = "C0DATA{k:03}"
tier = 1
sla = "99.5%"
select = ["path:models/marts/{d}"]

[[products]]
name = "{d}_team"
team = "{d}"
tier = 2
sla = "99%"
window = "7d"
select = ["group:{d}"]

[[products]]
name = "{d}_dashboards"
team = "{d}"
tier = 1
sla = "99.9%"
window = "90d"
select = [{dash}]

[[products]]
name = "{d}_core"
team = "{d}"
sla = "99.5%"
select = ["+{mart}"]

[[products]]
name = "{d}_pipeline"
team = "{d}"
tier = 3
select = ["tag:{d}", "path:models/intermediate/{d}"]
"#,
            dash = dashboards.join(", "),
            mart = marts[0],
        ));
    }
    toml
}

/// A year of history ending now: ISSUES issues (2% open, on models and sources), INCIDENTS
/// incidents (every 500th open), each linked to one issue. Returns the open issues that are
/// not linked to an incident.
fn generate(app: &App, lineage: &Lineage) -> Vec<i64> {
    let assets: Vec<String> = lineage
        .nodes()
        .filter(|(_, n)| matches!(n.kind, NodeKind::Model | NodeKind::Source))
        .map(|(_, n)| n.unique_id.clone())
        .collect();
    let now = Utc::now();
    app.store
        .write(move |tx| {
            let year = chrono::Duration::days(365);
            let step = year / ISSUES as i32;
            let start = now - year;
            let mut rng = Rng(0x0bad_cafe_f00d_0001);
            let mut issue = tx.prepare(
                "INSERT INTO issues (id, env, asset, asset_known, check_name, node, origin, status,
                    resolution, severity, lineage_failing, raw_status, owners, occurrences,
                    first_seen, last_seen, resolved_at, incident_id, created_at, updated_at)
                 VALUES (?1, 'prod', ?2, 1, ?3, ?3, 'dbt', ?4, ?5, 'error', 1, 'fail', ?6, ?7, ?8,
                    ?9, ?10, ?11, ?8, ?9)",
            )?;
            let mut incident = tx.prepare(
                "INSERT INTO incidents (id, title, severity, status, declared_by, declared_at,
                    impact_started, acknowledged_at, resolved_at, updated_at)
                 VALUES (?1, ?2, 'SEV3', ?3, 'bench', ?4, ?5, ?4, ?6, ?4)",
            )?;
            let per_incident = ISSUES / INCIDENTS;
            for n in 1..=INCIDENTS {
                let started = start + step * (n * per_incident) as i32;
                let open = n % 500 == 0;
                let resolved = (!open).then(|| started + chrono::Duration::minutes(30 + n % 600));
                incident.execute(params![
                    n,
                    format!("Stale data in {} dashboards", DOMAINS[n as usize % 10]),
                    if open { "investigating" } else { "resolved" },
                    ts(started + chrono::Duration::minutes(15)),
                    ts(started),
                    resolved.map(ts),
                ])?;
            }
            for i in 1..=ISSUES {
                let first = start + step * i as i32;
                let open = i % 50 == 0;
                let resolved = (!open).then(|| first + chrono::Duration::minutes(10 + i % 2880));
                let asset = &assets[rng.below(assets.len())];
                let check = format!("test.analytics.check_{i}");
                let owners = if i % 3 == 0 {
                    "[\"owner@example.com\"]"
                } else {
                    "[]"
                };
                issue.execute(params![
                    i,
                    asset,
                    check,
                    if open { "open" } else { "resolved" },
                    (!open).then_some("recovered"),
                    owners,
                    1 + i % 7,
                    ts(first),
                    ts(resolved.unwrap_or(first)),
                    resolved.map(ts),
                    (i % per_incident == 0).then_some(i / per_incident),
                ])?;
            }
            Ok(())
        })
        .expect("generate");
    let per_incident = ISSUES / INCIDENTS;
    (1..=ISSUES)
        .filter(|i| i % 50 == 0 && i % per_incident != 0)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Statistics

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Healthz,
    Json,
    Html,
}

impl Kind {
    fn path(self) -> &'static str {
        match self {
            Kind::Healthz => "/healthz",
            Kind::Json => "/status.json",
            Kind::Html => "/status",
        }
    }
}

struct Sample {
    kind: Kind,
    /// From the intended send time to the last body byte.
    latency_ms: f64,
    ok: bool,
    bytes: usize,
}

struct Phase {
    samples: Vec<Sample>,
    /// Requests sent per second of sending.
    achieved_rate: f64,
    /// How late the sender was against its schedule, at worst.
    max_send_lag_ms: f64,
}

struct Summary {
    n: usize,
    errors: usize,
    p50: f64,
    p99: f64,
    max: f64,
    mean_bytes: f64,
}

fn summarize(samples: &[&Sample]) -> Summary {
    let mut lat: Vec<f64> = samples.iter().map(|s| s.latency_ms).collect();
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let ok: Vec<&&Sample> = samples.iter().filter(|s| s.ok).collect();
    Summary {
        n: samples.len(),
        errors: samples.len() - ok.len(),
        p50: stats::percentile(&lat, 0.50),
        p99: stats::percentile(&lat, 0.99),
        max: lat.last().copied().unwrap_or(f64::NAN),
        mean_bytes: ok.iter().map(|s| s.bytes as f64).sum::<f64>() / ok.len().max(1) as f64,
    }
}

// ---------------------------------------------------------------------------------------------
// Load

type HttpClient = Client<HttpConnector, Empty<Bytes>>;

async fn get(client: &HttpClient, base: &str, path: &str) -> Option<(u16, Bytes)> {
    let uri: hyper::Uri = format!("{base}{path}").parse().unwrap();
    let fut = async {
        let resp = client.get(uri).await.ok()?;
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.ok()?.to_bytes();
        Some((status, body))
    };
    tokio::time::timeout(Duration::from_secs(10), fut)
        .await
        .ok()
        .flatten()
}

/// Sends `kinds` in turn at RATE per second for `seconds`, each request at its slot in a fixed
/// schedule whatever the earlier ones are doing (open loop), and waits for all of them.
async fn drive(client: &HttpClient, base: &str, kinds: &[Kind], seconds: f64) -> Phase {
    let n = (RATE * seconds).round() as usize;
    let period = Duration::from_secs_f64(1.0 / RATE);
    let start = tokio::time::Instant::now() + Duration::from_millis(20);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Sample>();
    let mut max_lag = Duration::ZERO;
    let (mut first_sent, mut last_sent) = (None, start);
    for i in 0..n {
        let intended = start + period * i as u32;
        tokio::time::sleep_until(intended).await;
        let now = tokio::time::Instant::now();
        max_lag = max_lag.max(now - intended);
        first_sent.get_or_insert(now);
        last_sent = now;
        let kind = kinds[i % kinds.len()];
        let (client, base, tx) = (client.clone(), base.to_owned(), tx.clone());
        tokio::spawn(async move {
            let r = get(&client, &base, kind.path()).await;
            let latency_ms = intended.elapsed().as_secs_f64() * 1000.0;
            let (ok, bytes) = match &r {
                Some((200, body)) => (true, body.len()),
                _ => (false, 0),
            };
            let _ = tx.send(Sample {
                kind,
                latency_ms,
                ok,
                bytes,
            });
        });
    }
    drop(tx);
    let mut samples = Vec::with_capacity(n);
    while let Some(s) = rx.recv().await {
        samples.push(s);
    }
    let span = (last_sent - first_sent.unwrap_or(start)).as_secs_f64();
    Phase {
        samples,
        achieved_rate: (n.saturating_sub(1)) as f64 / span.max(1e-9),
        max_send_lag_ms: max_lag.as_secs_f64() * 1000.0,
    }
}

/// The open issue ids a `/status.json` body lists on any product.
fn listed_issues(body: &[u8]) -> std::collections::HashSet<i64> {
    let page: serde_json::Value = serde_json::from_slice(body).expect("status.json parses");
    page["data_products"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["open_issues"].as_array().unwrap().iter())
        .filter_map(|v| v.as_i64())
        .collect()
}

struct Freshness {
    writes: usize,
    fresh: usize,
    /// Latency of the first /status.json after each write (a rebuild, when cached).
    after_write_ms: Vec<f64>,
    write_ms: Vec<f64>,
}

/// Once a second until `stop`: resolve one of `candidates` (listed on the page) and check that
/// the very next `/status.json` no longer lists it.
async fn resolve_and_check(
    app: App,
    client: HttpClient,
    base: String,
    candidates: Vec<i64>,
    stop: tokio::time::Instant,
) -> Freshness {
    let mut out = Freshness {
        writes: 0,
        fresh: 0,
        after_write_ms: Vec::new(),
        write_ms: Vec::new(),
    };
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    for id in candidates {
        tick.tick().await;
        if tokio::time::Instant::now() + Duration::from_millis(500) > stop {
            break;
        }
        let app = app.clone();
        let t = Instant::now();
        tokio::task::spawn_blocking(move || {
            app.resolve(
                id,
                Resolution::Fixed,
                Some("bench"),
                &steward::domain::access::Actor::admin("bench"),
            )
            .expect("resolve")
        })
        .await
        .unwrap();
        out.write_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let (status, body) = get(&client, &base, "/status.json").await.expect("probe");
        out.after_write_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        out.writes += 1;
        if status == 200 && !listed_issues(&body).contains(&id) {
            out.fresh += 1;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------

fn main() {
    let seconds: f64 = std::env::var("STEWARD_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20.0);

    let t = Instant::now();
    let (lineage, source) = lineage();
    let toml = products_config(&lineage);
    let config = Config::parse("steward.toml", &toml).expect("bench config");
    let dir = tempfile::tempdir().expect("temp dir");
    let app = App::open(config, &dir.path().join("bench.db")).expect("open");
    let nodes = lineage.node_count();
    app.lineage.replace(Arc::new(lineage));
    let candidates = generate(&app, &app.lineage.current());
    println!("# Status page benchmark\n");
    println!("data: {source}; {nodes} nodes");
    println!(
        "generated {ISSUES} issues ({} open) and {INCIDENTS} incidents in {:.1} s\n",
        ISSUES / 50,
        t.elapsed().as_secs_f64()
    );

    // 1. Where a page goes, in process.
    let lineage = app.lineage.current();
    let now = Utc::now();
    // Before: every request read every open issue, every open incident (each one reading every
    // issue to find its links) and the incident history, then resolved every product's members.
    // One run: the incident reads alone take seconds on this data.
    let once = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        t.elapsed().as_secs_f64() * 1000.0
    };
    let (mut open_issues, mut open_incidents, mut spans) = (Vec::new(), Vec::new(), Vec::new());
    let catalog = Catalog::build(&app.config.products, &lineage);
    let since = now - status::longest_window(&catalog);
    let issues_ms = once(&mut || {
        open_issues = app
            .store
            .read(|c| {
                let mut out = Vec::new();
                for s in Status::ALL.into_iter().filter(|s| *s != Status::Resolved) {
                    out.extend(steward::domain::issues::list(
                        c,
                        &IssueFilter {
                            status: Some(s),
                            ..IssueFilter::default()
                        },
                    )?);
                }
                Ok(out)
            })
            .unwrap()
    });
    let incidents_ms = once(&mut || {
        open_incidents = app
            .store
            .read(|c| steward::domain::incidents::list(c, &lineage, true))
            .unwrap()
    });
    let spans_ms = once(&mut || {
        spans = app
            .store
            .read(|c| status::incident_spans(c, since))
            .unwrap()
    });
    let (catalog_ms, _) = stats::time(ROUNDS, || Catalog::build(&app.config.products, &lineage));
    let (members_ms, _) = stats::time(ROUNDS, || {
        products::Membership::build(&lineage, catalog.clone())
    });
    let (compute_ms, reference) = stats::time(ROUNDS, || {
        status::status_page(
            &lineage,
            &catalog,
            &open_issues,
            &open_incidents,
            &spans,
            now,
        )
    });
    let before_ms = issues_ms + incidents_ms + spans_ms + compute_ms;

    // After: the same page from a cache, checked against the reference at the same time.
    let cache = status::StatusCache::default();
    let (cold_ms, page) = stats::time(ROUNDS, || {
        status::StatusCache::default()
            .page(&app.store, &lineage, &app.config, now)
            .unwrap()
    });
    let ours = serde_json::to_value(cache.page(&app.store, &lineage, &app.config, now).unwrap());
    assert_eq!(
        ours.unwrap(),
        serde_json::to_value(&reference).unwrap(),
        "the cached page differs from the reference"
    );
    let assignees = ["ana", "bruno"];
    let mut k = 0;
    let (write_ms, _) = stats::time(ROUNDS, || {
        k += 1;
        app.assign(candidates[0], assignees[k % 2], "bench")
            .unwrap()
    });
    let mut after_write = Vec::new();
    for i in 0..=ROUNDS {
        app.assign(candidates[0], assignees[i % 2], "bench")
            .unwrap();
        let t = Instant::now();
        cache.page(&app.store, &lineage, &app.config, now).unwrap();
        if i > 0 {
            after_write.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let rebuild_ms = stats::median(after_write);
    let (warm_ms, _) = stats::time(ROUNDS, || {
        cache.page(&app.store, &lineage, &app.config, now).unwrap()
    });
    let linker = steward::faces::http::pages::signed::Linker::plain();
    let (html_ms, html) = stats::time(ROUNDS, || {
        steward::faces::http::pages::status::status_html(&app, &linker).unwrap()
    });
    let (json_ms, json) = stats::time(ROUNDS, || serde_json::to_vec(&page).unwrap());
    let (app_ms, _) = stats::time(ROUNDS, || app.status_page().unwrap());
    println!(
        "## 1. One page in process ({} products, {} open issues, {} open incidents, {} incidents in the {}-day window)\n",
        catalog.products.len(),
        open_issues.len(),
        open_incidents.len(),
        spans.len(),
        status::longest_window(&catalog).num_days()
    );
    println!("| piece | ms |\n|---|---:|");
    for (name, ms) in [
        (
            "before: read open issues (`issues::list` × 4), 1 run",
            issues_ms,
        ),
        (
            "before: read open incidents (`incidents::list`), 1 run",
            incidents_ms,
        ),
        ("before: read incident spans in the window, 1 run", spans_ms),
        (
            "before: compute (`status::status_page`: membership + statuses + uptime), median",
            compute_ms,
        ),
        ("**before: one page**, sum of the above", before_ms),
        ("  of which `Catalog::build`, median", catalog_ms),
        (
            "  of which membership (`Membership::build`), median",
            members_ms,
        ),
        (
            "after, empty cache: membership + lean reads + page data, median",
            cold_ms,
        ),
        (
            "after, the first page after a write (membership cached), median",
            rebuild_ms,
        ),
        ("  (the write itself: `App::assign`, median)", write_ms),
        (
            "**after, cache current** (`data_version` check + uptime at now), median",
            warm_ms,
        ),
        ("`App::status_page`, cache current, median", app_ms),
        (
            "`/status` HTML (`pages::status`, from the app), median",
            html_ms,
        ),
        ("JSON serialisation, median", json_ms),
    ] {
        println!("| {name} | {ms:.3} |");
    }
    println!(
        "\ncached page = reference page (JSON equal at the same time); page size: {:.0} KB JSON, {:.0} KB HTML\n",
        json.len() as f64 / 1e3,
        html.len() as f64 / 1e3
    );
    let listed = listed_issues(&json);
    let candidates: Vec<i64> = candidates
        .into_iter()
        .skip(1)
        .filter(|id| listed.contains(id))
        .collect();
    drop((
        lineage,
        open_issues,
        open_incidents,
        spans,
        page,
        reference,
        html,
        json,
    ));

    // 2. Over HTTP: server on its own 2-worker runtime (as `steward serve` on this machine),
    // the load generator on one thread.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = server_rt
        .block_on(steward::faces::http::start(
            app.clone(),
            "127.0.0.1:0",
            None,
        ))
        .expect("server");
    let base = format!("http://{}", server.addr);
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (baseline, load, fresh) = client_rt.block_on(async {
        let client: HttpClient = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(64)
            .build_http();
        // Warm up connections and caches.
        drive(
            &client,
            &base,
            &[Kind::Healthz, Kind::Json, Kind::Html],
            1.0,
        )
        .await;
        let baseline = drive(&client, &base, &[Kind::Healthz], seconds).await;
        let stop = tokio::time::Instant::now() + Duration::from_secs_f64(seconds);
        let writer = tokio::spawn(resolve_and_check(
            app.clone(),
            client.clone(),
            base.clone(),
            candidates,
            stop,
        ));
        let load = drive(&client, &base, &[Kind::Json, Kind::Html], seconds).await;
        (baseline, load, writer.await.unwrap())
    });
    server_rt.block_on(server.stop());

    let base_s = summarize(&baseline.samples.iter().collect::<Vec<_>>());
    let all = summarize(&load.samples.iter().collect::<Vec<_>>());
    let of = |k: Kind| {
        summarize(
            &load
                .samples
                .iter()
                .filter(|s| s.kind == k)
                .collect::<Vec<_>>(),
        )
    };
    let (json_s, html_s) = (of(Kind::Json), of(Kind::Html));
    println!(
        "## 2. Over HTTP: {RATE:.0} requests/s for {seconds:.0} s each, open loop (latency from the intended send time)\n"
    );
    println!(
        "| phase | requests | achieved rate | errors | p50 | p99 | max | p99 / baseline p99 | mean body |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let row = |name: &str, s: &Summary, rate: Option<f64>| {
        println!(
            "| {name} | {} | {} | {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2}× | {:.1} KB |",
            s.n,
            rate.map(|r| format!("{r:.1}/s")).unwrap_or_default(),
            s.errors,
            s.p50,
            s.p99,
            s.max,
            s.p99 / base_s.p99,
            s.mean_bytes / 1e3
        )
    };
    row(
        "`/healthz` alone (baseline)",
        &base_s,
        Some(baseline.achieved_rate),
    );
    row(
        "**status page** (`/status.json` + `/status`, 1:1)",
        &all,
        Some(load.achieved_rate),
    );
    row("  of which `/status.json`", &json_s, None);
    row("  of which `/status`", &html_s, None);
    println!(
        "\nsender lag at worst: baseline {:.2} ms, status {:.2} ms",
        baseline.max_send_lag_ms, load.max_send_lag_ms
    );
    let mut after = fresh.after_write_ms.clone();
    after.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "writes during the status load: {} issues resolved (write p50 {:.1} ms); the next /status.json left it out {}/{} times; that request: p50 {:.2} ms, max {:.2} ms",
        fresh.writes,
        stats::median(if fresh.write_ms.is_empty() {
            vec![f64::NAN]
        } else {
            fresh.write_ms.clone()
        }),
        fresh.fresh,
        fresh.writes,
        stats::percentile(&after, 0.5),
        after.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "\nstatus page p99 {:.2} ms: {} the {TARGET_P99_MS:.0} ms target ({:.2}× the /healthz p99 of {:.2} ms)",
        all.p99,
        if all.p99 < TARGET_P99_MS && all.errors == 0 {
            "meets"
        } else {
            "MISSES"
        },
        all.p99 / base_s.p99,
        base_s.p99
    );
}
