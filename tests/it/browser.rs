//! The browser check: `steward serve` on the demo's broken run with INC-1, each page loaded in
//! headless Chromium over its DevTools protocol, with no console error and no request leaving
//! 127.0.0.1, and a screenshot of each saved under `target/pages/` for a person to look at.
//! Skipped, saying so, when Chromium is not installed.

use crate::pages::story;
use crate::support::ServeProcess;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

fn chromium() -> Option<PathBuf> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

fn decode_base64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let bytes: Vec<u8> = s
        .bytes()
        .filter(|c| *c != b'=' && !c.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, c)| {
            acc | (u32::from(val(*c)) << (18 - 6 * i))
        });
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One DevTools connection: commands to the page's session, and the events seen so far.
struct Cdp {
    ws: Socket,
    next: u64,
    session: Option<String>,
    events: Vec<Value>,
}

impl Cdp {
    async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = &self.session {
            msg["sessionId"] = json!(s);
        }
        self.ws.send(Message::text(msg.to_string())).await.unwrap();
        loop {
            let v = self.read().await;
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
            self.events.push(v);
        }
    }

    async fn read(&mut self) -> Value {
        loop {
            let m = tokio::time::timeout(Duration::from_secs(30), self.ws.next())
                .await
                .expect("DevTools answers")
                .expect("DevTools open")
                .unwrap();
            if let Message::Text(t) = m {
                return serde_json::from_str(&t).unwrap();
            }
        }
    }

    async fn until_event(&mut self, method: &str) {
        if self.events.iter().any(|e| e["method"] == method) {
            return;
        }
        loop {
            let v = self.read().await;
            let done = v["method"] == method;
            self.events.push(v);
            if done {
                return;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_page_loads_in_chromium_without_errors_or_outside_requests() {
    let Some(chromium) = chromium() else {
        println!("SKIPPED browser check: no chromium (apt-get install -y chromium)");
        return;
    };
    let mut config = steward::config::Config::default();
    config.http.public_pages = true;
    let s = story(config).await;
    let toml_path = s.dir.path().join("steward.toml");
    std::fs::write(
        &toml_path,
        format!("{}\n[http]\npublic_pages = true\n", crate::products::CONFIG),
    )
    .unwrap();
    let payments = crate::products::issue_on(&s.app, crate::products::PAYMENTS);
    let server = ServeProcess::start(&s.dir.path().join("s.db"), Some(&toml_path));
    let base = format!("http://{}", server.addr);

    let profile = tempfile::tempdir().unwrap();
    let mut browser = std::process::Command::new(&chromium)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--remote-debugging-port=0",
            "about:blank",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start chromium");
    let stderr = browser.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(url) = line.strip_prefix("DevTools listening on ") {
                let _ = tx.send(url.trim().to_owned());
            }
        }
    });
    let ws_url = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("chromium's DevTools URL");
    let (ws, _) = tokio_tungstenite::connect_async(ws_url.as_str())
        .await
        .unwrap();
    let mut cdp = Cdp {
        ws,
        next: 0,
        session: None,
        events: Vec::new(),
    };
    let target = cdp
        .call("Target.createTarget", json!({"url": "about:blank"}))
        .await;
    let attached = cdp
        .call(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        )
        .await;
    cdp.session = Some(attached["sessionId"].as_str().unwrap().to_owned());
    for domain in ["Page", "Network", "Runtime", "Log"] {
        cdp.call(&format!("{domain}.enable"), json!({})).await;
    }
    let out_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("pages");
    std::fs::create_dir_all(&out_dir).unwrap();
    let pages = [
        ("status", "/status".to_owned()),
        ("incident", "/incidents/INC-1".to_owned()),
        ("issue", format!("/issues/{payments}")),
        ("product", "/products/revenue".to_owned()),
    ];
    for (name, path) in pages {
        cdp.events.clear();
        cdp.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
        )
        .await;
        cdp.call("Page.navigate", json!({"url": format!("{base}{path}")}))
            .await;
        cdp.until_event("Page.loadEventFired").await;
        let metrics = cdp.call("Page.getLayoutMetrics", json!({})).await;
        let height = metrics["cssContentSize"]["height"]
            .as_f64()
            .unwrap_or(900.0)
            .clamp(600.0, 8000.0);
        cdp.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1280, "height": height as u64, "deviceScaleFactor": 1, "mobile": false}),
        )
        .await;
        let shot = cdp
            .call("Page.captureScreenshot", json!({"format": "png"}))
            .await;
        let file = out_dir.join(format!("{name}.png"));
        std::fs::write(&file, decode_base64(shot["data"].as_str().unwrap())).unwrap();
        println!("{path}: screenshot {}", file.display());
        for e in &cdp.events {
            let p = &e["params"];
            match e["method"].as_str().unwrap_or("") {
                "Network.requestWillBeSent" => {
                    let url = p["request"]["url"].as_str().unwrap_or("");
                    assert!(
                        url.starts_with(&format!("{base}/"))
                            || url.starts_with("data:")
                            || url.starts_with("about:"),
                        "{path} requested {url}"
                    );
                }
                "Network.responseReceived" => {
                    assert_eq!(
                        p["response"]["status"], 200,
                        "{path}: {}",
                        p["response"]["url"]
                    );
                }
                "Runtime.consoleAPICalled" => {
                    assert!(
                        !["error", "assert"].contains(&p["type"].as_str().unwrap_or("")),
                        "{path}: {p}"
                    );
                }
                "Runtime.exceptionThrown" => panic!("{path}: {p}"),
                "Log.entryAdded" => {
                    assert_ne!(p["entry"]["level"], "error", "{path}: {p}");
                }
                _ => {}
            }
        }
        assert!(
            cdp.events
                .iter()
                .any(|e| e["method"] == "Network.requestWillBeSent"),
            "{path}: the page's own request was seen"
        );
    }
    let _ = browser.kill();
    let _ = browser.wait();
    drop(server);
}
