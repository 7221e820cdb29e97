//! Data products on the demo project: selectors against the real manifest, config errors with
//! their lines through `steward config check`, statuses after the broken run and after an
//! incident, uptime over the SLA window, and the public status page over HTTP.

use crate::support::{TestServer, demo_artifact, stderr, stdout, steward};
use chrono::TimeZone;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;
use steward::app::App;
use steward::app::ingest::{DbtArtifacts, Input};
use steward::clock::ManualClock;
use steward::config::Config;
use steward::config::selector::parse_selector;
use steward::domain::incidents::Declaration;
use steward::domain::products::{self, Catalog};
use steward::domain::status::{self, ProductStatus, Status};
use steward::lineage::{Lineage, load_manifest};

pub(crate) const PAYMENTS: &str = "model.jaffle_analytics.stg_shop__payments";
const AD_SPEND: &str = "source.jaffle_analytics.marketing.ad_spend";

/// Three configured products besides the four the manifest's `meta.data_product` defines:
/// `revenue` (also in the manifest), `campaign_catalog` (nothing fails upstream of it in the
/// broken run) and `ad_performance` (downstream of the stale ad_spend source).
pub(crate) const CONFIG: &str = r#"
[[products]]
name = "revenue"
team = "finance"
channel = "C0FINANCE1"
tier = 1
sla = "99.5%"
select = ["+fct_revenue"]

[[products]]
name = "campaign_catalog"
team = "marketing"
select = ["source:marketing.campaigns", "stg_marketing__campaigns"]

[[products]]
name = "ad_performance"
team = "marketing"
sla = "99%"
window = "7d"
select = ["int_campaign_performance"]
"#;

fn demo_lineage() -> Lineage {
    let path = demo_artifact("broken", "manifest.json");
    load_manifest("manifest.json", &std::fs::read(path).unwrap()).unwrap()
}

fn pick(l: &Lineage, selector: &str) -> BTreeSet<String> {
    products::select(l, &parse_selector(selector).unwrap())
        .into_iter()
        .map(|i| l.node(i).unique_id.clone())
        .collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter()
        .map(|s| {
            if s.contains('.') {
                s.to_string()
            } else {
                format!("model.jaffle_analytics.{s}")
            }
        })
        .collect()
}

#[test]
fn selectors_on_the_demo_manifest() {
    let l = demo_lineage();
    let up_revenue = set(&[
        "fct_revenue",
        "int_orders_with_payments",
        "stg_shop__orders",
        "stg_shop__payments",
        "source.jaffle_analytics.shop.orders",
        "source.jaffle_analytics.shop.payments",
    ]);
    assert_eq!(pick(&l, "+fct_revenue"), up_revenue);
    assert_eq!(pick(&l, "+model.jaffle_analytics.fct_revenue"), up_revenue);
    assert_eq!(
        pick(&l, "tag:tier1"),
        set(&[
            "dim_customers",
            "fct_revenue",
            "stg_shop__customers",
            "stg_shop__orders",
            "exposure.jaffle_analytics.revenue_dashboard",
        ]),
        "tests carrying the tag are not members"
    );
    assert_eq!(
        pick(&l, "group:finance"),
        set(&[
            "fct_revenue",
            "int_orders_with_payments",
            "stg_shop__payments"
        ])
    );
    let dashboard = pick(&l, "exposure:revenue_dashboard");
    assert_eq!(dashboard.len(), 13, "{dashboard:#?}");
    for id in [
        "exposure.jaffle_analytics.revenue_dashboard",
        "model.jaffle_analytics.dim_customers",
        "source.jaffle_analytics.product.events",
        "source.jaffle_analytics.shop.payments",
    ] {
        assert!(dashboard.contains(id), "{id}");
    }
    assert!(!dashboard.contains(AD_SPEND));
    let below_payments = pick(&l, "stg_shop__payments+");
    for id in [
        PAYMENTS,
        "model.jaffle_analytics.fct_marketing_attribution",
        "exposure.jaffle_analytics.budget_allocator",
        "exposure.jaffle_analytics.churn_prediction_model",
    ] {
        assert!(below_payments.contains(id), "{id}");
    }
    assert!(!below_payments.contains("source.jaffle_analytics.shop.payments"));
    assert!(pick(&l, "+stg_shop__payments+").contains("source.jaffle_analytics.shop.payments"));
    let marts = pick(&l, "path:models/marts/");
    assert_eq!(marts.len(), 7, "4 marts and 3 exposures: {marts:#?}");
    assert_eq!(marts, pick(&l, "path:models/marts"));
    assert_eq!(pick(&l, "models/marts"), marts);
    assert_eq!(
        pick(&l, "path:models/marts/fct_revenue.sql"),
        set(&["fct_revenue"])
    );
    assert_eq!(pick(&l, "fqn:jaffle_analytics.staging").len(), 12);
    assert_eq!(
        pick(&l, "jaffle_analytics.marts.fct_revenue"),
        set(&["fct_revenue"])
    );
    assert_eq!(pick(&l, "marts.fct_revenue"), set(&["fct_revenue"]));
    assert_eq!(
        pick(&l, "shop.payments"),
        set(&["source.jaffle_analytics.shop.payments"])
    );
    assert_eq!(pick(&l, "source:shop").len(), 3);
    assert!(pick(&l, "+fct_nothing").is_empty());
}

