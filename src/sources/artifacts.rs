//! dbt `run_results.json` (v1–v6) and `sources.json` (freshness) turned into observations.

use crate::error::InputError;
use crate::lineage::{Lineage, NodeKind};
use crate::schema_version::{
    self, CheckedVersion, Expected, ObjectOnly, RunResultsSchema, SourcesSchema,
};
use crate::sources::observation::{Observation, Origin, Outcome, Severity, parse_time};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::borrow::Cow;

pub use crate::schema_version::{MAX_RUN_RESULTS_VERSION, MAX_SOURCES_VERSION};

/// A results file of the artifact `K` (run_results or sources).
#[derive(Deserialize)]
#[serde(bound(deserialize = "'de: 'a, K: Expected"))]
struct RawResults<'a, K> {
    #[serde(borrow, default)]
    metadata: ObjectOnly<RawMeta<'a, K>>,
    #[serde(borrow)]
    results: Vec<RawResult<'a>>,
    #[serde(borrow, default)]
    args: Option<RawArgs<'a>>,
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "'de: 'a, K: Expected"))]
struct RawMeta<'a, K> {
    /// Read only for its check: refuses another artifact or an unsupported version where the
    /// parser meets it.
    #[serde(default = "Option::default", rename = "dbt_schema_version")]
    _schema_version: Option<CheckedVersion<K>>,
    #[serde(borrow, default)]
    invocation_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    generated_at: Option<Cow<'a, str>>,
}

impl<K> Default for RawMeta<'_, K> {
    fn default() -> Self {
        RawMeta {
            _schema_version: None,
            invocation_id: None,
            generated_at: None,
        }
    }
}

#[derive(Deserialize)]
struct RawArgs<'a> {
    #[serde(borrow, default)]
    target: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct RawResult<'a> {
    #[serde(borrow)]
    unique_id: Cow<'a, str>,
    #[serde(borrow)]
    status: Cow<'a, str>,
    #[serde(borrow, default)]
    message: Option<Cow<'a, str>>,
    /// dbt writes an integer; some real files carry a string here. It is only a display count,
    /// so anything but a number reads as unknown rather than failing the whole run.
    #[serde(default, deserialize_with = "lenient_count")]
    failures: Option<i64>,
    #[serde(borrow, default)]
    timing: Vec<RawTiming<'a>>,
    // sources.json
    #[serde(borrow, default)]
    max_loaded_at: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    snapshotted_at: Option<Cow<'a, str>>,
    #[serde(default)]
    max_loaded_at_time_ago_in_s: Option<f64>,
    #[serde(borrow, default)]
    error: Option<Cow<'a, str>>,
    /// v4+: the SQL dbt ran (`compiled_sql` in older files).
    #[serde(borrow, default, alias = "compiled_sql")]
    compiled_code: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct RawTiming<'a> {
    #[serde(borrow, default)]
    completed_at: Option<Cow<'a, str>>,
}

/// The parsed contents of one dbt results file, ready for the issue engine.
pub struct ParsedResults {
    pub invocation_id: Option<String>,
    pub generated_at: Option<DateTime<Utc>>,
    /// `args.target` of run_results: the default environment.
    pub target: Option<String>,
    pub observations: Vec<Observation>,
    /// Results with a status Steward does not act on (e.g. `no-op`).
    pub ignored: usize,
}

/// Reads `run_results.json`. Each result becomes an observation on its asset: a test's result
/// is about the node it tests, a model's (seed's, snapshot's) about itself with check `run`.
pub fn parse_run_results(
    origin: &str,
    bytes: &[u8],
    lineage: &Lineage,
    fallback_time: DateTime<Utc>,
) -> Result<ParsedResults, InputError> {
    let raw: RawResults<RunResultsSchema> = parse(origin, bytes)?;
    let invocation = raw
        .metadata
        .0
        .invocation_id
        .as_deref()
        .map(str::to_owned)
        .unwrap_or_else(|| content_hash(bytes));
    let generated_at = raw.metadata.0.generated_at.as_deref().and_then(parse_time);
    let mut ignored = 0;
    let mut observations = Vec::with_capacity(raw.results.len());
    for r in &raw.results {
        // Unit tests check model logic on fixed inputs, not data: counted, never an issue.
        if r.unique_id.starts_with("unit_test.") {
            ignored += 1;
            continue;
        }
        let outcome = match r.status.as_ref() {
            "success" | "pass" => Outcome::Pass,
            "error" | "runtime error" | "fail" => Outcome::Fail(Severity::Error),
            "warn" | "partial success" => Outcome::Fail(Severity::Warn),
            "skipped" => Outcome::Skipped,
            _ => {
                ignored += 1;
                continue;
            }
        };
        let occurred_at = r
            .timing
            .iter()
            .rev()
            .find_map(|t| t.completed_at.as_deref().and_then(parse_time))
            .or(generated_at)
            .unwrap_or(fallback_time);
        let (asset, asset_known, check) = asset_and_check(lineage, &r.unique_id);
        observations.push(Observation {
            key: Some(format!("dbt:{invocation}:{}", r.unique_id)),
            origin: Origin::Dbt,
            source_system: None,
            asset,
            asset_known,
            check,
            node: Some(r.unique_id.to_string()),
            outcome,
            raw_status: r.status.to_string(),
            message: r
                .message
                .as_deref()
                .map(str::to_owned)
                .filter(|m| !m.is_empty()),
            failures: r.failures.filter(|_| matches!(outcome, Outcome::Fail(_))),
            url: None,
            run_id: Some(invocation.clone()),
            occurred_at,
            compiled_sql: r
                .compiled_code
                .as_deref()
                .filter(|_| matches!(outcome, Outcome::Fail(_)))
                .map(str::to_owned),
        });
    }
    Ok(ParsedResults {
        invocation_id: Some(invocation),
        generated_at,
        target: raw.args.and_then(|a| a.target).map(|t| t.into_owned()),
        observations,
        ignored,
    })
}

