//! Test helpers: a fresh app on a temporary database, the HTTP server on a random port, the
//! shared fixtures folder, and the `steward` binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;
use steward::app::App;
use steward::config::Config;
use steward::http::{Secret, Server};

/// A fresh app on its own database in a temporary folder (removed on drop).
pub struct TestApp {
    pub app: App,
    pub dir: tempfile::TempDir,
}

impl TestApp {
    pub fn new() -> TestApp {
        TestApp::with_config(Config::default())
    }

    pub fn with_config(config: Config) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let app = App::open(config, &dir.path().join("steward.db")).expect("open app");
        TestApp { app, dir }
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("steward.db")
    }
}

/// The app served over HTTP on 127.0.0.1 with a random port.
pub struct TestServer {
    pub test_app: TestApp,
    pub server: Server,
    pub base: String,
    pub token: Option<String>,
}

impl TestServer {
    pub async fn start(token: Option<&str>) -> TestServer {
        TestServer::start_with(Config::default(), token).await
    }

    pub async fn start_with(config: Config, token: Option<&str>) -> TestServer {
        let test_app = TestApp::with_config(config);
        let server = steward::http::start(
            test_app.app.clone(),
            "127.0.0.1:0",
            token.map(|t| Secret::new(t.to_owned())),
        )
        .await
        .expect("start server");
        let base = format!("http://{}", server.addr);
        TestServer {
            test_app,
            server,
            base,
            token: token.map(str::to_owned),
        }
    }

    /// Sends a request with the server's token (if any) and returns status and parsed JSON.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (u16, serde_json::Value) {
        use http_body_util::{BodyExt, Full};
        use hyper_util::client::legacy::Client;
        use hyper_util::rt::TokioExecutor;
        let client: Client<_, Full<bytes::Bytes>> =
            Client::builder(TokioExecutor::new()).build_http();
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{}", self.base, path));
        if let Some(t) = &self.token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = client
            .request(req.body(Full::new(bytes::Bytes::from(body))).unwrap())
            .await
            .expect("request");
        let status = resp.status().as_u16();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::String(
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
        (status, json)
    }
}

/// `../shared/fixtures`, or None with a printed skip message naming the test.
pub fn fixtures(test: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED {test}: ../shared/fixtures is missing (it holds the real dbt and Slack samples)"
        );
        None
    }
}

/// The demo project's artifacts in the repo.
pub fn demo_artifact(run: &str, file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("manifests/demo/artifacts")
        .join(run)
        .join(file)
}

/// Runs the built `steward` binary with `args` against `db`.
pub fn steward(db: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_steward"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("STEWARD_CONFIG")
        .env_remove("STEWARD_TOKEN")
        .output()
        .expect("run steward")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
