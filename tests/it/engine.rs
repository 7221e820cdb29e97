//! The issue engine on a small hand-made lineage, with a manual clock: workflow, K passes,
//! reopen window, root causes and symptoms, idempotence, environments and person actions.

use chrono::{DateTime, Duration, TimeZone, Utc};
use std::sync::Arc;
use steward::app::App;
use steward::app::ingest::ingest_observations;
use steward::clock::ManualClock;
use steward::config::Config;
use steward::domain::issues::{Issue, IssueFilter, Resolution, Status};
use steward::lineage::{Lineage, LineageSnapshot, Node, NodeKind};
use steward::sources::observation::{Observation, Origin, Outcome, Severity};

fn node(uid: &str, kind: NodeKind) -> Node {
    Node {
        unique_id: uid.to_owned(),
        kind,
        name: uid.rsplit('.').next().unwrap().to_owned(),
        package: Some("p".into()),
        relation: None,
        path: None,
        fqn: Vec::new(),
        tags: Vec::new(),
        group: None,
        owners: vec![format!("{}@example.com", uid.rsplit('.').next().unwrap())],
        data_products: Vec::new(),
        checksum: None,
        severity: None,
        steward: None,
        exposure: None,
    }
}

/// source.p.raw.s → model.p.a → model.p.b → exposure.p.e, test.p.t_b on b, model.p.c alone.
fn lineage() -> Lineage {
    Lineage::build(LineageSnapshot {
        schema_version: 12,
        dbt_version: None,
        project: Some("p".into()),
        nodes: vec![
            node("source.p.raw.s", NodeKind::Source),
            node("model.p.a", NodeKind::Model),
            node("model.p.b", NodeKind::Model),
            node("exposure.p.e", NodeKind::Exposure),
            node("test.p.t_b", NodeKind::Test),
            node("model.p.c", NodeKind::Model),
        ],
        edges: vec![(0, 1), (1, 2), (2, 3), (2, 4)],
        groups: Vec::new(),
        attached: vec![(4, vec![2])],
    })
}

struct Harness {
    app: App,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
    run: u32,
    /// The CI run's link each observation of the next runs carries.
    run_url: Option<String>,
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap()
}

impl Harness {
    fn new(config: Config) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(t0()));
        let app = App::open_with_clock(config, &dir.path().join("s.db"), clock.clone()).unwrap();
        app.lineage.replace(Arc::new(lineage()));
        Harness {
            app,
            clock,
            _dir: dir,
            run: 0,
            run_url: None,
        }
    }

    /// One "run": each (node, outcome) becomes an observation keyed by this run.
    fn run(
        &mut self,
        env: &str,
        results: &[(&str, Outcome)],
    ) -> steward::app::ingest::IngestSummary {
        self.run += 1;
        let lineage = self.app.lineage.current();
        let now = self.clock.now_for_test();
        let obs = results
            .iter()
            .map(|(uid, outcome)| {
                let idx = lineage.get(uid);
                let (asset, check, origin) = match uid.split('.').next().unwrap() {
                    "test" | "unit_test" => (
                        lineage
                            .node(lineage.asset_of(idx.unwrap()))
                            .unique_id
                            .clone(),
                        uid.to_string(),
                        Origin::Dbt,
                    ),
                    "source" => (uid.to_string(), "freshness".to_owned(), Origin::Freshness),
                    _ => (uid.to_string(), "run".to_owned(), Origin::Dbt),
                };
                Observation {
                    key: Some(format!("run{}:{uid}", self.run)),
                    origin,
                    source_system: None,
                    asset,
                    asset_known: idx.is_some(),
                    check,
                    node: Some(uid.to_string()),
                    outcome: *outcome,
                    raw_status: match outcome {
                        Outcome::Pass => "pass".into(),
                        Outcome::Fail(Severity::Error) => "error".into(),
                        Outcome::Fail(Severity::Warn) => "warn".into(),
                        Outcome::Skipped => "skipped".into(),
                    },
                    message: None,
                    failures: None,
                    url: self.run_url.clone(),
                    run_id: Some(format!("run{}", self.run)),
                    occurred_at: now,
                    compiled_sql: None,
                }
            })
            .collect();
        ingest_observations(
            &self.app.store,
            &self.app.lineage,
            &self.app.config,
            "dbt",
            Some(env.to_owned()),
            obs,
            now,
        )
        .unwrap()
    }

    fn issues(&self) -> Vec<Issue> {
        self.app.issues(&IssueFilter::default()).unwrap()
    }

    fn issue(&self, asset: &str, check: &str) -> Issue {
        self.issues()
            .into_iter()
            .filter(|i| i.asset == asset && i.check == check)
            .max_by_key(|i| i.id)
            .unwrap_or_else(|| panic!("no issue on {asset} / {check}"))
    }
}

