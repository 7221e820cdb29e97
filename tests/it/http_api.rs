//! The HTTP API end to end on a real server: auth, dbt ingest as JSON, multipart and gzip, refusal
//! of bad input without writing anything, generic alerts, OpenLineage events.

use crate::support::{TestApp, TestServer, demo_artifact};
use serde_json::{Value, json};
use std::io::Write;
use steward::config::Config;

const TOKEN: &str = "s3cret";
const FCT_REVENUE: &str = "model.jaffle_analytics.fct_revenue";
const PAYMENTS: &str = "model.jaffle_analytics.stg_shop__payments";

/// Sends a request with exactly the given headers (no token added).
pub(crate) async fn call(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (u16, Value) {
    crate::support::send_to(&format!("{base}{path}"), None, method, headers, body).await
}

fn demo(file: &str) -> Vec<u8> {
    let path = demo_artifact("broken", file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// `{"manifest": …, "run_results": …, "sources": …}` with the files embedded as they are.
fn json_body(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = b"{".to_vec();
    for (i, (name, bytes)) in parts.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(format!("\"{name}\":").as_bytes());
        out.extend_from_slice(bytes);
    }
    out.push(b'}');
    out
}

fn demo_json_body() -> Vec<u8> {
    json_body(&[
        ("manifest", &demo("manifest.json")),
        ("run_results", &demo("run_results.json")),
        ("sources", &demo("sources.json")),
    ])
}

const BOUNDARY: &str = "steward-test-boundary-7MA4YWxkTrZu0gW";

pub(crate) fn multipart_body(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, bytes) in parts {
        out.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}.json\"\r\nContent-Type: application/json\r\n\r\n"
            )
            .as_bytes(),
        );
        out.extend_from_slice(bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

pub(crate) fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn error_of(body: &Value) -> &str {
    body.get("error")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("expected {{\"error\": \"...\"}}, got {body}"))
}

async fn issues(s: &TestServer) -> Vec<Value> {
    let (status, body) = s.send("GET", "/v1/issues", &[], Vec::new()).await;
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .unwrap_or_else(|| panic!("issues is not an array: {body}"))
        .clone()
}

fn find<'a>(list: &'a [Value], asset: &str, check: &str) -> &'a Value {
    let hits: Vec<&Value> = list
        .iter()
        .filter(|i| i["asset"] == asset && i["check"] == check)
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "expected one issue on ({asset}, {check}) in {list:#?}"
    );
    hits[0]
}

fn ids(v: &Value, key: &str) -> Vec<i64> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("`{key}` is not an array in {v}"))
        .iter()
        .map(|i| i.as_i64().unwrap())
        .collect()
}

