//! A strict fake of dbt Cloud's Admin API v2, the part Steward calls: a run's artifacts
//! (`GET /api/v2/accounts/{account}/runs/{run}/artifacts/{path}`) and their list (`…/artifacts/`).
//! Shaped from dbt Cloud's API docs and the recorded answers in
//! `../shared/fixtures/dbtcloud/admin_api_v2/`: errors are the `{"status": {…}, "data": null}`
//! envelope; a missing or wrong token is 401 (`Token <t>` and `Bearer <t>` are both accepted); a
//! token used for another account is 403; an unknown run or artifact is 404; a request can be
//! told to answer 429 with `Retry-After`, or 5xx, first. Binds 127.0.0.1:0.

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// One request the fake answered.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub status: u16,
    pub at: Instant,
}

#[derive(Default)]
struct State {
    /// run id → artifact path → bytes.
    runs: HashMap<String, HashMap<String, Bytes>>,
    /// Answers to give before serving normally: (status, Retry-After seconds).
    faults: Vec<(u16, Option<u64>)>,
    seen: Vec<Seen>,
}

#[derive(Clone)]
pub struct FakeDbtCloud {
    pub base: String,
    pub account_id: u64,
    pub token: String,
    state: Arc<Mutex<State>>,
}

impl FakeDbtCloud {
    pub async fn start(account_id: u64, token: &str) -> FakeDbtCloud {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = FakeDbtCloud {
            base: format!("http://{}", listener.local_addr().unwrap()),
            account_id,
            token: token.to_owned(),
            state: Arc::default(),
        };
        let served = fake.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let fake = served.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let fake = fake.clone();
                        async move { Ok::<_, std::convert::Infallible>(fake.answer(req)) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        fake
    }

    /// Serves `files` (artifact path → bytes) as the run's artifacts.
    pub fn add_run(&self, run_id: &str, files: &[(&str, Vec<u8>)]) {
        let files = files
            .iter()
            .map(|(p, b)| ((*p).to_owned(), Bytes::from(b.clone())))
            .collect();
        self.state
            .lock()
            .unwrap()
            .runs
            .insert(run_id.to_owned(), files);
    }

    /// The next authorised requests answer 429 with `Retry-After: retry_after` (seconds).
    pub fn throttle(&self, times: usize, retry_after: u64) {
        let mut st = self.state.lock().unwrap();
        st.faults
            .extend(std::iter::repeat_n((429, Some(retry_after)), times));
    }

    /// The next authorised requests answer `status` (a 5xx).
    pub fn fail(&self, times: usize, status: u16) {
        let mut st = self.state.lock().unwrap();
        st.faults.extend(std::iter::repeat_n((status, None), times));
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    fn answer(&self, req: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
        let path = req.uri().path().to_owned();
        let authorization = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let (status, body, retry_after) =
            self.route(req.method().as_str(), &path, authorization.as_deref());
        self.state.lock().unwrap().seen.push(Seen {
            method: req.method().to_string(),
            path,
            authorization,
            status,
            at: Instant::now(),
        });
        let mut r = Response::builder().status(status);
        r = r.header(
            "content-type",
            if status == 200 && !body.starts_with(b"{\"status\"") {
                "application/octet-stream"
            } else {
                "application/json"
            },
        );
        if let Some(s) = retry_after {
            r = r.header("retry-after", s.to_string());
        }
        r.body(Full::new(body)).unwrap()
    }

    fn route(&self, method: &str, path: &str, auth: Option<&str>) -> (u16, Bytes, Option<u64>) {
        let token = auth.and_then(|a| {
            let (scheme, t) = a.trim().split_once(' ')?;
            (scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer"))
                .then_some(t.trim())
        });
        match token {
            None => return error(401, "Authentication credentials were not provided."),
            Some(t) if t != self.token => return error(401, "Invalid token."),
            _ => {}
        }
        let parts: Vec<&str> = path.trim_start_matches('/').splitn(8, '/').collect();
        let [
            "api",
            "v2",
            "accounts",
            account,
            "runs",
            run,
            "artifacts",
            rest @ ..,
        ] = parts.as_slice()
        else {
            return error(404, "The requested resource could not be found.");
        };
        if method != "GET" {
            return error(405, "Method not allowed.");
        }
        if *account != self.account_id.to_string() {
            return error(403, "You do not have permission to access this account.");
        }
        let mut st = self.state.lock().unwrap();
        if !st.faults.is_empty() {
            let (status, retry_after) = st.faults.remove(0);
            let (s, b, _) = error(status, "Request was throttled.");
            return (s, b, retry_after);
        }
        let Some(files) = st.runs.get(*run) else {
            return error(404, "The requested resource could not be found.");
        };
        let artifact = rest.first().copied().unwrap_or("");
        if artifact.is_empty() {
            let mut names: Vec<&String> = files.keys().collect();
            names.sort();
            let body = json!({
                "status": {"code": 200, "is_success": true, "user_message": "Success!", "developer_message": ""},
                "data": names,
            });
            return (200, Bytes::from(body.to_string()), None);
        }
        match files.get(artifact) {
            Some(b) => (200, b.clone(), None),
            None => error(404, "The requested resource could not be found."),
        }
    }
}

fn error(code: u16, message: &str) -> (u16, Bytes, Option<u64>) {
    let body = json!({
        "status": {"code": code, "is_success": false, "user_message": message, "developer_message": null},
        "data": null,
    });
    (code, Bytes::from(body.to_string()), None)
}
