//! Error budgets per team, at issue level: `[[teams]] error_budget = "40h/30d"` allows that many
//! failing-check hours per window. A team's spend is the summed open time of its issues (first
//! seen → resolved, or now) inside the window ending now; an issue's team is the one
//! [`super::team_of`] gives. This is the data team's own measure, apart from the incident SLAs
//! of data products.

use super::{IssueFacts, seconds, team_of};
use crate::config::TeamConfig;
use crate::lineage::Lineage;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// How many checks each budget lists as having spent most.
pub const TOP_CHECKS: usize = 3;

/// One team's budget over its window ending now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamBudget {
    pub team: String,
    /// As configured, e.g. `40h/30d`.
    pub budget: String,
    pub window_start: String,
    pub allowed_hours: f64,
    pub spent_hours: f64,
    /// Negative once overspent.
    pub left_hours: f64,
    /// spent / allowed: 1 spends exactly the budget over the window.
    pub burn_rate: f64,
    /// The checks (asset and check) that spent most, most first.
    pub top_checks: Vec<CheckSpend>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckSpend {
    pub asset: String,
    pub check: String,
    pub hours: f64,
}

impl TeamBudget {
    pub fn overspent(&self) -> bool {
        self.left_hours < 0.0
    }
}

/// The open time of `issue` inside [start, now].
fn open_within(issue: &IssueFacts, start: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    let from = issue.first_seen.max(start);
    let to = issue.resolved_at.unwrap_or(now).min(now);
    (to - from).max(Duration::zero())
}

/// The budget of every team that has one, in config order. `issues` must include every issue
/// open at some point of the longest window (see [`longest_window`]).
pub fn compute(
    lineage: &Lineage,
    teams: &[TeamConfig],
    issues: &[IssueFacts],
    now: DateTime<Utc>,
) -> Vec<TeamBudget> {
    teams
        .iter()
        .filter_map(|t| {
            let budget = t.error_budget?;
            let window = Duration::from_std(budget.window).ok()?;
            let start = now - window;
            let mut by_check: HashMap<(&str, &str), Duration> = HashMap::new();
            for i in issues
                .iter()
                .filter(|i| team_of(lineage, &i.asset, i.first_owner.as_deref()) == t.name)
            {
                let d = open_within(i, start, now);
                if d > Duration::zero() {
                    *by_check.entry((&i.asset, &i.check)).or_default() += d;
                }
            }
            let hours = |d: Duration| seconds(d) / 3600.0;
            let spent = hours(by_check.values().fold(Duration::zero(), |a, b| a + *b));
            let allowed = budget.allowed.as_secs_f64() / 3600.0;
            let mut top: Vec<CheckSpend> = by_check
                .into_iter()
                .map(|((asset, check), d)| CheckSpend {
                    asset: asset.to_owned(),
                    check: check.to_owned(),
                    hours: hours(d),
                })
                .collect();
            top.sort_by(|a, b| {
                b.hours
                    .total_cmp(&a.hours)
                    .then_with(|| (&a.asset, &a.check).cmp(&(&b.asset, &b.check)))
            });
            top.truncate(TOP_CHECKS);
            Some(TeamBudget {
                team: t.name.clone(),
                budget: budget.to_string(),
                window_start: crate::clock::ts(start),
                allowed_hours: allowed,
                spent_hours: spent,
                left_hours: allowed - spent,
                burn_rate: spent / allowed,
                top_checks: top,
            })
        })
        .collect()
}

/// The longest budget window of `teams` (what the facts must cover), if any team has one.
pub fn longest_window(teams: &[TeamConfig]) -> Option<Duration> {
    teams
        .iter()
        .filter_map(|t| Duration::from_std(t.error_budget?.window).ok())
        .max()
}

/// One line per budget, for the report and the digest: `finance: 12.5h of 40h/30d spent
/// (31%), 27.5h left, burn 0.31; most: stg_orders run 8.0h`.
pub fn line(b: &TeamBudget) -> String {
    let mut s = format!(
        "{}: {:.1}h of {} spent ({:.0}%), {}, burn {:.2}",
        b.team,
        b.spent_hours,
        b.budget,
        b.burn_rate * 100.0,
        if b.overspent() {
            format!("overspent by {:.1}h", -b.left_hours)
        } else {
            format!("{:.1}h left", b.left_hours)
        },
        b.burn_rate
    );
    if !b.top_checks.is_empty() {
        let most: Vec<String> = b
            .top_checks
            .iter()
            .map(|c| {
                format!(
                    "{} {} {:.1}h",
                    crate::domain::text::short_name(&c.asset),
                    crate::domain::text::short_name(&c.check),
                    c.hours
                )
            })
            .collect();
        s.push_str(&format!("; most: {}", most.join(", ")));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ErrorBudget;

    fn at(h: i64) -> DateTime<Utc> {
        chrono::DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")
            .unwrap()
            .to_utc()
            + Duration::hours(h)
    }

    fn issue(id: i64, owner: &str, check: &str, from: i64, to: Option<i64>) -> IssueFacts {
        IssueFacts {
            id,
            asset: format!("model.p.m{id}"),
            check: check.into(),
            first_owner: Some(owner.into()),
            first_seen: at(from),
            acknowledged: None,
            resolved_at: to.map(at),
            occurrences: 1,
        }
    }

    #[test]
    fn spend_is_open_time_inside_the_window() {
        let lineage = Lineage::empty();
        let teams = vec![
            TeamConfig {
                name: "ana@example.com".into(),
                error_budget: ErrorBudget::parse("10h/2d"),
                ..TeamConfig::default()
            },
            TeamConfig {
                name: "nobudget".into(),
                ..TeamConfig::default()
            },
        ];
        let now = at(100);
        let issues = vec![
            // Started before the window (which starts at 52h): only 52h → 56h counts.
            issue(1, "ana@example.com", "run", 40, Some(56)),
            // Still open: 96h → now.
            issue(2, "ana@example.com", "freshness", 96, None),
            // Resolved before the window: nothing.
            issue(3, "ana@example.com", "run", 10, Some(20)),
            // Another team's.
            issue(4, "bruno@example.com", "run", 60, None),
        ];
        let b = compute(&lineage, &teams, &issues, now);
        assert_eq!(b.len(), 1);
        let b = &b[0];
        assert_eq!(b.budget, "10h/2d");
        assert!((b.spent_hours - 8.0).abs() < 1e-9, "{b:?}");
        assert!((b.left_hours - 2.0).abs() < 1e-9);
        assert!((b.burn_rate - 0.8).abs() < 1e-9);
        assert_eq!(b.top_checks.len(), 2);
        assert_eq!(b.top_checks[0].check, "run");
        assert!(
            line(b).contains("8.0h of 10h/2d spent (80%), 2.0h left, burn 0.80"),
            "{}",
            line(b)
        );
        // Eight hours on, issue 1 has left the window and issue 2 alone overspends it.
        let later = compute(&lineage, &teams, &issues, at(108));
        assert!(later[0].overspent());
        assert!(
            line(&later[0]).contains("overspent by 2.0h"),
            "{}",
            line(&later[0])
        );
        assert_eq!(longest_window(&teams), Some(Duration::days(2)));
    }
}
