//! The digest's schedule across DST and its composition, pinned.

use super::*;
use chrono::Weekday;

fn cfg(day: Weekday, hour: u32, tz: Tz) -> DigestConfig {
    DigestConfig {
        channel: "C0DIGEST01".into(),
        day,
        hour,
        timezone: tz,
    }
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn date(y: i32, mo: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, mo, d).unwrap()
}

#[test]
fn utc_monday_nine_before_at_and_after() {
    let c = cfg(Weekday::Mon, 9, chrono_tz::UTC);
    // Monday 2025-03-03 09:00Z.
    let at = utc(2025, 3, 3, 9, 0);
    let s = last_slot(&c, at);
    assert_eq!(
        (s.week, s.at),
        (date(2025, 3, 3), at),
        "due at exactly 09:00"
    );
    assert_eq!(s.key(), "2025-03-03");
    let before = last_slot(&c, at - Duration::seconds(1));
    assert_eq!(
        (before.week, before.at),
        (date(2025, 2, 24), utc(2025, 2, 24, 9, 0))
    );
    assert_eq!(next_slot(&c, at - Duration::seconds(1)).at, at);
    assert_eq!(next_slot(&c, at).at, utc(2025, 3, 10, 9, 0));
    // From any day of the week.
    for (now, week) in [
        (utc(2025, 3, 4, 0, 0), date(2025, 3, 3)),
        (utc(2025, 3, 9, 23, 59), date(2025, 3, 3)),
        (utc(2025, 3, 10, 8, 59), date(2025, 3, 3)),
        (utc(2025, 3, 10, 9, 0), date(2025, 3, 10)),
    ] {
        assert_eq!(last_slot(&c, now).week, week, "{now}");
    }
    let c = cfg(Weekday::Sun, 0, chrono_tz::UTC);
    assert_eq!(
        last_slot(&c, utc(2025, 3, 9, 0, 0)).at,
        utc(2025, 3, 9, 0, 0)
    );
    assert_eq!(
        last_slot(&c, utc(2025, 3, 8, 23, 59)).at,
        utc(2025, 3, 2, 0, 0)
    );
}

#[test]
fn paris_across_spring_forward_and_fall_back() {
    let c = cfg(Weekday::Mon, 9, chrono_tz::Europe::Paris);
    // Before: 09:00 CET = 08:00Z; the Monday after the 2025-03-30 change: 09:00 CEST = 07:00Z.
    let before = last_slot(&c, utc(2025, 3, 28, 12, 0));
    assert_eq!(
        (before.week, before.at),
        (date(2025, 3, 24), utc(2025, 3, 24, 8, 0))
    );
    let next = next_slot(&c, utc(2025, 3, 28, 12, 0));
    assert_eq!(
        (next.week, next.at),
        (date(2025, 3, 31), utc(2025, 3, 31, 7, 0))
    );
    assert_eq!(next.at - before.at, Duration::days(7) - Duration::hours(1));
    assert_eq!(
        last_slot(&c, utc(2025, 3, 31, 6, 59)).week,
        date(2025, 3, 24)
    );
    assert_eq!(
        last_slot(&c, utc(2025, 3, 31, 7, 0)).week,
        date(2025, 3, 31)
    );
    // Back to CET after 2025-10-26: 09:00 = 08:00Z again.
    assert_eq!(
        next_slot(&c, utc(2025, 10, 26, 12, 0)).at,
        utc(2025, 10, 27, 8, 0)
    );
}