/// Reads `sources.json` from `dbt source freshness`: one `freshness` observation per source.
pub fn parse_sources(
    origin: &str,
    bytes: &[u8],
    lineage: &Lineage,
    fallback_time: DateTime<Utc>,
) -> Result<ParsedResults, InputError> {
    let raw: RawResults<SourcesSchema> = parse(origin, bytes)?;
    let invocation = raw
        .metadata
        .0
        .invocation_id
        .as_deref()
        .map(str::to_owned)
        .unwrap_or_else(|| content_hash(bytes));
    let generated_at = raw.metadata.0.generated_at.as_deref().and_then(parse_time);
    let mut ignored = 0;
    let mut observations = Vec::with_capacity(raw.results.len());
    for r in &raw.results {
        let outcome = match r.status.as_ref() {
            "pass" | "success" => Outcome::Pass,
            "warn" => Outcome::Fail(Severity::Warn),
            "error" | "runtime error" => Outcome::Fail(Severity::Error),
            _ => {
                ignored += 1;
                continue;
            }
        };
        let message = if r.status == "runtime error" {
            r.error
                .as_deref()
                .or(r.message.as_deref())
                .map(str::to_owned)
        } else {
            r.max_loaded_at.as_deref().map(|at| {
                let ago = r
                    .max_loaded_at_time_ago_in_s
                    .map(|s| format!(" ({} ago)", human_duration(s as i64)))
                    .unwrap_or_default();
                format!("freshness {}: last loaded at {at}{ago}", r.status)
            })
        };
        let occurred_at = r
            .snapshotted_at
            .as_deref()
            .and_then(parse_time)
            .or(generated_at)
            .unwrap_or(fallback_time);
        let known = lineage.get(&r.unique_id).is_some();
        observations.push(Observation {
            key: Some(format!("freshness:{invocation}:{}", r.unique_id)),
            origin: Origin::Freshness,
            source_system: None,
            asset: r.unique_id.to_string(),
            asset_known: known,
            check: "freshness".to_owned(),
            node: Some(r.unique_id.to_string()),
            outcome,
            raw_status: r.status.to_string(),
            message,
            failures: None,
            url: None,
            run_id: Some(invocation.clone()),
            occurred_at,
            compiled_sql: None,
        });
    }
    Ok(ParsedResults {
        invocation_id: Some(invocation),
        generated_at,
        target: None,
        observations,
        ignored,
    })
}

/// Parses a results file; its kind and version are checked where `metadata` is met.
fn parse<'a, K: Expected>(origin: &str, bytes: &'a [u8]) -> Result<RawResults<'a, K>, InputError> {
    schema_version::refuse_empty(origin, bytes)?;
    serde_json::from_slice(bytes)
        .map_err(|e| InputError::from_json::<RawResults<K>>(origin, bytes, e))
}

/// The asset and check of a dbt result's unique_id.
fn asset_and_check(lineage: &Lineage, unique_id: &str) -> (String, bool, String) {
    let is_test = unique_id.starts_with("test.") || unique_id.starts_with("unit_test.");
    match lineage.get(unique_id) {
        Some(idx) => {
            let node = lineage.node(idx);
            if matches!(node.kind, NodeKind::Test | NodeKind::UnitTest) {
                let asset = lineage.asset_of(idx);
                (
                    lineage.node(asset).unique_id.clone(),
                    true,
                    unique_id.to_owned(),
                )
            } else {
                (unique_id.to_owned(), true, "run".to_owned())
            }
        }
        None if is_test => (unique_id.to_owned(), false, unique_id.to_owned()),
        None => (unique_id.to_owned(), false, "run".to_owned()),
    }
}

pub fn human_duration(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h {}m", s / 3600, (s % 3600) / 60),
        s => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// A stable short hash for files without an invocation id (FNV-1a, 64-bit).
pub fn content_hash(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("sha-{h:016x}")
}

fn lenient_count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Count {
        Int(i64),
        Float(f64),
        Other(serde::de::IgnoredAny),
    }
    Ok(match Option::<Count>::deserialize(d)? {
        Some(Count::Int(n)) => Some(n),
        Some(Count::Float(f)) if f.is_finite() => Some(f as i64),
        _ => None,
    })
}
