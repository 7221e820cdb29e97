//! Pages for people, rendered on the server with `maud`: the incident, issue, product and
//! status pages (HTML with inline SVG, no script, nothing fetched from elsewhere). Each page
//! reads through the same `App` methods as the other faces; signing is in [`signed`].

pub mod graph;
mod incident;
mod issue;
pub mod picture;
mod product;
pub mod signed;
pub mod status;
pub mod svg;

pub use incident::incident_html;
pub use issue::issue_html;
pub use product::product_html;
pub use status::status_html;

use super::{Reply, parse_query};
use crate::app::App;
use crate::error::{InputError, InputErrorKind, as_input_error};
use crate::faces::http::Secret;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Response, StatusCode};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use signed::Linker;

/// Days of history the bars show.
pub const DAYS: u32 = 90;

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:72rem;margin:1.5rem auto;padding:0 1rem;color:#1f2328;background:#fff}
a{color:#0969da}h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin-top:1.8rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
table{border-collapse:collapse;width:100%;font-size:.92rem}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #d0d7de;vertical-align:top}
.muted,.sub{color:#656d76}.pill{display:inline-block;padding:.05rem .5rem;border-radius:1rem;font-size:.8rem;font-weight:600;background:#eaeef2}
.operational,.met,.pass{color:#1a7f37}.degraded{color:#9a6700}.incident,.missed,.fail{color:#cf222e}.status{font-weight:600}
.scroll{overflow:auto;border:1px solid #d0d7de;border-radius:6px;background:#f6f8fa;max-height:44rem}
svg.lineage text{font-size:12px;font-family:inherit}svg.lineage .label{font-weight:600;fill:#1f2328}svg.lineage .sub{font-size:10.5px;fill:#57606a}
.node rect{fill:#fff;stroke:#8c959f;stroke-width:1.2}.node.root rect{fill:#ffebe9;stroke:#cf222e;stroke-width:2.2}
.node.symptom rect{fill:#eaeef2;stroke:#6e7781}.node.skipped rect{fill:#f6f8fa;stroke:#afb8c1;stroke-dasharray:4 3}
.node.product rect{fill:#ddf4ff;stroke:#0969da;stroke-width:2.2}.node.exposure rect{fill:#fbefff;stroke:#8250df;stroke-width:2}
.node.path rect{stroke:#bc4c00;stroke-width:1.6}.node.more rect{fill:#fff8c5;stroke:#9a6700;stroke-dasharray:5 3}
.edge{fill:none;stroke:#afb8c1;stroke-width:1.2}.edge.on-path{stroke:#cf222e;stroke-width:2.2}
.band{stroke:none;opacity:.55}.g0{fill:#dafbe1}.g1{fill:#ddf4ff}.g2{fill:#fff8c5}.g3{fill:#fbefff}.g4{fill:#ffeff7}.g5{fill:#eaeef2}
.band-label{font-size:11px;font-weight:600;fill:#57606a}
.bar.operational{fill:#2da44e}.bar.degraded{fill:#d4a72c}.bar.incident{fill:#cf222e}.bar.pass{fill:#2da44e}.bar.fail{fill:#cf222e}.bar.skipped{fill:#afb8c1}
.burn .axis{stroke:#8c959f}.burn .limit{stroke:#cf222e;stroke-dasharray:6 4}.burn-line{fill:none;stroke:#bc4c00;stroke-width:2}
.legend span{margin-right:1rem;font-size:.85rem}.key{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;vertical-align:-1px;margin-right:.25rem;border:1px solid #8c959f}
pre{background:#f6f8fa;padding:.8rem;overflow:auto;border-radius:6px;font-size:.85rem}details{margin:.3rem 0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dl.facts dt{color:#656d76}dl.facts dd{margin:0}
.row{display:flex;gap:1rem;align-items:center;flex-wrap:wrap;margin:.4rem 0}.row .name{width:14rem;flex:none;font-weight:600;overflow:hidden;text-overflow:ellipsis}
";

/// A whole page: title, inline style, body.
pub fn page(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                link rel="icon" href="data:,";
                title { (title) " · Steward" }
                style { (PreEscaped(STYLE)) }
            }
            body { (body) }
        }
    }
    .into_string()
}

/// A `YYYY-MM-DD HH:MM UTC` rendering of an RFC 3339 time (as given when it does not parse).
pub fn when(s: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%d %H:%M UTC")
                .to_string()
        })
        .unwrap_or_else(|_| s.to_owned())
}

/// The legend under a lineage picture.
pub fn legend() -> Markup {
    html! {
        p.legend {
            @for (class, what) in [("root", "root cause"), ("symptom", "symptom"), ("skipped", "skipped"),
                ("path", "on a path to impact"), ("product", "data product"), ("exposure", "exposure"),
                ("more", "collapsed (click)")] {
                span { svg width="12" height="12" class="lineage" { g class=(format!("node {class}")) { rect x="0" y="0" width="12" height="12" rx="2" {} } } " " (what) }
            }
        }
    }
}

/// The lists the picture's collapsed nodes open.
pub fn collapsed(p: &graph::Picture) -> Markup {
    html! {
        @for n in p.nodes.iter().filter(|n| n.role == graph::Role::More) {
            details {
                summary { (n.sub) " (" (n.group) ")" }
                ul id=(svg::more_anchor(&n.id)) {
                    @for h in &n.hidden { li { code { (h) } } }
                }
            }
        }
    }
}

fn html_reply(status: StatusCode, body: String) -> Reply {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn error_page(status: StatusCode, message: &str) -> Reply {
    let body = page(
        status.canonical_reason().unwrap_or("Error"),
        html! { h1 { (status.as_u16()) " " (status.canonical_reason().unwrap_or("")) } p { (message) } p { a href="/status" { "Data status" } } },
    );
    html_reply(status, body)
}

/// The page a path names, or None when the path is no page.
fn which(path: &str) -> Option<(&'static str, String)> {
    for prefix in ["/incidents/", "/issues/", "/products/"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            return Some((
                prefix,
                percent_encoding::percent_decode_str(rest)
                    .decode_utf8_lossy()
                    .into_owned(),
            ));
        }
    }
    (path == "/status").then(|| ("/status", String::new()))
}

/// Serves a page request: `None` when `path` is not a page.
pub async fn route(
    app: &App,
    secret: Option<&Secret>,
    method: &Method,
    path: &str,
    query: Option<&str>,
) -> Option<Reply> {
    let (kind, arg) = which(path)?;
    if method != Method::GET {
        return Some(error_page(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!("method not allowed on {path}"),
        ));
    }
    let linker = if kind == "/status" {
        Linker::plain()
    } else {
        let query = parse_query(query.unwrap_or(""));
        match signed::check(&app.config, secret, path, &query, app.clock.now()) {
            Ok(expires) => Linker::new(secret.cloned(), expires),
            Err(refusal) => {
                return Some(error_page(
                    StatusCode::UNAUTHORIZED,
                    &refusal.message(&app.config.http.pages_secret_env),
                ));
            }
        }
    };
    let app = app.clone();
    let rendered = tokio::task::spawn_blocking(move || match kind {
        "/incidents/" => {
            let n = crate::domain::incidents::parse_number(&arg).ok_or_else(|| {
                InputError::not_found(format!("/incidents/{arg}"), "not an incident (INC-n)")
            })?;
            incident_html(&app, n, &linker)
        }
        "/issues/" => {
            let id: i64 = arg.parse().map_err(|_| {
                InputError::not_found(format!("/issues/{arg}"), "the issue id must be a number")
            })?;
            issue_html(&app, id, &linker)
        }
        "/products/" => product_html(&app, &arg, &linker),
        _ => status_html(&app, &linker),
    })
    .await;
    Some(match rendered {
        Ok(Ok(html)) => html_reply(StatusCode::OK, html),
        Ok(Err(e)) => match as_input_error(&e) {
            Some(input) => {
                let status = match input.kind {
                    InputErrorKind::NotFound => StatusCode::NOT_FOUND,
                    _ => StatusCode::BAD_REQUEST,
                };
                error_page(status, &input.to_string())
            }
            None => {
                tracing::error!(error = format!("{e:#}"), %path, "page failed");
                error_page(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        },
        Err(e) => {
            tracing::error!(error = %e, %path, "page task failed");
            error_page(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    })
}
