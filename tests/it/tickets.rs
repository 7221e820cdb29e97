//! Tickets beyond the first ones: the Linear button on incident messages, follow-ups created in
//! Jira or Linear, and their state read back from the trackers (strict fakes on port 0).

use crate::incident_story::press;
use crate::integrations_support::keys;
use crate::support::{INCIDENTS, TestBot};
use std::collections::HashMap;
use std::sync::Arc;
use steward::clock::{Clock, ManualClock};
use steward::domain::incidents::Declaration;
use steward::faces::integrations::fake::{FakeVendors, Keys};
use steward::faces::integrations::http::Http;
use steward::faces::integrations::{Secrets, pass};
use steward::faces::slack::fake::FakeSlack;

/// The fakes with a Jira account (`bot@example.com`, `jira-token`, project `DATA`) and Linear's
/// `lin_api_key` on team `team-1`.
pub(crate) fn tracker_keys(clock: &Arc<ManualClock>) -> Keys {
    let mut k = keys(clock, 0);
    k.jira_email = "bot@example.com".into();
    k.jira_token = "jira-token".into();
    k.jira_project = "DATA".into();
    k
}

pub(crate) fn tracker_secrets() -> Secrets {
    let map: HashMap<&str, &str> = [
        ("JIRA_EMAIL", "bot@example.com"),
        ("JIRA_TOKEN", "jira-token"),
        ("LINEAR_KEY", "lin_api_key"),
    ]
    .into();
    Arc::new(move |v: &str| map.get(v).map(|s| s.to_string()))
}

fn jira_config(url: &str) -> steward::config::integrations::JiraConfig {
    steward::config::integrations::JiraConfig {
        url: url.to_owned(),
        email_env: "JIRA_EMAIL".into(),
        token_env: "JIRA_TOKEN".into(),
        project: "DATA".into(),
        issue_type: "Task".into(),
    }
}

fn linear_config(url: &str) -> steward::config::integrations::LinearConfig {
    steward::config::integrations::LinearConfig {
        team_id: "team-1".into(),
        token_env: "LINEAR_KEY".into(),
        url: format!("{url}/graphql"),
    }
}

/// A bot on the story clock with the broken run ingested, Jira (and Linear, when `linear`)
/// configured against the strict fakes it returns.
pub(crate) async fn tracker_bot(linear: bool) -> (TestBot, FakeVendors) {
    let clock = Arc::new(steward::faces::demo::story_clock());
    let vendor_clock = Arc::new(ManualClock::new(clock.now()));
    let fake = FakeVendors::start(tracker_keys(&vendor_clock))
        .await
        .unwrap();
    let url = fake.url();
    let bot = TestBot::start_configured(
        Vec::new(),
        move |c| {
            c.jira = Some(jira_config(&url));
            c.linear = linear.then(|| linear_config(&url));
        },
        clock,
        |_| {},
    )
    .await;
    bot.ingest("broken").await;
    (bot, fake)
}

