//! The fakes refuse what the vendors refuse and keep what they keep.
use super::*;

fn keys() -> Keys {
    Keys {
        pagerduty_routing_key: "R".repeat(32),
        incidentio_token: "inc-token".into(),
        incidentio_source: "01SOURCE".into(),
        opsgenie_key: "genie".into(),
        webhook_secret: "whsec".into(),
        jira_email: "bot@example.com".into(),
        jira_token: "jira-token".into(),
        jira_project: "DATA".into(),
        linear_key: "lin_api_key".into(),
        linear_team: "team-1".into(),
        now: Arc::new(|| 1_000_000),
    }
}

fn post(s: &mut State, path: &str, headers: &[(&str, &str)], body: Value) -> (u16, Value) {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut h: BTreeMap<String, String> =
        [("content-type".to_owned(), "application/json".to_owned())].into();
    for (k, v) in headers {
        h.insert(k.to_string(), v.to_string());
    }
    handle(s, &keys(), path, query, &h, body.to_string().as_bytes())
}

#[test]
fn pagerduty_refuses_what_the_events_api_refuses() {
    let mut s = State::default();
    let key = "R".repeat(32);
    let (st, v) = post(
        &mut s,
        "/v2/enqueue",
        &[],
        json!({"routing_key": "short", "event_action": "trigger"}),
    );
    assert_eq!((st, v["status"].as_str()), (400, Some("invalid event")));
    let (st, _) = post(
        &mut s,
        "/v2/enqueue",
        &[],
        json!({"routing_key": key, "event_action": "trigger", "payload": {"summary": "x", "source": "s", "severity": "bad"}}),
    );
    assert_eq!(st, 400);
    let (st, _) = post(
        &mut s,
        "/v2/enqueue",
        &[],
        json!({"routing_key": key, "event_action": "resolve"}),
    );
    assert_eq!(st, 400, "resolve needs a dedup key");
    let (st, v) = post(
        &mut s,
        "/v2/enqueue",
        &[],
        json!({"routing_key": key, "event_action": "trigger", "dedup_key": "k", "payload": {"summary": "x", "source": "s", "severity": "error"}}),
    );
    assert_eq!(st, 202);
    assert_eq!(
        v,
        json!({"status": "success", "message": "Event processed", "dedup_key": "k"})
    );
    post(
        &mut s,
        "/v2/enqueue",
        &[],
        json!({"routing_key": key, "event_action": "resolve", "dedup_key": "k"}),
    );
    assert_eq!(s.pagerduty["k"].status, "resolved");
    assert_eq!(s.pagerduty["k"].triggers, 1);
}

#[test]
fn incidentio_and_opsgenie_check_auth_and_fields() {
    let mut s = State::default();
    let body = json!({"title": "t", "status": "firing", "deduplication_key": "d"});
    assert_eq!(
        post(&mut s, "/v2/alert_events/http/01SOURCE", &[], body.clone()).0,
        401
    );
    let auth = [("authorization", "Bearer inc-token")];
    assert_eq!(
        post(&mut s, "/v2/alert_events/http/OTHER", &auth, body.clone()).0,
        404
    );
    assert_eq!(
        post(
            &mut s,
            "/v2/alert_events/http/01SOURCE",
            &auth,
            json!({"status": "firing"})
        )
        .0,
        422
    );
    assert_eq!(
        post(&mut s, "/v2/alert_events/http/01SOURCE", &auth, body).0,
        202
    );
    assert_eq!(s.incidentio["d"].status, "firing");

    let genie = [("authorization", "GenieKey genie")];
    assert_eq!(
        post(&mut s, "/v2/alerts", &[], json!({"message": "m"})).0,
        401
    );
    assert_eq!(
        post(&mut s, "/v2/alerts", &genie, json!({"message": ""})).0,
        422
    );
    assert_eq!(
        post(
            &mut s,
            "/v2/alerts",
            &genie,
            json!({"message": "m", "details": {"n": 1}})
        )
        .0,
        422
    );
    let (st, v) = post(
        &mut s,
        "/v2/alerts",
        &genie,
        json!({"message": "m", "alias": "a b"}),
    );
    assert_eq!(
        (st, v["result"].as_str()),
        (202, Some("Request will be processed"))
    );
    post(
        &mut s,
        "/v2/alerts/a%20b/close?identifierType=alias",
        &genie,
        json!({}),
    );
    assert_eq!(s.opsgenie["a b"].status, "closed");
}

