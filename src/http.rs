//! The HTTP API (hyper 1): ingest endpoints for machines, issue and lineage reads, `/healthz`
//! and the status page (`/status`, `/status.json`).
//!
//! `/v1/*` needs `Authorization: Bearer $STEWARD_TOKEN`, compared in constant time. Bodies are
//! limited (after gzip decompression) and parsed off the async threads; errors are
//! `{"error": "..."}` with a 4xx status for bad input.

use crate::app::{self, App};
use crate::error::{InputError, InputErrorKind, as_input_error};
use crate::ingest::{DbtArtifacts, Input};
use crate::issues::{IssueFilter, Status};
use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// A secret that never prints.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Self {
        Secret(s)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Compares in time that depends only on the lengths, not on where the bytes differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

struct Shared {
    app: App,
    token: Option<Secret>,
    body_limit: u64,
}

/// A running server: its bound address and a way to stop it.
pub struct Server {
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// Binds `listen` and serves until stopped. Refuses a non-loopback address without a token.
pub async fn start(app: App, listen: &str, token: Option<Secret>) -> Result<Server> {
    let addr: SocketAddr = tokio::net::lookup_host(listen)
        .await
        .with_context(|| format!("resolving listen address {listen}"))?
        .next()
        .ok_or_else(|| anyhow::anyhow!("listen address {listen} resolves to nothing"))?;
    if !addr.ip().is_loopback() && token.is_none() {
        return Err(InputError::new(
            format!("--listen {listen}"),
            "refusing to listen on a non-loopback address without STEWARD_TOKEN set",
        )
        .into());
    }
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        body_limit: app.config.http.body_limit,
        app,
        token,
    });
    let (tx, mut rx) = watch::channel(false);
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = rx.changed() => break,
                accepted = listener.accept() => {
                    let (stream, _) = match accepted {
                        Ok(s) => s,
                        Err(e) => {
                            tracing::warn!(error = %e, "accept failed");
                            continue;
                        }
                    };
                    let shared = shared.clone();
                    tokio::spawn(async move {
                        let service = service_fn(move |req| {
                            let shared = shared.clone();
                            async move { Ok::<_, std::convert::Infallible>(handle(shared, req).await) }
                        });
                        let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                        if let Err(e) = builder.serve_connection(TokioIo::new(stream), service).await {
                            tracing::debug!(error = %e, "connection ended with an error");
                        }
                    });
                }
            }
        }
    });
    Ok(Server {
        addr,
        shutdown: tx,
        task,
    })
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

type Reply = Response<Full<Bytes>>;

