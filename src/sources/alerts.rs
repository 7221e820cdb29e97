//! Results from outside dbt: generic JSON alerts (Airflow callbacks, monitors) and OpenLineage
//! RunEvents (what Airflow's OpenLineage provider emits), turned into observations.

use crate::error::{InputError, quoted};
use crate::lineage::Lineage;
use crate::lineage::openlineage::{Dataset, Job};
use crate::sources::observation::{Observation, Origin, Outcome, Severity, parse_time};
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// A generic alert as posted to `/v1/alerts` or `steward ingest alert`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    /// The sending system: `airflow`, `monitor`, …
    #[serde(default)]
    pub source: Option<String>,
    /// A unique_id, a relation name or a model name.
    pub asset: String,
    pub check: String,
    /// `fail` or `pass`.
    pub status: String,
    /// `error` (default) or `warn`.
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub run_id: Option<String>,
    #[serde(default)]
    pub occurred_at: Option<String>,
    /// Deduplication key: the same id is applied once.
    #[serde(default)]
    pub id: Option<String>,
}

/// Parses one alert or an array of them and maps each to an observation. An alert whose asset
/// does not resolve stays an observation on the raw reference: it is never dropped.
pub fn parse_alerts(
    origin: &str,
    bytes: &[u8],
    lineage: &Lineage,
    now: DateTime<Utc>,
) -> Result<Vec<Observation>, InputError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(InputError::new(origin, "the body is empty"));
    }
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| InputError::from_json::<serde_json::Value>(origin, bytes, e))?;
    let alerts: Vec<Alert> = match &value {
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| from_value(origin, &format!("[{i}]"), item, ""))
            .collect::<Result<_, _>>()?,
        serde_json::Value::Object(_) => vec![from_value(origin, "", &value, "")?],
        _ => {
            return Err(
                InputError::new(origin, "expected an alert object or an array of alerts")
                    .at("at `.`"),
            );
        }
    };
    alerts
        .into_iter()
        .enumerate()
        .map(|(i, a)| alert_observation(origin, i, a, lineage, now))
        .collect()
}

/// Reads `T` from `value` (at `prefix` in the body); an error names the path within it.
fn from_value<'v, T: Deserialize<'v>>(
    origin: &str,
    prefix: &str,
    value: &'v serde_json::Value,
    what: &str,
) -> Result<T, InputError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let path = match (prefix, inner.as_str()) {
            ("", ".") => ".".to_owned(),
            (p, ".") => p.to_owned(),
            ("", i) => i.to_owned(),
            (p, i) if i.starts_with('[') => format!("{p}{i}"),
            (p, i) => format!("{p}.{i}"),
        };
        InputError::new(origin, format!("{what}{}", e.inner())).at(format!("at `{path}`"))
    })
}

