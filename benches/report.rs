//! Metrics report benchmark: `steward report --since 365d` over a year of history (10k
//! incidents, 200k issues, ~320k timeline events) written straight into a fresh store, against
//! baselines measured in the same run on the same table.
//!
//!     cargo bench --bench report

/// The same allocator as the `steward` binary, so in-process figures match it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod stats;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use rusqlite::params;
use steward::app::App;
use steward::clock::ManualClock;
use steward::config::Config;
use steward::domain::issues::ts;
use steward::domain::metrics::Window;
use steward::lineage::{Lineage, LineageSnapshot, Node, NodeKind};

const ISSUES: i64 = 200_000;
const INCIDENTS: i64 = 10_000;
const MODELS: u32 = 400;
const SOURCES: u32 = 40;
const PRODUCTS: u32 = 20;
const GROUPS: u32 = 8;
const ROUNDS: usize = 5;

fn node(unique_id: String, kind: NodeKind) -> Node {
    let name = unique_id.rsplit('.').next().unwrap().to_owned();
    Node {
        unique_id,
        kind,
        name: name.clone(),
        package: Some("bench".into()),
        relation: None,
        path: None,
        fqn: vec!["bench".into(), name],
        tags: Vec::new(),
        group: None,
        owners: Vec::new(),
        data_products: Vec::new(),
        checksum: None,
        severity: None,
        steward: None,
        exposure: None,
    }
}

