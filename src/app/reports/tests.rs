//! The reports gathered through the app: the post-incident report of a real ingest, with
//! exact durations, and every write announced.

use crate::app::App;
use crate::clock::parse_ts;
use crate::domain::incidents;
use crate::domain::postmortem::{Metrics, render};
use chrono::{TimeZone, Utc};

#[test]
fn postmortem_gathers_the_incident_with_exact_durations_and_every_write_is_announced() {
    use crate::app::ingest::{DbtArtifacts, Input};
    use crate::clock::ManualClock;
    use std::sync::Arc;
    // After the demo run's own timestamps (its failures start the impact).
    let later = |h: u32, m: u32| Utc.with_ymd_and_hms(2030, 1, 1, h, m, 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let start = later(9, 0);
    let clock = Arc::new(ManualClock::new(start));
    let app = App::open_with_clock(
        crate::config::Config::default(),
        &dir.path().join("s.db"),
        clock.clone(),
    )
    .unwrap();
    let artifacts =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests/demo/artifacts/broken");
    let read = |f: &str| Some(Input::read(&artifacts.join(f)).unwrap());
    app.ingest_dbt(DbtArtifacts {
        manifest: read("manifest.json"),
        run_results: read("run_results.json"),
        sources: read("sources.json"),
        env: None,
        allow_empty: false,
        run_url: None,
    })
    .unwrap();
    let announced = |app: &App| -> i64 {
        app.store
            .read(|c| {
                Ok(c.query_row(
                    "SELECT count(*) FROM outbox WHERE topic = ?1",
                    [crate::store::outbox::INCIDENT_CHANGED],
                    |r| r.get(0),
                )?)
            })
            .unwrap()
    };
    let declare = |title: &str, issue: i64| {
        app.declare(
            incidents::Declaration {
                title: title.into(),
                severity: "SEV3".into(),
                issues: vec![issue],
                declared_by: "ana".into(),
                ..Default::default()
            },
            &crate::domain::access::Actor::admin("ana"),
        )
        .unwrap()
    };
    clock.set(later(9, 30));
    let one = declare("Payments", 1);
    let two = declare("Ad spend", 7);
    let base = announced(&app);
    clock.set(later(9, 35));
    app.incident_status(
        1,
        "identified",
        &crate::domain::access::Actor::admin("bruno"),
        None,
        None,
    )
    .unwrap();
    app.incident_severity(1, "SEV2", &crate::domain::access::Actor::admin("bruno"))
        .unwrap();
    app.incident_commander(1, "bruno", &crate::domain::access::Actor::admin("ana"))
        .unwrap();
    // Moving issue 7 announces both incidents.
    let err = app.incident_link(1, 7, "bruno", false).unwrap_err();
    assert!(err.to_string().contains("--move"), "{err}");
    let moved = app.incident_link(1, 7, "bruno", true).unwrap();
    assert_eq!(moved.issues, [1, 7]);
    assert!(app.incident(two.number).unwrap().issues.is_empty());
    assert_eq!(announced(&app), base + 5);
    app.incident_unlink(1, 7, "bruno").unwrap();
    app.incident_link(1, 7, "bruno", false).unwrap();
    clock.set(later(10, 30));
    app.incident_status(
        1,
        "monitoring",
        &crate::domain::access::Actor::admin("bruno"),
        None,
        None,
    )
    .unwrap();
    app.incident_comment(1, "carla", "Rerun is green").unwrap();
    app.comment(1, "dmitri", "Root cause: a null cast").unwrap();
    app.assign(1, "erin", "bruno").unwrap();
    clock.set(later(11, 0));
    app.incident_status(
        1,
        "resolved",
        &crate::domain::access::Actor::admin("bruno"),
        Some("Reverted."),
        Some("code_change"),
    )
    .unwrap();
    assert_eq!(announced(&app), base + 10);

    clock.set(later(15, 0));
    let p = app.postmortem(one.number).unwrap();
    let impact_started = parse_ts(p.incident.impact_started.as_deref().unwrap()).unwrap();
    assert_eq!(
        p.metrics,
        Metrics {
            impact_seconds: Some((later(11, 0) - impact_started).num_seconds()),
            response_seconds: Some(90 * 60),
            acknowledge_seconds: Some(5 * 60),
            mitigate_seconds: Some(60 * 60),
            ongoing: false,
        }
    );
    assert_eq!(p.now, later(15, 0));
    assert_eq!(p.issues.iter().map(|i| i.id).collect::<Vec<_>>(), [1, 7]);
    assert_eq!(p.people.commander.as_deref(), Some("bruno"));
    assert_eq!(p.people.assignees, ["erin"]);
    for who in ["ana", "bruno", "carla", "dmitri"] {
        assert!(
            p.people.participants.iter().any(|x| x == who),
            "{who}: {:?}",
            p.people
        );
    }
    assert_eq!(p.comments.len(), 2);
    assert_eq!(p.comments[1].issue, Some(1));
    // The timeline is in time order, and comment events carry their text.
    assert!(p.timeline.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(p.timeline.iter().any(|e| e.kind == "commented"
        && e.issue == Some(1)
        && e.detail["text"] == "Root cause: a null cast"));
    for kind in [
        "declared",
        "issue_linked",
        "issue_unlinked",
        "severity_changed",
        "commander_changed",
        "status_changed",
        "assigned",
        "opened",
    ] {
        assert!(p.timeline.iter().any(|e| e.kind == kind), "{kind}");
    }
    let payments = p
        .roots
        .iter()
        .find(|r| r.unique_id == "model.jaffle_analytics.stg_shop__payments")
        .expect("payments is a root");
    assert_eq!(payments.issues, [1]);
    let revenue = payments
        .paths
        .iter()
        .find(|x| x.kind == "data_product" && x.target == "revenue")
        .expect("a path to revenue");
    assert_eq!(
        revenue.path.first().map(String::as_str),
        Some(payments.unique_id.as_str())
    );
    assert!(revenue.path.len() > 1);
    assert!(
        p.exposures.iter().all(|x| !x.owners.is_empty()),
        "{:?}",
        p.exposures
    );
    // Incident two's own report says where its issue went.
    let md = render(&app.postmortem(two.number).unwrap());
    assert!(md.contains("moved issue #7 to INC-1"), "{md}");
    assert!(app.postmortem(99).is_err());
}
