//! The demo project's recorded runs, moved onto the story's clock: every timestamp in a
//! run_results or sources file is shifted by one offset, so the run happened at the instant the
//! story says, and nothing the demo (or a test replaying it) shows depends on today's date.

use crate::app::ingest::{DbtArtifacts, Input};
use crate::sources::observation::parse_time;
use anyhow::{Context as _, Result};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

/// When the demo's broken run finished (its run_results' `generated_at`).
pub fn broken_run_finished() -> DateTime<Utc> {
    generated_at(super::BROKEN_RUN_RESULTS).expect("the demo's run_results has a generated_at")
}

/// The demo's healthy run, as if it had finished at `at`.
pub fn healthy_run_at(at: DateTime<Utc>) -> Result<DbtArtifacts> {
    let mut run = super::healthy_run();
    for input in [run.run_results.as_mut(), run.sources.as_mut()]
        .into_iter()
        .flatten()
    {
        let moved = finished_at(&input.bytes, at)
            .with_context(|| format!("moving {} onto the story's clock", input.origin))?;
        *input = Input::new(&input.origin, moved);
    }
    Ok(run)
}

/// `artifact` (run_results or sources JSON) with every timestamp shifted so that its
/// `metadata.generated_at` is `at`. Other values are untouched.
pub fn finished_at(artifact: &[u8], at: DateTime<Utc>) -> Result<Vec<u8>> {
    let mut doc: Value = serde_json::from_slice(artifact)?;
    let was = doc["metadata"]["generated_at"]
        .as_str()
        .and_then(parse_time)
        .context("no metadata.generated_at")?;
    shift(&mut doc, at - was);
    Ok(serde_json::to_vec(&doc)?)
}

fn generated_at(artifact: &[u8]) -> Option<DateTime<Utc>> {
    let doc: Value = serde_json::from_slice(artifact).ok()?;
    doc["metadata"]["generated_at"]
        .as_str()
        .and_then(parse_time)
}

fn shift(v: &mut Value, by: chrono::Duration) {
    match v {
        Value::String(s) if looks_like_timestamp(s) => {
            if let Some(t) = parse_time(s) {
                *s = (t + by).to_rfc3339_opts(SecondsFormat::Micros, true);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| shift(i, by)),
        Value::Object(map) => map.values_mut().for_each(|i| shift(i, by)),
        _ => {}
    }
}

/// `2026-11-25T01:59:13…` or `2026-11-25 01:59:13…`: a date and a time, not just any string
/// that a lenient parser would accept.
fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 19
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b' ')
        && b[13] == b':'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_moves_whole_and_keeps_its_inner_durations() {
        let at = DateTime::parse_from_rfc3339("2031-02-03T04:05:06Z")
            .unwrap()
            .with_timezone(&Utc);
        let moved = finished_at(super::super::HEALTHY_RUN_RESULTS, at).unwrap();
        assert_eq!(generated_at(&moved), Some(at));
        let before: Value = serde_json::from_slice(super::super::HEALTHY_RUN_RESULTS).unwrap();
        let after: Value = serde_json::from_slice(&moved).unwrap();
        let completed = |doc: &Value| {
            parse_time(
                doc["results"][0]["timing"][1]["completed_at"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap()
        };
        let lead = |doc: &Value| {
            parse_time(doc["metadata"]["generated_at"].as_str().unwrap()).unwrap() - completed(doc)
        };
        assert_eq!(lead(&before), lead(&after));
        assert_eq!(
            before["results"][0]["unique_id"],
            after["results"][0]["unique_id"]
        );
        assert_eq!(
            before["metadata"]["invocation_id"],
            after["metadata"]["invocation_id"]
        );
    }

    #[test]
    fn only_date_and_time_strings_move() {
        let mut doc =
            serde_json::json!({"a": "2026-11-25T01:59:13Z", "b": "2026", "c": "pass", "d": 3});
        shift(&mut doc, chrono::Duration::hours(1));
        assert_eq!(doc["a"], "2026-11-25T02:59:13.000000Z");
        assert_eq!(doc["b"], "2026");
        assert_eq!(doc["c"], "pass");
    }
}