trait NowForTest {
    fn now_for_test(&self) -> DateTime<Utc>;
}

impl NowForTest for ManualClock {
    fn now_for_test(&self) -> DateTime<Utc> {
        steward::clock::Clock::now(self)
    }
}

const FAIL: Outcome = Outcome::Fail(Severity::Error);
const WARN: Outcome = Outcome::Fail(Severity::Warn);
const PASS: Outcome = Outcome::Pass;

#[test]
fn repeat_failures_update_one_issue_and_k_passes_recover_it() {
    let mut config = Config::default();
    config.issues.recover_after_passes = 2;
    let mut h = Harness::new(config);
    h.run("prod", &[("model.p.c", FAIL)]);
    h.clock.advance(Duration::minutes(10));
    h.run("prod", &[("model.p.c", FAIL)]);
    let i = h.issue("model.p.c", "run");
    assert_eq!((i.status.as_str(), i.occurrences), ("open", 2));
    assert_eq!(
        h.issues().len(),
        1,
        "a repeat failure never opens a duplicate"
    );

    h.run("prod", &[("model.p.c", PASS)]);
    assert_eq!(h.issue("model.p.c", "run").status, "recovering");
    h.run("prod", &[("model.p.c", FAIL)]);
    assert_eq!(
        h.issue("model.p.c", "run").status,
        "open",
        "a failure while recovering regresses"
    );
    h.run("prod", &[("model.p.c", PASS)]);
    h.run("prod", &[("model.p.c", PASS)]);
    let i = h.issue("model.p.c", "run");
    assert_eq!(i.status, "resolved");
    assert_eq!(i.resolution.as_deref(), Some("recovered"));
    let kinds: Vec<String> = h
        .app
        .issue(i.id)
        .unwrap()
        .events
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "opened",
            "failed_again",
            "recovering",
            "regressed",
            "recovering",
            "recovered"
        ]
    );
}

#[test]
fn a_failure_within_the_reopen_window_reopens_and_later_opens_anew() {
    let mut h = Harness::new(Config::default());
    h.run("prod", &[("model.p.c", FAIL)]);
    h.run("prod", &[("model.p.c", PASS)]);
    let first = h.issue("model.p.c", "run");
    assert_eq!(first.status, "resolved");
    h.clock.advance(Duration::hours(23));
    h.run("prod", &[("model.p.c", FAIL)]);
    let again = h.issue("model.p.c", "run");
    assert_eq!(again.id, first.id, "reopened, same issue");
    assert_eq!(
        (
            again.status.as_str(),
            again.occurrences,
            again.resolution.clone()
        ),
        ("open", 2, None)
    );
    h.run("prod", &[("model.p.c", PASS)]);
    h.clock.advance(Duration::hours(25));
    h.run("prod", &[("model.p.c", FAIL)]);
    let fresh = h.issue("model.p.c", "run");
    assert_ne!(fresh.id, first.id, "outside the window a new issue opens");
    assert_eq!(h.issues().len(), 2);
}

#[test]
fn skipped_descendants_and_failing_ones_are_symptoms_of_the_root() {
    let mut h = Harness::new(Config::default());
    h.run(
        "prod",
        &[
            ("model.p.a", FAIL),
            ("model.p.b", FAIL),
            ("test.p.t_b", Outcome::Skipped),
            ("model.p.c", PASS),
        ],
    );
    let a = h.issue("model.p.a", "run");
    let b = h.issue("model.p.b", "run");
    assert_eq!(a.symptom_of, None);
    assert_eq!(b.symptom_of, Some(a.id));
    assert_eq!(a.root_cause_of, vec![b.id]);
    let statuses: Vec<(&str, Option<i64>)> = a
        .symptoms
        .iter()
        .map(|s| (s.status.as_str(), s.issue))
        .collect();
    assert_eq!(statuses, [("error", Some(b.id)), ("skipped", None)]);
    assert_eq!(a.symptoms[1].unique_id, "test.p.t_b");
    assert!(
        h.issues().iter().all(|i| i.check != "test.p.t_b"),
        "a skipped result is no issue"
    );
}