/// The incident channel's top-level messages' blocks, as text.
pub(crate) fn incident_blocks(f: &FakeSlack) -> String {
    f.messages(INCIDENTS)
        .into_iter()
        .filter(|m| m.thread_ts.is_none() && !m.deleted)
        .map(|m| m.blocks.map(|b| b.to_string()).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Declares a SEV2 incident over issue 1 on the bot's app; its number.
pub(crate) async fn declare_on(bot: &TestBot) -> i64 {
    let app = bot.app().clone();
    tokio::task::spawn_blocking(move || {
        app.declare(
            Declaration {
                title: "Revenue dashboard is stale".into(),
                description: None,
                severity: "SEV2".into(),
                commander: None,
                issues: vec![1],
                declared_by: "ana@example.com".into(),
            },
            &steward::domain::access::Actor::admin("ana@example.com"),
        )
        .unwrap()
        .number
    })
    .await
    .unwrap()
}

/// Waits (short polls) until incident `n` has a delivery of `kind`, e.g. after a press.
pub(crate) async fn deliveries_of(bot: &TestBot, n: i64, kind: &str) {
    for _ in 0..100 {
        if bot
            .app()
            .incident_deliveries(n)
            .unwrap()
            .iter()
            .any(|d| d.kind == kind)
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no {kind} delivery for INC-{n}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_incident_message_creates_one_linear_issue_from_its_button() {
    let (bot, fake) = tracker_bot(true).await;
    let n = declare_on(&bot).await;
    bot.until("the incident message with both buttons", |f| {
        let t = incident_blocks(f);
        t.contains("steward.incident.ticket.linear") && t.contains("\"steward.incident.ticket\"")
    })
    .await;
    // Pressed twice (a double click): one issue.
    for _ in 0..2 {
        press(&bot, "U0ANA", n, "steward.incident.ticket.linear").await;
    }
    deliveries_of(&bot, n, "linear").await;
    // Let the second press land before sending.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let http = Http::new(std::time::Duration::from_secs(5)).unwrap();
    pass(bot.app(), &http, &tracker_secrets()).await.unwrap();
    bot.until("the Linear issue on the incident message", |f| {
        let t = incident_blocks(f);
        t.contains("Linear: <https://linear.app/acme/issue/ENG-1|ENG-1>")
            && !t.contains("steward.incident.ticket.linear")
            && t.contains("\"steward.incident.ticket\"")
    })
    .await;
    // A third press, after the ticket exists, creates nothing either.
    press(&bot, "U0ANA", n, "steward.incident.ticket.linear").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(pass(bot.app(), &http, &tracker_secrets()).await.unwrap(), 0);
    {
        let s = fake.state.lock().unwrap();
        assert_eq!(s.linear.len(), 1, "one Linear issue for three presses");
        assert!(s.jira.is_empty(), "Jira was not asked");
        let input = &s.linear[0].1;
        assert!(
            input["title"]
                .as_str()
                .unwrap()
                .starts_with(&format!("INC-{n} SEV2: Revenue dashboard is stale")),
            "{input}"
        );
    }
    let linear = bot
        .app()
        .incident_deliveries(n)
        .unwrap()
        .into_iter()
        .filter(|d| d.kind == "linear")
        .count();
    assert_eq!(linear, 1);
    bot.stop().await;
}

/// `steward ARGS` on `dir`'s database with a steward.toml naming the fakes' Jira and Linear:
/// the Jira token given, Linear's right key.
pub(crate) fn tracker_cli(
    fake: &FakeVendors,
    dir: &std::path::Path,
) -> impl Fn(&[&str], &str) -> std::process::Output + Clone + Send + 'static {
    let (db, cfg) = (dir.join("s.db"), dir.join("steward.toml"));
    std::fs::write(
        &cfg,
        format!(
            "[jira]\nurl = \"{0}\"\nemail_env = \"JIRA_EMAIL\"\ntoken_env = \"JIRA_TOKEN\"\nproject = \"DATA\"\n\n[linear]\nurl = \"{0}/graphql\"\nteam_id = \"team-1\"\ntoken_env = \"LINEAR_KEY\"\n",
            fake.url()
        ),
    )
    .unwrap();
    move |args: &[&str], token: &str| {
        let mut c = crate::support::steward_command(&db, args);
        c.arg("--config").arg(&cfg);
        c.env("JIRA_EMAIL", "bot@example.com")
            .env("JIRA_TOKEN", token)
            .env("LINEAR_KEY", "lin_api_key");
        c.output().unwrap()
    }
}

/// A Rig (in-process app on a manual clock, the fakes) with Linear configured and its key.
async fn linear_rig(extra: &str) -> crate::integrations_support::Rig {
    let mut rig = crate::integrations_support::Rig::start(&format!(
        "[linear]\nurl = \"{{url}}/graphql\"\nteam_id = \"team-1\"\ntoken_env = \"LINEAR_KEY\"\n{extra}"
    ))
    .await;
    rig.secrets = tracker_secrets();
    rig.ingest("broken").await;
    rig
}

fn timeline_kinds(app: &steward::app::App, n: i64) -> Vec<(String, Option<String>)> {
    app.incident_timeline(n)
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.actor))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followup_ticket_is_created_once_across_retries_and_a_restart() {
    let mut rig = linear_rig("").await;
    let n = rig.declare(vec![1], "SEV2").await;
    let (f, first) = rig
        .blocking(move |app| {
            app.followup_add_tracked(
                n,
                "Add a  freshness test\non payments",
                Some("ana@example.com"),
                "cli",
                "linear",
            )
            .unwrap()
        })
        .await;
    assert!(first.new);
    // Linear is down: the delivery waits for a retry, the follow-up has no ticket yet.
    rig.fake.fail_next(1, 503, None);
    assert_eq!(rig.pass().await, 1);
    let id = f.id;
    assert_eq!(rig.app.followup(id).unwrap().ticket_key, None);
    rig.restart();
    let again = rig
        .blocking(move |app| {
            app.request_ticket(
                "linear",
                steward::domain::integrations::tickets::TicketSubject::Followup(id),
                "cli",
            )
            .unwrap()
        })
        .await;
    assert_eq!((again.delivery, again.new), (first.delivery, false));
    rig.clock.advance(chrono::Duration::hours(1));
    assert_eq!(rig.pass().await, 1);
    assert_eq!(rig.pass().await, 0);
    let f = rig.app.followup(id).unwrap();
    assert_eq!(
        (
            f.tracker.as_deref(),
            f.ticket_key.as_deref(),
            f.ticket_url.as_deref()
        ),
        (
            Some("linear"),
            Some("ENG-1"),
            Some("https://linear.app/acme/issue/ENG-1")
        )
    );
    {
        let s = rig.fake.state.lock().unwrap();
        assert_eq!(s.linear.len(), 1, "created once");
        let input = &s.linear[0].1;
        assert_eq!(input["title"], "Add a freshness test on payments");
        let d = input["description"].as_str().unwrap();
        assert!(
            d.contains(&format!(
                "**Follow-up of:** INC-{n} (SEV2, investigating): Revenue dashboard is stale"
            )),
            "{d}"
        );
        assert!(d.contains("**Owner:** ana@example.com"), "{d}");
    }
    // The incident's own ticket is not the follow-up's: no Linear ticket for the incident.
    assert!(rig.app.incident_deliveries(n).unwrap().is_empty());
    assert!(
        timeline_kinds(&rig.app, n).contains(&("followup_ticket".into(), Some("Linear".into())))
    );
    // Tracked already: asking Jira for another ticket is refused.
    let err = rig
        .blocking(move |app| {
            app.followup_add_tracked(n, "x", None, "cli", "jira")
                .unwrap_err()
                .to_string()
        })
        .await;
    assert!(err.contains("no such tracker configured"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_reads_ticket_states_back_on_its_schedule() {
    let rig = linear_rig("[integrations]\nticket_sync = \"15m\"\n").await;
    let n = rig.declare(vec![1], "SEV2").await;
    let ids = rig
        .blocking(move |app| {
            [
                "Backfill revenue",
                "Alert on late payments",
                "Rename the model",
            ]
            .map(|t| {
                app.followup_add_tracked(n, t, None, "cli", "linear")
                    .unwrap()
                    .0
                    .id
            })
        })
        .await;
    rig.pass().await;
    // The tickets are created concurrently: each follow-up's own key.
    let key = |i: usize| rig.app.followup(ids[i]).unwrap().ticket_key.unwrap();
    let task = tokio::spawn(steward::faces::integrations::sync::run_with(
        rig.app.clone(),
        rig.http.clone(),
        rig.secrets.clone(),
    ));
    let gets = |rig: &crate::integrations_support::Rig| {
        rig.fake
            .state
            .lock()
            .unwrap()
            .received
            .iter()
            .filter(|r| {
                r.body["query"]
                    .as_str()
                    .is_some_and(|q| q.starts_with("query"))
            })
            .count()
    };
    async fn until(what: &str, mut f: impl FnMut() -> bool) {
        for _ in 0..200 {
            if f() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("never: {what}");
    }
    // Nothing is asked before the first period.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(gets(&rig), 0);
    // Linear answers 503 to every question: the follow-ups stay as they were.
    rig.fake.set_linear_state(&key(0), "Done", "completed");
    rig.fake.fail_next(3, 503, None);
    rig.clock.advance(chrono::Duration::minutes(15));
    until("three questions", || gets(&rig) == 3).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    for id in ids {
        let f = rig.app.followup(id).unwrap();
        assert_eq!((f.state.as_str(), f.ticket_checked_at), ("open", None));
    }
    // Next period: done, dropped and started are read back.
    rig.fake.set_linear_state(&key(1), "Won't do", "canceled");
    rig.fake.set_linear_state(&key(2), "In Progress", "started");
    rig.clock.advance(chrono::Duration::minutes(15));
    until("the states read back", || {
        rig.app.followup(ids[2]).unwrap().ticket_state.as_deref() == Some("In Progress")
            && rig.app.followup(ids[1]).unwrap().state == "dropped"
    })
    .await;
    let f = rig.app.followup(ids[0]).unwrap();
    assert_eq!(
        (f.state.as_str(), f.ticket_state.as_deref()),
        ("done", Some("Done"))
    );
    assert!(f.ticket_checked_at.is_some());
    assert_eq!(rig.app.followup(ids[2]).unwrap().state, "open");
    let synced = timeline_kinds(&rig.app, n)
        .into_iter()
        .filter(|(k, a)| k == "followup_synced" && a.as_deref() == Some("Linear"))
        .count();
    assert_eq!(synced, 2, "one event per change of state");
    // Only open follow-ups are asked again.
    let before = gets(&rig);
    rig.clock.advance(chrono::Duration::minutes(15));
    until("the open one asked again", || gets(&rig) == before + 1).await;
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followup_add_jira_and_list_read_the_state_back() {
    use crate::support::{ingest_demo, stderr, stdout};
    let clock = Arc::new(ManualClock::new(steward::faces::demo::story_clock().now()));
    let fake = FakeVendors::start(tracker_keys(&clock)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = tracker_cli(&fake, dir.path());
    let ok = |o: std::process::Output| {
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    let db2 = dir.path().join("s.db");
    let base = fake.url();
    let added = {
        let run = run.clone();
        tokio::task::spawn_blocking(move || {
            ingest_demo(&db2, "broken");
            ok(run(
                &["declare", "--title", "Revenue is stale", "--issue", "1"],
                "jira-token",
            ));
            let added = ok(run(
                &[
                    "incident",
                    "INC-1",
                    "followup",
                    "add",
                    "Add a freshness test",
                    "--owner",
                    "ana@example.com",
                    "--jira",
                ],
                "jira-token",
            ));
            let both = run(
                &[
                    "incident", "INC-1", "followup", "add", "x", "--jira", "--linear",
                ],
                "jira-token",
            );
            assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
            ok(run(
                &[
                    "incident", "INC-1", "followup", "add", "Backfill", "--linear",
                ],
                "jira-token",
            ));
            ok(run(
                &["incident", "INC-1", "followup", "add", "Write it down"],
                "jira-token",
            ));
            added
        })
        .await
        .unwrap()
    };
    assert_eq!(
        added.trim(),
        format!("follow-up 1 added to INC-1: DATA-1 {base}/browse/DATA-1")
    );
    {
        let s = fake.state.lock().unwrap();
        assert_eq!(s.jira.len(), 1, "the follow-up's ticket only");
        let f = &s.jira[0].1;
        assert_eq!(f["summary"], "Add a freshness test");
        let text = f["description"].to_string();
        assert!(
            text.contains("Follow-up of: INC-1 (SEV3, investigating): Revenue is stale"),
            "{text}"
        );
        assert!(text.contains("Owner: ana@example.com"), "{text}");
        assert_eq!(s.linear.len(), 1);
    }
    // Someone finishes the Jira issue and starts the Linear one; a bad Jira token first.
    fake.set_jira_status("DATA-1", "Done", "done");
    fake.set_linear_state("ENG-1", "In Progress", "started");
    let (refused, listed, report) = tokio::task::spawn_blocking(move || {
        let refused = run(&["incident", "INC-1", "followup", "list"], "wrong-token");
        let listed = ok(run(
            &["incident", "INC-1", "followup", "list"],
            "jira-token",
        ));
        let report = ok(run(&["postmortem", "INC-1"], "jira-token"));
        (refused, listed, report)
    })
    .await
    .unwrap();
    assert!(refused.status.success(), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("1 of 2 tickets could not be read back"),
        "{}",
        stderr(&refused)
    );
    assert!(
        stdout(&refused).contains("#1 [open] Add a freshness test — ana@example.com · DATA-1 "),
        "the 401 changed nothing: {}",
        stdout(&refused)
    );
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(
        lines,
        [
            format!(
                "#1 [done] Add a freshness test — ana@example.com · DATA-1 (Done) {base}/browse/DATA-1"
            ),
            "#2 [open] Backfill · ENG-1 (In Progress) https://linear.app/acme/issue/ENG-1"
                .to_owned(),
            "#3 [open] Write it down".to_owned(),
        ]
    );
    assert!(
        report.contains(&format!(
            "- [x] Add a freshness test — ana@example.com ([DATA-1](<{base}/browse/DATA-1>), Done)"
        )),
        "{report}"
    );
    assert!(
        report.contains("follow-up 1 is done (DATA-1 is Done)"),
        "{report}"
    );
    assert!(report.contains("tracked follow-up 1 as DATA-1"), "{report}");
}