#[test]
fn manifest_products_and_what_failures_affect() {
    let l = demo_lineage();
    let catalog = Catalog::build(&[], &l);
    let got: Vec<String> = catalog
        .products
        .iter()
        .map(|p| format!("{} {:?} {:?} {:?}", p.name, p.team, p.tier, p.channel))
        .collect();
    assert_eq!(
        got,
        [
            r#"customer_360 Some("core") Some(1) None"#,
            r#"marketing_attribution Some("marketing") None Some("C0MARKETNG")"#,
            r#"product_engagement Some("core") None None"#,
            r#"revenue Some("finance") Some(1) Some("C0FINANCE1")"#,
        ]
    );
    let at = |id: &str| products::affected_products(&l, &catalog, &[l.get(id).unwrap()]);
    assert_eq!(
        at("source.jaffle_analytics.shop.payments"),
        ["customer_360", "marketing_attribution", "revenue"]
    );
    assert_eq!(
        at("model.jaffle_analytics.stg_product__events"),
        [
            "customer_360",
            "marketing_attribution",
            "product_engagement"
        ]
    );
    assert_eq!(at(AD_SPEND), ["marketing_attribution"]);
    assert_eq!(at("model.jaffle_analytics.fct_revenue"), ["revenue"]);
    assert!(at("exposure.jaffle_analytics.revenue_dashboard").is_empty());

    // A configured product named like a manifest one adds its selectors to the tagged nodes.
    let config = Config::parse("s.toml", CONFIG).unwrap();
    let catalog = Catalog::build(&config.products, &l);
    let names: Vec<&str> = catalog.products.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "revenue",
            "campaign_catalog",
            "ad_performance",
            "customer_360",
            "marketing_attribution",
            "product_engagement"
        ]
    );
    let revenue = products::members(&l, catalog.get("revenue").unwrap());
    assert_eq!(revenue.len(), 6);
    assert_eq!(catalog.get("revenue").unwrap().sla_target, Some(0.995));
}

pub(crate) fn ingest(app: &App, run: &str) {
    let read = |f: &str| Some(Input::read(&demo_artifact(run, f)).unwrap());
    app.ingest_dbt(DbtArtifacts {
        manifest: read("manifest.json"),
        run_results: read("run_results.json"),
        sources: read("sources.json"),
        env: None,
        allow_empty: false,
        run_url: None,
    })
    .unwrap();
}

pub(crate) fn issue_on(app: &App, asset: &str) -> i64 {
    app.issues(&Default::default())
        .unwrap()
        .into_iter()
        .find(|i| i.asset == asset && i.is_active())
        .unwrap_or_else(|| panic!("an open issue on {asset}"))
        .id
}

fn by_name<'a>(list: &'a [ProductStatus], name: &str) -> &'a ProductStatus {
    list.iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("product {name} in {list:#?}"))
}

pub(crate) fn declare_on(app: &App, issue: i64) -> String {
    app.declare(
        Declaration {
            title: "Payments model fails: <revenue> & customers stale".into(),
            severity: "SEV2".into(),
            issues: vec![issue],
            declared_by: "ana".into(),
            ..Declaration::default()
        },
        &steward::domain::access::Actor::admin("ana"),
    )
    .unwrap()
    .id
}

