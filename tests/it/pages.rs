//! The pages (`/incidents/INC-n`, `/issues/N`, `/products/NAME`, `/status`) rendered from the
//! demo project's broken run on a manual clock, read back as structure: the lineage SVG's nodes
//! and edges, the 90 day bars and their states, the signed links.

use crate::products::{CONFIG, PAYMENTS, declare_on, ingest, issue_on, public};
use std::sync::Arc;
use steward::app::App;
use steward::clock::ManualClock;
use steward::config::Config;
use steward::faces::http::Secret;
use steward::faces::http::pages::signed;

/// The values of `attr` on every element whose start tag begins with `start`.
pub fn attrs(html: &str, start: &str, attr: &str) -> Vec<String> {
    let needle = format!(" {attr}=\"");
    html.match_indices(start)
        .filter_map(|(i, _)| {
            let tag = &html[i..i + html[i..].find('>')?];
            let at = tag.find(&needle)? + needle.len();
            Some(tag[at..at + tag[at..].find('"')?].to_owned())
        })
        .collect()
}

/// Pairs of strings: a node's (id, role), an edge's (from, to).
type Pairs = Vec<(String, String)>;

/// The drawn nodes (id, role) and edges (from, to) of the page's first lineage picture.
pub fn picture(html: &str) -> (Pairs, Pairs) {
    let start = html
        .find("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"lineage\" role=\"img\"")
        .expect("a lineage svg");
    let svg = &html[start..start + html[start..].find("</svg>").unwrap()];
    let ids = attrs(svg, "<g class=\"node", "data-id");
    let roles = attrs(svg, "<g class=\"node", "data-role");
    let from = attrs(svg, "<path class=\"edge", "data-from");
    let to = attrs(svg, "<path class=\"edge", "data-to");
    assert_eq!(ids.len(), roles.len());
    assert_eq!(from.len(), to.len());
    (
        ids.into_iter().zip(roles).collect(),
        from.into_iter().zip(to).collect(),
    )
}

/// The 90 bars of a row: (state, title).
fn bars(html: &str) -> Vec<(String, String)> {
    html.split("<rect class=\"bar ")
        .skip(1)
        .map(|s| {
            let state = s[..s.find('"').unwrap()].to_owned();
            let t = s.find("<title>").unwrap() + 7;
            (state, s[t..t + s[t..].find("</title>").unwrap()].to_owned())
        })
        .collect()
}

pub struct Story {
    pub app: App,
    clock: Arc<ManualClock>,
    first_seen: chrono::DateTime<chrono::Utc>,
    pub dir: tempfile::TempDir,
}

/// The broken run at its own time, INC-1 declared on the payments issue two hours after it was
/// first seen and resolved ten hours later; the clock then ten days on (the issues still open).
pub async fn story(config: Config) -> Story {
    tokio::task::spawn_blocking(move || story_now(config))
        .await
        .unwrap()
}

fn story_now(mut config: Config) -> Story {
    use chrono::TimeZone;
    let dir = tempfile::tempdir().unwrap();
    let t0 = chrono::Utc.with_ymd_and_hms(2026, 11, 25, 3, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(t0));
    let products = Config::parse("s.toml", CONFIG).unwrap().products;
    config.products = products;
    let app = App::open_with_clock(config, &dir.path().join("s.db"), clock.clone()).unwrap();
    ingest(&app, "broken");
    let payments = issue_on(&app, PAYMENTS);
    let first_seen = app
        .issue(payments)
        .unwrap()
        .issue
        .first_seen
        .parse()
        .unwrap();
    clock.set(first_seen + chrono::Duration::hours(2));
    declare_on(&app, payments);
    clock.set(first_seen + chrono::Duration::hours(12));
    app.incident_status(
        1,
        "resolved",
        &steward::domain::access::Actor::admin("ana"),
        Some("fixed the column"),
        None,
    )
    .unwrap();
    clock.set(first_seen + chrono::Duration::days(10));
    Story {
        app,
        clock,
        first_seen,
        dir,
    }
}

fn public_config() -> Config {
    let mut c = Config::default();
    c.http.public_pages = true;
    c
}

