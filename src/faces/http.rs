//! The HTTP API (hyper 1): ingest endpoints for machines, issue and lineage reads, `/healthz`,
//! `/status.json`, and the pages for people ([`pages`]: `/status`, incidents, issues, products).
//!
//! `/v1/*` needs `Authorization: Bearer` with `$STEWARD_TOKEN` or a named `[[http.tokens]]`
//! token ([`auth`]), compared in constant time, except `/v1/dbt-cloud`, which dbt Cloud signs
//! instead ([`dbt_cloud`]). Each ingest records the name of the token that pushed it. Bodies are
//! limited (after gzip decompression) and parsed off the async threads; errors are
//! `{"error": "..."}` with a 4xx status for bad input.
//!
//! Hardening (`[http]`): HTTP/1.1 only (hyper's HTTP/2 server has no header timeout); a client
//! gets `header_timeout` to send its headers (also the idle keep-alive limit) and
//! `body_timeout` for its body (408); at most `max_connections` are open (the next is answered
//! 503); a declared `Content-Length` over the limit is refused (413) before any body is read; gzip
//! is decompressed as it arrives, never past the limit; and at most `max_large_bodies` bodies
//! over [`LARGE_BODY`] are held at once, so memory stays near `body_limit` times that.

use crate::app::ingest::{DbtArtifacts, Input, Pusher};
use crate::app::{self, App};
use crate::domain::issues::{IssueFilter, Status};
use crate::error::{InputError, InputErrorKind, as_input_error};
use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

pub mod auth;
mod body;
pub mod dbt_cloud;
mod metrics;
pub mod pages;

pub use auth::Tokens;
pub use body::LARGE_BODY;
use body::{Limits, Refused, read_body};

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

struct Shared {
    app: App,
    tokens: Tokens,
    /// Signs and checks page links (`[http] pages_secret_env`).
    pages_secret: Option<Secret>,
    limits: Limits,
    /// `POST /v1/dbt-cloud`, when `[dbt_cloud]` is configured.
    dbt_cloud: Option<Arc<dbt_cloud::DbtCloud>>,
}

/// How long [`Server::stop`] waits for requests in flight (within fly.toml's 30 s kill timeout).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// A running server: its bound address and a way to stop it.
pub struct Server {
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Stops accepting, lets each connection finish the request it is serving (idle ones close
    /// at once), and returns when all are closed or after [`SHUTDOWN_GRACE`].
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// Binds `listen` and serves until stopped, with `STEWARD_TOKEN` (`token`) as the only token.
/// Refuses a non-loopback address without a token.
pub async fn start(app: App, listen: &str, token: Option<Secret>) -> Result<Server> {
    let tokens = Tokens::single(&app.config.http.token_name, token);
    start_with(app, listen, tokens).await
}

/// Binds `listen` and serves until stopped, accepting `tokens`. Refuses a non-loopback address
/// without a token.
pub async fn start_with(app: App, listen: &str, tokens: Tokens) -> Result<Server> {
    let addr: SocketAddr = tokio::net::lookup_host(listen)
        .await
        .with_context(|| format!("resolving listen address {listen}"))?
        .next()
        .ok_or_else(|| anyhow::anyhow!("listen address {listen} resolves to nothing"))?;
    if !addr.ip().is_loopback() && tokens.is_empty() {
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
    let http = app.config.http.clone();
    let shared = Arc::new(Shared {
        limits: Limits {
            body_limit: http.body_limit,
            body_timeout: http.body_timeout,
            large_bodies: Arc::new(Semaphore::new(http.max_large_bodies)),
        },
        pages_secret: pages::signed::secret(&app.config),
        dbt_cloud: dbt_cloud::DbtCloud::from_env(&app.config)?.map(Arc::new),
        app,
        tokens,
    });
    let connections = Arc::new(Semaphore::new(http.max_connections));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(http.header_timeout)
        // A client may shut its side down after the body and still wait for the answer.
        .half_close(true);
    let builder = Arc::new(builder);
    let (tx, mut rx) = watch::channel(false);
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = rx.changed() => break,
                accepted = listener.accept() => {
                    let (stream, peer) = match accepted {
                        Ok(s) => s,
                        Err(e) => {
                            tracing::warn!(error = %e, "accept failed");
                            // Out of file descriptors, typically: do not spin.
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let Ok(permit) = connections.clone().try_acquire_owned() else {
                        tracing::warn!(%peer, max = http.max_connections, "connection refused: http.max_connections are open");
                        tokio::spawn(refuse_connection(stream, http.max_connections));
                        continue;
                    };
                    let shared = shared.clone();
                    let builder = builder.clone();
                    let mut stopping = rx.clone();
                    tokio::spawn(async move {
                        let _permit = permit;
                        let mut stream = stream;
                        let service = service_fn(move |req| {
                            let shared = shared.clone();
                            async move { Ok::<_, std::convert::Infallible>(handle(shared, req).await) }
                        });
                        let conn = builder.serve_connection(TokioIo::new(&mut stream), service);
                        tokio::pin!(conn);
                        let ended = tokio::select! {
                            ended = conn.as_mut() => ended,
                            _ = stopping.changed() => {
                                // Finish the request in flight, then close.
                                conn.as_mut().graceful_shutdown();
                                conn.as_mut().await
                            }
                        };
                        if let Err(e) = ended {
                            tracing::debug!(error = %e, %peer, "connection ended with an error");
                        }
                        linger_close(stream).await;
                    });
                }
            }
        }
        drop(listener);
        // Every connection holds a permit: having them all back means all have closed.
        let all = u32::try_from(http.max_connections).unwrap_or(u32::MAX);
        if tokio::time::timeout(SHUTDOWN_GRACE, connections.acquire_many(all))
            .await
            .is_err()
        {
            tracing::warn!("connections still open after {SHUTDOWN_GRACE:?}; closing them");
        }
    });
    Ok(Server {
        addr,
        shutdown: tx,
        task,
    })
}

/// Answers a connection over `http.max_connections` with 503 and closes it, reading (and
/// dropping) what the client sent for a moment first so the close does not reset the answer.
async fn refuse_connection(mut stream: TcpStream, max: usize) {
    let body = serde_json::json!({
        "error": format!("too many open connections (http.max_connections = {max}); retry later")
    })
    .to_string();
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let written = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await
    })
    .await;
    if matches!(written, Ok(Ok(()))) {
        linger_close(stream).await;
    }
}