#[test]
fn statuses_follow_open_issues_and_incidents_and_uptime_follows_incidents() {
    let dir = tempfile::tempdir().unwrap();
    // The broken run's results are from 2026-11-25T01:59Z: issues are first seen then.
    let t0 = chrono::Utc.with_ymd_and_hms(2026, 11, 25, 3, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(t0));
    let config = Config::parse("s.toml", CONFIG).unwrap();
    let app = App::open_with_clock(config, &dir.path().join("s.db"), clock.clone()).unwrap();

    // Before any manifest: only the configured products, all operational.
    let before = app.product_statuses().unwrap();
    assert_eq!(before.len(), 3);
    assert!(before.iter().all(|p| p.status == Status::Operational));

    ingest(&app, "broken");
    let payments = issue_on(&app, PAYMENTS);
    let ad_spend = issue_on(&app, AD_SPEND);
    let degraded = app.product_statuses().unwrap();
    let status = |list: &[ProductStatus], name: &str| by_name(list, name).status;
    for name in [
        "revenue",
        "customer_360",
        "marketing_attribution",
        "product_engagement",
    ] {
        assert_eq!(status(&degraded, name), Status::Degraded, "{name}");
    }
    assert_eq!(status(&degraded, "campaign_catalog"), Status::Operational);
    let ad = by_name(&degraded, "ad_performance");
    assert_eq!(
        (ad.status, ad.open_issues.as_slice()),
        (Status::Degraded, &[ad_spend][..])
    );
    let revenue = by_name(&degraded, "revenue");
    assert!(revenue.open_issues.contains(&payments), "{revenue:?}");
    assert!(!revenue.open_issues.contains(&ad_spend), "{revenue:?}");
    assert_eq!(
        (
            revenue.team.as_deref(),
            revenue.tier,
            revenue.channel.as_deref()
        ),
        (Some("finance"), Some(1), Some("C0FINANCE1"))
    );

    // An incident on the payments issue: the products below it are in incident.
    let first_seen: chrono::DateTime<chrono::Utc> = app
        .issue(payments)
        .unwrap()
        .issue
        .first_seen
        .parse()
        .unwrap();
    clock.set(first_seen + chrono::Duration::hours(2));
    let inc = declare_on(&app, payments);
    assert_eq!(inc, "INC-1");
    let during = app.product_statuses().unwrap();
    for name in ["revenue", "customer_360", "marketing_attribution"] {
        let p = by_name(&during, name);
        assert_eq!(
            (p.status, p.incidents.as_slice()),
            (Status::Incident, &[inc.clone()][..]),
            "{name}"
        );
    }
    assert_eq!(status(&during, "product_engagement"), Status::Degraded);
    assert_eq!(status(&during, "ad_performance"), Status::Degraded);
    assert_eq!(status(&during, "campaign_catalog"), Status::Operational);
    let changed: Vec<(String, Status, Status)> = status::changes(&degraded, &during)
        .into_iter()
        .map(|c| (c.name, c.from, c.to))
        .collect();
    assert_eq!(
        changed,
        [
            ("revenue".into(), Status::Degraded, Status::Incident),
            ("customer_360".into(), Status::Degraded, Status::Incident),
            (
                "marketing_attribution".into(),
                Status::Degraded,
                Status::Incident
            ),
        ]
    );

    // Impact started when the payments issue was first seen, resolved 12h later; ten days
    // after it started, revenue has lost 12h of its 30-day window and misses 99.5%.
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
    let page = app.status_page().unwrap();
    let row = |name: &str| {
        page.data_products
            .iter()
            .find(|p| p.name == name)
            .unwrap()
            .clone()
    };
    let revenue = row("revenue");
    assert!(
        (revenue.uptime - (1.0 - 12.0 / 720.0)).abs() < 1e-9,
        "{revenue:?}"
    );
    assert_eq!(
        (revenue.sla_target, revenue.sla_met),
        (Some(0.995), Some(false))
    );
    assert_eq!(
        revenue.status,
        Status::Degraded,
        "the issues are still open"
    );
    assert_eq!(revenue.window, "30d");
    let engagement = row("product_engagement");
    assert_eq!((engagement.uptime, engagement.sla_met), (1.0, None));
    let ad = row("ad_performance");
    assert_eq!(
        (ad.uptime, ad.sla_met, ad.window.as_str()),
        (1.0, Some(true), "7d")
    );
    assert!(page.open_incidents.is_empty());

    // Reopened: open again since the impact started, 10 of 30 days down.
    app.incident_status(
        1,
        "investigating",
        &steward::domain::access::Actor::admin("ana"),
        None,
        None,
    )
    .unwrap();
    let page = app.status_page().unwrap();
    let revenue = page
        .data_products
        .iter()
        .find(|p| p.name == "revenue")
        .unwrap();
    assert!((revenue.uptime - 2.0 / 3.0).abs() < 1e-9, "{revenue:?}");
    assert_eq!(revenue.status, Status::Incident);
    assert_eq!(page.open_incidents.len(), 1);
    assert_eq!(
        page.open_incidents[0].data_products,
        ["revenue", "customer_360", "marketing_attribution"]
    );
}

