//! Steward's own Prometheus metrics, in one registry (`prometheus-client`), served as the
//! OpenMetrics text format by `GET /metrics`.
//!
//! This module sits in the lowest layer so that every layer may count into it (the app counts
//! ingests, the Slack face its Web API calls and acks, the HTTP face its requests) without the
//! core knowing any face. Counters and histograms are process-wide; the gauges of the database's
//! state (open issues and incidents, the outbox) are set from [`Gauges`] at each scrape.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};

/// The content type of [`render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

type Labels = Vec<(&'static str, String)>;
type Histograms = Family<Labels, Histogram, fn() -> Histogram>;

/// The state of the database a scrape reports, read by the app.
#[derive(Debug, Clone, Default)]
pub struct Gauges {
    /// (environment, severity, count) of unresolved issues.
    pub open_issues: Vec<(String, String, i64)>,
    /// (severity, count) of unresolved incidents.
    pub open_incidents: Vec<(String, i64)>,
    /// (consumer, pending items, age in seconds of the oldest pending one).
    pub outbox: Vec<(String, i64, f64)>,
}

struct Metrics {
    registry: Registry,
    ingests: Family<Labels, Counter>,
    ingest_seconds: Histograms,
    open_issues: Family<Labels, Gauge>,
    open_incidents: Family<Labels, Gauge>,
    outbox_pending: Family<Labels, Gauge>,
    outbox_oldest: Family<Labels, Gauge<f64, AtomicU64>>,
    slack_calls: Family<Labels, Counter>,
    socket_connections: Counter,
    socket_reconnects: Counter,
    ack_seconds: Histogram,
    http_requests: Family<Labels, Counter>,
    http_seconds: Histograms,
    /// Serialises scrapes: each sets the gauges, then encodes them.
    scrape: Mutex<()>,
    connected_once: AtomicBool,
}

fn latency() -> Histogram {
    // 1 ms to ~33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut r = Registry::default();
    let m = Metrics {
        ingests: Family::default(),
        ingest_seconds: Family::new_with_constructor(latency),
        open_issues: Family::default(),
        open_incidents: Family::default(),
        outbox_pending: Family::default(),
        outbox_oldest: Family::default(),
        slack_calls: Family::default(),
        socket_connections: Counter::default(),
        socket_reconnects: Counter::default(),
        ack_seconds: latency(),
        http_requests: Family::default(),
        http_seconds: Family::new_with_constructor(latency),
        registry: Registry::default(),
        scrape: Mutex::new(()),
        connected_once: AtomicBool::new(false),
    };
    r.register(
        "steward_ingests",
        "Ingests by source (dbt, alert, openlineage, expect) and outcome (ok, rejected, error)",
        m.ingests.clone(),
    );
    r.register_with_unit(
        "steward_ingest_duration",
        "Time to parse and commit one ingest, by source",
        Unit::Seconds,
        m.ingest_seconds.clone(),
    );
    r.register(
        "steward_open_issues",
        "Unresolved issues by environment and severity",
        m.open_issues.clone(),
    );
    r.register(
        "steward_open_incidents",
        "Unresolved incidents by severity",
        m.open_incidents.clone(),
    );
    r.register(
        "steward_outbox_pending",
        "Outbox items not yet delivered, by consumer",
        m.outbox_pending.clone(),
    );
    r.register_with_unit(
        "steward_outbox_oldest_pending_age",
        "Age of the oldest undelivered outbox item, by consumer (0 when none)",
        Unit::Seconds,
        m.outbox_oldest.clone(),
    );
    r.register(
        "steward_slack_api_calls",
        "Slack Web API calls (each attempt) by method and outcome (ok, api_error, rate_limited, error)",
        m.slack_calls.clone(),
    );
    r.register(
        "steward_slack_socket_connections",
        "Socket Mode connections opened (each `hello`)",
        m.socket_connections.clone(),
    );
    r.register(
        "steward_slack_socket_reconnects",
        "Socket Mode connections opened after the first",
        m.socket_reconnects.clone(),
    );
    r.register_with_unit(
        "steward_slack_ack_duration",
        "Time from a Socket Mode envelope's callback to its ack",
        Unit::Seconds,
        m.ack_seconds.clone(),
    );
    r.register(
        "steward_http_requests",
        "HTTP requests by route and status",
        m.http_requests.clone(),
    );
    r.register_with_unit(
        "steward_http_request_duration",
        "HTTP request latency by route",
        Unit::Seconds,
        m.http_seconds.clone(),
    );
    Metrics { registry: r, ..m }
});

/// One ingest finished: `outcome` is `ok`, `rejected` (bad input) or `error`.
pub fn ingest(source: &str, outcome: &'static str, seconds: f64) {
    let m = &*METRICS;
    m.ingests
        .get_or_create(&vec![
            ("source", source.to_owned()),
            ("outcome", outcome.to_owned()),
        ])
        .inc();
    m.ingest_seconds
        .get_or_create(&vec![("source", source.to_owned())])
        .observe(seconds);
}