#[test]
fn jira_and_linear_check_auth_and_fields() {
    use base64::Engine;
    let mut s = State::default();
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("bot@example.com:jira-token")
    );
    let good = json!({"fields": {"project": {"key": "DATA"}, "issuetype": {"name": "Task"}, "summary": "s",
        "description": {"type": "doc", "version": 1, "content": []}}});
    assert_eq!(post(&mut s, "/rest/api/3/issue", &[], good.clone()).0, 401);
    let a = [("authorization", auth.as_str())];
    let mut plain = good.clone();
    plain["fields"]["description"] = json!("plain text");
    assert_eq!(
        post(&mut s, "/rest/api/3/issue", &a, plain).0,
        400,
        "v3 wants ADF"
    );
    let mut other = good.clone();
    other["fields"]["project"]["key"] = json!("OPS");
    assert_eq!(post(&mut s, "/rest/api/3/issue", &a, other).0, 400);
    let (st, v) = post(&mut s, "/rest/api/3/issue", &a, good);
    assert_eq!((st, v["key"].as_str()), (201, Some("DATA-1")));
    let create = |team: &str| {
        json!({"query": "mutation { issueCreate(input: $input) { success } }",
        "variables": {"input": {"teamId": team, "title": "t"}}})
    };
    assert_eq!(post(&mut s, "/graphql", &[], create("team-1")).0, 400);
    let k = [("authorization", "lin_api_key")];
    let (st, v) = post(&mut s, "/graphql", &k, create("team-2"));
    assert_eq!(
        (st, v["errors"][0]["extensions"]["code"].as_str()),
        (200, Some("INVALID_INPUT"))
    );
    let (st, v) = post(&mut s, "/graphql", &k, create("team-1"));
    assert_eq!(
        (st, v["data"]["issueCreate"]["issue"]["identifier"].as_str()),
        (200, Some("ENG-1"))
    );
}

#[test]
fn the_receiver_checks_signature_and_window() {
    let mut s = State::default();
    let body = br#"{"type":"issue.opened"}"#;
    let sign = |t: i64, secret: &[u8]| {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("t={t},v1={hex}")
    };
    let call = |s: &mut State, sig: String| {
        let h: BTreeMap<String, String> = [
            ("content-type".to_owned(), "application/json".to_owned()),
            ("steward-signature".to_owned(), sig),
            ("steward-event-id".to_owned(), "evt_1".to_owned()),
        ]
        .into();
        handle(s, &keys(), "/hooks/a", "", &h, body).0
    };
    assert_eq!(call(&mut s, sign(1_000_000, b"wrong")), 401);
    assert_eq!(call(&mut s, sign(1_000_000 - 301, b"whsec")), 401);
    assert_eq!(call(&mut s, sign(1_000_000 - 299, b"whsec")), 200);
    assert_eq!(call(&mut s, sign(1_000_000, b"whsec")), 200);
    assert_eq!((s.webhooks.len(), s.webhook_repeats), (1, 1));
}

#[test]
fn jira_and_linear_read_states_back_as_documented() {
    use base64::Engine;
    let mut s = State::default();
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("bot@example.com:jira-token")
    );
    let a = [("authorization", auth.as_str())];
    let good = json!({"fields": {"project": {"key": "DATA"}, "issuetype": {"name": "Task"}, "summary": "s"}});
    assert_eq!(post(&mut s, "/rest/api/3/issue", &a, good).0, 201);
    let get = |s: &mut State, path: &str, auth: Option<&str>| {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let h: BTreeMap<String, String> = auth
            .map(|v| [("authorization".to_owned(), v.to_owned())].into())
            .unwrap_or_default();
        handle_get(s, &keys(), path, query, &h)
    };
    let (st, v) = get(&mut s, "/rest/api/3/issue/DATA-1?fields=status", None);
    assert_eq!(st, 401, "{v}");
    assert!(
        v["errorMessages"][0]
            .as_str()
            .unwrap()
            .contains("not authenticated")
    );
    let (st, v) = get(
        &mut s,
        "/rest/api/3/issue/DATA-9?fields=status",
        Some(&auth),
    );
    assert_eq!(
        (st, v),
        (
            404,
            json!({"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}})
        )
    );
    // A new issue is To Do (category `new`); `fields=status` leaves the other fields out.
    let (st, v) = get(
        &mut s,
        "/rest/api/3/issue/DATA-1?fields=status",
        Some(&auth),
    );
    assert_eq!(st, 200);
    assert_eq!(v["key"], "DATA-1");
    assert_eq!(v["fields"]["status"]["statusCategory"]["key"], "new");
    assert!(v["fields"].get("summary").is_none(), "{v}");
    s.jira_status
        .insert("DATA-1".into(), ("Done".into(), "done".into()));
    let (_, v) = get(&mut s, "/rest/api/3/issue/10000?fields=status", Some(&auth));
    assert_eq!(v["fields"]["status"]["name"], "Done", "by id too");
    assert_eq!(v["fields"]["status"]["statusCategory"]["key"], "done");

    let k = [("authorization", "lin_api_key")];
    let create = json!({"query": "mutation { issueCreate(input: $input) { success } }",
        "variables": {"input": {"teamId": "team-1", "title": "t"}}});
    post(&mut s, "/graphql", &k, create);
    let query = |id: &str| {
        json!({"query": "query IssueState($id: String!) { issue(id: $id) { identifier state { name type } } }",
        "variables": {"id": id}})
    };
    assert_eq!(
        post(&mut s, "/graphql", &[], query("ENG-1")).0,
        400,
        "no key"
    );
    let (st, v) = post(&mut s, "/graphql", &k, query("ENG-9"));
    assert_eq!(st, 200);
    assert_eq!(v["data"], Value::Null);
    assert_eq!(v["errors"][0]["message"], "Entity not found: Issue");
    let (_, v) = post(&mut s, "/graphql", &k, query("ENG-1"));
    assert_eq!(
        v["data"]["issue"]["state"],
        json!({"name": "Todo", "type": "unstarted"})
    );
    s.linear_state
        .insert("ENG-1".into(), ("Won't do".into(), "canceled".into()));
    let (_, v) = post(&mut s, "/graphql", &k, query("issue-1"));
    assert_eq!(v["data"]["issue"]["state"]["type"], "canceled");
}
