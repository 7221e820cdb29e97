//! Test helpers: a fresh app on a temporary database, the HTTP server on a random port, the
//! shared fixtures folder, and the `steward` binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;
use steward::app::App;
use steward::config::Config;
use steward::faces::http::{Secret, Server};

/// A fresh app on its own database in a temporary folder (removed on drop).
pub struct TestApp {
    pub app: App,
    pub dir: tempfile::TempDir,
}

impl TestApp {
    pub fn new() -> TestApp {
        TestApp::with_config(Config::default())
    }

    /// On the demo's story clock: the tests replay the demo project's recorded runs, so they
    /// run at the time those runs were made, never against today's date.
    pub fn with_config(config: Config) -> TestApp {
        TestApp::with_clock(
            config,
            std::sync::Arc::new(steward::faces::demo::story_clock()),
        )
    }

    pub fn with_clock(config: Config, clock: std::sync::Arc<dyn steward::clock::Clock>) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let app =
            App::open_with_clock(config, &dir.path().join("steward.db"), clock).expect("open app");
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
        let server = steward::faces::http::start(
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
        let url = format!("{}{}", self.base, path);
        send_to(&url, self.token.as_deref(), method, headers, body).await
    }
}

/// Sends a request to `url` with `token` as its bearer token (if any) and returns status and
/// parsed JSON (a JSON string of the body when it is not JSON).
pub async fn send_to(
    url: &str,
    token: Option<&str>,
    method: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (u16, serde_json::Value) {
    use http_body_util::{BodyExt, Full};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let client: Client<_, Full<bytes::Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut req = hyper::Request::builder().method(method).uri(url);
    if let Some(t) = token {
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

/// How far the spawned binaries' clock is moved: this test binary's start is the demo story's
/// start, as for the in-process apps (see [`TestApp::with_config`]).
pub fn cli_clock_offset() -> chrono::Duration {
    static OFFSET: std::sync::OnceLock<chrono::Duration> = std::sync::OnceLock::new();
    *OFFSET.get_or_init(|| {
        let start = steward::faces::demo::story_clock();
        // Whole seconds, as the variable carries it.
        chrono::Duration::seconds(
            (steward::clock::Clock::now(&start) - chrono::Utc::now()).num_seconds(),
        )
    })
}

/// What the spawned binaries take for now.
pub fn cli_now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() + cli_clock_offset()
}

/// The built `steward` binary, on the story clock (`STEWARD_CLOCK_OFFSET`), with the
/// configuration, token and CI run variables of the environment removed.
pub fn steward_bin() -> std::process::Command {
    let secs = cli_clock_offset().num_seconds();
    let offset = if secs < 0 {
        format!("-{}s", -secs)
    } else {
        format!("{secs}s")
    };
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_steward"));
    command
        .env("STEWARD_CLOCK_OFFSET", offset)
        .env_remove("STEWARD_CONFIG")
        .env_remove("STEWARD_TOKEN");
    // A suite run in CI must not link every ingest to its own run.
    for var in steward::sources::ci::RUN_URL_VARIABLES {
        command.env_remove(var);
    }
    command
}

/// The built `steward` binary with `args` against `db`, ready to spawn (e.g. with piped stdio).
pub fn steward_command(db: &Path, args: &[&str]) -> std::process::Command {
    let mut cmd = steward_bin();
    cmd.arg("--db").arg(db).args(args);
    cmd
}

/// Runs the built `steward` binary with `args` against `db`.
pub fn steward(db: &Path, args: &[&str]) -> Output {
    steward_command(db, args).output().expect("run steward")
}

/// Runs `steward` and returns its stdout, failing the test with its stderr on a non-zero exit.
pub fn steward_ok(db: &Path, args: &[&str]) -> String {
    let out = steward(db, args);
    assert!(
        out.status.success(),
        "steward {args:?} failed: {}",
        stderr(&out)
    );
    stdout(&out)
}

/// `steward ingest dbt` of the demo project's `run` ("broken" or "healthy"); returns the
/// one-line summary.
pub fn ingest_demo(db: &Path, run: &str) -> String {
    let f = |name: &str| demo_artifact(run, name).display().to_string();
    let (m, r, s) = (f("manifest.json"), f("run_results.json"), f("sources.json"));
    let text = steward_ok(
        db,
        &[
            "ingest",
            "dbt",
            "--manifest",
            &m,
            "--run-results",
            &r,
            "--sources",
            &s,
        ],
    );
    assert_eq!(text.trim().lines().count(), 1, "one-line summary: {text}");
    text
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The whole bot (app + Socket Mode bot) against a fake Slack, with a fresh database.
pub struct TestBot {
    pub test_app: TestApp,
    pub fake: steward::faces::slack::fake::FakeSlack,
    pub bot: Option<steward::faces::slack::bot::Bot>,
}

pub const ALERTS: &str = "C0ALERTS01";
pub const INCIDENTS: &str = "C0INCIDEN1";
pub const FINANCE: &str = "C0FINANCE1";
pub const MARKETING: &str = "C0MARKETNG";
pub const DIGEST: &str = "C0DIGEST01";

impl TestBot {
    /// Starts a fake Slack with a small workspace, then the bot against it.
    pub async fn start() -> TestBot {
        TestBot::start_with(Vec::new(), |_| {}).await
    }

    /// Like [`TestBot::start`], with routing rules, and `before` run on the app before the bot
    /// connects (e.g. an ingest whose alerts must wait in the outbox).
    pub async fn start_with(
        routes: Vec<steward::config::Route>,
        before: impl FnOnce(&App),
    ) -> TestBot {
        TestBot::start_with_products(routes, Vec::new(), before).await
    }

    /// Like [`TestBot::start_with`], with `[[products]]` in the config.
    pub async fn start_with_products(
        routes: Vec<steward::config::Route>,
        products: Vec<steward::config::ProductConfig>,
        before: impl FnOnce(&App),
    ) -> TestBot {
        TestBot::start_configured(
            routes,
            |c| {
                // Tests about alerts count the messages in channels that the demo manifest's
                // `meta.data_product` products also use: product updates only when products
                // are given.
                if products.is_empty()
                    && let Some(s) = c.slack.as_mut()
                {
                    s.product_updates = steward::config::ProductUpdates::Off;
                }
                c.products = products;
            },
            std::sync::Arc::new(steward::faces::demo::story_clock()),
            before,
        )
        .await
    }

    /// Like [`TestBot::start_with`], with `edit` applied to the config once its `[slack]` table
    /// is set (e.g. to add `[digest]`), and the app on `clock`.
    pub async fn start_configured(
        routes: Vec<steward::config::Route>,
        edit: impl FnOnce(&mut Config),
        clock: std::sync::Arc<dyn steward::clock::Clock>,
        before: impl FnOnce(&App),
    ) -> TestBot {
        use steward::faces::slack::fake::{FAKE_APP_TOKEN, FAKE_BOT_TOKEN, FakeSlack};
        let filter = tracing_subscriber::EnvFilter::try_from_env("STEWARD_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,steward=warn"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
        let fake = FakeSlack::start().await.expect("fake slack");
        for (id, name) in [
            (ALERTS, "data-alerts"),
            (INCIDENTS, "data-incidents"),
            (FINANCE, "finance-data"),
            (MARKETING, "marketing-data"),
            (DIGEST, "data-reliability"),
        ] {
            fake.add_channel(id, name, false, true);
        }
        for (id, name, email) in [
            ("U0ANA", "ana", "ana@example.com"),
            ("U0BRUNO", "bruno", "bruno@example.com"),
            ("U0CARLA", "carla", "carla@example.com"),
            ("U0DMITRI", "dmitri", "dmitri@example.com"),
        ] {
            fake.add_user(id, name, email);
        }
        let mut config = Config::default();
        config.slack = Some(steward::config::SlackConfig {
            alerts_channel: ALERTS.into(),
            incidents_channel: INCIDENTS.into(),
            command: "/steward".into(),
            post_interval: std::time::Duration::from_millis(20),
            burst: 5,
            routes,
            docs_url: Some("https://docs.example.com".into()),
            product_updates: Default::default(),
        });
        edit(&mut config);
        let test_app = TestApp::with_clock(config.clone(), clock);
        tokio::task::block_in_place(|| before(&test_app.app));
        let settings = steward::faces::slack::bot::SlackSettings {
            bot_token: Secret::new(FAKE_BOT_TOKEN.into()),
            app_token: Secret::new(FAKE_APP_TOKEN.into()),
            api_url: fake.api_url(),
            config: config.slack.clone().unwrap(),
        };
        let bot = steward::faces::slack::bot::start(test_app.app.clone(), settings)
            .await
            .expect("bot starts");
        fake.wait_for_socket(std::time::Duration::from_secs(10))
            .await
            .expect("socket connects");
        TestBot {
            test_app,
            fake,
            bot: Some(bot),
        }
    }

    pub fn app(&self) -> &App {
        &self.test_app.app
    }

    /// Ingests the demo project's `run` ("broken" or "healthy") as a push would.
    pub async fn ingest(&self, run: &str) -> steward::app::ingest::IngestSummary {
        let app = self.app().clone();
        let run = run.to_owned();
        tokio::task::spawn_blocking(move || {
            let read =
                |f: &str| Some(steward::app::ingest::Input::read(&demo_artifact(&run, f)).unwrap());
            app.ingest_dbt(steward::app::ingest::DbtArtifacts {
                manifest: read("manifest.json"),
                run_results: read("run_results.json"),
                sources: read("sources.json"),
                env: None,
                allow_empty: false,
                run_url: None,
            })
        })
        .await
        .unwrap()
        .unwrap()
    }

    /// `user` opens the App Home: the event is sent and acknowledged (the view is published
    /// later; wait for it with [`TestBot::until`]).
    pub async fn open_home(&self, user: &str) {
        let env = self
            .fake
            .send_envelope(
                steward::faces::slack::fake::EnvelopeKind::EventsApi,
                steward::faces::slack::fake::app_home_opened(user),
            )
            .await;
        self.fake
            .wait_for_ack(&env, std::time::Duration::from_secs(5))
            .await
            .unwrap();
    }

    /// Waits until `f` holds (the bot works asynchronously).
    pub async fn until(
        &self,
        what: &str,
        f: impl Fn(&steward::faces::slack::fake::FakeSlack) -> bool,
    ) {
        self.fake
            .wait_until(std::time::Duration::from_secs(15), f)
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for: {what}"));
    }

    /// Waits until the bot has opened the modal `callback_id`, and returns the latest one.
    pub async fn modal(&self, callback_id: &str) -> steward::faces::slack::fake::StoredView {
        let latest = |f: &steward::faces::slack::fake::FakeSlack| {
            f.views()
                .into_iter()
                .rev()
                .find(|v| v.view["callback_id"] == callback_id)
        };
        self.until(&format!("modal {callback_id}"), |f| latest(f).is_some())
            .await;
        latest(&self.fake).unwrap()
    }

    /// Submits `values` (`{block_id: {action_id: {…}}}`) to a modal the bot opened, as `user`,
    /// and returns the ack (which carries `response_action: errors` when Slack-side validation fails).
    pub async fn submit(
        &self,
        view: &steward::faces::slack::fake::StoredView,
        user: &str,
        values: serde_json::Value,
    ) -> steward::faces::slack::fake::Ack {
        let payload = self
            .fake
            .view_submission_for(&view.id, user, values)
            .expect("a modal the bot opened");
        let env = self
            .fake
            .send_envelope(
                steward::faces::slack::fake::EnvelopeKind::Interactive,
                payload,
            )
            .await;
        self.fake
            .wait_for_ack(&env, std::time::Duration::from_secs(5))
            .await
            .expect("acked")
    }

    /// The bot's top-level messages in a channel (not thread replies, not ephemeral).
    pub fn top_level(&self, channel: &str) -> Vec<steward::faces::slack::fake::StoredMessage> {
        self.fake
            .messages(channel)
            .into_iter()
            .filter(|m| {
                m.thread_ts.is_none()
                    && !m.ephemeral
                    && m.user == steward::faces::slack::fake::FAKE_BOT_USER_ID
            })
            .collect()
    }

    pub async fn stop(mut self) {
        if let Some(b) = self.bot.take() {
            b.stop().await;
        }
        self.fake.assert_no_violations();
    }
}

/// GETs `url` (no token) and parses the body as JSON.
pub async fn http_get_json(url: &str) -> serde_json::Value {
    use http_body_util::{BodyExt, Empty};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let client: Client<_, Empty<bytes::Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let resp = client
        .get(url.parse().expect("a URL"))
        .await
        .expect("request");
    assert_eq!(resp.status().as_u16(), 200, "GET {url}");
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).expect("JSON")
}

/// `steward serve` as a child process on 127.0.0.1 with a random port, for tests that kill it
/// or measure its memory. Its stderr is drained in the background (kept for failure messages).
pub struct ServeProcess {
    pub child: std::process::Child,
    pub addr: std::net::SocketAddr,
    pub log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl ServeProcess {
    /// Starts `steward serve` on `db`, with `config` as its steward.toml when given; waits for
    /// the address it prints.
    pub fn start(db: &Path, config: Option<&Path>) -> ServeProcess {
        ServeProcess::start_env(db, config, &[])
    }

    /// [`ServeProcess::start`], with these variables set in the server's environment.
    pub fn start_env(db: &Path, config: Option<&Path>, env: &[(&str, &str)]) -> ServeProcess {
        use std::io::BufRead;
        let mut cmd = steward_bin();
        cmd.envs(env.iter().copied());
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .env("STEWARD_DB", db)
            .env_remove("SLACK_BOT_TOKEN")
            .env_remove("SLACK_APP_TOKEN")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        if let Some(c) = config {
            cmd.env("STEWARD_CONFIG", c);
        }
        let mut child = cmd.spawn().expect("spawn steward serve");
        let stderr = child.stderr.take().expect("stderr");
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if let Some(rest) = line.strip_prefix("steward listening on http://") {
                    let _ = tx.send(rest.trim().to_owned());
                }
                kept.lock().unwrap().push(line);
            }
        });
        let addr = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("steward serve printed no address: {:?}", log.lock()));
        ServeProcess {
            child,
            addr: addr.parse().expect("a socket address"),
            log,
        }
    }

    /// Peak resident memory (`VmHWM`) of the server so far, in bytes.
    pub fn peak_rss(&self) -> u64 {
        proc_status_kib(self.child.id(), "VmHWM") * 1024
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill9(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reap");
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `kB` field of `/proc/PID/status` (`VmHWM`, `VmRSS`), in KiB.
pub fn proc_status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// Sends `request` as raw bytes on a new loopback connection (optionally half-closing after
/// it) and reads until the server closes or `within` passes; returns the HTTP status (0 when
/// none arrived) and the body parsed as JSON (Null when not JSON).
pub async fn raw_exchange(
    addr: std::net::SocketAddr,
    request: &[u8],
    half_close: bool,
    within: std::time::Duration,
) -> (u16, serde_json::Value) {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("write request");
    if half_close {
        stream.shutdown().await.expect("half-close");
    }
    parse_raw_response(&read_until_closed(&mut stream, within).await)
}

/// Reads what the server sends until it closes the connection, an error, or `within`.
pub async fn read_until_closed(
    stream: &mut tokio::net::TcpStream,
    within: std::time::Duration,
) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let _ = tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    got
}

/// The status and JSON body of a raw HTTP/1.1 response (Content-Length framed).
pub fn parse_raw_response(bytes: &[u8]) -> (u16, serde_json::Value) {
    let text = String::from_utf8_lossy(bytes);
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(serde_json::Value::Null);
    (status, body)
}
