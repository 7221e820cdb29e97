//! Strict fakes of the integrations' APIs on one port (0 by default), for tests and the demo:
//! PagerDuty Events API v2 (`POST /v2/enqueue`), incident.io HTTP alert sources
//! (`POST /v2/alert_events/http/{id}`), Opsgenie Alert API v2 (`POST /v2/alerts`,
//! `…/{alias}/acknowledge|close?identifierType=alias`) and a webhook receiver (`POST /hooks/…`)
//! that checks `Steward-Signature` as `docs/webhooks.md` says, 5-minute window included.
//!
//! Each answers what the vendor documents: PagerDuty 202 `{"status":"success","message":"Event
//! processed","dedup_key":…}` or 400 `{"status":"invalid event",…}`; incident.io 202 or 401/404/
//! 422; Opsgenie 202 `{"result":"Request will be processed","took":…,"requestId":…}` or 401/422.
//! Faults (`fail_next`) answer 429 with `Retry-After` or 5xx before any of them. Alerts are kept
//! by dedup key, so a test sees how many times each was triggered. Jira's get issue
//! (`GET /rest/api/3/issue/{key}?fields=status`) and Linear's `issue` query read back the
//! states tests set with `set_jira_status` / `set_linear_state`.

use bytes::Bytes;
use hmac::{KeyInit, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

/// An alert as the vendor holds it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Alert {
    /// triggered / acknowledged / resolved (PagerDuty), firing / resolved (incident.io),
    /// open / acknowledged / closed (Opsgenie).
    pub status: String,
    /// How many trigger (create, firing) events it received.
    pub triggers: u32,
    /// How many of them opened it (it was new or resolved): a trigger on an open alert with
    /// the same key is deduplicated into it, as the vendors do.
    pub opened: u32,
    /// Every event action received, in order.
    pub actions: Vec<String>,
    /// The last trigger's body.
    pub last: Value,
}

/// A request the fake received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: Value,
}

/// What the fakes hold.
#[derive(Default)]
pub struct State {
    pub pagerduty: BTreeMap<String, Alert>,
    pub incidentio: BTreeMap<String, Alert>,
    pub opsgenie: BTreeMap<String, Alert>,
    /// Linear issues created: (identifier, the input).
    pub linear: Vec<(String, Value)>,
    /// Jira issues created: (key, the request's fields).
    pub jira: Vec<(String, Value)>,
    /// Each Jira issue's status: (name, status category key: `new`, `indeterminate`, `done`);
    /// a new issue is ("To Do", "new").
    pub jira_status: BTreeMap<String, (String, String)>,
    /// Each Linear issue's workflow state: (name, type: `triage`, `backlog`, `unstarted`,
    /// `started`, `completed`, `canceled`); a new issue is ("Todo", "unstarted").
    pub linear_state: BTreeMap<String, (String, String)>,
    /// Webhook events accepted, by `Steward-Event-Id`, once each.
    pub webhooks: Vec<(String, Value)>,
    /// Webhook redeliveries of an event id already accepted.
    pub webhook_repeats: u32,
    pub received: Vec<Received>,
    faults: VecDeque<(u16, Option<u64>)>,
}

/// The accepted credentials and the receiver's clock.
#[derive(Clone)]
pub struct Keys {
    pub pagerduty_routing_key: String,
    pub incidentio_token: String,
    pub incidentio_source: String,
    pub opsgenie_key: String,
    pub webhook_secret: String,
    /// Jira: the account's email and API token, and the one project.
    pub jira_email: String,
    pub jira_token: String,
    pub jira_project: String,
    /// Linear: the API key and the one team id.
    pub linear_key: String,
    pub linear_team: String,
    /// The receiver's idea of now (unix seconds), for the 5-minute window.
    pub now: Arc<dyn Fn() -> i64 + Send + Sync>,
}