fn alert_observation(
    origin: &str,
    i: usize,
    a: Alert,
    lineage: &Lineage,
    now: DateTime<Utc>,
) -> Result<Observation, InputError> {
    let at = |field: &str| format!("at `[{i}].{field}`");
    let severity = match a.severity.as_deref() {
        None => Severity::Error,
        Some(s) => Severity::parse(s).ok_or_else(|| {
            InputError::new(
                origin,
                format!("severity {} is not `error` or `warn`", quoted(s)),
            )
            .at(at("severity"))
        })?,
    };
    let outcome = match a.status.to_ascii_lowercase().as_str() {
        "fail" | "failed" | "failure" | "error" => Outcome::Fail(severity),
        "pass" | "passed" | "ok" | "success" => Outcome::Pass,
        _ => {
            return Err(InputError::new(
                origin,
                format!("status {} is not `fail` or `pass`", quoted(&a.status)),
            )
            .at(at("status")));
        }
    };
    if a.asset.trim().is_empty() {
        return Err(InputError::new(origin, "asset is empty").at(at("asset")));
    }
    if a.check.trim().is_empty() {
        return Err(InputError::new(origin, "check is empty").at(at("check")));
    }
    let occurred_at = match a.occurred_at.as_deref() {
        None => now,
        Some(t) => parse_time(t).ok_or_else(|| {
            InputError::new(
                origin,
                format!("occurred_at {} is not an RFC 3339 time", quoted(t)),
            )
            .at(at("occurred_at"))
        })?,
    };
    let resolved = lineage.resolve(&a.asset);
    let asset = resolved
        .map(|i| lineage.node(i).unique_id.clone())
        .unwrap_or_else(|| a.asset.trim().to_owned());
    let source = a.source.clone().unwrap_or_else(|| "alert".to_owned());
    let key =
        a.id.as_ref()
            .map(|id| format!("alert:{source}:{id}"))
            .or_else(|| {
                // Without an id, an alert that names its time or run is still the same alert when resent.
                (a.occurred_at.is_some() || a.run_id.is_some()).then(|| {
                    format!(
                        "alert:{source}:{}:{}:{}:{}:{}",
                        asset,
                        a.check,
                        a.status.to_ascii_lowercase(),
                        a.run_id.as_deref().unwrap_or(""),
                        a.occurred_at.as_deref().unwrap_or("")
                    )
                })
            });
    Ok(Observation {
        key,
        origin: Origin::Alert,
        source_system: Some(source),
        asset,
        asset_known: resolved.is_some(),
        check: a.check,
        node: None,
        outcome,
        raw_status: a.status.to_ascii_lowercase(),
        message: a.message,
        failures: None,
        url: a.url,
        run_id: a.run_id,
        occurred_at,
        compiled_sql: None,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RunEvent {
    event_type: Option<String>,
    event_time: Option<String>,
    run: OlRun,
    job: OlJob,
    #[serde(default)]
    inputs: Vec<OlDataset>,
    #[serde(default)]
    outputs: Vec<OlDataset>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OlRun {
    run_id: String,
    #[serde(default)]
    facets: Option<OlRunFacets>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OlRunFacets {
    #[serde(default)]
    error_message: Option<OlErrorMessage>,
}

#[derive(Deserialize)]
struct OlErrorMessage {
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct OlJob {
    namespace: String,
    name: String,
}

#[derive(Deserialize)]
struct OlDataset {
    namespace: String,
    name: String,
}

/// Parses one OpenLineage RunEvent (or an array of them). `FAIL` opens an issue on the job and
/// on each output dataset (mapped to dbt relations where they resolve); `COMPLETE` recovers the
/// same checks. Other event types carry no outcome and produce nothing.
pub fn parse_openlineage(
    origin: &str,
    bytes: &[u8],
    lineage: &Lineage,
    now: DateTime<Utc>,
) -> Result<Vec<Observation>, InputError> {
    let mut out = Vec::new();
    for event in run_events(origin, bytes)? {
        openlineage_observations(event, lineage, now, &mut out);
    }
    Ok(out)
}

/// The jobs of OpenLineage RunEvents (any event type), with the datasets each reads and writes:
/// what the lineage keeps of Airflow.
pub fn parse_openlineage_jobs(origin: &str, bytes: &[u8]) -> Result<Vec<Job>, InputError> {
    let dataset = |d: &OlDataset| Dataset {
        namespace: d.namespace.clone(),
        name: d.name.clone(),
    };
    Ok(run_events(origin, bytes)?
        .into_iter()
        .map(|e| Job {
            namespace: e.job.namespace.clone(),
            name: e.job.name.clone(),
            inputs: e.inputs.iter().map(dataset).collect(),
            outputs: e.outputs.iter().map(dataset).collect(),
            last_event: e
                .event_type
                .clone()
                .unwrap_or_default()
                .to_ascii_uppercase(),
            last_event_at: e.event_time.clone(),
        })
        .collect())
}

fn run_events(origin: &str, bytes: &[u8]) -> Result<Vec<RunEvent>, InputError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(InputError::new(origin, "the body is empty"));
    }
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| InputError::from_json::<serde_json::Value>(origin, bytes, e))?;
    let items: Vec<(String, &serde_json::Value)> = match &value {
        serde_json::Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("[{i}]"), v))
            .collect(),
        v => vec![(String::new(), v)],
    };
    items
        .into_iter()
        .map(|(prefix, item)| from_value(origin, &prefix, item, "not an OpenLineage RunEvent: "))
        .collect()
}

fn openlineage_observations(
    event: RunEvent,
    lineage: &Lineage,
    now: DateTime<Utc>,
    out: &mut Vec<Observation>,
) {
    {
        let outcome = match event
            .event_type
            .as_deref()
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            Some("FAIL") => Outcome::Fail(Severity::Error),
            Some("COMPLETE") => Outcome::Pass,
            _ => return,
        };
        let event_type = event
            .event_type
            .clone()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let occurred_at = event
            .event_time
            .as_deref()
            .and_then(parse_time)
            .unwrap_or(now);
        let message = event
            .run
            .facets
            .as_ref()
            .and_then(|f| f.error_message.as_ref())
            .and_then(|m| m.message.clone());
        let job_ref = format!("{}.{}", event.job.namespace, event.job.name);
        let mut targets: Vec<(String, bool, String)> = Vec::new();
        // The job's own node (Airflow in the graph), else a dbt node of that name.
        let job_node = lineage
            .get(&job_ref)
            .or_else(|| lineage.resolve(&event.job.name));
        targets.push((
            job_node
                .map(|i| lineage.node(i).unique_id.clone())
                .unwrap_or_else(|| job_ref.clone()),
            job_node.is_some(),
            "job".to_owned(),
        ));
        for ds in &event.outputs {
            let own = format!("{}/{}", ds.namespace, ds.name);
            let node = lineage.resolve(&ds.name).or_else(|| lineage.get(&own));
            let asset = node
                .map(|i| lineage.node(i).unique_id.clone())
                .unwrap_or(own);
            targets.push((asset, node.is_some(), format!("job:{}", event.job.name)));
        }
        for (asset, known, check) in targets {
            out.push(Observation {
                key: Some(format!(
                    "ol:{}:{}:{}:{}",
                    event.run.run_id, event_type, asset, check
                )),
                origin: Origin::OpenLineage,
                source_system: Some(event.job.namespace.clone()),
                asset,
                asset_known: known,
                check,
                node: None,
                outcome,
                raw_status: event_type.to_ascii_lowercase(),
                message: message.clone(),
                failures: None,
                url: None,
                run_id: Some(event.run.run_id.clone()),
                occurred_at,
                compiled_sql: None,
            });
        }
    }
}