fn json_reply(status: StatusCode, body: &impl serde::Serialize) -> Reply {
    let bytes = serde_json::to_vec(body)
        .unwrap_or_else(|_| b"{\"error\":\"serialisation failed\"}".to_vec());
    let mut r = Response::new(Full::new(Bytes::from(bytes)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

fn error_reply(status: StatusCode, message: impl Into<String>) -> Reply {
    json_reply(status, &serde_json::json!({ "error": message.into() }))
}

fn reply_for_error(err: anyhow::Error) -> Reply {
    match as_input_error(&err) {
        Some(input) => {
            let status = match input.kind {
                InputErrorKind::Invalid => StatusCode::BAD_REQUEST,
                InputErrorKind::NotFound => StatusCode::NOT_FOUND,
                InputErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                InputErrorKind::Conflict => StatusCode::CONFLICT,
            };
            error_reply(status, input.to_string())
        }
        None => {
            tracing::error!(error = format!("{err:#}"), "request failed");
            error_reply(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Reply {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    if path == "/healthz" {
        return json_reply(StatusCode::OK, &serde_json::json!({ "status": "ok" }));
    }
    if path == "/status" || path == "/status.json" {
        // Public, like /healthz: the status page is meant for the whole company.
        if method != Method::GET {
            return error_reply(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("method not allowed on {path}"),
            );
        }
        return get_status(&shared, path == "/status.json")
            .await
            .unwrap_or_else(reply_for_error);
    }
    if !path.starts_with("/v1/") {
        return error_reply(StatusCode::NOT_FOUND, format!("no route {path}"));
    }
    if let Some(token) = &shared.token {
        let given = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.trim().split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then_some(token.trim())
            })
            .unwrap_or("");
        if !constant_time_eq(given.as_bytes(), token.expose().as_bytes()) {
            return error_reply(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
        }
    }
    let query = parse_query(req.uri().query().unwrap_or(""));
    let result = match (method, path.as_str()) {
        (Method::POST, "/v1/dbt") => post_dbt(&shared, req).await,
        (Method::POST, "/v1/alerts") => post_simple(&shared, req, query, Kind::Alerts).await,
        (Method::POST, "/v1/openlineage") => {
            post_simple(&shared, req, query, Kind::OpenLineage).await
        }
        (Method::GET, "/v1/issues") => get_issues(&shared, query).await,
        (Method::GET, p) if p.starts_with("/v1/issues/") => {
            get_issue(&shared, &p["/v1/issues/".len()..]).await
        }
        (Method::GET, "/v1/lineage/impact") => get_impact(&shared, query).await,
        (Method::GET, "/v1/lineage/projects") => shared
            .app
            .lineage_projects(query.get("env").map(String::as_str))
            .map(|list| json_reply(StatusCode::OK, &serde_json::json!({ "projects": list }))),
        (_, "/v1/dbt" | "/v1/alerts" | "/v1/openlineage" | "/v1/issues" | "/v1/lineage/impact") => {
            Ok(error_reply(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("method not allowed on {path}"),
            ))
        }
        _ => Ok(error_reply(
            StatusCode::NOT_FOUND,
            format!("no route {path}"),
        )),
    };
    result.unwrap_or_else(reply_for_error)
}

/// Reads the whole body within the limit, gunzipping when `Content-Encoding: gzip`.
async fn read_body(
    shared: &Shared,
    req: Request<Incoming>,
    origin: &str,
) -> Result<(hyper::http::request::Parts, Vec<u8>)> {
    let (parts, body) = req.into_parts();
    let limit = shared.body_limit;
    let too_large = || {
        InputError::new(
            origin,
            format!("the body is larger than the limit of {limit} bytes (http.body_limit)"),
        )
        .kind(InputErrorKind::TooLarge)
    };
    let collected = Limited::new(body, limit as usize)
        .collect()
        .await
        .map_err(|e| {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                anyhow::Error::from(too_large())
            } else {
                anyhow::anyhow!("reading the request body: {e}")
            }
        })?
        .to_bytes();
    let gzip = parts
        .headers
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.eq_ignore_ascii_case("gzip"))
        .unwrap_or(false);
    let bytes = if gzip {
        let mut out = Vec::new();
        let mut decoder = flate2::read::MultiGzDecoder::new(&collected[..]).take(limit + 1);
        decoder
            .read_to_end(&mut out)
            .map_err(|e| InputError::new(origin, format!("the gzip body is corrupt: {e}")))?;
        if out.len() as u64 > limit {
            return Err(too_large().into());
        }
        out
    } else {
        collected.to_vec()
    };
    if bytes.is_empty() {
        return Err(InputError::new(origin, "the body is empty").into());
    }
    Ok((parts, bytes))
}

#[derive(Deserialize)]
struct DbtBody<'a> {
    #[serde(borrow, default)]
    manifest: Option<&'a RawValue>,
    #[serde(borrow, default)]
    run_results: Option<&'a RawValue>,
    #[serde(borrow, default)]
    sources: Option<&'a RawValue>,
    #[serde(default)]
    env: Option<String>,
}

async fn post_dbt(shared: &Arc<Shared>, req: Request<Incoming>) -> Result<Reply> {
    let origin = "POST /v1/dbt";
    let env_query = parse_query(req.uri().query().unwrap_or("")).remove("env");
    let (parts, body) = read_body(shared, req, origin).await?;
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_owned();
    let mut artifacts = if content_type.starts_with("multipart/form-data") {
        read_multipart(origin, &content_type, body).await?
    } else {
        let parsed: DbtBody = serde_json::from_slice(&body)
            .map_err(|e| InputError::from_json::<DbtBody>(origin, &body, e))?;
        let part = |v: Option<&RawValue>, name: &str| {
            v.filter(|r| r.get() != "null")
                .map(|r| Input::new(format!("{origin} ({name})"), r.get().as_bytes().to_vec()))
        };
        DbtArtifacts {
            manifest: part(parsed.manifest, "manifest"),
            run_results: part(parsed.run_results, "run_results"),
            sources: part(parsed.sources, "sources"),
            env: parsed.env,
        }
    };
    if artifacts.env.is_none() {
        artifacts.env = env_query;
    }
    if artifacts.manifest.is_none()
        && artifacts.run_results.is_none()
        && artifacts.sources.is_none()
    {
        return Err(InputError::new(
            origin,
            "nothing to ingest: send manifest, run_results or sources",
        )
        .into());
    }
    let app = shared.app.clone();
    let summary = tokio::task::spawn_blocking(move || app.ingest_dbt(artifacts)).await??;
    let mut value = serde_json::to_value(&summary)?;
    value["summary"] = serde_json::Value::String(summary.to_string());
    Ok(json_reply(StatusCode::OK, &value))
}

async fn read_multipart(origin: &str, content_type: &str, body: Vec<u8>) -> Result<DbtArtifacts> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|e| InputError::new(origin, format!("bad multipart content type: {e}")))?;
    let stream = futures_util::stream::once(async move {
        Ok::<Bytes, std::convert::Infallible>(Bytes::from(body))
    });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut artifacts = DbtArtifacts::default();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| InputError::new(origin, format!("bad multipart body: {e}")))?
    {
        let name = field.name().unwrap_or("").to_owned();
        let data = field
            .bytes()
            .await
            .map_err(|e| InputError::new(origin, format!("bad multipart part {name:?}: {e}")))?;
        let input = Input::new(format!("{origin} (part {name})"), data.to_vec());
        match name.as_str() {
            "manifest" => artifacts.manifest = Some(input),
            "run_results" => artifacts.run_results = Some(input),
            "sources" => artifacts.sources = Some(input),
            "env" => artifacts.env = Some(String::from_utf8_lossy(&data).trim().to_owned()),
            other => {
                return Err(InputError::new(
                    origin,
                    format!(
                        "unknown part {other:?}; expected manifest, run_results, sources or env"
                    ),
                )
                .into());
            }
        }
    }
    Ok(artifacts)
}

