//! `GET /metrics`: the Prometheus (OpenMetrics) text of [`crate::telemetry`], behind the bearer
//! token unless `[http] public_metrics = true`; and the route patterns requests are counted by.

use super::{Reply, Shared, authorized, error_reply, reply_for_error};
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{HeaderMap, Method, Response, StatusCode};

pub(super) async fn serve(shared: &Shared, method: &Method, headers: &HeaderMap) -> Reply {
    if *method != Method::GET {
        return error_reply(
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed on /metrics",
        );
    }
    if !shared.app.config.http.public_metrics && !authorized(shared, headers) {
        return error_reply(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
    }
    let app = shared.app.clone();
    let gauges = match tokio::task::spawn_blocking(move || app.gauges()).await {
        Ok(Ok(g)) => g,
        Ok(Err(e)) => return reply_for_error(e),
        Err(e) => return reply_for_error(anyhow::anyhow!("reading the gauges: {e}")),
    };
    let mut r = Response::new(Full::new(Bytes::from(crate::telemetry::render(&gauges))));
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(crate::telemetry::CONTENT_TYPE),
    );
    r
}

/// The route a request is counted under: a fixed pattern, never the raw path (ids and names
/// would make a series per value).
pub(super) fn route_of(method: &Method, path: &str) -> &'static str {
    let under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty())
    };
    let route = match path {
        "/healthz" => "/healthz",
        "/metrics" => "/metrics",
        "/status" => "/status",
        "/status.json" => "/status.json",
        "/v1/dbt" => "/v1/dbt",
        "/v1/alerts" => "/v1/alerts",
        "/v1/openlineage" => "/v1/openlineage",
        "/v1/issues" => "/v1/issues",
        "/v1/lineage/impact" => "/v1/lineage/impact",
        "/v1/lineage/projects" => "/v1/lineage/projects",
        "/v1/ingests" => "/v1/ingests",
        _ if under("/v1/issues/") => "/v1/issues/{id}",
        _ if under("/incidents/") => "/incidents/{id}",
        _ if under("/issues/") => "/issues/{id}",
        _ if under("/products/") => "/products/{name}",
        _ => "other",
    };
    if route != "other" && !matches!(*method, Method::GET | Method::POST | Method::HEAD) {
        return "other";
    }
    route
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_patterns() {
        assert_eq!(route_of(&Method::GET, "/v1/issues/42"), "/v1/issues/{id}");
        assert_eq!(route_of(&Method::GET, "/v1/issues"), "/v1/issues");
        assert_eq!(
            route_of(&Method::GET, "/products/revenue"),
            "/products/{name}"
        );
        assert_eq!(route_of(&Method::GET, "/wp-admin/../etc"), "other");
        assert_eq!(route_of(&Method::DELETE, "/v1/dbt"), "other");
    }
}