#[test]
fn a_warning_is_never_the_root_of_an_error_and_stale_sources_explain_warnings() {
    let mut h = Harness::new(Config::default());
    // Freshness warn on the source, error on b, warn test on b.
    h.run(
        "prod",
        &[
            ("source.p.raw.s", WARN),
            ("model.p.b", FAIL),
            ("test.p.t_b", WARN),
        ],
    );
    let s = h.issue("source.p.raw.s", "freshness");
    let b = h.issue("model.p.b", "run");
    let t = h.issue("model.p.b", "test.p.t_b");
    assert_eq!(s.symptom_of, None);
    assert_eq!(
        b.symptom_of, None,
        "an error is not explained by a warning above it"
    );
    // A warning on b has a failing strict ancestor (the stale source): it is that source's
    // symptom, while b's own error stays a root.
    assert_eq!(t.symptom_of, Some(s.id));
    // A warning below only a stale source is that source's symptom.
    h.run("prod", &[("model.p.b", PASS), ("model.p.a", WARN)]);
    let a = h.issue("model.p.a", "run");
    assert_eq!(a.symptom_of, Some(s.id));
}

#[test]
fn the_same_results_twice_change_nothing() {
    let mut h = Harness::new(Config::default());
    h.run("prod", &[("model.p.a", FAIL)]);
    let before = h.issues();
    h.run -= 1; // replay the same run keys
    let summary = h.run("prod", &[("model.p.a", FAIL)]);
    assert_eq!(summary.applied.duplicates, 1);
    let after = h.issues();
    assert_eq!(before.len(), after.len());
    assert_eq!(before[0].occurrences, after[0].occurrences);
}

#[test]
fn environments_outside_the_list_raise_no_issues() {
    let mut config = Config::default();
    config.issues.environments = vec!["prod".into()];
    let mut h = Harness::new(config);
    let s = h.run("dev", &[("model.p.a", FAIL)]);
    assert!(!s.raises_issues);
    assert!(h.issues().is_empty());
    h.run("prod", &[("model.p.a", FAIL)]);
    assert_eq!(h.issues().len(), 1);
    assert_eq!(h.issues()[0].env, "prod");
}

#[test]
fn people_assign_comment_and_resolve_and_resolved_issues_refuse_changes() {
    let mut h = Harness::new(Config::default());
    h.run("prod", &[("model.p.a", FAIL)]);
    let id = h.issue("model.p.a", "run").id;
    let i = h.app.assign(id, "dana@example.com", "U1").unwrap();
    assert_eq!(
        (i.status.as_str(), i.assignee.as_deref()),
        ("acknowledged", Some("dana@example.com"))
    );
    let i = h.app.set_status(id, Status::Investigating, "U1").unwrap();
    assert_eq!(i.status, "investigating");
    h.app
        .comment(id, "U2", "looking at the upstream load")
        .unwrap();
    let i = h
        .app
        .resolve(
            id,
            Resolution::Fixed,
            Some("reverted the bad migration"),
            &steward::domain::access::Actor::admin("U1"),
        )
        .unwrap();
    assert_eq!(
        (i.status.as_str(), i.resolution.as_deref()),
        ("resolved", Some("fixed"))
    );
    assert_eq!(
        i.resolution_reason.as_deref(),
        Some("reverted the bad migration")
    );
    let err = h.app.assign(id, "someone", "U3").unwrap_err();
    assert!(
        steward::error::as_input_error(&err)
            .unwrap()
            .to_string()
            .contains("already resolved")
    );
    let detail = h.app.issue(id).unwrap();
    assert_eq!(detail.comments.len(), 1);
    let kinds: Vec<&str> = detail.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "opened",
            "assigned",
            "status_changed",
            "commented",
            "resolved"
        ]
    );
    assert!(h.app.assign(9999, "x", "y").is_err());
}

#[test]
fn owners_follow_the_fallback_chain() {
    let h = Harness::new(Config::default());
    let l = h.app.lineage.current();
    let b = l.get("model.p.b").unwrap();
    let t = l.get("test.p.t_b").unwrap();
    // test owner, then model owner, then downstream exposure owner.
    assert_eq!(
        l.owners(Some(t), b),
        ["t_b@example.com", "b@example.com", "e@example.com"]
    );
}