#[test]
fn a_skipped_local_time_is_the_first_minute_after_the_gap() {
    let paris = chrono_tz::Europe::Paris;
    // 2025-03-30: 02:00 CET jumps to 03:00 CEST (01:00Z); 02:30 does not exist.
    let spring = |h, m| date(2025, 3, 30).and_hms_opt(h, m, 0).unwrap();
    assert_eq!(resolve_local(paris, spring(2, 30)), utc(2025, 3, 30, 1, 0));
    assert_eq!(resolve_local(paris, spring(2, 0)), utc(2025, 3, 30, 1, 0));
    assert_eq!(resolve_local(paris, spring(1, 59)), utc(2025, 3, 30, 0, 59));
    assert_eq!(resolve_local(paris, spring(3, 0)), utc(2025, 3, 30, 1, 0));
    let c = cfg(Weekday::Sun, 2, paris);
    let s = last_slot(&c, utc(2025, 3, 30, 1, 0));
    assert_eq!((s.week, s.at), (date(2025, 3, 30), utc(2025, 3, 30, 1, 0)));
    assert_eq!(
        last_slot(&c, utc(2025, 3, 30, 0, 59)).week,
        date(2025, 3, 23)
    );
    // A repeated time (2025-10-26, 02:00–03:00 happens twice) is its first occurrence.
    let fall = date(2025, 10, 26).and_hms_opt(2, 30, 0).unwrap();
    assert_eq!(resolve_local(paris, fall), utc(2025, 10, 26, 0, 30));
    assert_eq!(
        scheduled_on(&c, date(2025, 10, 26)),
        utc(2025, 10, 26, 0, 0)
    );
    // New York, 2025-03-09 02:00 EST → 03:00 EDT (07:00Z).
    let ny = cfg(Weekday::Sun, 2, chrono_tz::America::New_York);
    assert_eq!(scheduled_on(&ny, date(2025, 3, 9)), utc(2025, 3, 9, 7, 0));
    assert_eq!(scheduled_on(&ny, date(2025, 3, 2)), utc(2025, 3, 2, 7, 0));
    // Lord Howe moves by 30 minutes: 2025-10-05 02:00 (+10:30) → 02:30 (+11:00) = 15:30Z.
    let lh = cfg(Weekday::Sun, 2, chrono_tz::Australia::Lord_Howe);
    assert_eq!(
        scheduled_on(&lh, date(2025, 10, 5)),
        utc(2025, 10, 4, 15, 30)
    );
}

#[test]
fn the_local_day_decides_not_the_utc_day() {
    // Auckland, Monday 09:00 NZDT (+13) is Sunday 20:00Z.
    let c = cfg(Weekday::Mon, 9, chrono_tz::Pacific::Auckland);
    let s = last_slot(&c, utc(2025, 3, 2, 20, 30));
    assert_eq!((s.week, s.at), (date(2025, 3, 3), utc(2025, 3, 2, 20, 0)));
    assert_eq!(s.week.weekday(), Weekday::Mon);
    assert_eq!(
        last_slot(&c, utc(2025, 3, 2, 19, 59)).week,
        date(2025, 2, 24)
    );
    // Los Angeles, Sunday 23:00 PST (-8) is Monday 07:00Z.
    let c = cfg(Weekday::Sun, 23, chrono_tz::America::Los_Angeles);
    let s = last_slot(&c, utc(2025, 3, 3, 7, 0));
    assert_eq!((s.week, s.at), (date(2025, 3, 2), utc(2025, 3, 3, 7, 0)));
    assert_eq!(
        last_slot(&c, utc(2025, 3, 3, 6, 59)).week,
        date(2025, 2, 23)
    );
}

#[test]
fn the_week_key_is_stable_through_a_week_and_changes_once_at_each_slot() {
    for tz in [
        chrono_tz::UTC,
        chrono_tz::Europe::Paris,
        chrono_tz::America::New_York,
        chrono_tz::Australia::Lord_Howe,
    ] {
        let c = cfg(Weekday::Sun, 2, tz);
        let mut now = utc(2025, 3, 1, 0, 0);
        let mut last = last_slot(&c, now);
        let mut changes = 0;
        // Ten weeks by 15-minute steps, across the March changes of each zone.
        while now < utc(2025, 5, 10, 0, 0) {
            now += Duration::minutes(15);
            let s = last_slot(&c, now);
            assert!(s.at <= now && now < next_slot(&c, now).at, "{tz} {now}");
            if s != last {
                changes += 1;
                assert_eq!(s.week, last.week + Days::new(7), "{tz} {now}");
                assert_eq!(s.week.weekday(), Weekday::Sun);
                assert!(now - s.at < Duration::minutes(15), "changes at the slot");
                last = s;
            }
        }
        assert_eq!(changes, 10, "{tz}");
    }
}

