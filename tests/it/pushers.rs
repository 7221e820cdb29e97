//! Who pushed what: named HTTP tokens (`[[http.tokens]]`) and the CLI's `--as` are recorded on
//! each ingest, listed by `steward ingests` and `GET /v1/ingests`, and shown on the issue.

use crate::support::{ServeProcess, send_to, steward_bin, steward_ok};
use serde_json::{Value, json};

const API_TOKEN: &str = "tok-api-0123456789";
const AIRFLOW_TOKEN: &str = "tok-airflow-0123456789";

fn config_with_tokens(dir: &std::path::Path, airflow_env: &str) -> std::path::PathBuf {
    let path = dir.join("steward.toml");
    std::fs::write(
        &path,
        format!(
            "[http]\ntoken_name = \"ci\"\n\n[[http.tokens]]\nname = \"airflow\"\ntoken_env = \"{airflow_env}\"\n"
        ),
    )
    .unwrap();
    path
}

fn alert(id: &str, status: &str) -> Vec<u8> {
    json!({
        "source": "airflow", "asset": "raw.shop.orders", "check": "load_orders",
        "status": status, "severity": "error", "message": "task failed", "id": id
    })
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn each_token_pushes_under_its_name_and_a_wrong_one_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("steward.db");
    let config = config_with_tokens(dir.path(), "STEWARD_IT_AIRFLOW_TOKEN");
    let serve = ServeProcess::start_env(
        &db,
        Some(&config),
        &[
            ("STEWARD_TOKEN", API_TOKEN),
            ("STEWARD_IT_AIRFLOW_TOKEN", AIRFLOW_TOKEN),
        ],
    );
    let url = |path: &str| format!("http://{}{path}", serve.addr);

    // Airflow's token: recorded as airflow, and said so in the answer.
    let (status, reply) = send_to(
        &url("/v1/alerts"),
        Some(AIRFLOW_TOKEN),
        "POST",
        &[],
        alert("a-1", "fail"),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply["pushed_by"],
        json!({"via": "http", "name": "airflow"})
    );
    let issue = reply["opened"][0].as_i64().expect("an issue opened");

    // STEWARD_TOKEN: recorded under `[http] token_name`.
    let (status, reply) = send_to(
        &url("/v1/alerts"),
        Some(API_TOKEN),
        "POST",
        &[],
        alert("a-2", "fail"),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["pushed_by"]["name"], "ci");

    // A wrong token, or none: 401, and no ingest is recorded.
    for token in [Some("tok-airflow-012345678"), None] {
        let (status, reply) =
            send_to(&url("/v1/alerts"), token, "POST", &[], alert("a-3", "pass")).await;
        assert_eq!(status, 401, "{reply}");
    }
    let (status, list) = send_to(&url("/v1/ingests"), Some(API_TOKEN), "GET", &[], vec![]).await;
    assert_eq!(status, 200, "{list}");
    let ingests = list["ingests"].as_array().unwrap();
    let who: Vec<(&str, &str)> = ingests
        .iter()
        .map(|i| (i["pushed_by"].as_str().unwrap(), i["via"].as_str().unwrap()))
        .collect();
    assert_eq!(who, [("ci", "http"), ("airflow", "http")], "{list}");
    assert_eq!(ingests[1]["counts"]["opened"], 1, "{list}");

    // Filtered by name, and bounded.
    let (_, only) = send_to(
        &url("/v1/ingests?by=airflow"),
        Some(AIRFLOW_TOKEN),
        "GET",
        &[],
        vec![],
    )
    .await;
    assert_eq!(only["ingests"].as_array().unwrap().len(), 1, "{only}");
    let (status, bad) = send_to(
        &url("/v1/ingests?limit=0"),
        Some(API_TOKEN),
        "GET",
        &[],
        vec![],
    )
    .await;
    assert_eq!(status, 400, "{bad}");
    assert!(bad["error"].as_str().unwrap().contains("limit"), "{bad}");

    // The issue says who pushed its results.
    let (_, detail) = send_to(
        &url(&format!("/v1/issues/{issue}")),
        Some(API_TOKEN),
        "GET",
        &[],
        vec![],
    )
    .await;
    let pushes: Vec<&Value> = detail["pushes"].as_array().unwrap().iter().collect();
    assert_eq!(pushes.len(), 2, "{detail}");
    assert_eq!(pushes[0]["pushed_by"], "ci");
    assert_eq!(pushes[1]["pushed_by"], "airflow");
    drop(serve);

    // The CLI reads the same record, and its own ingests go under `--as`.
    let file = dir.path().join("recovered.json");
    std::fs::write(&file, alert("a-4", "pass")).unwrap();
    steward_ok(
        &db,
        &["ingest", "alert", file.to_str().unwrap(), "--as", "dana"],
    );
    let table = steward_ok(&db, &["ingests"]);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].contains("PUSHED BY"), "{table}");
    assert!(lines[1].contains("dana (cli)"), "{table}");
    assert!(lines[2].contains("ci (http)"), "{table}");
    assert!(lines[3].contains("airflow (http)"), "{table}");
    let shown = steward_ok(&db, &["issue", &issue.to_string()]);
    assert!(shown.contains("pushed by:"), "{shown}");
    assert!(shown.contains("dana (cli) (ingest #3, alert)"), "{shown}");
    let json: Value =
        serde_json::from_str(&steward_ok(&db, &["ingests", "--by", "airflow", "--json"])).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1, "{json}");
}

#[test]
fn a_named_token_that_is_not_set_stops_the_server_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_with_tokens(dir.path(), "STEWARD_IT_NEVER_SET_TOKEN");
    let out = steward_bin()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("STEWARD_DB", dir.path().join("steward.db"))
        .env("STEWARD_CONFIG", &config)
        .env("STEWARD_TOKEN", API_TOKEN)
        .env_remove("STEWARD_IT_NEVER_SET_TOKEN")
        .env_remove("SLACK_BOT_TOKEN")
        .env_remove("SLACK_APP_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("[http] tokens[0] (airflow)")
            && err.contains("STEWARD_IT_NEVER_SET_TOKEN is not set"),
        "{err}"
    );
    assert!(!err.contains(API_TOKEN), "{err}");
}

#[test]
fn token_names_are_checked_with_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("steward.toml");
    std::fs::write(
        &path,
        "[[http.tokens]]\nname = \"api\"\ntoken_env = \"SOME_TOKEN\"\n",
    )
    .unwrap();
    let out = steward_bin()
        .args(["ingests"])
        .env("STEWARD_DB", dir.path().join("steward.db"))
        .env("STEWARD_CONFIG", &path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("http.tokens[0]") && err.contains("used twice"),
        "{err}"
    );
}
