//! Deliveries to the integrations: which targets get them, deduplication across redelivery and
//! restarts, 429 storms and 5xx with backoff, dead letters and `steward outbox retry`, and
//! target configuration refused with one line.

use crate::integrations_support::{Rig, no_double_trigger};
use crate::support::{stderr, stdout, steward};
use serde_json::Value;
use steward::clock::Clock;
use steward::config::Config;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dedup_across_redelivery_and_restart() {
    let mut rig = Rig::start(
        r#"
[[pagerduty]]
name = "primary"
routing_key_env = "PD_KEY"
url = "{url}/v2/enqueue"
on = ["alerts"]
"#,
    )
    .await;
    // Written by one process, sent by the next.
    rig.ingest("broken").await;
    let queued = rig.deliveries().len();
    assert!(queued > 0);
    rig.restart();
    assert_eq!(
        rig.deliveries().len(),
        queued,
        "nothing lost across the restart"
    );
    rig.drain().await;
    // The same run sent again, and a later run failing the same checks: no new trigger.
    rig.ingest("broken").await;
    rig.clock.advance(chrono::Duration::minutes(10));
    rig.drain().await;
    let triggers_before: u32 = rig
        .fake
        .state
        .lock()
        .unwrap()
        .pagerduty
        .values()
        .map(|a| a.triggers)
        .sum();
    assert_eq!(triggers_before as usize, queued);
    // A crash after PagerDuty accepted a trigger but before it was marked done: the restarted
    // worker sends it again, and PagerDuty folds it into the open alert by its dedup key.
    rig.blocking(|app| {
        app.store
            .write(|tx| {
                tx.execute("UPDATE deliveries SET state = 'pending' WHERE id = 1", [])?;
                Ok(())
            })
            .unwrap()
    })
    .await;
    rig.restart();
    rig.drain().await;
    let s = rig.fake.state.lock().unwrap();
    assert!(
        s.pagerduty
            .values()
            .all(|a| a.opened == 1 && a.status == "triggered"),
        "{:?}",
        s.pagerduty
    );
    assert_eq!(
        s.pagerduty.values().map(|a| a.triggers).sum::<u32>() as usize,
        queued + 1
    );
    drop(s);
    no_double_trigger(&rig.all_deliveries());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_storm_and_5xx_then_recovery() {
    let rig = Rig::start(
        r#"
[integrations]
retry_base = "1s"
max_delay = "1m"

[[pagerduty]]
name = "primary"
routing_key_env = "PD_KEY"
url = "{url}/v2/enqueue"
"#,
    )
    .await;
    rig.ingest("broken").await;
    assert!(
        rig.deliveries().is_empty(),
        "pagers hear incidents only by default"
    );
    rig.fake.fail_next(2, 429, Some(30));
    rig.fake.fail_next(2, 503, None);
    let n = rig.declare(vec![1], "SEV2").await;
    let t0 = rig.clock.now();
    assert_eq!(rig.pass().await, 1);
    let d = &rig.deliveries()[0];
    assert_eq!((d.state.as_str(), d.attempts), ("pending", 1));
    assert!(d.last_error.as_deref().unwrap().contains("429"), "{d:?}");
    // Retry-After is honoured: nothing is due before it.
    assert_eq!(
        d.next_attempt_at,
        steward::clock::ts(t0 + chrono::Duration::seconds(30))
    );
    rig.clock.advance(chrono::Duration::seconds(29));
    assert_eq!(rig.pass().await, 0);
    rig.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(rig.pass().await, 1);
    rig.clock.advance(chrono::Duration::seconds(30));
    assert_eq!(rig.pass().await, 1, "the second 503 fault");
    let d = &rig.deliveries()[0];
    assert_eq!(d.attempts, 3);
    assert!(d.last_error.as_deref().unwrap().contains("503"));
    // Backoff: at most 4s (1s doubled twice), at least half of it.
    let next = chrono::DateTime::parse_from_rfc3339(&d.next_attempt_at).unwrap();
    let wait = next.with_timezone(&chrono::Utc) - rig.clock.now();
    assert!(
        wait >= chrono::Duration::seconds(2) && wait <= chrono::Duration::seconds(4),
        "{wait:?}"
    );
    rig.clock.advance(chrono::Duration::seconds(4));
    assert_eq!(rig.pass().await, 1);
    rig.clock.advance(chrono::Duration::seconds(8));
    assert_eq!(rig.pass().await, 1);
    assert!(
        rig.deliveries().is_empty(),
        "delivered: {:?}",
        rig.deliveries()
    );
    let done = rig.app.incident_deliveries(n).unwrap();
    assert_eq!((done[0].state.as_str(), done[0].attempts), ("done", 5));
    let s = rig.fake.state.lock().unwrap();
    assert_eq!(s.pagerduty[&format!("steward-incident-{n}")].opened, 1);
    assert_eq!(s.received.iter().filter(|r| r.status == 429).count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_then_steward_outbox_retry() {
    let rig = Rig::start(
        r#"
[integrations]
max_attempts = 2
retry_base = "1s"

[[pagerduty]]
name = "primary"
routing_key_env = "PD_KEY"
url = "{url}/v2/enqueue"
"#,
    )
    .await;
    rig.ingest("broken").await;
    rig.fake.fail_next(2, 500, None);
    let n = rig.declare(vec![1], "SEV2").await;
    rig.pass().await;
    rig.clock.advance(chrono::Duration::seconds(5));
    rig.pass().await;
    let d = rig.deliveries();
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].state.as_str(), d[0].attempts), ("dead", 2));
    let db = rig.db();
    let listed: Value =
        serde_json::from_str(&crate::support::steward_ok(&db, &["outbox", "--json"])).unwrap();
    assert_eq!(listed["deliveries"][0]["state"], "dead");
    assert!(
        listed["deliveries"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("500")
    );
    let text = crate::support::steward_ok(&db, &["outbox"]);
    assert!(
        text.contains("dead") && text.contains("primary") && text.contains(&format!("INC-{n}")),
        "{text}"
    );
    // Only dead deliveries can be retried; an unknown one is named.
    let out = steward(&db, &["outbox", "retry", "99"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("delivery 99"));
    let id = d[0].id.to_string();
    let out = steward(&db, &["outbox", "retry", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("1 delivery pending again"));
    rig.clock.advance(chrono::Duration::minutes(5));
    assert_eq!(rig.pass().await, 1);
    assert!(rig.deliveries().is_empty());
    assert_eq!(
        rig.fake.state.lock().unwrap().pagerduty[&format!("steward-incident-{n}")].opened,
        1
    );
    let listed: Value =
        serde_json::from_str(&crate::support::steward_ok(&db, &["outbox", "--json"])).unwrap();
    assert_eq!(listed["deliveries"], serde_json::json!([]));
    assert!(
        listed["slack_pending"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["topic"].is_string())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_pick_the_targets() {
    let rig = Rig::start(
        r#"
[[pagerduty]]
name = "sev1-only"
routing_key_env = "PD_KEY"
url = "{url}/v2/enqueue"
severity = ["SEV1"]

[[pagerduty]]
name = "other-env"
routing_key_env = "PD_KEY"
url = "{url}/v2/enqueue"
env = ["staging"]
on = ["alerts", "incidents"]

[[webhooks]]
name = "alerts-hook"
url = "{url}/hooks/a"
secret_env = "WH_SECRET"
on = ["alerts"]
"#,
    )
    .await;
    rig.ingest("broken").await;
    rig.declare(vec![1], "SEV2").await;
    let rows = rig.all_deliveries();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|(t, ..)| t == "alerts-hook"), "{rows:#?}");
    rig.declare(vec![], "SEV1").await;
    let rows = rig.all_deliveries();
    assert_eq!(rows.iter().filter(|(t, ..)| t == "sev1-only").count(), 1);
    assert!(!rows.iter().any(|(t, ..)| t == "other-env"));
}

#[test]
fn bad_target_config_is_refused_with_one_line() {
    for (toml, says) in [
        (
            "[[pagerduty]]\nname = \"p\"\n",
            "routing_key_env is required",
        ),
        (
            "[[pagerduty]]\nname = \"p\"\nrouting_key_env = \"R0123456789\"\nsecret_env = \"X\"\n",
            "secret_env does not apply",
        ),
        (
            "[[webhooks]]\nname = \"w\"\nsecret_env = \"S\"\n",
            "url is required",
        ),
        (
            "[[webhooks]]\nname = \"w\"\nurl = \"https://x\"\nsecret_env = \"S\"\nevents = [\"issue.exploded\"]\n",
            "event \"issue.exploded\"",
        ),
        (
            "[[opsgenie]]\nname = \"o\"\ntoken_env = \"abc-123 secret\"\n",
            "not an environment variable name",
        ),
        (
            "[[opsgenie]]\nname = \"o\"\ntoken_env = \"K\"\n[[webhooks]]\nname = \"O\"\nurl = \"https://x\"\nsecret_env = \"S\"\n",
            "another target has this name",
        ),
        (
            "[[pagerduty]]\nname = \"p\"\nrouting_key_env = \"K\"\non = [\"pages\"]\n",
            "on \"pages\"",
        ),
        (
            "[[pagerduty]]\nname = \"p\"\nrouting_key_env = \"K\"\nurl = \"ftp://x\"\n",
            "must start with https://",
        ),
        ("[integrations]\nmax_attempts = 0\n", "max_attempts"),
    ] {
        let err = Config::parse("steward.toml", toml)
            .expect_err(toml)
            .to_string();
        assert!(err.contains(says), "{toml}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("steward.toml"), "{err}");
    }
}