#[test]
fn a_missed_digest_is_due_for_a_day_then_dropped() {
    let c = cfg(Weekday::Mon, 9, chrono_tz::UTC);
    let at = utc(2025, 3, 3, 9, 0);
    assert_eq!(due_slot(&c, at).map(|s| s.at), Some(at));
    assert_eq!(
        due_slot(&c, at + Duration::hours(23)).map(|s| s.at),
        Some(at)
    );
    assert_eq!(due_slot(&c, at + Duration::hours(24)), None);
    assert_eq!(due_slot(&c, at + Duration::days(6)), None);
}

#[test]
fn enqueued_once_per_week() {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::store::Store::open(&dir.path().join("s.db")).unwrap();
    let c = cfg(Weekday::Mon, 9, chrono_tz::UTC);
    let slot = last_slot(&c, utc(2025, 3, 3, 10, 0));
    let now = utc(2025, 3, 3, 10, 0);
    let enqueue = |slot: Slot| {
        store
            .write(move |tx| enqueue_once(tx, slot, "C0DIGEST01", now))
            .unwrap()
    };
    assert!(enqueue(slot));
    assert!(!enqueue(slot), "the same week again");
    assert!(enqueue(next_slot(&c, now)), "the next week");
    let items = store
        .read(|c| crate::store::outbox::due(c, now, 10))
        .unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].topic, crate::store::outbox::DIGEST_WEEKLY);
    assert_eq!(
        items[0].payload,
        serde_json::json!({"week": "2025-03-03", "at": "2025-03-03T09:00:00.000000Z", "channel": "C0DIGEST01"})
    );
}

// Content: the metrics' own scenario shape, over a week ending at `end`.

use crate::domain::products::ProductDef;
use crate::lineage::{LineageSnapshot, Node, NodeKind};

fn node(id: &str, group: &str, product: Option<&str>) -> Node {
    let name = id.rsplit('.').next().unwrap().to_owned();
    Node {
        unique_id: id.into(),
        kind: NodeKind::Model,
        name: name.clone(),
        package: Some("shop".into()),
        relation: None,
        path: None,
        fqn: vec!["shop".into(), name],
        tags: Vec::new(),
        group: Some(group.into()),
        owners: Vec::new(),
        data_products: product.map(|p| vec![p.to_owned()]).unwrap_or_default(),
        checksum: None,
        severity: None,
        steward: None,
        exposure: None,
    }
}

const STG: &str = "model.shop.stg_payments";
const FCT: &str = "model.shop.fct_revenue";
const USERS: &str = "model.shop.dim_users";

fn end() -> DateTime<Utc> {
    utc(2025, 3, 31, 7, 0)
}

/// Hours before `end`.
fn ago(h: i64) -> DateTime<Utc> {
    end() - Duration::hours(h)
}

fn issue(
    id: i64,
    asset: &str,
    first_seen: i64,
    ack: Option<i64>,
    resolved: Option<i64>,
    occurrences: i64,
) -> IssueFacts {
    IssueFacts {
        id,
        asset: asset.into(),
        check: format!("test.{id}"),
        first_owner: None,
        first_seen: ago(first_seen),
        acknowledged: ack.map(ago),
        resolved_at: resolved.map(ago),
        occurrences,
    }
}

