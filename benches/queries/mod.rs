//! Lineage query benchmarks shared by the harnesses: impact and root-cause p50/p99 on a graph,
//! against one full traversal of the same graph measured in the same run.

use super::stats;
use petgraph::graph::NodeIndex;
use std::time::Instant;
use steward::lineage::{Lineage, NodeKind};

pub fn query_benchmarks(lineage: &Lineage) {
    // Deterministic sample of data nodes.
    let candidates: Vec<NodeIndex> = lineage
        .nodes()
        .filter(|(_, n)| matches!(n.kind, NodeKind::Model | NodeKind::Source | NodeKind::Seed))
        .map(|(i, _)| i)
        .collect();
    let mut seed: u64 = 42;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let samples: Vec<NodeIndex> = (0..2000)
        .map(|_| candidates[next() as usize % candidates.len()])
        .collect();

    // Baseline: one full traversal of the graph (every node and edge once).
    let mut base = vec![];
    for _ in 0..50 {
        let t = Instant::now();
        let roots: Vec<NodeIndex> = lineage
            .nodes()
            .filter(|(i, _)| lineage.parents(*i).next().is_none())
            .map(|(i, _)| i)
            .collect();
        std::hint::black_box(lineage.closure(&roots, petgraph::Direction::Outgoing).len());
        base.push(t.elapsed().as_secs_f64());
    }
    let base = stats::median(base);

    let mut impact_t: Vec<f64> = samples
        .iter()
        .map(|idx| {
            let t = Instant::now();
            std::hint::black_box(lineage.impact(&[*idx]));
            t.elapsed().as_secs_f64()
        })
        .collect();
    impact_t.sort_by(|a, b| a.partial_cmp(b).unwrap());

    // Root-cause: 500 failing sets, each a random node plus 20 random nodes from its downstream
    // and 10 unrelated nodes, as a broken run looks.
    let mut rc_t = vec![];
    for s in samples.iter().take(500) {
        let below = lineage.downstream(*s);
        let mut failing = vec![*s];
        for _ in 0..20 {
            if !below.is_empty() {
                failing.push(below[next() as usize % below.len()]);
            }
        }
        for _ in 0..10 {
            failing.push(candidates[next() as usize % candidates.len()]);
        }
        let t = Instant::now();
        std::hint::black_box(lineage.root_candidates(&failing));
        rc_t.push(t.elapsed().as_secs_f64());
    }
    rc_t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "## Lineage queries (in process, {} impact samples, {} root-cause samples)\n",
        impact_t.len(),
        rc_t.len()
    );
    println!("| query | p50 | p99 | p99 / full-graph traversal |\n|---|---|---|---|");
    for (name, v) in [
        ("impact (one node)", &impact_t),
        ("root-cause candidates (31 failing nodes)", &rc_t),
    ] {
        println!(
            "| {name} | {:.1} µs | {:.1} µs (target < 1000 µs) | {:.2} |",
            stats::percentile(v, 0.5) * 1e6,
            stats::percentile(v, 0.99) * 1e6,
            stats::percentile(v, 0.99) / base
        );
    }
    println!(
        "| baseline: full-graph traversal | {:.1} µs | | 1.00 |\n",
        base * 1e6
    );
}
