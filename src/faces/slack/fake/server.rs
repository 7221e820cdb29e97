//! The fake's network side: the Web API over HTTP/1.1 and HTTP/2 (hyper), and Socket Mode over
//! WebSockets (tokio-tungstenite).

use super::Shared;
use super::payloads::{disconnect_frame, hello_frame};
use super::request::{HttpRequest, read};
use super::state::{MAX_SOCKETS, Reply, WsCmd};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::convert::Infallible;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{
    ErrorResponse, Request as WsRequest, Response as WsResponse,
};

/// Decodes `application/x-www-form-urlencoded` text (`+` is a space), as Slack reads it.
pub(crate) fn form_decode(text: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

fn json_response(reply: &Reply) -> Response<Full<Bytes>> {
    let mut b = Response::builder()
        .status(reply.status)
        .header("content-type", "application/json; charset=utf-8");
    if let Some(secs) = reply.retry_after {
        b = b.header("retry-after", secs.to_string());
    }
    if let Some(allow) = reply.allow {
        b = b.header("allow", allow);
    }
    b.body(Full::new(Bytes::from(reply.body.to_string())))
        .expect("valid response")
}

async fn handle_http(shared: Arc<Shared>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return json_response(&Reply::bad_request("invalid_request"));
        }
    };
    let request = read(&HttpRequest {
        verb: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        content_type: header("content-type"),
        authorization: header("authorization"),
        body: &body,
    });
    let reply = shared.with_state(|st| st.handle(request));
    json_response(&reply)
}

pub(crate) async fn serve_http(
    shared: Arc<Shared>,
    listener: TcpListener,
    mut shutdown: watch::Receiver<()>,
) {
    loop {
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
            _ = shutdown.changed() => return,
        };
        let shared = shared.clone();
        let mut conn_shutdown = shutdown.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(handle_http(shared, req).await) }
            });
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = conn => {}
                _ = conn_shutdown.changed() => {}
            }
        });
    }
}

pub(crate) async fn serve_ws(
    shared: Arc<Shared>,
    listener: TcpListener,
    mut shutdown: watch::Receiver<()>,
) {
    loop {
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
            _ = shutdown.changed() => return,
        };
        tokio::spawn(ws_connection(shared.clone(), stream, shutdown.clone()));
    }
}

#[allow(clippy::result_large_err)] // the handshake callback type is tungstenite's
async fn ws_connection(shared: Arc<Shared>, stream: TcpStream, mut shutdown: watch::Receiver<()>) {
    let check = shared.clone();
    let callback = move |req: &WsRequest, resp: WsResponse| -> Result<WsResponse, ErrorResponse> {
        let ticket = req
            .uri()
            .query()
            .map(form_decode)
            .unwrap_or_default()
            .into_iter()
            .find(|(k, _)| k == "ticket")
            .map(|(_, v)| v)
            .unwrap_or_default();
        if check.with_state(|st| st.consume_ticket(&ticket)) {
            Ok(resp)
        } else {
            let mut err = ErrorResponse::new(Some("invalid or used ticket".to_owned()));
            *err.status_mut() = tokio_tungstenite::tungstenite::http::StatusCode::UNAUTHORIZED;
            Err(err)
        }
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (id, count) = shared.with_state(|st| st.add_socket(tx));
    let host = format!("applink-fake-{id}");
    let hello = hello_frame(count, &host).to_string();
    if ws.send(Message::Text(hello.into())).await.is_err() {
        shared.with_state(|st| st.remove_socket(id));
        return;
    }
    if count > MAX_SOCKETS {
        let frame = disconnect_frame("too_many_websockets", count, &host).to_string();
        let _ = ws.send(Message::Text(frame.into())).await;
    } else {
        shared.with_state(|st| st.socket_ready(id));
    }
    loop {
        tokio::select! {
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(t))) => shared.with_state(|st| st.on_client_frame(t.as_str())),
                // tungstenite queues the pong (or the close reply); flushing sends it.
                Some(Ok(Message::Ping(_) | Message::Close(_))) => {
                    if ws.flush().await.is_err() {
                        break;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            },
            cmd = rx.recv() => match cmd {
                Some(WsCmd::Text(t)) => {
                    if ws.send(Message::Text(t.into())).await.is_err() {
                        break;
                    }
                }
                Some(WsCmd::Drop) | None => break,
            },
            _ = shutdown.changed() => break,
        }
    }
    shared.with_state(|st| st.remove_socket(id));
    // Dropping the stream closes the TCP connection; after WsCmd::Drop no close frame is sent.
    drop(ws);
}
