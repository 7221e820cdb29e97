//! `steward push`: sends a dbt run's artifacts to a running Steward's `POST /v1/dbt`, gzipped,
//! with the bearer token from `STEWARD_TOKEN`. Works over https (system roots) and http.

use crate::app::ingest::DbtArtifacts;
use crate::error::InputError;
use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::io::Write;

/// Builds the JSON body `{"manifest": …, "run_results": …, "sources": …, "env": …,
/// "allow_empty": …, "run_url": …}` from the files' own bytes, checking each is JSON first so a broken file is
/// named here, not remotely.
pub fn build_body(artifacts: &DbtArtifacts) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    body.push(b'{');
    let mut first = true;
    for (name, input) in [
        ("manifest", &artifacts.manifest),
        ("run_results", &artifacts.run_results),
        ("sources", &artifacts.sources),
    ] {
        let Some(input) = input else { continue };
        crate::schema_version::refuse_empty(&input.origin, &input.bytes)?;
        serde_json::from_slice::<serde::de::IgnoredAny>(&input.bytes).map_err(|e| {
            InputError::from_json::<serde::de::IgnoredAny>(&input.origin, &input.bytes, e)
        })?;
        if !first {
            body.push(b',');
        }
        first = false;
        body.extend_from_slice(format!("\"{name}\":").as_bytes());
        body.extend_from_slice(&input.bytes);
    }
    if first {
        return Err(InputError::new(
            "push",
            "nothing to send: no manifest.json, run_results.json or sources.json found",
        )
        .into());
    }
    if let Some(env) = &artifacts.env {
        body.extend_from_slice(b",\"env\":");
        body.extend_from_slice(serde_json::to_string(env)?.as_bytes());
    }
    if artifacts.allow_empty {
        body.extend_from_slice(b",\"allow_empty\":true");
    }
    if let Some(url) = &artifacts.run_url {
        body.extend_from_slice(b",\"run_url\":");
        body.extend_from_slice(serde_json::to_string(url)?.as_bytes());
    }
    body.push(b'}');
    Ok(body)
}

/// Sends the artifacts and returns the server's one-line summary.
pub async fn push(base_url: &str, token: Option<&str>, artifacts: DbtArtifacts) -> Result<String> {
    let body = build_body(&artifacts)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&body)?;
    let compressed = gz.finish()?;
    let url = format!("{}/v1/dbt", base_url.trim_end_matches('/'));
    let uri: hyper::Uri = url
        .parse()
        .map_err(|e| InputError::new("--url", format!("{base_url:?} is not a URL: {e}")))?;
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .context("loading the system's CA certificates")?
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .build();
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    let mut request = Request::post(uri)
        .header(CONTENT_TYPE, "application/json")
        .header(CONTENT_ENCODING, "gzip");
    if let Some(t) = token {
        request = request.header(AUTHORIZATION, format!("Bearer {t}"));
    }
    let request = request.body(Full::new(Bytes::from(compressed)))?;
    let response = client
        .request(request)
        .await
        .with_context(|| format!("sending to {url}"))?;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    if !status.is_success() {
        let msg = value
            .get("error")
            .and_then(|e| e.as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned());
        anyhow::bail!("{url} answered {status}: {msg}");
    }
    Ok(value
        .get("summary")
        .and_then(|s| s.as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned()))
}
