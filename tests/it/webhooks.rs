//! Signed webhooks against a strict receiver (port 0): signatures, event filters, a wrong secret
//! refused for good and a stale signature outside the receiver's 5-minute window.

use crate::integrations_support::{Rig, keys};
use steward::app::App;
use steward::domain::incidents::Declaration;
use steward::faces::integrations::fake::FakeVendors;
use steward::faces::integrations::pass;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_signed_and_checked_by_the_receiver() {
    let rig = Rig::start(
        r#"
[[webhooks]]
name = "audit"
url = "{url}/hooks/audit"
secret_env = "WH_SECRET"

[[webhooks]]
name = "incidents-only"
url = "{url}/hooks/incidents"
secret_env = "WH_SECRET"
events = ["incident.declared", "incident.resolved"]

[[webhooks]]
name = "misconfigured"
url = "{url}/hooks/bad"
secret_env = "WH_WRONG"
events = ["incident.declared"]
"#,
    )
    .await;
    rig.ingest("broken").await;
    let n = rig.declare(vec![1], "SEV3").await;
    rig.blocking(move |app| {
        app.incident_status(
            n,
            "resolved",
            &steward::domain::access::Actor::admin("ana"),
            Some("fixed"),
            Some("code_change"),
        )
        .unwrap()
    })
    .await;
    rig.drain().await;
    let s = rig.fake.state.lock().unwrap();
    let types: Vec<&str> = s
        .webhooks
        .iter()
        .map(|(_, v)| v["type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"issue.opened")
            && types.contains(&"incident.declared")
            && types.contains(&"incident.resolved"),
        "{types:?}"
    );
    for (id, v) in &s.webhooks {
        assert_eq!(v["version"], 1);
        assert_eq!(
            v["id"].as_str(),
            Some(id.as_str()),
            "the body's id is the Steward-Event-Id"
        );
        assert!(v["created_at"].is_string() && v["links"].is_object());
    }
    // The filtered hook got only what it asked for (its events share ids with the audit hook's).
    let to_incidents: Vec<&str> = s
        .received
        .iter()
        .filter(|r| r.path == "/hooks/incidents")
        .map(|r| r.body["type"].as_str().unwrap())
        .collect();
    assert_eq!(to_incidents, ["incident.declared", "incident.resolved"]);
    // A wrong secret fails the receiver's check: refused for good, not retried.
    assert!(
        s.received
            .iter()
            .any(|r| r.path == "/hooks/bad" && r.status == 401)
    );
    drop(s);
    let dead = rig.deliveries();
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert_eq!(
        (
            dead[0].target.as_str(),
            dead[0].state.as_str(),
            dead[0].attempts
        ),
        ("misconfigured", "dead", 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_signature_is_refused_by_the_receiver() {
    // The receiver's clock is six minutes ahead of Steward's: outside the 5-minute window.
    let rig = Rig::start(
        r#"
[[webhooks]]
name = "late"
url = "{url}/hooks/late"
secret_env = "WH_SECRET"
"#,
    )
    .await;
    let skewed = FakeVendors::start(keys(&rig.clock, 360)).await.unwrap();
    let mut cfg = rig.config.clone();
    cfg.webhooks[0].url = Some(format!("{}/hooks/late", skewed.url()));
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_with_clock(cfg, &dir.path().join("s.db"), rig.clock.clone()).unwrap();
    let n = tokio::task::spawn_blocking({
        let app = app.clone();
        move || {
            app.declare(
                Declaration {
                    title: "t".into(),
                    description: None,
                    severity: "SEV3".into(),
                    commander: None,
                    issues: vec![],
                    declared_by: "ana".into(),
                },
                &steward::domain::access::Actor::admin("ana"),
            )
            .unwrap()
            .number
        }
    })
    .await
    .unwrap();
    pass(&app, &rig.http, &rig.secrets).await.unwrap();
    let s = skewed.state.lock().unwrap();
    assert!(s.webhooks.is_empty());
    assert_eq!(s.received.len(), 1);
    assert_eq!(s.received[0].status, 401);
    let d = app.incident_deliveries(n).unwrap();
    assert!(
        d[0].last_error
            .as_deref()
            .unwrap()
            .contains("5-minute window"),
        "{d:?}"
    );
}