/// 40 sources feeding 400 models in layers of 40; every model of the last layer carries one of
/// 20 `meta.data_product`s; models are in 8 groups, a quarter of them in none.
fn lineage() -> (Lineage, Vec<String>) {
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for s in 0..SOURCES {
        nodes.push(node(format!("source.bench.raw.t{s}"), NodeKind::Source));
    }
    for m in 0..MODELS {
        let mut n = node(format!("model.bench.m{m}"), NodeKind::Model);
        if m % 4 != 0 {
            n.group = Some(format!("team{}", m % GROUPS));
        }
        if m >= MODELS - 40 {
            n.data_products = vec![format!("product{}", m % PRODUCTS)];
        }
        let idx = SOURCES + m;
        let layer = m / 40;
        let parent = if layer == 0 {
            m % SOURCES
        } else {
            SOURCES + (layer - 1) * 40 + (m * 7) % 40
        };
        edges.push((parent, idx));
        if layer > 0 {
            edges.push((SOURCES + (layer - 1) * 40 + (m * 13 + 5) % 40, idx));
        }
        nodes.push(n);
    }
    let ids = nodes.iter().map(|n| n.unique_id.clone()).collect();
    let l = Lineage::build(LineageSnapshot {
        schema_version: 12,
        dbt_version: None,
        project: Some("bench".into()),
        nodes,
        edges,
        groups: Vec::new(),
        attached: Vec::new(),
    });
    (l, ids)
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(now));
    let app =
        App::open_with_clock(Config::default(), &dir.path().join("bench.db"), clock).expect("open");
    let (lineage, assets) = lineage();
    app.lineage.replace(Arc::new(lineage));

    let gen_start = Instant::now();
    app.store
        .write(move |tx| {
            let year = chrono::Duration::days(365);
            let step = year / ISSUES as i32;
            let start = now - year;
            let mut issue = tx.prepare(
                "INSERT INTO issues (id, env, asset, asset_known, check_name, origin, status, resolution,
                    severity, lineage_failing, raw_status, owners, occurrences, first_seen, last_seen,
                    resolved_at, incident_id, created_at, updated_at)
                 VALUES (?1, 'prod', ?2, 1, ?3, 'dbt', ?4, ?5, 'error', 1, 'fail', ?6, ?7, ?8, ?9, ?10, ?11, ?8, ?9)",
            )?;
            let mut event = tx.prepare(
                "INSERT INTO events (at, issue_id, kind, actor, detail) VALUES (?1, ?2, ?3, ?4, '{}')",
            )?;
            let mut incident = tx.prepare(
                "INSERT INTO incidents (id, title, severity, status, declared_by, declared_at, impact_started,
                    acknowledged_at, resolved_at, updated_at)
                 VALUES (?1, 'bench', 'SEV3', ?2, 'bench', ?3, ?4, ?3, ?5, ?3)",
            )?;
            for n in 1..=INCIDENTS {
                let i = n * (ISSUES / INCIDENTS);
                let started = start + step * i as i32;
                let declared = started + chrono::Duration::minutes(15);
                let open = n % 500 == 0;
                let resolved = (!open).then(|| started + chrono::Duration::minutes(30 + (n % 600)));
                incident.execute(params![
                    n,
                    if open { "investigating" } else { "resolved" },
                    ts(declared),
                    ts(started),
                    resolved.map(ts),
                ])?;
            }
            for i in 1..=ISSUES {
                let first = start + step * i as i32;
                let open = i % 50 == 0;
                let resolved = (!open).then(|| first + chrono::Duration::minutes(10 + (i % 2880)));
                let asset = &assets[((i + i / 440) % assets.len() as i64) as usize];
                let check = if open {
                    format!("test.bench.open_{i}")
                } else {
                    format!("test.bench.check_{}", i % 3000)
                };
                let owners = if i % 3 == 0 { "[\"owner@example.com\"]" } else { "[]" };
                let incident_id = (i % (ISSUES / INCIDENTS) == 0).then_some(i / (ISSUES / INCIDENTS));
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
                    incident_id,
                ])?;
                event.execute(params![ts(first), i, "opened", None::<String>])?;
                if i % 5 < 3 {
                    let at = first + chrono::Duration::minutes(1 + i % 120);
                    event.execute(params![ts(at), i, "assigned", "someone"])?;
                }
            }
            Ok(())
        })
        .expect("generate");
    let generated = gen_start.elapsed();

    let window = Window::parse("365d").unwrap();
    let (scan_ms, (count, sum)) = stats::time(ROUNDS, || {
        app.store
            .read(|c| {
                Ok(
                    c.query_row("SELECT count(*), sum(occurrences) FROM issues", [], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
                    })?,
                )
            })
            .unwrap()
    });
    assert_eq!(count, ISSUES);
    let (rows_ms, rows) = stats::time(ROUNDS, || {
        app.store
            .read(|c| {
                let mut stmt =
                    c.prepare("SELECT id, asset, check_name, first_seen, resolved_at FROM issues")?;
                let rows = stmt
                    .query_map([], |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, Option<String>>(4)?,
                        ))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows.len())
            })
            .unwrap()
    });
    assert_eq!(rows as i64, ISSUES);
    let (load_ms, (issues, incidents)) = stats::time(ROUNDS, || {
        app.store
            .read(|c| steward::domain::metrics::load(c, now - window.length))
            .unwrap()
    });
    let lineage = app.lineage.current();
    let catalog = app.catalog();
    let (compute_ms, _) = stats::time(ROUNDS, || {
        steward::domain::metrics::compute(&lineage, &catalog, &issues, &incidents, &window, now)
    });
    let (report_ms, report) = stats::time(ROUNDS, || app.report(&window).unwrap());
    assert_eq!(report.data_products.len(), PRODUCTS as usize);
    let down = report
        .data_products
        .iter()
        .filter(|p| p.uptime < 1.0)
        .count();
    assert!(down > 0);
    assert!(!report.teams.is_empty());
    let opened: u64 = report.teams.iter().map(|t| t.issues_opened).sum();

    println!(
        "generated {ISSUES} issues, {INCIDENTS} incidents in {:.1} s (sum(occurrences) = {sum}); \
         report: {} products ({down} with downtime), {} teams, {opened} issues opened in the window\n",
        generated.as_secs_f64(),
        report.data_products.len(),
        report.teams.len()
    );
    println!("| measure (median of {ROUNDS}) | ms | × count(*) scan | × read all issue rows |");
    println!("|---|---:|---:|---:|");
    for (name, ms) in [
        (
            "baseline: `SELECT count(*), sum(occurrences) FROM issues`",
            scan_ms,
        ),
        ("baseline: read every issue row (5 columns)", rows_ms),
        ("`metrics::load` (4 queries)", load_ms),
        ("`metrics::compute` (pure)", compute_ms),
        (
            "**`App::report` --since 365d** (load + catalog + compute)",
            report_ms,
        ),
    ] {
        println!(
            "| {name} | {ms:.1} | {:.1} | {:.2} |",
            ms / scan_ms,
            ms / rows_ms
        );
    }
    let target = Duration::from_secs(1);
    println!(
        "\nreport {} the 1 s target ({report_ms:.0} ms)",
        if report_ms < target.as_secs_f64() * 1000.0 {
            "meets"
        } else {
            "MISSES"
        }
    );
}