pub struct FakeVendors {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<State>>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl FakeVendors {
    /// Serves the fakes on 127.0.0.1, port 0.
    pub async fn start(keys: Keys) -> anyhow::Result<FakeVendors> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let shared = (state.clone(), Arc::new(keys));
        tokio::spawn(async move {
            loop {
                let conn = tokio::select! {
                    c = listener.accept() => c,
                    _ = stopped.changed() => return,
                };
                let Ok((stream, _)) = conn else { continue };
                let (state, keys) = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let (state, keys) = (state.clone(), keys.clone());
                        async move { Ok::<_, std::convert::Infallible>(serve(&state, &keys, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(FakeVendors { addr, state, stop })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next `n` requests (any vendor) answer `status`, with `Retry-After` when given.
    pub fn fail_next(&self, n: usize, status: u16, retry_after: Option<u64>) {
        let mut s = self.state.lock().expect("fake state");
        for _ in 0..n {
            s.faults.push_back((status, retry_after));
        }
    }

    /// Moves Jira issue `key` to status `name` in category `category` (as a person would).
    pub fn set_jira_status(&self, key: &str, name: &str, category: &str) {
        let mut s = self.state.lock().expect("fake state");
        s.jira_status
            .insert(key.to_owned(), (name.to_owned(), category.to_owned()));
    }

    /// Moves Linear issue `identifier` to state `name` of type `kind`.
    pub fn set_linear_state(&self, identifier: &str, name: &str, kind: &str) {
        let mut s = self.state.lock().expect("fake state");
        s.linear_state
            .insert(identifier.to_owned(), (name.to_owned(), kind.to_owned()));
    }

    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

async fn serve(state: &Mutex<State>, keys: &Keys, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let headers: BTreeMap<String, String> = parts
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let mut s = state.lock().expect("fake state");
    let (status, retry_after, answer) = match s.faults.pop_front() {
        Some((status, retry_after)) => (status, retry_after, json!({"message": "fault"})),
        None if parts.method == hyper::Method::GET => {
            let (st, v) = handle_get(&mut s, keys, &path, &query, &headers);
            (st, None, v)
        }
        None if parts.method != hyper::Method::POST => {
            (405, None, json!({"message": "Method Not Allowed"}))
        }
        None => {
            let (st, v) = handle(&mut s, keys, &path, &query, &headers, &body);
            (st, None, v)
        }
    };
    s.received.push(Received {
        path: path.clone(),
        status,
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    let mut b = Response::builder()
        .status(status)
        .header("content-type", "application/json");
    if let Some(r) = retry_after {
        b = b.header("retry-after", r.to_string());
    }
    b.body(Full::new(Bytes::from(answer.to_string())))
        .expect("valid response")
}

/// Routes one `POST` to its vendor.
pub fn handle(
    s: &mut State,
    keys: &Keys,
    path: &str,
    query: &str,
    headers: &BTreeMap<String, String>,
    body: &[u8],
) -> (u16, Value) {
    let json_ct = headers
        .get("content-type")
        .is_some_and(|c| c.starts_with("application/json"));
    if let Some(hook) = path.strip_prefix("/hooks/") {
        return webhook(s, keys, hook, headers, body);
    }
    if !json_ct {
        return (
            415,
            json!({"message": "Content-Type must be application/json"}),
        );
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return (
            400,
            json!({"status": "invalid event", "message": "Event object is invalid", "errors": ["body is not JSON"]}),
        );
    };
    if path == "/graphql" {
        return linear(s, keys, headers, &v);
    }
    if path == "/rest/api/3/issue" {
        return jira(s, keys, headers, &v);
    }
    if path == "/v2/enqueue" {
        return pagerduty(s, keys, &v);
    }
    if let Some(id) = path.strip_prefix("/v2/alert_events/http/") {
        return incidentio(s, keys, id, headers, &v);
    }
    if let Some(rest) = path.strip_prefix("/v2/alerts") {
        return opsgenie(s, keys, rest, query, headers, &v);
    }
    (404, json!({"message": "Not Found"}))
}

/// Routes one `GET`: only Jira's get issue (`/rest/api/3/issue/{key}`) reads.
pub fn handle_get(
    s: &mut State,
    keys: &Keys,
    path: &str,
    query: &str,
    headers: &BTreeMap<String, String>,
) -> (u16, Value) {
    match path.strip_prefix("/rest/api/3/issue/") {
        Some(key) if !key.is_empty() && !key.contains('/') => {
            let key = percent_encoding::percent_decode_str(key)
                .decode_utf8_lossy()
                .into_owned();
            jira_get(s, keys, &key, query, headers)
        }
        _ => (404, json!({"message": "Not Found"})),
    }
}

fn jira_unauthorized(keys: &Keys, headers: &BTreeMap<String, String>) -> Option<(u16, Value)> {
    use base64::Engine;
    let expected = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", keys.jira_email, keys.jira_token));
    let basic = headers
        .get("authorization")
        .and_then(|a| a.strip_prefix("Basic "));
    (basic != Some(expected.as_str())).then(|| {
        (
            401,
            json!({"errorMessages": ["You are not authenticated. Authentication required to perform this operation."], "errors": {}}),
        )
    })
}

/// Jira Cloud's get issue: by key or id, with `fields` choosing what `fields` holds (`status`
/// carries its `statusCategory`); an unknown issue is 404 with Jira's own words.
fn jira_get(
    s: &mut State,
    keys: &Keys,
    key: &str,
    query: &str,
    headers: &BTreeMap<String, String>,
) -> (u16, Value) {
    if let Some(refused) = jira_unauthorized(keys, headers) {
        return refused;
    }
    let Some(i) = s
        .jira
        .iter()
        .enumerate()
        .position(|(n, (k, _))| k == key || (n + 10_000).to_string() == key)
    else {
        return (
            404,
            json!({"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}}),
        );
    };
    let (key, fields) = s.jira[i].clone();
    let (name, category) = s
        .jira_status
        .get(&key)
        .cloned()
        .unwrap_or_else(|| ("To Do".into(), "new".into()));
    let (cat_id, cat_name, color) = match category.as_str() {
        "done" => (3, "Done", "green"),
        "indeterminate" => (4, "In Progress", "yellow"),
        _ => (2, "To Do", "blue-gray"),
    };
    let status = json!({
        "self": "/rest/api/3/status/1", "description": "", "name": name, "id": "1",
        "statusCategory": {"self": format!("/rest/api/3/statuscategory/{cat_id}"), "id": cat_id,
            "key": category, "colorName": color, "name": cat_name},
    });
    let wanted: Vec<String> = query
        .split('&')
        .filter_map(|q| q.strip_prefix("fields="))
        .flat_map(|f| f.split(',').map(str::to_owned).collect::<Vec<_>>())
        .collect();
    let mut all = fields.as_object().cloned().unwrap_or_default();
    all.insert("status".into(), status);
    if !wanted.is_empty() && !wanted.iter().any(|w| w == "*all") {
        all.retain(|k, _| wanted.contains(k));
    }
    let id = (i + 10_000).to_string();
    (
        200,
        json!({"id": id, "key": key, "self": format!("/rest/api/3/issue/{id}"), "fields": all}),
    )
}

fn pd_invalid(error: &str) -> (u16, Value) {
    (
        400,
        json!({"status": "invalid event", "message": "Event object is invalid", "errors": [error]}),
    )
}

fn pagerduty(s: &mut State, keys: &Keys, v: &Value) -> (u16, Value) {
    let Some(key) = v["routing_key"].as_str() else {
        return pd_invalid("'routing_key' is missing or blank");
    };
    if key.len() != 32 {
        return pd_invalid("Length of 'routing_key' is incorrect (should be 32 characters)");
    }
    if key != keys.pagerduty_routing_key {
        return pd_invalid("Invalid routing key");
    }
    let action = v["event_action"].as_str().unwrap_or_default();
    let dedup = v["dedup_key"].as_str().map(str::to_owned);
    if dedup.as_ref().is_some_and(|d| d.len() > 255) {
        return pd_invalid("'dedup_key' is too long (maximum is 255 characters)");
    }
    let dedup = match (action, dedup) {
        ("trigger", d) => {
            let p = &v["payload"];
            let summary = p["summary"].as_str().unwrap_or_default();
            if summary.is_empty() || summary.chars().count() > 1024 {
                return pd_invalid("'payload.summary' is missing, blank or over 1024 characters");
            }
            if p["source"].as_str().is_none_or(str::is_empty) {
                return pd_invalid("'payload.source' is missing or blank");
            }
            if !matches!(
                p["severity"].as_str(),
                Some("critical" | "error" | "warning" | "info")
            ) {
                return pd_invalid("'payload.severity' must be critical, error, warning or info");
            }
            if let Some(links) = v.get("links")
                && !links
                    .as_array()
                    .is_some_and(|l| l.iter().all(|x| x["href"].is_string()))
            {
                return pd_invalid("'links' must be a list of objects with an 'href'");
            }
            d.unwrap_or_else(|| format!("generated-{}", s.pagerduty.len() + 1))
        }
        ("acknowledge" | "resolve", Some(d)) => d,
        ("acknowledge" | "resolve", None) => {
            return pd_invalid("'dedup_key' is required for acknowledge and resolve events");
        }
        _ => return pd_invalid("'event_action' must be trigger, acknowledge or resolve"),
    };
    let alert = s.pagerduty.entry(dedup.clone()).or_default();
    record(
        alert,
        action,
        v,
        match action {
            "trigger" => "triggered",
            "acknowledge" => "acknowledged",
            _ => "resolved",
        },
    );
    (
        202,
        json!({"status": "success", "message": "Event processed", "dedup_key": dedup}),
    )
}

fn record(alert: &mut Alert, action: &str, v: &Value, status: &str) {
    // Acknowledging or resolving what is not open changes nothing (the vendors drop it).
    let open = !alert.status.is_empty() && !matches!(alert.status.as_str(), "resolved" | "closed");
    let trigger = matches!(action, "trigger" | "firing" | "create");
    if trigger && !open {
        alert.opened += 1;
    }
    if trigger || open {
        alert.status = status.to_owned();
    }
    if trigger {
        alert.triggers += 1;
        alert.last = v.clone();
    }
    alert.actions.push(action.to_owned());
}

fn incidentio(
    s: &mut State,
    keys: &Keys,
    id: &str,
    headers: &BTreeMap<String, String>,
    v: &Value,
) -> (u16, Value) {
    let bearer = headers
        .get("authorization")
        .and_then(|a| a.strip_prefix("Bearer "));
    if bearer != Some(keys.incidentio_token.as_str()) {
        return (
            401,
            json!({"type": "authentication_error", "status": 401, "errors": [{"code": "unauthenticated", "message": "Invalid API key"}]}),
        );
    }
    if id != keys.incidentio_source {
        return (
            404,
            json!({"type": "not_found", "status": 404, "errors": [{"code": "not_found", "message": "alert source config not found"}]}),
        );
    }
    let invalid = |m: &str| {
        (
            422,
            json!({"type": "validation_error", "status": 422, "errors": [{"code": "invalid_value", "message": m}]}),
        )
    };
    if v["title"].as_str().is_none_or(str::is_empty) {
        return invalid("title is required");
    }
    let status = v["status"].as_str().unwrap_or_default();
    if status != "firing" && status != "resolved" {
        return invalid("status must be firing or resolved");
    }
    if v.get("metadata").is_some_and(|m| !m.is_object()) {
        return invalid("metadata must be an object");
    }
    let key = v["deduplication_key"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let alert = s.incidentio.entry(key.clone()).or_default();
    record(alert, status, v, status);
    (
        202,
        json!({"status": "success", "message": "Event accepted for processing", "deduplication_key": key}),
    )
}

fn opsgenie(
    s: &mut State,
    keys: &Keys,
    rest: &str,
    query: &str,
    headers: &BTreeMap<String, String>,
    v: &Value,
) -> (u16, Value) {
    let request_id = format!("req-{}", s.received.len() + 1);
    let genie = headers
        .get("authorization")
        .and_then(|a| a.strip_prefix("GenieKey "));
    if genie != Some(keys.opsgenie_key.as_str()) {
        return (
            401,
            json!({"message": "Key format is not valid!", "took": 0.0, "requestId": request_id}),
        );
    }
    let invalid = |field: &str, m: &str| {
        (
            422,
            json!({"message": "Request body is not processable. Please check the errors.", "errors": {field: m}, "took": 0.0, "requestId": request_id}),
        )
    };
    let accepted =
        json!({"result": "Request will be processed", "took": 0.01, "requestId": request_id});
    if rest.is_empty() {
        let message = v["message"].as_str().unwrap_or_default();
        if message.is_empty() {
            return invalid("message", "Message can not be empty.");
        }
        if message.chars().count() > 130 {
            return invalid("message", "Message can not be longer than 130 characters.");
        }
        let alias = v["alias"].as_str().unwrap_or_default().to_owned();
        if alias.chars().count() > 512 {
            return invalid("alias", "Alias can not be longer than 512 characters.");
        }
        if let Some(p) = v.get("priority")
            && !matches!(p.as_str(), Some("P1" | "P2" | "P3" | "P4" | "P5"))
        {
            return invalid("priority", "Priority should be one of [P1, P2, P3, P4, P5]");
        }
        if v.get("details").is_some_and(|d| {
            !d.as_object()
                .is_some_and(|m| m.values().all(Value::is_string))
        }) {
            return invalid("details", "Details must be a map of strings.");
        }
        // An open alert with the same alias is deduplicated (its count grows).
        let alert = s.opsgenie.entry(alias).or_default();
        record(alert, "create", v, "open");
        return (202, accepted);
    }
    let Some((alias, verb)) = rest.trim_start_matches('/').rsplit_once('/') else {
        return (404, json!({"message": "Not Found"}));
    };
    if !query.split('&').any(|q| q == "identifierType=alias") {
        return (
            404,
            json!({"message": "Alert does not exist", "took": 0.0, "requestId": request_id}),
        );
    }
    let alias = percent_encoding::percent_decode_str(alias)
        .decode_utf8_lossy()
        .into_owned();
    let status = match verb {
        "acknowledge" => "acknowledged",
        "close" => "closed",
        _ => return (404, json!({"message": "Not Found"})),
    };
    // Opsgenie processes these asynchronously: an unknown alias is still answered 202.
    if let Some(alert) = s.opsgenie.get_mut(&alias) {
        record(alert, verb, v, status);
    }
    (202, accepted)
}

/// Jira Cloud's create issue: basic auth, a known project, an issue type, a summary of at most
/// 255 characters and a description in Atlassian Document Format.
fn jira(s: &mut State, keys: &Keys, headers: &BTreeMap<String, String>, v: &Value) -> (u16, Value) {
    if let Some(refused) = jira_unauthorized(keys, headers) {
        return refused;
    }
    let f = &v["fields"];
    let invalid = |field: &str, m: &str| (400, json!({"errorMessages": [], "errors": {field: m}}));
    if f["project"]["key"].as_str() != Some(keys.jira_project.as_str()) {
        return invalid("project", "valid project is required");
    }
    if f["issuetype"]["name"].as_str().is_none_or(str::is_empty) {
        return invalid("issuetype", "valid issue type is required");
    }
    let summary = f["summary"].as_str().unwrap_or_default();
    if summary.is_empty() {
        return invalid("summary", "You must specify a summary of the issue.");
    }
    if summary.chars().count() > 255 || summary.contains('\n') {
        return invalid(
            "summary",
            "Summary must be less than 255 characters, on one line.",
        );
    }
    let d = &f["description"];
    let adf = d["type"] == "doc" && d["version"] == 1 && d["content"].is_array();
    if !(d.is_null() || adf) {
        return invalid(
            "description",
            "Operation value must be an Atlassian Document (see the Atlassian Document Format).",
        );
    }
    let n = s.jira.len() + 10_000;
    let key = format!("{}-{}", keys.jira_project, s.jira.len() + 1);
    s.jira.push((key.clone(), f.clone()));
    (
        201,
        json!({"id": n.to_string(), "key": key, "self": format!("/rest/api/3/issue/{n}")}),
    )
}

/// Linear's GraphQL `issueCreate`: the API key in `Authorization` (400 and an
/// `AUTHENTICATION_ERROR` without it), a known team and a title; a bad input is a GraphQL error
/// in a 200 answer.
fn linear(
    s: &mut State,
    keys: &Keys,
    headers: &BTreeMap<String, String>,
    v: &Value,
) -> (u16, Value) {
    let gql_error =
        |code: &str, m: &str| json!({"errors": [{"message": m, "extensions": {"code": code}}]});
    if headers.get("authorization") != Some(&keys.linear_key) {
        return (
            400,
            gql_error(
                "AUTHENTICATION_ERROR",
                "Authentication required, not authenticated",
            ),
        );
    }
    let query = v["query"].as_str().unwrap_or_default();
    if query.trim_start().starts_with("query") && query.contains("issue(") {
        return linear_issue(s, &v["variables"]["id"]);
    }
    if !query.contains("issueCreate") {
        return (
            400,
            gql_error(
                "GRAPHQL_VALIDATION_FAILED",
                "only issueCreate and issue are faked",
            ),
        );
    }
    let input = &v["variables"]["input"];
    if input["teamId"].as_str() != Some(keys.linear_team.as_str()) {
        return (
            200,
            gql_error("INVALID_INPUT", "Argument Validation Error: teamId"),
        );
    }
    if input["title"].as_str().is_none_or(str::is_empty) {
        return (
            200,
            gql_error("INVALID_INPUT", "Argument Validation Error: title"),
        );
    }
    let identifier = format!("ENG-{}", s.linear.len() + 1);
    s.linear.push((identifier.clone(), input.clone()));
    (
        200,
        json!({"data": {"issueCreate": {"success": true, "issue": {
            "id": format!("issue-{}", s.linear.len()),
            "identifier": identifier,
            "url": format!("https://linear.app/acme/issue/{identifier}"),
        }}}}),
    )
}

/// Linear's `issue(id:)` query, by id or identifier: the issue with its workflow `state`
/// (`name`, `type`), or Linear's `Entity not found` error (200, `data: null`).
fn linear_issue(s: &State, id: &Value) -> (u16, Value) {
    let id = id.as_str().unwrap_or_default();
    let found = s
        .linear
        .iter()
        .enumerate()
        .find(|(n, (identifier, _))| identifier == id || format!("issue-{}", n + 1) == id);
    let Some((n, (identifier, _))) = found else {
        return (
            200,
            json!({"data": null, "errors": [{"message": "Entity not found: Issue", "path": ["issue"],
                "extensions": {"type": "invalid input", "code": "INPUT_ERROR",
                    "userPresentableMessage": "Could not find referenced Issue."}}]}),
        );
    };
    let (name, kind) = s
        .linear_state
        .get(identifier)
        .cloned()
        .unwrap_or_else(|| ("Todo".into(), "unstarted".into()));
    (
        200,
        json!({"data": {"issue": {"id": format!("issue-{}", n + 1), "identifier": identifier,
            "state": {"name": name, "type": kind}}}}),
    )
}

/// The receiver `docs/webhooks.md` describes: parse `t` and `v1`, refuse a `t` more than five
/// minutes from now, recompute the HMAC over `"<t>.<body>"` and compare in constant time; then
/// keep the event once per `Steward-Event-Id`.
fn webhook(
    s: &mut State,
    keys: &Keys,
    _hook: &str,
    headers: &BTreeMap<String, String>,
    body: &[u8],
) -> (u16, Value) {
    let Some(sig) = headers.get("steward-signature") else {
        return (401, json!({"error": "no signature"}));
    };
    let mut t: Option<i64> = None;
    let mut v1: Vec<&str> = Vec::new();
    for part in sig.split(',') {
        match part.split_once('=') {
            Some(("t", x)) => t = x.parse().ok(),
            Some(("v1", x)) => v1.push(x),
            _ => {}
        }
    }
    let Some(t) = t else {
        return (401, json!({"error": "no timestamp"}));
    };
    if ((keys.now)() - t).abs() > 300 {
        return (
            401,
            json!({"error": "timestamp outside the 5-minute window"}),
        );
    }
    let ok = v1.iter().any(|hex| {
        let Some(given) = decode_hex(hex) else {
            return false;
        };
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(keys.webhook_secret.as_bytes())
            .expect("any key length");
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        mac.verify_slice(&given).is_ok()
    });
    if !ok {
        return (401, json!({"error": "bad signature"}));
    }
    let Some(id) = headers.get("steward-event-id") else {
        return (400, json!({"error": "no Steward-Event-Id"}));
    };
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return (400, json!({"error": "not JSON"}));
    };
    if s.webhooks.iter().any(|(e, _)| e == id) {
        s.webhook_repeats += 1;
    } else {
        s.webhooks.push((id.clone(), v));
    }
    (200, json!({"ok": true}))
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests;