/// One attempt of a Slack Web API call.
pub fn slack_call(method: &str, outcome: &'static str) {
    METRICS
        .slack_calls
        .get_or_create(&vec![
            ("method", method.to_owned()),
            ("outcome", outcome.to_owned()),
        ])
        .inc();
}

/// A Socket Mode connection said `hello`.
pub fn socket_connected() {
    let m = &*METRICS;
    m.socket_connections.inc();
    if m.connected_once.swap(true, Ordering::Relaxed) {
        m.socket_reconnects.inc();
    }
}

/// A Socket Mode envelope was acknowledged `seconds` after its callback started.
pub fn ack(seconds: f64) {
    METRICS.ack_seconds.observe(seconds);
}

/// One HTTP request answered; `route` is a fixed pattern (`/v1/issues/{id}`), never a raw path.
pub fn http_request(route: &'static str, status: u16, seconds: f64) {
    let m = &*METRICS;
    m.http_requests
        .get_or_create(&vec![
            ("route", route.to_owned()),
            ("status", status.to_string()),
        ])
        .inc();
    m.http_seconds
        .get_or_create(&vec![("route", route.to_owned())])
        .observe(seconds);
}

/// Every metric in the OpenMetrics text format, with the gauges set from `gauges`.
pub fn render(gauges: &Gauges) -> String {
    let m = &*METRICS;
    let _one = m.scrape.lock().unwrap_or_else(|e| e.into_inner());
    m.open_issues.clear();
    for (env, severity, n) in &gauges.open_issues {
        m.open_issues
            .get_or_create(&vec![("env", env.clone()), ("severity", severity.clone())])
            .set(*n);
    }
    m.open_incidents.clear();
    for (severity, n) in &gauges.open_incidents {
        m.open_incidents
            .get_or_create(&vec![("severity", severity.clone())])
            .set(*n);
    }
    m.outbox_pending.clear();
    m.outbox_oldest.clear();
    for (consumer, n, age) in &gauges.outbox {
        let labels = vec![("consumer", consumer.clone())];
        m.outbox_pending.get_or_create(&labels).set(*n);
        m.outbox_oldest.get_or_create(&labels).set(*age);
    }
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = encode(&mut out, &m.registry);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of the sample `name{labels}` in `text`, if present.
    fn sample(text: &str, name_and_labels: &str) -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name_and_labels)?.trim().parse().ok())
    }

    #[test]
    fn the_text_format_has_every_family_and_the_scrape_gauges() {
        ingest("dbt", "ok", 0.02);
        slack_call("chat.postMessage", "rate_limited");
        http_request("/v1/issues/{id}", 404, 0.003);
        let gauges = Gauges {
            open_issues: vec![("prod".into(), "error".into(), 3)],
            open_incidents: vec![("SEV2".into(), 1)],
            outbox: vec![("slack".into(), 2, 12.5)],
        };
        let text = render(&gauges);
        assert!(text.ends_with("# EOF\n"), "{text}");
        for family in [
            "# TYPE steward_ingests counter",
            "# TYPE steward_ingest_duration_seconds histogram",
            "# TYPE steward_open_issues gauge",
            "# TYPE steward_slack_api_calls counter",
            "# TYPE steward_slack_socket_reconnects counter",
            "# TYPE steward_slack_ack_duration_seconds histogram",
            "# TYPE steward_http_requests counter",
            "# TYPE steward_http_request_duration_seconds histogram",
            "# TYPE steward_outbox_oldest_pending_age_seconds gauge",
        ] {
            assert!(text.contains(family), "{family} missing:\n{text}");
        }
        assert!(
            sample(
                &text,
                "steward_ingests_total{source=\"dbt\",outcome=\"ok\"}"
            )
            .unwrap()
                >= 1.0
        );
        assert_eq!(
            sample(
                &text,
                "steward_open_issues{env=\"prod\",severity=\"error\"}"
            ),
            Some(3.0)
        );
        assert_eq!(
            sample(&text, "steward_open_incidents{severity=\"SEV2\"}"),
            Some(1.0)
        );
        assert_eq!(
            sample(&text, "steward_outbox_pending{consumer=\"slack\"}"),
            Some(2.0)
        );
        assert_eq!(
            sample(
                &text,
                "steward_outbox_oldest_pending_age_seconds{consumer=\"slack\"}"
            ),
            Some(12.5)
        );
        assert!(
            sample(
                &text,
                "steward_slack_api_calls_total{method=\"chat.postMessage\",outcome=\"rate_limited\"}"
            )
            .unwrap()
                >= 1.0
        );
        assert!(text.contains("steward_http_request_duration_seconds_bucket{le=\"0.004\",route=\"/v1/issues/{id}\"}")
            || text.contains("steward_http_request_duration_seconds_bucket{route=\"/v1/issues/{id}\",le=\"0.004\"}"), "{text}");
        // A scrape with fewer issues drops the series that are gone.
        let text = render(&Gauges::default());
        assert_eq!(
            sample(
                &text,
                "steward_open_issues{env=\"prod\",severity=\"error\"}"
            ),
            None
        );
    }
}