fn write_config(dir: &std::path::Path, text: &str) -> String {
    let path = dir.join("steward.toml");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn config_check_reports_product_errors_with_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let config = write_config(dir.path(), CONFIG);

    let out = steward(&db, &["--config", &config, "config", "check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("no manifest ingested yet: selectors not checked against lineage"),
        "{text}"
    );
    assert!(
        text.contains("[[products]]") && text.contains("+fct_revenue"),
        "{text}"
    );
    assert!(!db.exists(), "checking creates no database");

    // An unknown selector and a duplicate name fail without any lineage, naming the line.
    let bad = write_config(
        dir.path(),
        &CONFIG.replace("\"int_campaign_performance\"", "\"colour:red\""),
    );
    let out = steward(&db, &["--config", &bad, "config", "check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("steward.toml: line 20: ")
            && err.contains("unknown selector method \"colour\""),
        "{err}"
    );
    let dup = write_config(
        dir.path(),
        &CONFIG.replace("name = \"ad_performance\"", "name = \"revenue\""),
    );
    let out = steward(&db, &["--config", &dup, "config", "check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("line 16: ")
            && err.contains("duplicate product name \"revenue\" (first defined on line 3)"),
        "{err}"
    );

    // With a manifest ingested, products are checked against it.
    let m = demo_artifact("broken", "manifest.json");
    let out = steward(&db, &["ingest", "dbt", "--manifest", m.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let config = write_config(dir.path(), CONFIG);
    let out = steward(&db, &["--config", &config, "config", "check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("checked against the last ingested manifest (63 nodes)"),
        "{}",
        stdout(&out)
    );
    let ghost = format!(
        "{CONFIG}\n[[products]]\nname = \"ghost\"\nteam = \"core\"\nselect = [\"+fct_nothing\", \"tag:nope\"]\n"
    );
    let ghost = write_config(dir.path(), &ghost);
    let out = steward(&db, &["--config", &ghost, "config", "check"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("line 23: ") && err.contains("product \"ghost\" matches nothing"),
        "{err}"
    );
    // A selector matching nothing in a product that matches something is only a warning.
    let typo = write_config(
        dir.path(),
        &CONFIG.replace("[\"+fct_revenue\"]", "[\"+fct_revenue\", \"tag:finanse\"]"),
    );
    let out = steward(&db, &["--config", &typo, "config", "check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: ")
            && stderr(&out)
                .contains("line 8: product \"revenue\": selector \"tag:finanse\" matches nothing"),
        "{}",
        stderr(&out)
    );
}

/// A request without any Authorization header: (status, content type, body).
pub(crate) async fn public(base: &str, method: &str, path: &str) -> (u16, String, String) {
    use http_body_util::{BodyExt, Full};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let client: Client<_, Full<bytes::Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let req = hyper::Request::builder()
        .method(method)
        .uri(format!("{base}{path}"))
        .body(Full::new(bytes::Bytes::new()))
        .unwrap();
    let resp = client.request(req).await.expect("request");
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn status_page_is_public_html_and_json() {
    let s = TestServer::start_with(Config::parse("s.toml", CONFIG).unwrap(), Some("tok")).await;
    let base = s.base.clone();

    let (status, _, body) = public(&base, "GET", "/status.json").await;
    assert_eq!(status, 200, "{body}");
    let page: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["data_products"].as_array().unwrap().len(), 3);
    assert!(page["open_incidents"].as_array().unwrap().is_empty());

    let app = s.test_app.app.clone();
    let inc = tokio::task::spawn_blocking(move || {
        ingest(&app, "broken");
        let payments = issue_on(&app, PAYMENTS);
        declare_on(&app, payments)
    })
    .await
    .unwrap();

    let (status, content_type, body) = public(&base, "GET", "/status.json").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let page: Value = serde_json::from_str(&body).unwrap();
    assert!(page["generated_at"].is_string());
    let products = page["data_products"].as_array().unwrap();
    assert_eq!(products.len(), 6);
    let product = |name: &str| products.iter().find(|p| p["name"] == name).unwrap().clone();
    let revenue = product("revenue");
    assert_eq!(revenue["status"], "incident");
    assert_eq!(revenue["incidents"], serde_json::json!([inc]));
    assert_eq!(revenue["team"], "finance");
    assert_eq!(revenue["tier"], 1);
    assert_eq!(revenue["sla_target"], 0.995);
    let uptime = revenue["uptime"].as_f64().unwrap();
    assert!((0.99..=1.0).contains(&uptime), "{revenue}");
    assert!(revenue["sla_met"].is_boolean());
    assert!(!revenue["open_issues"].as_array().unwrap().is_empty());
    for key in [
        "name",
        "status",
        "uptime",
        "sla_target",
        "sla_met",
        "team",
        "tier",
        "open_issues",
        "incidents",
    ] {
        assert!(revenue.get(key).is_some(), "{key} in {revenue}");
    }
    assert_eq!(product("product_engagement")["status"], "degraded");
    assert_eq!(product("product_engagement")["uptime"], 1.0);
    assert_eq!(product("campaign_catalog")["status"], "operational");
    let incidents = page["open_incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1);
    let i = &incidents[0];
    assert_eq!(
        (i["id"].as_str(), i["severity"].as_str()),
        (Some(inc.as_str()), Some("SEV2"))
    );
    assert_eq!(i["status"], "investigating");
    assert!(i["declared"].is_string());
    assert_eq!(
        i["data_products"],
        serde_json::json!(["revenue", "customer_360", "marketing_attribution"])
    );

    let (status, content_type, html) = public(&base, "GET", "/status").await;
    assert_eq!(status, 200, "{html}");
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(
        !html.contains("<script"),
        "no JS, and titles are escaped: {html}"
    );
    assert!(html.contains("&lt;revenue&gt; &amp; customers"), "{html}");
    assert!(
        html.contains("<td>revenue</td><td class=\"status incident\">incident</td>"),
        "{html}"
    );
    assert!(
        html.contains("class=\"status operational\">operational<"),
        "{html}"
    );
    assert!(
        html.contains("99.500%") && html.contains(&inc) && html.contains("SEV2"),
        "{html}"
    );

    // Still public-only: the API keeps its token, and the page takes only GET.
    let (status, _, _) = public(&base, "GET", "/v1/issues").await;
    assert_eq!(status, 401);
    let (status, _, _) = public(&base, "POST", "/status.json").await;
    assert_eq!(status, 405);
    s.server.stop().await;
}

/// The status page is cached between requests, yet a change shows on the very next request:
/// one written through the app, and one another connection commits (as a CLI in another process
/// would).
#[tokio::test(flavor = "multi_thread")]
async fn status_page_shows_each_write_on_the_next_request_with_the_cache_warm() {
    let s = TestServer::start_with(Config::parse("s.toml", CONFIG).unwrap(), None).await;
    let base = s.base.clone();
    let app = s.test_app.app.clone();
    let payments = tokio::task::spawn_blocking(move || {
        ingest(&app, "broken");
        issue_on(&app, PAYMENTS)
    })
    .await
    .unwrap();
    let page = || async {
        let (status, _, body) = public(&base, "GET", "/status.json").await;
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<Value>(&body).unwrap()
    };
    let revenue = |page: &Value| {
        page["data_products"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "revenue")
            .unwrap()
            .clone()
    };
    let (first, warm) = (page().await, page().await);
    assert_eq!(first["data_products"], warm["data_products"]);
    assert_eq!(revenue(&warm)["status"], "degraded");
    assert!(warm["open_incidents"].as_array().unwrap().is_empty());

    let app = s.test_app.app.clone();
    let inc = tokio::task::spawn_blocking(move || declare_on(&app, payments))
        .await
        .unwrap();
    let now = page().await;
    assert_eq!(now["open_incidents"][0]["id"], inc.as_str(), "{now}");
    assert_eq!(revenue(&now)["status"], "incident");
    assert_eq!(revenue(&now)["incidents"], serde_json::json!([inc]));

    let db = s.test_app.db_path();
    tokio::task::spawn_blocking(move || {
        let other = rusqlite::Connection::open(db).unwrap();
        other
            .execute(
                "UPDATE incidents SET status = 'identified' WHERE id = 1",
                [],
            )
            .unwrap();
    })
    .await
    .unwrap();
    assert_eq!(page().await["open_incidents"][0]["status"], "identified");

    let app = s.test_app.app.clone();
    tokio::task::spawn_blocking(move || {
        app.incident_status(
            1,
            "resolved",
            &steward::domain::access::Actor::admin("ana"),
            Some("fixed"),
            None,
        )
        .unwrap()
    })
    .await
    .unwrap();
    let after = page().await;
    assert!(after["open_incidents"].as_array().unwrap().is_empty());
    assert_eq!(revenue(&after)["status"], "degraded");
    s.server.stop().await;
}

/// Without any write, the cached page still follows the clock (uptime while an incident is
/// open) and a new lineage, and equals the page computed from scratch.
#[test]
fn cached_status_page_follows_the_clock_and_the_lineage() {
    use steward::clock::Clock;
    let dir = tempfile::tempdir().unwrap();
    let t0 = chrono::Utc.with_ymd_and_hms(2026, 11, 25, 3, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(t0));
    let config = Config::parse("s.toml", CONFIG).unwrap();
    let app = App::open_with_clock(config, &dir.path().join("s.db"), clock.clone()).unwrap();
    ingest(&app, "broken");
    let payments = issue_on(&app, PAYMENTS);
    declare_on(&app, payments);
    let uptime = |page: &status::StatusPage| {
        page.data_products
            .iter()
            .find(|p| p.name == "revenue")
            .unwrap()
            .uptime
    };
    let before = app.status_page().unwrap();
    clock.advance(chrono::Duration::hours(6));
    let later = app.status_page().unwrap();
    assert!(uptime(&later) < uptime(&before), "{later:?}");
    assert_ne!(later.generated_at, before.generated_at);

    let lineage = app.lineage.current();
    let catalog = app.catalog();
    let now = clock.now();
    let open: Vec<_> = app
        .issues(&Default::default())
        .unwrap()
        .into_iter()
        .filter(|i| i.is_active())
        .collect();
    let incidents = app.incidents(true).unwrap();
    let since = now - status::longest_window(&catalog);
    let history = app
        .store
        .read(|c| status::incident_spans(c, since))
        .unwrap();
    let fresh = status::status_page(&lineage, &catalog, &open, &incidents, &history, now);
    assert_eq!(
        serde_json::to_value(&later).unwrap(),
        serde_json::to_value(&fresh).unwrap()
    );

    // A new lineage (no database write): only the configured products, nothing on them.
    app.lineage.replace(Arc::new(Lineage::empty()));
    let page = app.status_page().unwrap();
    assert_eq!(page.data_products.len(), 3);
    assert!(
        page.data_products
            .iter()
            .all(|p| p.status == Status::Operational),
        "{page:?}"
    );
}

#[test]
fn an_incident_names_the_teams_to_contact_with_their_group_and_channel() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let config = write_config(
        dir.path(),
        &format!(
            "{CONFIG}\n[[teams]]\nname = \"Finance\"\nslack_group = \"S0FINANCE1\"\nchannel = \"C0FINANCE1\"\n"
        ),
    );
    crate::support::ingest_demo(&db, "broken");
    let run = |args: &[&str]| {
        let mut all = vec!["--config", config.as_str()];
        all.extend_from_slice(args);
        let out = steward(&db, &all);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    run(&["declare", "--title", "Payments broken", "--issue", "1"]);
    let incident: Value = serde_json::from_str(&run(&["incident", "INC-1", "--json"])).unwrap();
    let teams = incident["teams"].as_array().expect("teams");
    let finance = teams
        .iter()
        .find(|t| t["name"] == "Finance")
        .unwrap_or_else(|| panic!("finance is told: {teams:?}"));
    assert_eq!(finance["slack_group"], "S0FINANCE1");
    assert_eq!(finance["channel"], "C0FINANCE1");
    assert!(
        finance["why"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == "owns data product revenue"),
        "{finance}"
    );
    // A team with no [[teams]] entry is still named, without contact details.
    assert!(
        teams
            .iter()
            .all(|t| t["name"] == "Finance" || t["slack_group"].is_null()),
        "{teams:?}"
    );
    let report = run(&["postmortem", "INC-1"]);
    assert!(
        report.contains("- **Teams to contact:**")
            && report.contains(
                // Outside Slack, its tokens are shown as readable ids.
                "Finance (@S0FINANCE1, #C0FINANCE1) — owns data product revenue"
            ),
        "{report}"
    );
}