#[test]
fn resolving_as_expected_mutes_that_check_for_the_chosen_time() {
    let mut h = Harness::new(Config::default());
    h.run("prod", &[("model.p.b", FAIL)]);
    let first = h.issue("model.p.b", "run");
    let muted = |h: &Harness, asset: &str, check: &str| {
        let now = h.clock.now_for_test();
        h.app
            .store
            .read(|c| steward::domain::issues::check_muted_until(c, "prod", asset, check, now))
            .unwrap()
    };
    assert_eq!(muted(&h, "model.p.b", "run"), None);

    let i = h
        .app
        .resolve_with_mute(
            first.id,
            Resolution::Expected,
            Some("backfill in progress"),
            Some(Duration::days(7)),
            false,
            &steward::domain::access::Actor::admin("U1"),
        )
        .unwrap();
    let until = steward::domain::issues::ts(t0() + Duration::days(7));
    assert_eq!(
        (i.status.as_str(), i.resolution.as_deref()),
        ("resolved", Some("expected"))
    );
    assert_eq!(i.muted_until.as_deref(), Some(until.as_str()));
    let detail = h.app.issue(first.id).unwrap();
    let kinds: Vec<&str> = detail.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["opened", "resolved", "muted"]);
    assert_eq!(detail.events[2].detail["until"], until.as_str());
    let json = serde_json::to_value(&detail).unwrap();
    assert_eq!(
        json["muted_until"],
        until.as_str(),
        "`steward issue N --json`"
    );

    // The check is muted; the asset as a whole, and its other checks, are not.
    assert_eq!(
        muted(&h, "model.p.b", "run").as_deref(),
        Some(until.as_str())
    );
    assert_eq!(muted(&h, "model.p.b", "test.p.t_b"), None);
    let now = h.clock.now_for_test();
    assert!(
        !h.app
            .store
            .read(|c| steward::domain::issues::is_muted(c, "model.p.b", now))
            .unwrap()
    );

    // Failing again after the reopen window but within the 7 days: a new issue, muted.
    h.clock.advance(Duration::days(3));
    h.run("prod", &[("model.p.b", FAIL)]);
    let again = h.issue("model.p.b", "run");
    assert_ne!(again.id, first.id);
    assert_eq!(again.status, "open");
    assert_eq!(again.muted_until.as_deref(), Some(until.as_str()));
    assert_eq!(
        muted(&h, "model.p.b", "run").as_deref(),
        Some(until.as_str())
    );

    // Resolved as expected again for the default time (24h): muted until a day later.
    h.app
        .resolve(
            again.id,
            Resolution::Expected,
            None,
            &steward::domain::access::Actor::admin("U1"),
        )
        .unwrap();
    let day = steward::domain::issues::ts(h.clock.now_for_test() + Duration::hours(24));
    assert_eq!(
        h.app.issue(again.id).unwrap().issue.muted_until.as_deref(),
        Some(day.as_str())
    );

    // After the 7 days the check is no longer muted: a new failure alerts again.
    h.clock.advance(Duration::days(4) + Duration::minutes(1));
    assert_eq!(muted(&h, "model.p.b", "run"), None);
    h.run("prod", &[("model.p.b", FAIL)]);
    let later = h.issue("model.p.b", "run");
    assert_ne!(later.id, again.id);
    assert_eq!(later.muted_until, None);
}

#[test]
fn a_mute_duration_needs_an_expected_resolution_and_writes_nothing_otherwise() {
    let mut h = Harness::new(Config::default());
    h.run("prod", &[("model.p.c", FAIL)]);
    let id = h.issue("model.p.c", "run").id;
    for (resolution, mute_for) in [
        (Resolution::Fixed, Duration::days(7)),
        (Resolution::FalsePositive, Duration::hours(1)),
        (Resolution::Expected, Duration::zero()),
        (Resolution::Expected, Duration::days(366)),
    ] {
        let err = h
            .app
            .resolve_with_mute(
                id,
                resolution,
                None,
                Some(mute_for),
                false,
                &steward::domain::access::Actor::admin("U1"),
            )
            .unwrap_err();
        assert!(
            steward::error::as_input_error(&err).is_some(),
            "{resolution:?} {mute_for}: {err:#}"
        );
    }
    let detail = h.app.issue(id).unwrap();
    assert_eq!(
        (detail.issue.status.as_str(), detail.issue.muted_until),
        ("open", None)
    );
    assert_eq!(detail.events.len(), 1, "only `opened`");
    let now = h.clock.now_for_test();
    assert_eq!(
        h.app
            .store
            .read(|c| steward::domain::issues::check_muted_until(
                c,
                "prod",
                "model.p.c",
                "run",
                now
            ))
            .unwrap(),
        None
    );
}

