//! Pager round trips against strict fakes of PagerDuty, incident.io and Opsgenie: the demo
//! project's broken run opens issues, an incident is declared, acknowledged and resolved, the
//! healthy run recovers everything.

use crate::integrations_support::{Rig, no_double_trigger};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagerduty_trigger_acknowledge_resolve_round_trip() {
    let rig = Rig::start(
        r#"
[[pagerduty]]
name = "primary"
routing_key_env = "PD_KEY"
url = "{url}/v2/enqueue"
on = ["alerts", "incidents"]
"#,
    )
    .await;
    rig.ingest("broken").await;
    let roots = rig.root_issues();
    assert!(!roots.is_empty());
    rig.drain().await;
    let groups: std::collections::BTreeSet<String> = roots
        .iter()
        .map(|i| format!("steward-alert-{}-{}", i.env, i.asset))
        .collect();
    {
        let s = rig.fake.state.lock().unwrap();
        assert_eq!(
            s.pagerduty.len(),
            groups.len(),
            "one alert per root-cause group: {:?}",
            s.pagerduty.keys()
        );
        for key in &groups {
            let a = &s.pagerduty[key];
            assert_eq!((a.status.as_str(), a.triggers), ("triggered", 1), "{key}");
            let p = &a.last["payload"];
            assert!(
                matches!(p["severity"].as_str(), Some("error" | "warning")),
                "{p}"
            );
            assert!(p["component"].is_string() && p["class"].is_string(), "{p}");
            assert!(p["custom_details"]["owners"].is_array(), "{p}");
            assert_eq!(a.last["client"], "Steward");
        }
        assert!(s.received.iter().all(|r| r.status == 202));
    }
    // Someone acknowledges the first root: its group's alert is acknowledged.
    let first = roots[0].clone();
    let id = first.id;
    rig.blocking(move |app| app.assign(id, "ana@example.com", "ana").unwrap())
        .await;
    rig.drain().await;
    let first_key = format!("steward-alert-{}-{}", first.env, first.asset);
    assert_eq!(
        rig.fake.state.lock().unwrap().pagerduty[&first_key].status,
        "acknowledged"
    );

    // An incident pages on its own key, as critical for SEV1.
    let ids: Vec<i64> = roots.iter().map(|i| i.id).collect();
    let n = rig.declare(ids, "SEV1").await;
    rig.drain().await;
    let inc_key = format!("steward-incident-{n}");
    {
        let s = rig.fake.state.lock().unwrap();
        let a = &s.pagerduty[&inc_key];
        assert_eq!((a.status.as_str(), a.triggers), ("triggered", 1));
        assert_eq!(a.last["payload"]["severity"], "critical");
        assert!(
            a.last["payload"]["summary"]
                .as_str()
                .unwrap()
                .starts_with(&format!("INC-{n} SEV1"))
        );
    }
    rig.blocking(move |app| {
        app.incident_status(
            n,
            "identified",
            &steward::domain::access::Actor::admin("ana"),
            None,
            None,
        )
        .unwrap()
    })
    .await;
    rig.drain().await;
    assert_eq!(
        rig.fake.state.lock().unwrap().pagerduty[&inc_key].status,
        "acknowledged"
    );
    rig.blocking(move |app| {
        app.incident_status(
            n,
            "resolved",
            &steward::domain::access::Actor::admin("ana"),
            Some("fixed the join"),
            Some("code_change"),
        )
        .unwrap()
    })
    .await;
    // The healthy run recovers every issue: every alert group resolves.
    rig.ingest("healthy").await;
    rig.drain().await;
    {
        let s = rig.fake.state.lock().unwrap();
        for (key, a) in &s.pagerduty {
            assert_eq!(
                (a.status.as_str(), a.opened),
                ("resolved", 1),
                "{key}: {:?}",
                a.actions
            );
        }
    }
    no_double_trigger(&rig.all_deliveries());
    assert!(
        rig.deliveries().is_empty(),
        "all done: {:#?}",
        rig.deliveries()
    );

    // The incident shows its deliveries and the page is on its timeline.
    let inc = rig.app.incident_deliveries(n).unwrap();
    let actions: Vec<&str> = inc.iter().map(|d| d.action.as_str()).collect();
    assert_eq!(actions, ["trigger", "acknowledge", "resolve"]);
    assert!(inc.iter().all(
        |d| d.state == "done" && d.response.as_ref().unwrap()["dedup_key"] == inc_key.as_str()
    ));
    let timeline = rig.app.incident_timeline(n).unwrap();
    let notified: Vec<&Value> = timeline
        .iter()
        .filter(|e| e.kind == "notified")
        .map(|e| &e.detail)
        .collect();
    assert!(
        notified
            .iter()
            .any(|d| d["via"] == "PagerDuty" && d["what"] == "paged"),
        "{notified:?}"
    );
    // The CLI shows each target's delivery state; the report says who was paged.
    let db = rig.db();
    let label = format!("INC-{n}");
    let shown: Value = serde_json::from_str(&crate::support::steward_ok(
        &db,
        &["incident", &label, "--json"],
    ))
    .unwrap();
    let states: Vec<(&str, &str, &str)> = shown["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["target"].as_str().unwrap(),
                d["action"].as_str().unwrap(),
                d["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("primary", "trigger", "done"),
            ("primary", "acknowledge", "done"),
            ("primary", "resolve", "done")
        ]
    );
    let report = crate::support::steward_ok(&db, &["postmortem", &label]);
    assert!(report.contains("paged via PagerDuty (primary)"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incidentio_and_opsgenie_round_trips() {
    let rig = Rig::start(
        r#"
[[incidentio]]
name = "incident-io"
url = "{url}"
token_env = "INC_TOKEN"
alert_source_config_id = "01HSOURCE"

[[opsgenie]]
name = "genie"
url = "{url}"
token_env = "GENIE_KEY"
"#,
    )
    .await;
    rig.ingest("broken").await;
    let n = rig.declare(vec![1], "SEV1").await;
    rig.drain().await;
    let key = format!("steward-incident-{n}");
    {
        let s = rig.fake.state.lock().unwrap();
        let i = &s.incidentio[&key];
        assert_eq!((i.status.as_str(), i.opened), ("firing", 1));
        assert!(i.last["title"].as_str().unwrap().contains("SEV1"));
        assert!(i.last["metadata"].is_object());
        let o = &s.opsgenie[&key];
        assert_eq!((o.status.as_str(), o.opened), ("open", 1));
        assert_eq!(o.last["priority"], "P1");
    }
    rig.blocking(move |app| {
        app.incident_status(
            n,
            "monitoring",
            &steward::domain::access::Actor::admin("ana"),
            None,
            None,
        )
        .unwrap()
    })
    .await;
    rig.drain().await;
    {
        let s = rig.fake.state.lock().unwrap();
        assert_eq!(s.opsgenie[&key].status, "acknowledged");
        assert_eq!(
            s.incidentio[&key].status, "firing",
            "incident.io has no acknowledge"
        );
    }
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
    {
        let s = rig.fake.state.lock().unwrap();
        assert_eq!(s.incidentio[&key].status, "resolved");
        assert_eq!(s.opsgenie[&key].status, "closed");
        assert_eq!(s.opsgenie[&key].actions, ["create", "acknowledge", "close"]);
    }
    let inc = rig.app.incident_deliveries(n).unwrap();
    let genie_ids: Vec<&Value> = inc
        .iter()
        .filter(|d| d.target == "genie")
        .map(|d| &d.response.as_ref().unwrap()["request_id"])
        .collect();
    assert!(genie_ids.iter().all(|v| v.is_string()), "{genie_ids:?}");
    // Reopened, it pages again.
    rig.blocking(move |app| {
        app.incident_status(
            n,
            "investigating",
            &steward::domain::access::Actor::admin("ana"),
            None,
            None,
        )
        .unwrap()
    })
    .await;
    rig.drain().await;
    let s = rig.fake.state.lock().unwrap();
    assert_eq!(
        (
            s.incidentio[&key].status.as_str(),
            s.incidentio[&key].opened
        ),
        ("firing", 2)
    );
    assert_eq!(
        (s.opsgenie[&key].status.as_str(), s.opsgenie[&key].opened),
        ("open", 2)
    );
}