enum Kind {
    Alerts,
    OpenLineage,
}

async fn post_simple(
    shared: &Arc<Shared>,
    req: Request<Incoming>,
    mut query: std::collections::HashMap<String, String>,
    kind: Kind,
) -> Result<Reply> {
    let origin = match kind {
        Kind::Alerts => "POST /v1/alerts",
        Kind::OpenLineage => "POST /v1/openlineage",
    };
    let (_, body) = read_body(shared, req, origin).await?;
    let input = Input::new(origin, body);
    let env = query.remove("env");
    let app = shared.app.clone();
    let summary = tokio::task::spawn_blocking(move || match kind {
        Kind::Alerts => app.ingest_alerts(input, env),
        Kind::OpenLineage => app.ingest_openlineage(input, env),
    })
    .await??;
    let mut value = serde_json::to_value(&summary)?;
    value["summary"] = serde_json::Value::String(summary.to_string());
    Ok(json_reply(StatusCode::OK, &value))
}

async fn get_issues(
    shared: &Arc<Shared>,
    mut query: std::collections::HashMap<String, String>,
) -> Result<Reply> {
    let status = query
        .remove("status")
        .map(|s| {
            Status::parse(&s).ok_or_else(|| {
                InputError::new("GET /v1/issues", format!("unknown status {s:?}"))
                    .at("query `status`")
            })
        })
        .transpose()?;
    let incident = query
        .remove("incident")
        .map(|s| {
            crate::incidents::parse_number(&s).ok_or_else(|| {
                InputError::new("GET /v1/issues", format!("{s:?} is not an incident"))
                    .at("query `incident`")
            })
        })
        .transpose()?;
    let filter = IssueFilter {
        status,
        asset: query.remove("asset"),
        owner: query.remove("owner"),
        env: query.remove("env"),
        ids: None,
        incident,
        active: false,
    };
    let app = shared.app.clone();
    let issues = tokio::task::spawn_blocking(move || app.issues(&filter)).await??;
    Ok(json_reply(StatusCode::OK, &issues))
}

async fn get_issue(shared: &Arc<Shared>, id: &str) -> Result<Reply> {
    let id: i64 = id.parse().map_err(|_| {
        InputError::new(
            format!("GET /v1/issues/{id}"),
            "the issue id must be a number",
        )
    })?;
    let app = shared.app.clone();
    let detail = tokio::task::spawn_blocking(move || app.issue(id)).await??;
    Ok(json_reply(StatusCode::OK, &detail))
}

async fn get_impact(
    shared: &Arc<Shared>,
    mut query: std::collections::HashMap<String, String>,
) -> Result<Reply> {
    let node = query.remove("node").ok_or_else(|| {
        InputError::new(
            "GET /v1/lineage/impact",
            "the `node` query parameter is required",
        )
    })?;
    let lineage = shared
        .app
        .lineage_of(query.get("env").map(String::as_str))?;
    let impact = app::node_impact(&lineage, &node)?;
    Ok(json_reply(StatusCode::OK, &impact))
}

/// `GET /status` (HTML) and `GET /status.json`: data products, their status and uptime, and
/// the open incidents.
async fn get_status(shared: &Arc<Shared>, json: bool) -> Result<Reply> {
    let app = shared.app.clone();
    let page = tokio::task::spawn_blocking(move || app.status_page()).await??;
    if json {
        return Ok(json_reply(StatusCode::OK, &page));
    }
    let html = crate::products::render_html(&page);
    let mut r = Response::new(Full::new(Bytes::from(html)));
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(r)
}

/// Parses `a=1&b=x%20y` (later keys win).
pub fn parse_query(q: &str) -> std::collections::HashMap<String, String> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode() {
        let q = parse_query("node=model.shop.orders&x=a%20b+c&bad=%zz&end=%4");
        assert_eq!(q["node"], "model.shop.orders");
        assert_eq!(q["x"], "a b c");
        assert_eq!(q["bad"], "%zz");
        assert_eq!(q["end"], "%4");
    }

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert_eq!(
            format!("{:?}", Secret::new("hunter2".into())),
            "Secret(***)"
        );
    }
}
