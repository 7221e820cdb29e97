//! Statuses, downtime and uptime, pinned.

use super::*;
use chrono::TimeZone;

fn t(h: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 31, 0, 0, 0).unwrap() + chrono::Duration::hours(h)
}

#[test]
fn downtime_merges_and_clips() {
    let (start, now) = (t(0), t(100));
    let h = chrono::Duration::hours;
    assert_eq!(downtime(&[], start, now), h(0));
    // Overlapping incidents count once.
    assert_eq!(
        downtime(&[(t(10), Some(t(20))), (t(15), Some(t(30)))], start, now),
        h(20)
    );
    // Nested and touching.
    assert_eq!(
        downtime(
            &[
                (t(10), Some(t(40))),
                (t(20), Some(t(30))),
                (t(40), Some(t(45)))
            ],
            start,
            now
        ),
        h(35)
    );
    // Spanning the window start, and ending before it.
    assert_eq!(
        downtime(&[(t(-50), Some(t(5))), (t(-50), Some(t(-1)))], start, now),
        h(5)
    );
    // Still open (or reopened): up to now; a future end is clipped to now.
    assert_eq!(downtime(&[(t(90), None)], start, now), h(10));
    assert_eq!(downtime(&[(t(95), Some(t(200)))], start, now), h(5));
    // Unordered input, one fully outside after now.
    assert_eq!(
        downtime(
            &[(t(60), Some(t(70))), (t(5), Some(t(10))), (t(150), None)],
            start,
            now
        ),
        h(15)
    );
    // Empty or inverted intervals add nothing.
    assert_eq!(
        downtime(&[(t(50), Some(t(50))), (t(60), Some(t(55)))], start, now),
        h(0)
    );
}

#[test]
fn merged_intervals_give_the_same_downtime_in_any_window() {
    let intervals = vec![
        (t(10), Some(t(20))),
        (t(15), Some(t(30))),
        (t(30), Some(t(31))),
        (t(40), None),
        (t(45), Some(t(50))),
        (t(-50), Some(t(5))),
        (t(60), Some(t(55))),
        (t(70), Some(t(70))),
        (t(-80), Some(t(-60))),
    ];
    let merged = merge_intervals(intervals.clone());
    assert_eq!(
        merged,
        [
            (t(-80), Some(t(-60))),
            (t(-50), Some(t(5))),
            (t(10), Some(t(31))),
            (t(40), None)
        ]
    );
    for start in -100..60 {
        for end in [start + 1, start + 7, 25, 42, 48, 100, 200] {
            assert_eq!(
                downtime(&merged, t(start), t(end)),
                downtime(&intervals, t(start), t(end)),
                "window {start}..{end}"
            );
        }
    }
}

#[test]
fn uptime_is_the_uncovered_fraction() {
    let window = chrono::Duration::hours(100);
    let now = t(100);
    assert_eq!(uptime(&[], window, now), 1.0);
    assert!((uptime(&[(t(50), Some(t(60)))], window, now) - 0.9).abs() < 1e-9);
    assert_eq!(uptime(&[(t(-10), None)], window, now), 0.0);
    assert_eq!(uptime(&[(t(0), None)], chrono::Duration::zero(), now), 1.0);
}

#[test]
fn status_changes_diff() {
    let st = |name: &str, status: Status| ProductStatus {
        name: name.into(),
        status,
        team: None,
        tier: None,
        channel: Some("C0FINANCE1".into()),
        sla_target: None,
        open_issues: Vec::new(),
        incidents: Vec::new(),
    };
    let before = [st("a", Status::Operational), st("b", Status::Degraded)];
    let after = [
        st("a", Status::Incident),
        st("b", Status::Degraded),
        st("c", Status::Degraded),
        st("d", Status::Operational),
    ];
    let got: Vec<(String, Status, Status)> = changes(&before, &after)
        .into_iter()
        .map(|c| (c.name, c.from, c.to))
        .collect();
    assert_eq!(
        got,
        [
            ("a".into(), Status::Operational, Status::Incident),
            ("c".into(), Status::Operational, Status::Degraded)
        ]
    );
}
