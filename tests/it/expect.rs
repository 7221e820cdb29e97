//! The dead man's switch: `[[expect]]` opens a `no_recent_run` issue when a project's runs stop
//! arriving, alerted in Slack like any other issue, and it recovers when a run arrives. On the
//! manual clock.

use crate::support::{ALERTS, TestBot};
use chrono::Duration;
use std::sync::Arc;
use steward::clock::{Clock, ManualClock};
use steward::config::ExpectConfig;
use steward::domain::expect::{CHECK, Verdict};
use steward::domain::issues::IssueFilter;

fn expect(project: &str, env: &str, every: &str) -> ExpectConfig {
    ExpectConfig {
        project: Some(project.into()),
        source: None,
        job: None,
        env: Some(env.into()),
        every: steward::config::parse_duration(every).unwrap(),
    }
}

fn no_recent_run(bot: &TestBot) -> Vec<steward::domain::issues::Issue> {
    bot.app()
        .issues(&IssueFilter::default())
        .unwrap()
        .into_iter()
        .filter(|i| i.check == CHECK)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_that_stops_running_opens_an_issue_that_recovers_on_the_next_run() {
    let start = steward::faces::demo::story_clock().now();
    let clock = Arc::new(ManualClock::new(start));
    let bot = TestBot::start_configured(
        Vec::new(),
        |c| {
            c.expect = vec![
                expect("jaffle_analytics", "prod", "24h"),
                // Never runs in staging: overdue a window after the server started watching.
                expect("jaffle_analytics", "staging", "48h"),
            ];
            if let Some(s) = c.slack.as_mut() {
                s.product_updates = steward::config::ProductUpdates::Off;
            }
        },
        clock.clone(),
        |_| {},
    )
    .await;
    bot.ingest("healthy").await;
    let task = tokio::spawn(steward::app::expect::run_expectations(bot.app().clone()));
    let app = bot.app().clone();
    let since = start;
    let pass = move || {
        let app = app.clone();
        async move {
            tokio::task::spawn_blocking(move || app.check_expectations(since).unwrap())
                .await
                .unwrap()
        }
    };
    let verdicts = pass().await;
    assert_eq!(verdicts[0].verdict, Verdict::Fine, "{verdicts:?}");
    assert!(verdicts[0].last_run.is_some());
    assert_eq!(verdicts[1].verdict, Verdict::Waiting);

    // 25 hours without a run in prod: the task opens the issue and Slack gets its alert.
    clock.advance(Duration::hours(25));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while no_recent_run(&bot).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "no issue opened: {:?}",
            pass().await
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    bot.until("the no_recent_run alert", |f| {
        f.messages(ALERTS).iter().any(|m| {
            let all = format!("{} {}", m.text, m.blocks.clone().unwrap_or_default());
            all.contains("jaffle_analytics") && all.contains(CHECK)
        })
    })
    .await;
    let open = no_recent_run(&bot);
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].env, "prod");
    assert_eq!(open[0].asset, "project.jaffle_analytics");
    assert_ne!(open[0].status, "resolved");
    // Further passes leave it as it is: one issue, no new alert.
    let again = pass().await;
    assert_eq!(again[0].verdict, Verdict::StillOverdue);
    assert_eq!(no_recent_run(&bot).len(), 1);

    // A run arrives: the next pass recovers it.
    bot.ingest("healthy").await;
    clock.advance(Duration::minutes(1));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let issues = no_recent_run(&bot);
        let prod: Vec<_> = issues.iter().filter(|i| i.env == "prod").collect();
        if prod.iter().all(|i| i.status == "resolved") {
            assert_eq!(prod[0].resolution.as_deref(), Some("recovered"), "{prod:?}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never recovered: {issues:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Staging never saw a run: overdue 48 hours after watching started (the task, woken by the
    // clock, may open it before this pass does).
    clock.advance(Duration::hours(23));
    let later = pass().await;
    assert!(
        matches!(later[1].verdict, Verdict::Overdue | Verdict::StillOverdue),
        "{later:?}"
    );
    let staging: Vec<_> = no_recent_run(&bot)
        .into_iter()
        .filter(|i| i.env == "staging")
        .collect();
    assert_eq!(staging.len(), 1, "{staging:?}");
    assert_ne!(staging[0].status, "resolved");
    task.abort();
    bot.stop().await;
}

/// An OpenLineage job's expectation, checked pass by pass on the manual clock (no Slack).
#[test]
fn an_airflow_job_that_stops_running_opens_an_issue_on_the_job() {
    let start = steward::faces::demo::story_clock().now();
    let clock = Arc::new(ManualClock::new(start));
    let mut config = steward::config::Config::default();
    config.expect = vec![ExpectConfig {
        project: None,
        source: Some("airflow".into()),
        job: Some("load_marketing.load_ad_spend".into()),
        env: None,
        every: steward::config::parse_duration("6h").unwrap(),
    }];
    let t = crate::support::TestApp::with_clock(config, clock.clone());
    let events = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("manifests/demo/openlineage/healthy.json");
    let send = || {
        t.app
            .ingest_openlineage(steward::app::ingest::Input::read(&events).unwrap(), None)
            .unwrap()
    };
    send();
    let pass = |at| t.app.check_expectations(at).unwrap().remove(0);
    let first = pass(start);
    assert_eq!(first.verdict, Verdict::Fine, "{first:?}");
    assert_eq!(first.watch.asset, "airflow.load_marketing.load_ad_spend");
    assert_eq!(first.watch.env, "default");

    clock.advance(Duration::hours(7));
    let overdue = pass(start);
    assert_eq!(overdue.verdict, Verdict::Overdue);
    let id = overdue.issue.expect("an issue");
    let issue = t.app.issue(id).unwrap().issue;
    assert_eq!(issue.check, CHECK);
    assert_eq!(issue.asset, "airflow.load_marketing.load_ad_spend");
    assert!(issue.asset_known, "the job is a node of the graph");
    assert!(
        issue
            .message
            .as_deref()
            .unwrap_or_default()
            .contains("job airflow.load_marketing.load_ad_spend"),
        "{issue:?}"
    );
    assert_eq!(pass(start).verdict, Verdict::StillOverdue);

    send();
    let back = pass(start);
    assert_eq!(back.verdict, Verdict::Arrived);
    assert_eq!(t.app.issue(id).unwrap().issue.status, "resolved");
    assert_eq!(pass(start).verdict, Verdict::Fine);
}