async fn serve(app: &App) -> (steward::faces::http::Server, String) {
    let server = steward::faces::http::start(app.clone(), "127.0.0.1:0", None)
        .await
        .unwrap();
    let base = format!("http://{}", server.addr);
    (server, base)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_incident_page_draws_roots_symptoms_products_and_joined_edges() {
    let s = story(public_config()).await;
    let (server, base) = serve(&s.app).await;
    let incident = s.app.incident(1).unwrap();
    let (status, ctype, html) = public(&base, "GET", "/incidents/INC-1").await;
    assert_eq!(status, 200, "{html}");
    assert!(ctype.starts_with("text/html"), "{ctype}");
    assert!(!html.contains("<script"), "no script");
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "nothing from elsewhere"
    );
    let (nodes, edges) = picture(&html);
    let role = |id: &str| nodes.iter().find(|(n, _)| n == id).map(|(_, r)| r.as_str());
    assert!(!incident.root_causes.is_empty());
    for r in &incident.root_causes {
        assert_eq!(role(&r.unique_id), Some("root"), "{}", r.unique_id);
    }
    let linked = s
        .app
        .issues(&steward::domain::issues::IssueFilter {
            ids: Some(incident.issues.clone()),
            ..Default::default()
        })
        .unwrap();
    let mut skipped = 0;
    for i in &linked {
        for sym in &i.symptoms {
            assert!(
                role(&sym.unique_id).is_some(),
                "symptom {} drawn",
                sym.unique_id
            );
            skipped += 1;
        }
    }
    assert!(
        skipped > 0,
        "the broken run skips nodes below the payments model"
    );
    assert!(!incident.impact.data_products.is_empty());
    for p in &incident.impact.data_products {
        assert_eq!(role(&format!("product:{p}")), Some("product"), "{p}");
    }
    for (a, b) in &edges {
        assert!(
            role(a).is_some() && role(b).is_some(),
            "edge {a} → {b} joins drawn nodes"
        );
    }
    // Each product is reached by a path edge.
    for p in &incident.impact.data_products {
        assert!(
            edges.iter().any(|(_, b)| *b == format!("product:{p}")),
            "{p}"
        );
    }
    for section in ["Timeline", "Issues", "Teams to contact", "Deliveries"] {
        assert!(html.contains(&format!("<h2>{section}</h2>")), "{section}");
    }
    assert!(html.contains("declared") && html.contains("resolved"));
    assert!(
        html.contains("href=\"/issues/"),
        "issues link to their pages"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn product_and_status_pages_carry_ninety_days_in_the_right_states() {
    let s = story(public_config()).await;
    let (server, base) = serve(&s.app).await;
    let (status, _, html) = public(&base, "GET", "/products/revenue").await;
    assert_eq!(status, 200, "{html}");
    let days = bars(&html);
    assert_eq!(days.len(), 90);
    // Today is the 90th bar; the incident's day is ten days before.
    let incident_day =
        89 - (s.clock_now().date_naive() - s.first_seen.date_naive()).num_days() as usize;
    assert_eq!(incident_day, 79);
    for (i, (state, title)) in days.iter().enumerate() {
        let expected = match i {
            _ if i < incident_day => "operational",
            _ if i == incident_day => "incident",
            _ => "degraded",
        };
        assert_eq!(state, expected, "day {i}: {title}");
        assert_eq!(title.contains("INC-1"), i == incident_day, "{title}");
    }
    assert!(
        days[incident_day]
            .1
            .starts_with(&s.first_seen.format("%Y-%m-%d").to_string())
    );
    assert!(html.contains("class=\"burn\""), "the budget's burn line");
    assert!(html.contains("Open issues upstream") && html.contains("href=\"/issues/"));
    let (nodes, edges) = picture(&html);
    assert!(
        nodes
            .iter()
            .any(|(id, r)| id == "product:revenue" && r == "product")
    );
    assert!(
        nodes.iter().any(|(_, r)| r == "root"),
        "the failing payments model"
    );
    for (a, b) in &edges {
        assert!(nodes.iter().any(|(n, _)| n == a) && nodes.iter().any(|(n, _)| n == b));
    }

    let (status, _, html) = public(&base, "GET", "/status").await;
    assert_eq!(status, 200);
    let page = s.app.status_page().unwrap();
    let all = bars(&html);
    assert_eq!(all.len(), 90 * page.data_products.len());
    for p in &page.data_products {
        assert!(
            html.contains(&format!("href=\"/products/{}\"", p.name)),
            "{}",
            p.name
        );
    }
    assert!(html.contains("<h2>Incident history</h2>") && html.contains("INC-1"));
    // The product is in the catalog's order: revenue's row is the first.
    assert_eq!(all[..90], days[..]);
    server.stop().await;
}

impl Story {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use steward::clock::Clock;
        self.clock.now()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_issue_page_shows_the_failure_the_picture_and_the_check_history() {
    let s = story(public_config()).await;
    let (server, base) = serve(&s.app).await;
    let id = issue_on(&s.app, PAYMENTS);
    let issue = s.app.issue(id).unwrap().issue;
    let (status, _, html) = public(&base, "GET", &format!("/issues/{id}")).await;
    assert_eq!(status, 200, "{html}");
    let (nodes, _) = picture(&html);
    assert!(nodes.iter().any(|(n, r)| *n == issue.asset && r == "root"));
    for sym in &issue.symptoms {
        assert!(
            nodes.iter().any(|(n, _)| *n == sym.unique_id),
            "{}",
            sym.unique_id
        );
    }
    if let Some(m) = &issue.message {
        let first = m.split(['<', '>', '&', '"', '\'']).next().unwrap();
        assert!(html.contains(first), "the failure message");
    }
    let runs = bars(&html);
    assert!(
        !runs.is_empty() && runs.iter().any(|(s, _)| s == "fail"),
        "{runs:?}"
    );
    assert!(html.contains("<h2>History of this check</h2>"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_page_requests_get_a_clear_status() {
    let s = story(public_config()).await;
    let (server, base) = serve(&s.app).await;
    for (path, code) in [
        ("/incidents/INC-99", 404),
        ("/incidents/bogus", 404),
        ("/issues/abc", 404),
        ("/issues/999999", 404),
        ("/products/no_such_product", 404),
        ("/products/%ZZ", 404),
    ] {
        let (status, _, body) = public(&base, "GET", path).await;
        assert_eq!(status, code, "{path}: {body}");
        assert!(body.contains("<p>") && !body.contains("panicked"), "{body}");
    }
    let (status, _, _) = public(&base, "POST", "/incidents/INC-1").await;
    assert_eq!(status, 405);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_links_good_tampered_expired_and_unsigned() {
    let env = "STEWARD_TEST_PAGES_SECRET_SIGNED";
    // SAFETY: this variable is only ever read by this test's server.
    unsafe { std::env::set_var(env, "a test secret") };
    let mut config = Config::default();
    config.http.pages_secret_env = env.into();
    config.http.public_url = Some("https://steward.example.com/".into());
    let s = story(config).await;
    let (server, base) = serve(&s.app).await;
    let secret = Secret::new("a test secret".into());
    let now = s.clock_now().timestamp();
    let path = "/incidents/INC-1";

    let url = signed::page_url(&s.app.config, path, s.clock_now()).unwrap();
    let good = url.strip_prefix("https://steward.example.com").unwrap();
    let (status, _, html) = public(&base, "GET", good).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("href=\"/issues/") && html.contains("sig="),
        "onward links are signed"
    );

    let (status, _, body) = public(&base, "GET", path).await;
    assert_eq!(status, 401, "{body}");
    let tampered = good.replace("INC-1", "INC-2");
    assert_eq!(public(&base, "GET", &tampered).await.0, 401);
    let mut flipped = good.to_owned();
    let last = flipped.pop().unwrap();
    flipped.push(if last == '0' { '1' } else { '0' });
    assert_eq!(public(&base, "GET", &flipped).await.0, 401);
    let expired = format!("{path}?{}", signed::query(&secret, path, now - 1));
    let (status, _, body) = public(&base, "GET", &expired).await;
    assert_eq!(status, 401);
    assert!(body.contains("expired"), "{body}");
    let wrong_key = format!(
        "{path}?{}",
        signed::query(&Secret::new("other".into()), path, now + 60)
    );
    assert_eq!(public(&base, "GET", &wrong_key).await.0, 401);
    // The status page stays public.
    assert_eq!(public(&base, "GET", "/status").await.0, 200);
    assert_eq!(public(&base, "GET", "/status.json").await.0, 200);
    server.stop().await;

    // public_pages: no signature needed.
    let mut open = s.app.config.as_ref().clone();
    open.http.public_pages = true;
    assert!(
        signed::page_url(&open, path, s.clock_now())
            .unwrap()
            .ends_with("/incidents/INC-1")
    );
}

/// The ```mermaid blocks of a Markdown text.
fn mermaid_blocks(md: &str) -> Vec<Vec<&str>> {
    let mut out = Vec::new();
    let mut lines = md.lines();
    while let Some(l) = lines.next() {
        if l == "```mermaid" {
            out.push(lines.by_ref().take_while(|l| *l != "```").collect());
        }
    }
    out
}

fn ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic())
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

/// A node line as Mermaid's flowchart grammar reads it: `id["text"]`, `id(["text"])` or
/// `id[["text"]]`, then optionally `:::class`; the text holds no `"`. Returns the id.
fn flow_node(line: &str) -> Option<&str> {
    let (body, class) = match line.split_once(":::") {
        Some((b, c)) => (b, Some(c)),
        None => (line, None),
    };
    if class.is_some_and(|c| !ident(c)) {
        return None;
    }
    let open = body.find(['[', '('])?;
    let (id, shape) = body.split_at(open);
    let text = [("[\"", "\"]"), ("([\"", "\"])"), ("[[\"", "\"]]")]
        .iter()
        .find_map(|(a, b)| shape.strip_prefix(a)?.strip_suffix(b))?;
    (ident(id) && !text.contains('"') && !text.is_empty()).then_some(id)
}

fn check_flowchart(block: &[&str]) -> usize {
    assert_eq!(block[0], "flowchart LR");
    let mut nodes = Vec::new();
    let mut edges = 0;
    for l in &block[1..] {
        let l = l.trim();
        if l.starts_with("classDef ") {
            assert!(ident(l.split_whitespace().nth(1).unwrap()), "{l}");
        } else if let Some((a, b)) = l.split_once(" --> ") {
            assert!(
                nodes.contains(&a) && nodes.contains(&b),
                "edge {l} joins declared nodes"
            );
            edges += 1;
        } else {
            nodes.push(flow_node(l).unwrap_or_else(|| panic!("not a node line: {l}")));
        }
    }
    edges
}

fn gantt_date(s: &str) -> bool {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").is_ok()
}

fn check_gantt(block: &[&str]) -> usize {
    assert_eq!(block[0], "gantt");
    let mut tasks = 0;
    for l in &block[1..] {
        let l = l.trim();
        if let Some(f) = l.strip_prefix("dateFormat ") {
            assert_eq!(f, "YYYY-MM-DD HH:mm:ss");
        } else if ["title ", "axisFormat ", "section "]
            .iter()
            .any(|k| l.starts_with(k))
        {
            assert!(!l.contains([';', '#']), "{l}");
        } else {
            let (name, data) = l
                .split_once(" :")
                .unwrap_or_else(|| panic!("not a task: {l}"));
            assert!(
                !name.trim().is_empty() && !name.contains([':', ';', '#']),
                "{l}"
            );
            let items: Vec<&str> = data.split(", ").collect();
            let n = items.len();
            assert!(n >= 3, "{l}");
            for tag in &items[..n - 3] {
                assert!(["crit", "active", "done", "milestone"].contains(tag), "{l}");
            }
            assert!(ident(items[n - 3]) && gantt_date(items[n - 2]), "{l}");
            let end = items[n - 1];
            let duration = end
                .strip_suffix(['m', 'h', 'd', 'w'])
                .is_some_and(|d| d.parse::<u32>().is_ok());
            assert!(duration || gantt_date(end), "{l}");
            tasks += 1;
        }
    }
    tasks
}

#[tokio::test(flavor = "multi_thread")]
async fn the_markdown_report_carries_a_flowchart_and_a_gantt_mermaid_can_read() {
    let s = story(public_config()).await;
    let app = s.app.clone();
    let md = tokio::task::spawn_blocking(move || {
        steward::domain::postmortem::render(&app.postmortem(1).unwrap())
    })
    .await
    .unwrap();
    let blocks = mermaid_blocks(&md);
    assert_eq!(blocks.len(), 2, "{md}");
    let gantt = blocks.iter().find(|b| b[0] == "gantt").expect("a gantt");
    // Impact, response, and the declared and resolved moments at least.
    assert!(check_gantt(gantt) >= 4, "{gantt:?}");
    assert!(
        gantt
            .iter()
            .any(|l| l.trim().starts_with("Resolved :milestone"))
    );
    let flow = blocks
        .iter()
        .find(|b| b[0].starts_with("flowchart"))
        .expect("a flowchart");
    assert!(check_flowchart(flow) >= 1);
    let incident = s.app.incident(1).unwrap();
    for p in &incident.impact.data_products {
        assert!(
            flow.iter()
                .any(|l| l.contains(&format!("([\"{p}\"]):::product"))),
            "{p}"
        );
    }
    assert!(flow.iter().any(|l| l.ends_with(":::root")));
}

#[test]
fn the_mermaid_checker_refuses_what_mermaid_would() {
    assert!(flow_node("n0[\"orders\"]:::root").is_some());
    assert!(flow_node("n0[\"a \"quoted\" name\"]").is_none());
    assert!(flow_node("0n[\"x\"]").is_none());
    assert!(flow_node("n0(\"x\"]").is_none());
    assert!(
        std::panic::catch_unwind(|| check_flowchart(&["flowchart LR", "n0[\"a\"]", "n0 --> n1"]))
            .is_err()
    );
    assert!(
        std::panic::catch_unwind(|| check_gantt(&[
            "gantt",
            "Impact: x :crit, a, 2026-01-01 00:00:00, 1h"
        ]))
        .is_err()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_digest_draws_daily_uptime_and_incidents_per_week_as_sparklines() {
    let s = story(public_config()).await;
    let app = s.app.clone();
    let end = s.first_seen + chrono::Duration::days(3);
    let digest =
        tokio::task::spawn_blocking(move || app.weekly_digest(end.date_naive(), end).unwrap())
            .await
            .unwrap();
    let revenue = digest
        .data_products
        .iter()
        .find(|p| p.name == "revenue")
        .unwrap();
    assert_eq!(revenue.daily_uptime.len(), 7);
    // The 12 hours of INC-1 fall in the 1-day windows ending 3 and 2 days before `end`.
    let down: f64 = revenue.daily_uptime.iter().map(|u| 1.0 - u).sum();
    assert!((down - 0.5).abs() < 1e-9, "{:?}", revenue.daily_uptime);
    assert_eq!(digest.incidents_per_week, [0, 0, 0, 1]);
    let message = steward::faces::slack::blocks::digest_message(&digest);
    let text = serde_json::to_string(&message.blocks).unwrap();
    assert!(
        text.contains(&format!(
            "*revenue* · {}",
            steward::domain::sparkline::uptime(&revenue.daily_uptime)
        )),
        "{text}"
    );
    assert!(
        text.contains("Incidents per week, last 4: ▁▁▁▇ (0, 0, 0, 1)"),
        "{text}"
    );
}

/// The signed page link in a Slack payload's "Open in Steward" line, without the public URL.
fn open_link(payload: &str, base: &str) -> Option<String> {
    let at = payload.find(base)? + base.len();
    let end = payload[at..].find("|Open in Steward>")?;
    Some(payload[at..at + end].to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn slack_messages_and_the_home_tab_open_in_steward_with_signed_links() {
    use crate::slack_support::{blocks_text, outbox_drained};
    use crate::support::{ALERTS, INCIDENTS, TestBot};
    let env = "STEWARD_TEST_PAGES_SECRET_SLACK";
    // SAFETY: this variable is only ever read by this test's bot.
    unsafe { std::env::set_var(env, "slack links secret") };
    let base = "https://steward.example.com";
    let bot = TestBot::start_configured(
        Vec::new(),
        |c| {
            c.http.public_url = Some(format!("{base}/"));
            c.http.pages_secret_env = env.into();
        },
        Arc::new(steward::faces::demo::story_clock()),
        |_| {},
    )
    .await;
    bot.ingest("broken").await;
    outbox_drained(&bot).await;
    let secret = Secret::new("slack links secret".into());
    let app = bot.app().clone();
    let check = |link: &str| {
        let (path, query) = link.split_once('?').expect("a signed link");
        let now = app.clock.now();
        signed::check(
            &app.config,
            Some(&secret),
            path,
            &steward::faces::http::parse_query(query),
            now,
        )
        .unwrap_or_else(|e| panic!("{link}: {e:?}"));
        path.to_owned()
    };
    let alerts = bot.top_level(ALERTS);
    assert!(!alerts.is_empty());
    for m in &alerts {
        let link = open_link(&blocks_text(m), base).unwrap_or_else(|| panic!("{}", blocks_text(m)));
        assert!(check(&link).starts_with("/issues/"), "{link}");
    }
    let payments = issue_on(bot.app(), PAYMENTS);
    let app2 = bot.app().clone();
    tokio::task::spawn_blocking(move || declare_on(&app2, payments))
        .await
        .unwrap();
    bot.until("incident posted", |_| {
        bot.top_level(INCIDENTS)
            .iter()
            .any(|m| blocks_text(m).contains("Open in Steward"))
    })
    .await;
    let incident = &bot.top_level(INCIDENTS)[0];
    let link = open_link(&blocks_text(incident), base).unwrap();
    assert_eq!(check(&link), "/incidents/INC-1");

    bot.open_home("U0ANA").await;
    bot.until("home published", |f| f.home_view("U0ANA").is_some())
        .await;
    let home = bot.fake.home_view("U0ANA").unwrap().view.to_string();
    assert!(home.contains(&format!("<{base}/status?exp=")), "{home}");
    bot.stop().await;
}
