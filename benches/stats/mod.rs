//! Small statistics shared by the benchmark binaries (each includes this module; not every
//! binary uses every function).
#![allow(dead_code)]

use std::time::Instant;

/// The value at fraction `p` (0–1) of an ascending slice; NaN when empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// The median (upper middle for an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// Median of `rounds` runs after one warm-up, in ms, with the last run's result.
pub fn time<R>(rounds: usize, mut f: impl FnMut() -> R) -> (f64, R) {
    let _ = f();
    let mut out = None;
    let times: Vec<f64> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            out = Some(f());
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    (median(times), out.expect("at least one round"))
}