/// model.p.x → model.p.y; model.p.z alone; test.p.rel_z_y (relationships: z's column → y's) on z.
fn relationships_lineage() -> Lineage {
    Lineage::build(LineageSnapshot {
        schema_version: 12,
        dbt_version: None,
        project: Some("p".into()),
        nodes: vec![
            node("model.p.x", NodeKind::Model),
            node("model.p.y", NodeKind::Model),
            node("model.p.z", NodeKind::Model),
            node("test.p.rel_z_y", NodeKind::Test),
            node("model.p.u", NodeKind::Model),
            node("unit_test.p.u.t", NodeKind::UnitTest),
            node("model.p.v", NodeKind::Model),
        ],
        edges: vec![(0, 1), (2, 3), (1, 3), (4, 6)],
        groups: Vec::new(),
        attached: vec![(3, vec![2, 1]), (5, vec![4])],
    })
}

#[test]
fn a_test_skipped_through_its_second_parent_is_under_that_parents_root() {
    let mut h = Harness::new(Config::default());
    h.app.lineage.replace(Arc::new(relationships_lineage()));
    h.run(
        "prod",
        &[
            ("model.p.x", FAIL),
            ("model.p.y", Outcome::Skipped),
            ("model.p.z", PASS),
            ("test.p.rel_z_y", Outcome::Skipped),
        ],
    );
    let x = h.issue("model.p.x", "run");
    let skipped: Vec<&str> = x
        .symptoms
        .iter()
        .filter(|s| s.status == "skipped")
        .map(|s| s.unique_id.as_str())
        .collect();
    assert_eq!(skipped, ["model.p.y", "test.p.rel_z_y"]);
}

#[test]
fn a_model_skipped_because_its_unit_test_failed_is_under_that_test() {
    let mut h = Harness::new(Config::default());
    h.app.lineage.replace(Arc::new(relationships_lineage()));
    h.run(
        "prod",
        &[
            ("unit_test.p.u.t", FAIL),
            ("model.p.u", Outcome::Skipped),
            ("model.p.v", Outcome::Skipped),
        ],
    );
    let t = h.issue("model.p.u", "unit_test.p.u.t");
    let skipped: Vec<&str> = t.symptoms.iter().map(|s| s.unique_id.as_str()).collect();
    assert_eq!(skipped, ["model.p.u", "model.p.v"]);
}

#[test]
fn a_recovered_root_keeps_its_skipped_nodes_until_it_fails_again() {
    let mut h = Harness::new(Config::default());
    h.run(
        "prod",
        &[
            ("model.p.a", FAIL),
            ("model.p.b", Outcome::Skipped),
            ("test.p.t_b", Outcome::Skipped),
        ],
    );
    let skipped = |i: &Issue| -> Vec<String> {
        i.symptoms
            .iter()
            .filter(|s| s.status == "skipped")
            .map(|s| s.unique_id.clone())
            .collect()
    };
    let a = h.issue("model.p.a", "run");
    assert_eq!(skipped(&a), ["model.p.b", "test.p.t_b"]);

    h.clock.advance(Duration::hours(1));
    h.run(
        "prod",
        &[
            ("model.p.a", PASS),
            ("model.p.b", PASS),
            ("test.p.t_b", PASS),
        ],
    );
    let a = h.issue("model.p.a", "run");
    assert_eq!(a.status, "resolved");
    assert_eq!(
        skipped(&a),
        ["model.p.b", "test.p.t_b"],
        "a recovered root keeps what it explained"
    );

    // Another run (of another model) leaves the recovered root's history alone.
    h.run("prod", &[("model.p.c", PASS)]);
    assert_eq!(skipped(&h.issue("model.p.a", "run")).len(), 2);

    // Failing again (reopened) replaces the list with the new run's.
    h.clock.advance(Duration::hours(1));
    h.run(
        "prod",
        &[("model.p.a", FAIL), ("model.p.b", Outcome::Skipped)],
    );
    let a = h.issue("model.p.a", "run");
    assert!(a.is_active());
    assert_eq!(skipped(&a), ["model.p.b"]);
}

#[test]
fn a_dbt_issue_links_the_run_that_last_failed_it() {
    let mut h = Harness::new(Config::default());
    h.run_url = Some("https://ci.example.com/runs/1".into());
    h.run("prod", &[("model.p.c", FAIL)]);
    let c = h.issue("model.p.c", "run");
    assert_eq!(c.url.as_deref(), Some("https://ci.example.com/runs/1"));
    h.run_url = Some("https://ci.example.com/runs/2".into());
    h.run("prod", &[("model.p.c", FAIL)]);
    let c = h.issue("model.p.c", "run");
    assert_eq!(c.url.as_deref(), Some("https://ci.example.com/runs/2"));
    assert_eq!(c.occurrences, 2);
    // A run pushed from a laptop (no link) does not show the CI run before it.
    h.run_url = None;
    h.run("prod", &[("model.p.c", FAIL)]);
    assert_eq!(h.issue("model.p.c", "run").url, None);
}