fn record(n: i64, declared: i64, resolved: Option<i64>) -> (IncidentRecord, IncidentFacts) {
    (
        IncidentRecord {
            id: format!("INC-{n}"),
            title: format!("Incident {n}"),
            severity: "SEV2".into(),
            status: if resolved.is_some() {
                "resolved"
            } else {
                "investigating"
            }
            .into(),
            declared: ago(declared),
            impact_started: None,
            resolved: resolved.map(ago),
        },
        IncidentFacts {
            id: format!("INC-{n}"),
            declared: ago(declared),
            impact_started: None,
            resolved: resolved.map(ago),
            issues: vec![n],
        },
    )
}

#[test]
fn a_week_of_products_incidents_issues_and_the_week_before() {
    let lineage = Lineage::build(LineageSnapshot {
        schema_version: 12,
        dbt_version: None,
        project: Some("shop".into()),
        nodes: vec![
            node(STG, "finance", None),
            node(FCT, "finance", Some("revenue")),
            node(USERS, "core", Some("users")),
        ],
        edges: vec![(0, 1)],
        groups: Vec::new(),
        attached: Vec::new(),
    });
    let mut catalog = Catalog::build(&[], &lineage);
    // revenue: 99% over 30 days (budget 432 min); users: no target.
    catalog.products[0].sla_target = Some(0.99);
    assert_eq!(
        catalog
            .products
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["revenue", "users"]
    );
    let issues = vec![
        // This week: 1 on stg (under revenue), acked after 1h, resolved after 4h.
        issue(1, STG, 50, Some(49), Some(46), 9),
        // This week: 2 on fct, open, acked after 3h.
        issue(2, FCT, 20, Some(17), None, 4),
        // This week, users: acked only after the week ended (a late digest): not in its MTTA.
        issue(3, USERS, 10, Some(-5), None, 2),
        // Last week: two opened (one on users, resolved last week).
        issue(4, USERS, 200, None, Some(190), 30),
        issue(5, STG, 230, None, Some(100), 1),
        // Three weeks ago, resolved then: counts nowhere.
        issue(6, STG, 500, None, Some(490), 100),
    ];
    let (r1, f1) = record(1, 48, Some(44)); // this week, 4h, on issue 1 (revenue)
    let (r2, f2) = record(2, 15, None); // this week, ongoing, on issue 2 (revenue)
    let (r5, f5) = record(5, 220, Some(100)); // last week, resolved this week
    let (r6, f6) = record(6, 495, Some(490)); // three weeks ago
    let records = [r1, r2, r5, r6];
    let facts = [f1, f2, f5, f6];
    let statuses: Vec<ProductStatus> =
        crate::domain::status::statuses(&lineage, &catalog, &[], &[]);
    let d = compose(
        Facts {
            lineage: &lineage,
            catalog: &catalog,
            issues: &issues,
            incidents: &facts,
            records: &records,
            statuses: &statuses,
        },
        "2025-03-31",
        chrono_tz::Europe::Paris,
        end(),
    );
    assert_eq!(d.week, "2025-03-31");
    assert_eq!(d.timezone, "Europe/Paris");
    assert_eq!(d.window_start, "2025-03-24T07:00:00.000000Z");
    assert_eq!(d.window_end, "2025-03-31T07:00:00.000000Z");

    // revenue is down during INC-1 (48h→44h ago), INC-2 (15h ago→now) and INC-5 (until
    // 100h ago: 68h of the week): 4 + 15 + 68 = 87h of 168h.
    let rev = &d.data_products[0];
    assert_eq!(rev.name, "revenue");
    assert_eq!(rev.downtime_seconds, 87.0 * 3600.0);
    assert!((rev.uptime - (1.0 - 87.0 / 168.0)).abs() < 1e-9);
    assert_eq!(rev.sla_met, Some(false));
    assert!((rev.burn_rate.unwrap() - (87.0 / 168.0) / 0.01).abs() < 1e-9);
    // Over its 30-day window: 432 min of budget; INC-5 counts whole (120h) and INC-6 (5h)
    // too: 4 + 15 + 120 + 5 = 144h.
    assert_eq!(rev.sla_window, "30d");
    assert!((rev.error_budget_minutes_left.unwrap() - (432.0 - 144.0 * 60.0)).abs() < 1e-6);
    assert_eq!(rev.status, Status::Operational);
    let users = &d.data_products[1];
    assert_eq!((users.uptime, users.sla_met), (1.0, None));
    assert_eq!(users.error_budget_minutes_left, None);

    let ids = |v: &[IncidentWeek]| v.iter().map(|i| i.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&d.incidents_declared), ["INC-1", "INC-2"]);
    assert_eq!(ids(&d.incidents_resolved), ["INC-1", "INC-5"]);
    let inc1 = &d.incidents_declared[0];
    assert_eq!((inc1.duration_seconds, inc1.ongoing), (4.0 * 3600.0, false));
    assert_eq!(
        inc1.resolved.as_deref(),
        Some("2025-03-29T11:00:00.000000Z")
    );
    let inc2 = &d.incidents_declared[1];
    assert_eq!((inc2.duration_seconds, inc2.ongoing), (15.0 * 3600.0, true));
    assert_eq!(d.incidents_resolved[1].duration_seconds, 120.0 * 3600.0);

    // Issues 1–3 opened; MTTA over 1 and 2 (1h, 3h); MTTR over 1 (4h) and 5 (130h).
    assert_eq!(d.issues_opened, 3);
    assert_eq!(d.mtta_seconds, Some(2.0 * 3600.0));
    assert_eq!(d.mttr_seconds, Some(67.0 * 3600.0));
    assert_eq!(d.incident_mttr_seconds, Some((4.0 + 120.0) / 2.0 * 3600.0));
    let noisy: Vec<(&str, i64)> = d
        .noisiest_assets
        .iter()
        .map(|n| (n.name.as_str(), n.occurrences))
        .collect();
    assert_eq!(noisy, [(STG, 10), (FCT, 4), (USERS, 2)], "top 3");
    let teams: Vec<(&str, u64)> = d
        .teams
        .iter()
        .map(|t| (t.team.as_str(), t.issues_opened))
        .collect();
    assert_eq!(teams, [("core", 1), ("finance", 2)]);

    assert_eq!(
        d.previous_week,
        PreviousWeek {
            incidents_declared: 1,
            issues_opened: 2
        }
    );
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["data_products"][0]["status"], "operational");
    assert!(json["data_products"][1]["sla_met"].is_null());

    let text = render(&d);
    assert!(
        text.contains("week of 2025-03-31 (Europe/Paris)")
            && text.contains("from Mon 24 Mar 2025 08:00 to Mon 31 Mar 2025 09:00")
            && text.contains("Incidents declared: 2 (previous week 1), resolved: 2")
            && text.contains("Issues opened: 3 (previous week 2)")
            && text.contains("missed")
            && text.contains("INC-2")
            && text.contains("(ongoing)"),
        "{text}"
    );
}

#[test]
fn an_empty_week_has_nulls_not_zeros() {
    let lineage = Lineage::empty();
    let catalog = Catalog {
        products: vec![ProductDef {
            name: "p".into(),
            team: None,
            channel: None,
            tier: None,
            sla_target: Some(0.995),
            window: Duration::days(30),
            selectors: Vec::new(),
            configured: true,
            line: 0,
        }],
    };
    let d = compose(
        Facts {
            lineage: &lineage,
            catalog: &catalog,
            issues: &[],
            incidents: &[],
            records: &[],
            statuses: &[],
        },
        "2025-03-31",
        chrono_tz::UTC,
        end(),
    );
    assert_eq!(d.issues_opened, 0);
    assert_eq!((d.mtta_seconds, d.mttr_seconds), (None, None));
    assert!(d.noisiest_assets.is_empty() && d.teams.is_empty());
    let p = &d.data_products[0];
    assert_eq!((p.uptime, p.sla_met), (1.0, Some(true)));
    assert!((p.error_budget_minutes_left.unwrap() - 216.0).abs() < 1e-6);
    assert!(render(&d).contains("no issues this week"));
}