/// Closes a connection whose answer may have been sent before its request was read whole (a
/// 413 on the declared length, a 408, a 503): sends FIN, then reads and drops what the client
/// still sends, for a moment and a bounded number of bytes. Closing with unread bytes would
/// reset the connection and could destroy the answer before the client reads it.
async fn linger_close(mut stream: TcpStream) {
    const LINGER: Duration = Duration::from_secs(1);
    const LINGER_BYTES: usize = 16 * 1024 * 1024;
    let _ = stream.shutdown().await;
    let _ = tokio::time::timeout(LINGER, async {
        let mut sink = vec![0u8; 16 * 1024];
        let mut drained = 0;
        while drained < LINGER_BYTES {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => drained += n,
            }
        }
    })
    .await;
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
    if let Some(refused) = err.downcast_ref::<Refused>() {
        return error_reply(refused.status, refused.message.clone());
    }
    match as_input_error(&err) {
        Some(input) => {
            let status = match input.kind {
                InputErrorKind::Invalid => StatusCode::BAD_REQUEST,
                InputErrorKind::NotFound => StatusCode::NOT_FOUND,
                InputErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                InputErrorKind::Conflict => StatusCode::CONFLICT,
                InputErrorKind::Forbidden => StatusCode::FORBIDDEN,
            };
            error_reply(status, input.to_string())
        }
        None => {
            tracing::error!(error = format!("{err:#}"), "request failed");
            error_reply(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}

/// Answers one request and counts it (route pattern, status, latency) for `/metrics`.
async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Reply {
    let start = std::time::Instant::now();
    let route = metrics::route_of(req.method(), req.uri().path());
    let reply = respond(shared, req).await;
    crate::telemetry::http_request(
        route,
        reply.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    reply
}

/// Whether the request carries a bearer token (always, when none is set).
fn authorized(shared: &Shared, headers: &hyper::HeaderMap) -> bool {
    shared.tokens.check(headers).is_ok()
}

async fn respond(shared: Arc<Shared>, req: Request<Incoming>) -> Reply {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    if path == "/healthz" {
        return json_reply(StatusCode::OK, &serde_json::json!({ "status": "ok" }));
    }
    if let Some(reply) = pages::route(
        &shared.app,
        shared.pages_secret.as_ref(),
        &method,
        &path,
        req.uri().query(),
    )
    .await
    {
        return reply;
    }
    if path == "/status.json" {
        // Public, like /healthz: the status page is meant for the whole company (`/status`,
        // its HTML, is one of the pages above).
        if method != Method::GET {
            return error_reply(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("method not allowed on {path}"),
            );
        }
        return get_status(&shared).await.unwrap_or_else(reply_for_error);
    }
    if path == "/metrics" {
        return metrics::serve(&shared, &method, req.headers()).await;
    }
    if !path.starts_with("/v1/") {
        return error_reply(StatusCode::NOT_FOUND, format!("no route {path}"));
    }
    if path == "/v1/dbt-cloud" {
        // Signed by dbt Cloud instead of the bearer token (see `dbt_cloud`).
        return post_dbt_cloud(&shared, req)
            .await
            .unwrap_or_else(reply_for_error);
    }
    let by = match shared.tokens.check(req.headers()) {
        Ok(name) => Pusher::new("http", name),
        Err(_) => return error_reply(StatusCode::UNAUTHORIZED, "missing or wrong bearer token"),
    };
    let query = parse_query(req.uri().query().unwrap_or(""));
    let result = match (method, path.as_str()) {
        (Method::POST, "/v1/dbt") => post_dbt(&shared, req, by).await,
        (Method::POST, "/v1/alerts") => post_simple(&shared, req, query, Kind::Alerts, by).await,
        (Method::POST, "/v1/openlineage") => {
            post_simple(&shared, req, query, Kind::OpenLineage, by).await
        }
        (Method::GET, "/v1/issues") => get_issues(&shared, query).await,
        (Method::GET, p) if p.starts_with("/v1/issues/") => {
            get_issue(&shared, &p["/v1/issues/".len()..]).await
        }
        (Method::GET, "/v1/lineage/impact") => get_impact(&shared, query).await,
        (Method::GET, "/v1/ingests") => get_ingests(&shared, query).await,
        (Method::GET, "/v1/lineage/projects") => shared
            .app
            .lineage_projects(query.get("env").map(String::as_str))
            .map(|list| json_reply(StatusCode::OK, &serde_json::json!({ "projects": list }))),
        (
            _,
            "/v1/dbt" | "/v1/alerts" | "/v1/openlineage" | "/v1/issues" | "/v1/lineage/impact"
            | "/v1/ingests",
        ) => Ok(error_reply(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("method not allowed on {path}"),
        )),
        _ => Ok(error_reply(
            StatusCode::NOT_FOUND,
            format!("no route {path}"),
        )),
    };
    result.unwrap_or_else(reply_for_error)
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
    #[serde(default)]
    allow_empty: bool,
    #[serde(default)]
    run_url: Option<String>,
}

async fn post_dbt(shared: &Arc<Shared>, req: Request<Incoming>, by: Pusher) -> Result<Reply> {
    let origin = "POST /v1/dbt";
    let mut query = parse_query(req.uri().query().unwrap_or(""));
    let (env_query, run_url_query) = (query.remove("env"), query.remove("run_url"));
    let (parts, body) = read_body(&shared.limits, req, origin).await?;
    let (_permit, body) = (body.permit, body.bytes);
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
            allow_empty: parsed.allow_empty,
            run_url: parsed.run_url,
        }
    };
    if artifacts.env.is_none() {
        artifacts.env = env_query;
    }
    if artifacts.run_url.is_none() {
        artifacts.run_url = run_url_query;
    }
    if let Some(url) = &artifacts.run_url {
        artifacts.run_url = Some(crate::sources::ci::check_run_url(
            &format!("{origin} (run_url)"),
            url,
        )?);
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
    let summary =
        tokio::task::spawn_blocking(move || app.pushed_by(by).ingest_dbt(artifacts)).await??;
    let mut value = serde_json::to_value(&summary)?;
    value["summary"] = serde_json::Value::String(summary.to_string());
    Ok(json_reply(StatusCode::OK, &value))
}

async fn post_dbt_cloud(shared: &Arc<Shared>, req: Request<Incoming>) -> Result<Reply> {
    let origin = "POST /v1/dbt-cloud";
    if req.method() != Method::POST {
        return Ok(error_reply(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("method not allowed on {}", req.uri().path()),
        ));
    }
    let Some(dbt_cloud) = &shared.dbt_cloud else {
        return Ok(error_reply(
            StatusCode::NOT_FOUND,
            "dbt Cloud is not configured: add a [dbt_cloud] table to steward.toml",
        ));
    };
    let (parts, body) = read_body(&shared.limits, req, origin).await?;
    let signature = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let (status, value) = dbt_cloud
        .deliver(&shared.app, signature, &body.bytes)
        .await?;
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Ok(json_reply(status, &value))
}

async fn read_multipart(origin: &str, content_type: &str, body: Bytes) -> Result<DbtArtifacts> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|e| InputError::new(origin, format!("bad multipart content type: {e}")))?;
    let stream =
        futures_util::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(body) });
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
            "run_url" => artifacts.run_url = Some(String::from_utf8_lossy(&data).trim().to_owned()),
            "allow_empty" => {
                artifacts.allow_empty = match String::from_utf8_lossy(&data).trim() {
                    "true" | "1" => true,
                    "false" | "0" | "" => false,
                    _ => {
                        return Err(InputError::new(
                            origin,
                            "part \"allow_empty\" must be true or false",
                        )
                        .into());
                    }
                }
            }
            other => {
                return Err(InputError::new(
                    origin,
                    format!(
                        "unknown part {}; expected manifest, run_results, sources, env, run_url or allow_empty",
                        crate::error::quoted(other)
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
    by: Pusher,
) -> Result<Reply> {
    let origin = match kind {
        Kind::Alerts => "POST /v1/alerts",
        Kind::OpenLineage => "POST /v1/openlineage",
    };
    let (_, body) = read_body(&shared.limits, req, origin).await?;
    let (_permit, body) = (body.permit, body.bytes);
    let input = Input::new(origin, body);
    let env = query.remove("env");
    let app = shared.app.clone();
    let summary = tokio::task::spawn_blocking(move || match kind {
        Kind::Alerts => app.pushed_by(by).ingest_alerts(input, env),
        Kind::OpenLineage => app.pushed_by(by).ingest_openlineage(input, env),
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
            crate::domain::incidents::parse_number(&s).ok_or_else(|| {
                InputError::new("GET /v1/issues", format!("{s:?} is not an incident"))
                    .at("query `incident`")
            })
        })
        .transpose()?;
    let storm = query
        .remove("storm")
        .map(|s| {
            s.parse::<i64>().map_err(|_| {
                InputError::new("GET /v1/issues", format!("{s:?} is not a storm number"))
                    .at("query `storm`")
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
        storm,
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

/// `GET /v1/ingests?env=&by=&limit=`: the record of ingests, newest first (limit 20, at most
/// 500), with who pushed each.
async fn get_ingests(
    shared: &Arc<Shared>,
    mut query: std::collections::HashMap<String, String>,
) -> Result<Reply> {
    let limit = match query.remove("limit") {
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .ok_or_else(|| {
                InputError::new("GET /v1/ingests", "limit must be a number from 1 to 500")
                    .at("query `limit`")
            })?,
        None => 20,
    };
    let filter = crate::domain::ingests::IngestFilter {
        env: query.remove("env"),
        pushed_by: query.remove("by"),
        limit,
    };
    let app = shared.app.clone();
    let ingests = tokio::task::spawn_blocking(move || app.ingests(&filter)).await??;
    Ok(json_reply(
        StatusCode::OK,
        &serde_json::json!({ "ingests": ingests }),
    ))
}

/// `GET /status.json`: data products, their status and uptime, and the open incidents.
async fn get_status(shared: &Arc<Shared>) -> Result<Reply> {
    let app = shared.app.clone();
    let page = tokio::task::spawn_blocking(move || app.status_page()).await??;
    Ok(json_reply(StatusCode::OK, &page))
}

/// Parses `a=1&b=x%20y` as a form does (`+` is a space, later keys win); an invalid escape
/// stays as written, and bytes that are not UTF-8 become U+FFFD.
pub fn parse_query(q: &str) -> std::collections::HashMap<String, String> {
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode() {
        let q = parse_query(
            "node=model.shop.orders&x=a%20b+c&bad=%zz&end=%4&&flag&a=1&a=2\
             &slash=a%2Fb%2fc&k%2Bey=1+%2B+1&sign=%+1&cut=%e2%82&utf=%C3%A9",
        );
        for (key, want) in [
            ("node", "model.shop.orders"),
            ("x", "a b c"),
            // Invalid escapes stay as written; `%+1` is one too (`+` is no hex digit).
            ("bad", "%zz"),
            ("end", "%4"),
            ("sign", "% 1"),
            ("flag", ""),
            ("a", "2"), // later keys win
            ("slash", "a/b/c"),
            ("k+ey", "1 + 1"),
            ("cut", "\u{FFFD}"),
            ("utf", "é"),
        ] {
            assert_eq!(q.get(key).map(String::as_str), Some(want), "{key}: {q:?}");
        }
        assert_eq!(q.len(), 11, "empty pairs are skipped: {q:?}");
    }

    #[test]
    fn secrets_never_print() {
        assert_eq!(
            format!("{:?}", Secret::new("hunter2".into())),
            "Secret(***)"
        );
    }
}
