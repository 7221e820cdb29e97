//! Slack's rules for the shape of a Web API request, applied before any method runs: the path is
//! `/api/<method>`, the verb `GET` or `POST`, a body is JSON or form-encoded in a known charset,
//! the token comes in the `Authorization` header (or a form field), and a JSON body counts only
//! for the methods that read one. Pure: one HTTP request in, the call Slack would see (or its
//! refusal) out.
//!
//! From Slack's documentation (docs.slack.dev/apis/web-api, "Basic overview", "POST bodies",
//! "JSON-encoded bodies"; the errors every method page lists; each method's content types):
//! - Methods live at `https://slack.com/api/METHOD_FAMILY.method`. An unknown method is HTTP 200
//!   `{"ok":false,"error":"unknown_method","req_method":…}`. Anything under `/api/` that is not
//!   a method name (`/api//chat.postMessage`, `/api/`, `/api/a/b`) is no method either, and gets
//!   the same answer; a path outside `/api/` is HTTP 404.
//! - Arguments come as `GET` query parameters or a `POST` body. Slack documents no other verb;
//!   the fake answers one with HTTP 405 (`method_not_allowed`) so nothing relies on it.
//! - `POST` content types: `application/json`, `application/x-www-form-urlencoded`,
//!   `multipart/form-data`, `text/plain`; any other is `invalid_post_type`; a charset other than
//!   `utf-8` or `iso-8859-1` is `invalid_charset`. A body without a `Content-Type` is not read.
//! - JSON bodies: only with the token in `Authorization: Bearer` (never a `token` attribute or
//!   the query string), never mixed with query arguments; a body that does not parse is
//!   `invalid_json`, one that is not an object `json_not_object`. Read methods
//!   (`users.lookupByEmail`, `users.info`, `conversations.info`, `usergroups.list`, `usergroups.users.list`,
//!   `chat.getPermalink`, `apps.connections.open`) take form or query arguments only: they ignore
//!   a JSON body and answer as though no argument had been sent (`users.info` → `user_not_found`).
//! - Since February 2021 new apps may not put the token in the query string.
//! - Argument names are letters, digits and `_` (else `invalid_arg_name`).
//!
//! What Slack ignores is not refused, but the request is marked malformed: the fake's record of
//! calls says why, and it is a violation, so a test of the bot fails instead of a workspace.

use super::server::form_decode;
use super::state::Reply;
use serde_json::{Map, Value};

/// The methods the fake serves, and whether Slack reads a JSON body for each (its reference
/// page lists `application/json` among the accepted content types).
pub(crate) const METHODS: &[(&str, bool)] = &[
    ("apps.connections.open", false),
    ("auth.test", true),
    ("chat.delete", true),
    ("chat.getPermalink", false),
    ("chat.postEphemeral", true),
    ("chat.postMessage", true),
    ("chat.update", true),
    ("conversations.info", false),
    ("conversations.join", true),
    ("usergroups.list", false),
    ("usergroups.users.list", false),
    ("users.info", false),
    ("users.lookupByEmail", false),
    ("views.open", true),
    ("views.publish", true),
    ("views.push", true),
    ("views.update", true),
];

/// Whether Slack reads a JSON body for `method`, one of [`METHODS`].
fn reads_json(method: &str) -> bool {
    METHODS.iter().any(|(m, json)| *m == method && *json)
}

/// One HTTP request as it reached the fake's Web API port.
pub(crate) struct HttpRequest<'a> {
    pub verb: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
}

/// The call Slack would see in a request, or its refusal.
pub(crate) struct WebRequest {
    pub verb: String,
    pub path: String,
    pub content_type: Option<String>,
    /// The method named by the path (`chat.postMessage`), `respond` for a `response_url`, or the
    /// path itself when it names nothing.
    pub method: String,
    /// The `response_url` id, for `/respond/<id>`.
    pub hook: Option<String>,
    /// The arguments Slack reads (JSON-valued form fields such as `blocks` parsed).
    pub params: Map<String, Value>,
    pub token: Option<String>,
    /// Why the request is not what Slack reads as the caller meant; empty when well formed.
    pub malformed: Vec<String>,
    /// Slack's answer when it refuses the request before any method runs.
    pub refusal: Option<Reply>,
}