/// The facts of an issue that do not depend on when or how it was ingested.
fn essence(list: &[Value]) -> Vec<(String, String, String, String, bool)> {
    let mut out: Vec<_> = list
        .iter()
        .map(|i| {
            (
                i["asset"].as_str().unwrap().to_owned(),
                i["check"].as_str().unwrap().to_owned(),
                i["status"].as_str().unwrap().to_owned(),
                i["dbt_status"].as_str().unwrap().to_owned(),
                i["asset_known"].as_bool().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Posts the ingest, then checks the issues, one issue's detail, and the lineage impact.
async fn post_demo_and_check(
    s: &TestServer,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Vec<Value> {
    let (status, reply) = s.send("POST", "/v1/dbt", headers, body).await;
    assert_eq!(status, 200, "{reply}");
    let opened = ids(&reply, "opened");
    assert!(
        !opened.is_empty(),
        "the broken demo run opens issues: {reply}"
    );
    let summary = reply["summary"]
        .as_str()
        .unwrap_or_else(|| panic!("no summary string: {reply}"));
    assert!(summary.contains("opened"), "{summary}");
    assert!(reply["manifest"]["nodes"].as_u64().unwrap() > 0, "{reply}");

    let list = issues(s).await;
    assert_eq!(list.len(), opened.len(), "{list:#?}");
    let mut listed: Vec<i64> = list.iter().map(|i| i["id"].as_i64().unwrap()).collect();
    listed.sort();
    let mut opened_sorted = opened.clone();
    opened_sorted.sort();
    assert_eq!(listed, opened_sorted);
    assert!(list.iter().all(|i| i["status"] == "open"), "{list:#?}");

    let (status, one) = s.send("GET", "/v1/issues/1", &[], Vec::new()).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["id"], 1);
    assert!(
        one["asset"].is_string() && one["check"].is_string(),
        "{one}"
    );
    assert!(
        one["events"]
            .as_array()
            .is_some_and(|e| e.iter().any(|ev| ev["kind"] == "opened")),
        "issue 1 has an `opened` event: {one}"
    );

    let (status, impact) = s
        .send(
            "GET",
            &format!("/v1/lineage/impact?node={PAYMENTS}"),
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(status, 200, "{impact}");
    assert_eq!(impact["node"], PAYMENTS);
    let products = impact["data_products"].as_array().unwrap();
    assert!(products.iter().any(|p| p == "revenue"), "{impact}");
    let exposures = impact["exposures"].as_array().unwrap();
    assert!(
        exposures
            .iter()
            .any(|e| e == "exposure.jaffle_analytics.revenue_dashboard"),
        "{impact}"
    );

    let (status, nope) = s
        .send("GET", "/v1/lineage/impact?node=nope", &[], Vec::new())
        .await;
    assert_eq!(status, 404, "{nope}");
    assert!(error_of(&nope).contains("nope"), "{nope}");
    list
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_guards_v1_but_not_healthz() {
    let s = TestServer::start(Some(TOKEN)).await;
    let (status, body) = call(&s.base, "GET", "/healthz", &[], Vec::new()).await;
    assert_eq!((status, &body), (200, &json!({"status": "ok"})));

    let (status, body) = call(&s.base, "GET", "/v1/issues", &[], Vec::new()).await;
    assert_eq!(status, 401, "{body}");
    assert!(!error_of(&body).is_empty());

    for wrong in [
        "Bearer nope",
        "Bearer s3cre",
        "Bearer s3cret2",
        "s3cret",
        "Basic s3cret",
    ] {
        let (status, body) = call(
            &s.base,
            "GET",
            "/v1/issues",
            &[("authorization", wrong)],
            Vec::new(),
        )
        .await;
        assert_eq!(status, 401, "{wrong}: {body}");
        error_of(&body);
    }
    // A refused ingest writes nothing.
    let (status, _) = call(&s.base, "POST", "/v1/dbt", &[], demo_json_body()).await;
    assert_eq!(status, 401);

    let (status, body) = call(
        &s.base,
        "GET",
        "/v1/issues",
        &[("authorization", "Bearer s3cret")],
        Vec::new(),
    )
    .await;
    assert_eq!((status, &body), (200, &json!([])));

    let (status, body) = s.send("GET", "/v1/nope", &[], Vec::new()).await;
    assert_eq!(status, 404, "{body}");
    error_of(&body);
    let (status, body) = s.send("GET", "/v1/dbt", &[], Vec::new()).await;
    assert_eq!(status, 405, "{body}");
    let (status, body) = s.send("GET", "/v1/issues/abc", &[], Vec::new()).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = s.send("GET", "/v1/issues/999", &[], Vec::new()).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = s
        .send("GET", "/v1/issues?incident=banana", &[], Vec::new())
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("incident"), "{body}");
    let (status, body) = s
        .send("GET", "/v1/issues?incident=INC-7", &[], Vec::new())
        .await;
    assert_eq!((status, body), (200, serde_json::json!([])));
    s.server.stop().await;

    // Without a token (loopback only), /v1 is open.
    let open = TestServer::start(None).await;
    let (status, body) = call(&open.base, "GET", "/v1/issues", &[], Vec::new()).await;
    assert_eq!((status, &body), (200, &json!([])));
    open.server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dbt_ingest_as_json_multipart_and_gzip() {
    let json_server = TestServer::start(Some(TOKEN)).await;
    let via_json = post_demo_and_check(
        &json_server,
        &[("content-type", "application/json")],
        demo_json_body(),
    )
    .await;

    let multipart_server = TestServer::start(Some(TOKEN)).await;
    let body = multipart_body(&[
        ("manifest", &demo("manifest.json")),
        ("run_results", &demo("run_results.json")),
        ("sources", &demo("sources.json")),
    ]);
    let via_multipart = post_demo_and_check(
        &multipart_server,
        &[("content-type", &multipart_type())],
        body,
    )
    .await;

    let gzip_server = TestServer::start(Some(TOKEN)).await;
    let compressed = gzip(&demo_json_body());
    assert!(compressed.len() < demo_json_body().len() / 4);
    let via_gzip = post_demo_and_check(
        &gzip_server,
        &[
            ("content-type", "application/json"),
            ("content-encoding", "gzip"),
        ],
        compressed,
    )
    .await;

    let gzip_multipart_server = TestServer::start(Some(TOKEN)).await;
    let body = gzip(&multipart_body(&[
        ("manifest", &demo("manifest.json")),
        ("run_results", &demo("run_results.json")),
        ("sources", &demo("sources.json")),
    ]));
    let via_gzip_multipart = post_demo_and_check(
        &gzip_multipart_server,
        &[
            ("content-type", &multipart_type()),
            ("content-encoding", "gzip"),
        ],
        body,
    )
    .await;

    assert_eq!(
        essence(&via_json),
        essence(&via_multipart),
        "JSON and multipart give the same issues"
    );
    assert_eq!(
        essence(&via_json),
        essence(&via_gzip),
        "plain and gzip give the same issues"
    );
    assert_eq!(essence(&via_json), essence(&via_gzip_multipart));

    // Re-posting the same run changes nothing.
    let (status, reply) = json_server
        .send("POST", "/v1/dbt", &[], demo_json_body())
        .await;
    assert_eq!(status, 200, "{reply}");
    assert!(
        ids(&reply, "opened").is_empty() && ids(&reply, "updated").is_empty(),
        "{reply}"
    );
    assert_eq!(reply["duplicates"], reply["results"], "{reply}");
    let again = issues(&json_server).await;
    assert_eq!(again, via_json);

    for s in [
        json_server,
        multipart_server,
        gzip_server,
        gzip_multipart_server,
    ] {
        s.server.stop().await;
    }
}

/// Posts `body` and expects a 4xx error whose message contains every one of `needles`.
async fn refused(
    s: &TestServer,
    what: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
    status: u16,
    needles: &[&str],
) {
    let (got, reply) = s.send("POST", "/v1/dbt", headers, body).await;
    assert_eq!(got, status, "{what}: {reply}");
    let msg = error_of(&reply);
    for n in needles {
        assert!(
            msg.contains(n),
            "{what}: the error should mention {n:?}: {msg}"
        );
    }
    println!("{what} -> {got} {msg}");
    // Nothing written: no issue, and the manifest (if any) did not become the lineage.
    assert!(issues(s).await.is_empty(), "{what}: issues were written");
    let (got, reply) = s
        .send(
            "GET",
            &format!("/v1/lineage/impact?node={PAYMENTS}"),
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(got, 404, "{what}: the lineage was replaced: {reply}");
    assert!(
        error_of(&reply).contains("no lineage loaded"),
        "{what}: {reply}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_dbt_input_is_refused_with_its_place_and_nothing_written() {
    let s = TestServer::start(Some(TOKEN)).await;
    let manifest = demo("manifest.json");
    let run_results = demo("run_results.json");
    let ct_json = [("content-type", "application/json")];
    let ct_multi = multipart_type();
    let ct_multi = [("content-type", ct_multi.as_str())];

    let whole = demo_json_body();
    refused(
        &s,
        "truncated JSON body",
        &ct_json,
        whole[..whole.len() / 2].to_vec(),
        400,
        &["POST /v1/dbt", "line ", "column ", "truncated"],
    )
    .await;
    refused(
        &s,
        "truncated manifest part",
        &ct_multi,
        multipart_body(&[
            ("manifest", &manifest[..manifest.len() / 2]),
            ("run_results", &run_results),
        ]),
        400,
        &[
            "POST /v1/dbt (part manifest)",
            "line ",
            "column ",
            "truncated",
        ],
    )
    .await;
    refused(
        &s,
        "wrong types",
        &ct_json,
        br#"{"manifest": {"nodes": []}}"#.to_vec(),
        400,
        &["POST /v1/dbt (manifest)", "`nodes`", "line 1"],
    )
    .await;
    refused(
        &s,
        "empty body",
        &ct_json,
        Vec::new(),
        400,
        &["POST /v1/dbt", "empty"],
    )
    .await;
    refused(
        &s,
        "empty gzip body",
        &[("content-encoding", "gzip")],
        gzip(b""),
        400,
        &["POST /v1/dbt", "empty"],
    )
    .await;
    refused(
        &s,
        "empty object",
        &ct_json,
        b"{}".to_vec(),
        400,
        &["nothing to ingest"],
    )
    .await;
    refused(
        &s,
        "corrupt gzip",
        &[("content-encoding", "gzip")],
        b"this is not gzip".to_vec(),
        400,
        &["POST /v1/dbt", "gzip"],
    )
    .await;

    let v12 = "https://schemas.getdbt.com/dbt/manifest/v12.json";
    let text = String::from_utf8(manifest.clone()).unwrap();
    assert!(text.contains(v12), "the demo manifest is v12");
    let v13 = text.replacen(v12, "https://schemas.getdbt.com/dbt/manifest/v13.json", 1);
    refused(
        &s,
        "manifest v13",
        &ct_json,
        json_body(&[("manifest", v13.as_bytes())]),
        400,
        &[
            "POST /v1/dbt (manifest)",
            "metadata.dbt_schema_version",
            "v13",
            "v1–v12",
        ],
    )
    .await;
    refused(
        &s,
        "manifest v13 (multipart)",
        &ct_multi,
        multipart_body(&[("manifest", v13.as_bytes())]),
        400,
        &["(part manifest)", "v1–v12"],
    )
    .await;
    refused(
        &s,
        "run_results as the manifest",
        &ct_json,
        json_body(&[("manifest", &run_results)]),
        400,
        &[
            "POST /v1/dbt (manifest)",
            "metadata.dbt_schema_version",
            "run_results",
            "not a dbt manifest",
        ],
    )
    .await;
    refused(
        &s,
        "manifest as the run_results",
        &ct_multi,
        multipart_body(&[("run_results", &manifest)]),
        400,
        &[
            "(part run_results)",
            "metadata.dbt_schema_version",
            "not a dbt run_results",
        ],
    )
    .await;
    // A good manifest with bad run_results: the whole ingest is refused, the manifest included.
    refused(
        &s,
        "good manifest, bad run_results",
        &ct_json,
        json_body(&[
            ("manifest", &manifest),
            ("run_results", br#"{"results": "x"}"#),
        ]),
        400,
        &["POST /v1/dbt (run_results)", "`results`"],
    )
    .await;
    refused(
        &s,
        "unknown multipart part",
        &ct_multi,
        multipart_body(&[("manifest", &manifest), ("catalog", b"{}")]),
        400,
        &["POST /v1/dbt", "catalog"],
    )
    .await;
    s.server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn gzip_bomb_is_refused_and_the_server_survives() {
    let mut config = Config::default();
    config.http.body_limit = 10 * 1024 * 1024;
    let s = TestServer::start_with(config, Some(TOKEN)).await;

    // 300 MiB of zeros, compressed chunk by chunk.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let chunk = vec![0u8; 1024 * 1024];
    for _ in 0..300 {
        enc.write_all(&chunk).unwrap();
    }
    let bomb = enc.finish().unwrap();
    assert!(
        bomb.len() < 2 * 1024 * 1024,
        "the bomb is small on the wire: {} bytes",
        bomb.len()
    );

    let headers = [
        ("content-type", "application/json"),
        ("content-encoding", "gzip"),
    ];
    let (status, reply) = s.send("POST", "/v1/dbt", &headers, bomb.clone()).await;
    assert_eq!(status, 413, "{reply}");
    let msg = error_of(&reply);
    assert!(
        msg.contains("POST /v1/dbt") && msg.contains("limit"),
        "{msg}"
    );
    let (status, reply) = s.send("POST", "/v1/alerts", &headers, bomb).await;
    assert_eq!(status, 413, "{reply}");

    // A plain body over the limit is refused too.
    let (status, reply) = s
        .send("POST", "/v1/dbt", &[], vec![b' '; 10 * 1024 * 1024 + 1])
        .await;
    assert_eq!(status, 413, "{reply}");

    let (status, _) = call(&s.base, "GET", "/healthz", &[], Vec::new()).await;
    assert_eq!(status, 200, "the server survives");
    assert!(issues(&s).await.is_empty());
    // And still ingests a normal run.
    post_demo_and_check(&s, &[], demo_json_body()).await;
    s.server.stop().await;
}

async fn ingest_demo_manifest(s: &TestServer) {
    let (status, reply) = s
        .send(
            "POST",
            "/v1/dbt",
            &[],
            json_body(&[("manifest", &demo("manifest.json"))]),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert!(ids(&reply, "opened").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts_open_dedupe_keep_unknown_assets_and_recover() {
    let s = TestServer::start(Some(TOKEN)).await;
    ingest_demo_manifest(&s).await;

    let alert = json!({
        "source": "airflow", "asset": FCT_REVENUE, "check": "dag_revenue.load", "status": "fail",
        "severity": "error", "message": "task failed", "id": "a-1"
    });
    let (status, reply) = s
        .send("POST", "/v1/alerts", &[], alert.to_string().into_bytes())
        .await;
    assert_eq!(status, 200, "{reply}");
    let opened = ids(&reply, "opened");
    assert_eq!(opened.len(), 1, "{reply}");
    let list = issues(&s).await;
    let issue = find(&list, FCT_REVENUE, "dag_revenue.load");
    assert_eq!(issue["id"], opened[0]);
    assert_eq!(issue["asset_known"], true);
    assert_eq!(issue["status"], "open");
    assert_eq!(issue["origin"], "alert");
    assert_eq!(issue["source_system"], "airflow");
    assert_eq!(issue["message"], "task failed");
    assert_eq!(issue["occurrences"], 1);
    assert!(
        issue["owners"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o == "ana@example.com"),
        "{issue}"
    );

    // The same alert again (same id): a duplicate, no new occurrence.
    let (status, reply) = s
        .send("POST", "/v1/alerts", &[], alert.to_string().into_bytes())
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["duplicates"], 1, "{reply}");
    assert!(
        ids(&reply, "opened").is_empty() && ids(&reply, "updated").is_empty(),
        "{reply}"
    );
    let list = issues(&s).await;
    assert_eq!(list.len(), 1);
    assert_eq!(
        find(&list, FCT_REVENUE, "dag_revenue.load")["occurrences"],
        1
    );

    // An array, with an asset the lineage does not know: kept as an issue on the raw reference.
    let batch = json!([
        {"source": "monitor", "asset": "warehouse.nowhere.table", "check": "row_count", "status": "fail", "id": "m-1"}
    ]);
    let (status, reply) = s
        .send("POST", "/v1/alerts", &[], batch.to_string().into_bytes())
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(ids(&reply, "opened").len(), 1, "{reply}");
    assert_eq!(reply["unknown_assets"], 1, "{reply}");
    let list = issues(&s).await;
    let unknown = find(&list, "warehouse.nowhere.table", "row_count");
    assert_eq!(unknown["asset_known"], false);
    assert_eq!(unknown["status"], "open");

    // A pass on the same asset and check resolves the first issue only.
    let pass = json!({"source": "airflow", "asset": FCT_REVENUE, "check": "dag_revenue.load", "status": "pass"});
    let (status, reply) = s
        .send("POST", "/v1/alerts", &[], pass.to_string().into_bytes())
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(ids(&reply, "recovered"), vec![opened[0]], "{reply}");
    let list = issues(&s).await;
    let first = find(&list, FCT_REVENUE, "dag_revenue.load");
    assert_eq!(first["status"], "resolved");
    assert_eq!(first["resolution"], "recovered");
    assert_eq!(
        find(&list, "warehouse.nowhere.table", "row_count")["status"],
        "open"
    );

    // Bad alerts are refused with the place, and nothing is written.
    let before = issues(&s).await;
    let maybe = json!({"asset": FCT_REVENUE, "check": "x", "status": "maybe"});
    let (status, reply) = s
        .send("POST", "/v1/alerts", &[], maybe.to_string().into_bytes())
        .await;
    assert_eq!(status, 400, "{reply}");
    let msg = error_of(&reply);
    assert!(
        msg.contains("POST /v1/alerts") && msg.contains("[0].status") && msg.contains("maybe"),
        "{msg}"
    );
    let two = json!([
        {"asset": FCT_REVENUE, "check": "ok_one", "status": "fail"},
        {"asset": FCT_REVENUE, "check": "bad_one", "status": "fail", "severity": "catastrophic"}
    ]);
    let (status, reply) = s
        .send("POST", "/v1/alerts", &[], two.to_string().into_bytes())
        .await;
    assert_eq!(status, 400, "{reply}");
    assert!(error_of(&reply).contains("[1].severity"), "{reply}");
    let (status, reply) = s
        .send("POST", "/v1/alerts", &[], br#"{"asset": "x"}"#.to_vec())
        .await;
    assert_eq!(status, 400, "{reply}");
    let (status, reply) = s.send("POST", "/v1/alerts", &[], Vec::new()).await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(issues(&s).await, before, "refused alerts wrote nothing");
    s.server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn openlineage_fail_complete_and_replay() {
    let s = TestServer::start(Some(TOKEN)).await;
    ingest_demo_manifest(&s).await;
    let relation = "demo.analytics.fct_revenue";
    let event = |kind: &str, run: &str, time: &str| {
        let mut e = json!({
            "eventType": kind, "eventTime": time,
            "run": {"runId": run},
            "job": {"namespace": "airflow", "name": "dag.task"},
            "outputs": [{"namespace": "duckdb://x", "name": relation}],
            "producer": "x"
        });
        if kind == "FAIL" {
            e["run"]["facets"] = json!({"errorMessage": {"message": "boom"}});
        }
        e.to_string().into_bytes()
    };
    let fail = event("FAIL", "r1", "2026-01-01T00:00:00Z");

    let (status, reply) = s.send("POST", "/v1/openlineage", &[], fail.clone()).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(ids(&reply, "opened").len(), 2, "{reply}");
    let list = issues(&s).await;
    assert_eq!(list.len(), 2, "{list:#?}");
    let job = find(&list, "airflow.dag.task", "job");
    assert_eq!(job["asset_known"], true, "the job is a node of the graph");
    assert_eq!(job["origin"], "openlineage");
    let output = find(&list, FCT_REVENUE, "job:dag.task");
    assert_eq!(output["asset_known"], true);
    assert_eq!(output["message"], "boom");
    assert_eq!(output["run_id"], "r1");
    assert!(list.iter().all(|i| i["status"] == "open"));

    // A START carries no outcome.
    let (status, reply) = s
        .send(
            "POST",
            "/v1/openlineage",
            &[],
            event("START", "r2", "2026-01-01T00:05:00Z"),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["results"], 0, "{reply}");

    // A later run completes: both recover.
    let (status, reply) = s
        .send(
            "POST",
            "/v1/openlineage",
            &[],
            event("COMPLETE", "r2", "2026-01-01T00:10:00Z"),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(ids(&reply, "recovered").len(), 2, "{reply}");
    let resolved = issues(&s).await;
    for i in &resolved {
        assert_eq!(i["status"], "resolved", "{i}");
        assert_eq!(i["resolution"], "recovered", "{i}");
    }

    // Replaying the first FAIL event is a duplicate: nothing reopens, nothing changes.
    let (status, reply) = s.send("POST", "/v1/openlineage", &[], fail).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["duplicates"], 2, "{reply}");
    for key in ["opened", "updated", "reopened", "recovered"] {
        assert!(ids(&reply, key).is_empty(), "{key}: {reply}");
    }
    assert_eq!(issues(&s).await, resolved);

    // Not a RunEvent: refused with the place.
    let (status, reply) = s
        .send(
            "POST",
            "/v1/openlineage",
            &[],
            br#"[{"eventType": "FAIL"}]"#.to_vec(),
        )
        .await;
    assert_eq!(status, 400, "{reply}");
    assert!(error_of(&reply).contains("[0]"), "{reply}");
    assert_eq!(issues(&s).await, resolved);
    s.server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refuses_a_public_address_without_a_token() {
    let t = TestApp::new();
    let err = match steward::faces::http::start(t.app.clone(), "0.0.0.0:0", None).await {
        Ok(_) => panic!("listening on 0.0.0.0 without a token must fail"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("STEWARD_TOKEN"), "{err}");
    let server = steward::faces::http::start(
        t.app.clone(),
        "0.0.0.0:0",
        Some(steward::faces::http::Secret::new(TOKEN.into())),
    )
    .await
    .expect("with a token it listens");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn multi_member_gzip_body_is_read_whole() {
    let s = TestServer::start(Some(TOKEN)).await;
    let body = demo_json_body();
    let (a, b) = body.split_at(body.len() / 2);
    let mut two_members = gzip(a);
    two_members.extend_from_slice(&gzip(b));
    post_demo_and_check(
        &s,
        &[
            ("content-type", "application/json"),
            ("content-encoding", "gzip"),
        ],
        two_members,
    )
    .await;
    s.server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ingest_with_no_parts_names_the_request() {
    let s = TestServer::start(Some(TOKEN)).await;
    let (status, reply) = s.send("POST", "/v1/dbt", &[], b"{}".to_vec()).await;
    assert_eq!(status, 400, "{reply}");
    assert!(error_of(&reply).contains("POST /v1/dbt"), "{reply}");
    s.server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn push_sends_a_target_folder_and_a_wrong_token_is_refused() {
    let server = crate::support::TestServer::start(Some("push-token")).await;
    let dir = tempfile::tempdir().unwrap();
    for file in ["manifest.json", "run_results.json", "sources.json"] {
        std::fs::copy(
            crate::support::demo_artifact("broken", file),
            dir.path().join(file),
        )
        .unwrap();
    }
    let read =
        |name: &str| Some(steward::app::ingest::Input::read(&dir.path().join(name)).unwrap());
    let artifacts = || steward::app::ingest::DbtArtifacts {
        manifest: read("manifest.json"),
        run_results: read("run_results.json"),
        sources: read("sources.json"),
        env: Some("prod".into()),
        allow_empty: false,
        run_url: None,
    };
    let summary = steward::faces::cli::push::push(&server.base, Some("push-token"), artifacts())
        .await
        .unwrap();
    assert!(
        summary.contains("env prod") && summary.contains("7 opened"),
        "{summary}"
    );
    let err = steward::faces::cli::push::push(&server.base, Some("wrong"), artifacts())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
    let issues = server.test_app.app.issues(&Default::default()).unwrap();
    assert_eq!(issues.len(), 7);
}