impl WebRequest {
    fn refuse(mut self, why: String, reply: Reply) -> WebRequest {
        self.malformed.push(why);
        self.refusal = Some(reply);
        self
    }
}

/// `chat.postMessage`, `admin.users.session.list`: dot-separated words of letters, digits, `_`.
fn is_method_name(name: &str) -> bool {
    name.contains('.')
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

fn is_arg_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Form and query values are strings; Slack reads JSON-valued arguments (`blocks`, `view`, ...)
/// out of them.
fn form_value(key: &str, value: String) -> Value {
    const JSON_KEYS: &[&str] = &[
        "blocks",
        "attachments",
        "view",
        "metadata",
        "user_auth_blocks",
        "unfurls",
    ];
    if JSON_KEYS.contains(&key)
        && let Ok(v) = serde_json::from_str::<Value>(&value)
    {
        return v;
    }
    Value::String(value)
}

/// `application/json; charset=utf-8` → (`application/json`, `Some("utf-8")`), lowercased.
fn media_type(content_type: &str) -> (String, Option<String>) {
    let mut parts = content_type.split(';');
    let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let charset = parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"').to_ascii_lowercase())
    });
    (media, charset)
}

fn bearer(authorization: Option<&str>) -> Option<String> {
    let (scheme, token) = authorization?.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// Reads `req` as Slack would.
pub(crate) fn read(req: &HttpRequest<'_>) -> WebRequest {
    let mut out = WebRequest {
        verb: req.verb.to_owned(),
        path: req.path.to_owned(),
        content_type: req.content_type.map(str::to_owned),
        method: req.path.to_owned(),
        hook: None,
        params: Map::new(),
        token: None,
        malformed: Vec::new(),
        refusal: None,
    };
    if let Some(id) = req.path.strip_prefix("/respond/") {
        out.method = "respond".into();
        out.hook = Some(id.to_owned());
        return read_response_url(req, out);
    }
    let Some(name) = req.path.strip_prefix("/api/") else {
        let why = format!("{} is not a Web API path (/api/<method>)", req.path);
        return out.refuse(why, Reply::not_found());
    };
    out.method = name.to_owned();
    if !is_method_name(name) {
        let why = format!(
            "{} {}: {name:?} is not a method name (the URL must be /api/<method>)",
            req.verb, req.path
        );
        return out.refuse(why, Reply::unknown_method(name));
    }
    if !METHODS.iter().any(|(m, _)| *m == name) {
        let why = format!(
            "{} {}: {name} is not a method the fake Slack serves (Slack answers unknown_method for names it does not have)",
            req.verb, req.path
        );
        return out.refuse(why, Reply::unknown_method(name));
    }
    if !matches!(req.verb, "GET" | "POST") {
        let why = format!("{} {}: the Web API takes GET or POST", req.verb, req.path);
        return out.refuse(why, Reply::method_not_allowed("GET, POST"));
    }

    let mut query = Map::new();
    let mut query_token = false;
    for (k, v) in req.query.map(form_decode).unwrap_or_default() {
        if k == "token" {
            query_token = true;
        } else {
            let v = form_value(&k, v);
            query.insert(k, v);
        }
    }
    if query_token {
        out.malformed.push(format!(
            "{name}: a token in the query string is not read (apps made after February 2021 must use the Authorization header or a form field)"
        ));
    }
    let mut form_token = None;
    if req.verb == "GET" {
        if !req.body.is_empty() {
            out.malformed
                .push(format!("GET {name}: a GET's body is not read"));
        }
        out.params = query;
    } else {
        let (media, charset) = media_type(req.content_type.unwrap_or(""));
        if let Some(cs) = charset.filter(|cs| !matches!(cs.as_str(), "utf-8" | "iso-8859-1")) {
            let why = format!("POST {name}: charset {cs} (Slack reads utf-8 or iso-8859-1)");
            return out.refuse(why, Reply::err("invalid_charset"));
        }
        match media.as_str() {
            "application/json" => {
                let body = match serde_json::from_slice::<Value>(req.body) {
                    Ok(Value::Object(m)) => m,
                    Ok(_) => {
                        let why = format!("POST {name}: the JSON body is not an object");
                        return out.refuse(why, Reply::err("json_not_object"));
                    }
                    Err(e) => {
                        let why = format!("POST {name}: the JSON body does not parse: {e}");
                        return out.refuse(why, Reply::err("invalid_json"));
                    }
                };
                read_json_body(name, body, query, &mut out);
            }
            "application/x-www-form-urlencoded" => {
                let mut params = query;
                for (k, v) in form_decode(&String::from_utf8_lossy(req.body)) {
                    if k == "token" {
                        form_token = Some(v);
                    } else {
                        let v = form_value(&k, v);
                        params.insert(k, v);
                    }
                }
                out.params = params;
            }
            "multipart/form-data" => {
                out.malformed.push(format!(
                    "POST {name}: the fake Slack does not read multipart/form-data bodies"
                ));
                out.params = query;
            }
            "text/plain" | "" => {
                if !req.body.is_empty() {
                    let what = if media.is_empty() {
                        "a body without a Content-Type".to_owned()
                    } else {
                        format!("a {media} body")
                    };
                    out.malformed.push(format!(
                        "POST {name}: {what} is not read as arguments (send application/json or application/x-www-form-urlencoded)"
                    ));
                }
                out.params = query;
            }
            other => {
                let why = format!(
                    "POST {name}: Content-Type {other} (Slack reads application/json, application/x-www-form-urlencoded, multipart/form-data, text/plain)"
                );
                return out.refuse(why, Reply::err("invalid_post_type"));
            }
        }
    }
    if let Some(bad) = out.params.keys().find(|k| !is_arg_name(k)).cloned() {
        let why = format!("{name}: argument name {bad:?}");
        return out.refuse(why, Reply::err("invalid_arg_name"));
    }
    out.token = bearer(req.authorization).or(form_token);
    out
}

/// A JSON body: its attributes are the arguments when the method reads JSON, else it is ignored
/// and only the query string counts.
fn read_json_body(
    name: &str,
    mut body: Map<String, Value>,
    query: Map<String, Value>,
    out: &mut WebRequest,
) {
    if body.remove("token").is_some() {
        out.malformed.push(format!(
            "POST {name}: a token inside a JSON body is not read (send Authorization: Bearer)"
        ));
    }
    if reads_json(name) {
        if !query.is_empty() {
            let keys: Vec<&str> = query.keys().map(String::as_str).collect();
            out.malformed.push(format!(
                "POST {name}: query arguments beside a JSON body are not read: {}",
                keys.join(", ")
            ));
        }
        out.params = body;
    } else {
        if !body.is_empty() {
            let keys: Vec<&str> = body.keys().map(String::as_str).collect();
            out.malformed.push(format!(
                "POST {name}: {name} takes form or query arguments only; Slack ignores its JSON body ({})",
                keys.join(", ")
            ));
        }
        out.params = query;
    }
}

/// A `response_url` takes a JSON `POST`.
fn read_response_url(req: &HttpRequest<'_>, mut out: WebRequest) -> WebRequest {
    if req.verb != "POST" {
        let why = format!("{} {}: a response_url takes a POST", req.verb, req.path);
        return out.refuse(why, Reply::method_not_allowed("POST"));
    }
    let (media, _) = media_type(req.content_type.unwrap_or(""));
    if media != "application/json" {
        out.malformed.push(format!(
            "POST {}: a response_url reads a JSON body, not {}",
            req.path,
            if media.is_empty() {
                "an untyped one"
            } else {
                &media
            }
        ));
        return out;
    }
    match serde_json::from_slice::<Value>(req.body) {
        Ok(Value::Object(m)) => out.params = m,
        _ => {
            let why = format!("POST {}: the JSON body is not an object", req.path);
            return out.refuse(why, Reply::bad_request("invalid_payload"));
        }
    }
    out
}
