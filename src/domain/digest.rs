//! The weekly reliability digest: posted to `[digest] channel` on a configured day, hour and
//! time zone, and printed by `steward digest [--json]`.
//!
//! Three parts, none of them Slack:
//! - **Scheduling** ([`last_slot`], [`next_slot`], [`due_slot`]) is pure: from `now` (UTC) and
//!   the config, the scheduled instants around it. The local time is resolved in the zone on
//!   each scheduled date, so 09:00 stays 09:00 across DST changes; a local time that does not
//!   exist (skipped by a spring-forward) becomes the first local minute after the gap, and a
//!   repeated one (fall-back) its first occurrence. A week's key is its scheduled *local date*.
//! - **Content** ([`compose`], [`weekly`]): the 7 days ending at the scheduled instant, from the
//!   metrics ([`crate::domain::metrics::compute`]) and the incidents table: per data product uptime, SLA,
//!   burn rate and status now, with the error budget left over the product's own SLA window;
//!   incidents declared and resolved; issues opened, MTTA, MTTR (all teams, and per team); the 3
//!   noisiest assets; and the previous 7 days' incidents declared and issues opened.
//! - **Delivery** ([`run`]): a task next to the Slack notifier that sleeps until the next
//!   scheduled instant (waking at least every minute, and whenever a manual clock moves) and
//!   then, in one store write, enqueues a [`crate::store::outbox::DIGEST_WEEKLY`] item unless that
//!   week's was already enqueued. A digest missed while the bot was down is sent late once if
//!   it is less than [`late_limit`] old, never later. The notifier computes and posts it.

use crate::clock::parse_ts;
use crate::config::DigestConfig;
use crate::domain::issues::ts;
use crate::domain::metrics::{self, IncidentFacts, IssueFacts, Noisy, TeamMetrics, Window};
use crate::domain::products::Catalog;
use crate::domain::status::{ProductStatus, Status};
use crate::lineage::Lineage;
use anyhow::Result;
use chrono::{
    DateTime, Datelike, Days, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone,
    Utc,
};
use chrono_tz::Tz;
use rusqlite::{Connection, Transaction, params};
use serde::Serialize;
use std::collections::HashMap;

// ---------------------------------------------------------------------------------------------
// Scheduling

/// One scheduled digest: its week's key (the scheduled local date) and the instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub week: NaiveDate,
    pub at: DateTime<Utc>,
}

impl Slot {
    /// The week's key, e.g. `2025-03-31`: the same whatever the DST offset or when it is sent.
    pub fn key(&self) -> String {
        self.week.format("%Y-%m-%d").to_string()
    }
}

/// The length of a digest's window, and of the week before it.
pub fn week() -> Duration {
    Duration::days(7)
}

/// How late a digest missed while the bot was down is still sent.
pub fn late_limit() -> Duration {
    Duration::hours(24)
}

/// The instant of a local date and time in `tz`: a time skipped by a DST change becomes the
/// first local minute after the gap (02:30 on a spring-forward night → 03:00), a repeated one
/// its first occurrence.
pub fn resolve_local(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        LocalResult::None => {
            let mut t = local;
            // Gaps are at most a few hours (a zone moving across the date line skipped a day).
            for _ in 0..(48 * 60) {
                t += Duration::minutes(1);
                if let Some(r) = tz.from_local_datetime(&t).earliest() {
                    return r.with_timezone(&Utc);
                }
            }
            Utc.from_utc_datetime(&local)
        }
    }
}

/// When the digest of the week keyed `date` is due.
pub fn scheduled_on(cfg: &DigestConfig, date: NaiveDate) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(cfg.hour.min(23), 0, 0).expect("hour checked by config");
    resolve_local(cfg.timezone, date.and_time(time))
}

/// The most recent scheduled digest at or before `now`.
pub fn last_slot(cfg: &DigestConfig, now: DateTime<Utc>) -> Slot {
    let today = now.with_timezone(&cfg.timezone).date_naive();
    let back = (today.weekday().num_days_from_monday() + 7 - cfg.day.num_days_from_monday()) % 7;
    let mut week = today - Days::new(u64::from(back));
    let mut at = scheduled_on(cfg, week);
    if at > now {
        week = week - Days::new(7);
        at = scheduled_on(cfg, week);
    }
    Slot { week, at }
}

/// The first scheduled digest after `now`.
pub fn next_slot(cfg: &DigestConfig, now: DateTime<Utc>) -> Slot {
    let week = last_slot(cfg, now).week + Days::new(7);
    Slot {
        week,
        at: scheduled_on(cfg, week),
    }
}

/// The digest to send at `now`, if any: the last scheduled one, unless it is
/// [`late_limit`] old or more.
pub fn due_slot(cfg: &DigestConfig, now: DateTime<Utc>) -> Option<Slot> {
    let slot = last_slot(cfg, now);
    (now - slot.at < late_limit()).then_some(slot)
}

// ---------------------------------------------------------------------------------------------
// Content

/// A week of reliability, as the digest shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Digest {
    /// The week's key: the local date of the scheduled post (of now for a preview).
    pub week: String,
    pub timezone: String,
    pub window_start: String,
    pub window_end: String,
    pub data_products: Vec<ProductWeek>,
    /// Declared in the window, oldest first.
    pub incidents_declared: Vec<IncidentWeek>,
    /// Resolved in the window (whenever declared), oldest first.
    pub incidents_resolved: Vec<IncidentWeek>,
    /// All teams together (see [`crate::domain::metrics`] for the definitions).
    pub issues_opened: u64,
    pub mtta_seconds: Option<f64>,
    pub mttr_seconds: Option<f64>,
    pub incident_mttr_seconds: Option<f64>,
    /// The top 3 by occurrences of issues active in the window.
    pub noisiest_assets: Vec<Noisy>,
    pub teams: Vec<TeamMetrics>,
    /// `[[teams]] error_budget`s, each over its own window ending with the digest.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub error_budgets: Vec<crate::domain::metrics::budgets::TeamBudget>,
    pub previous_week: PreviousWeek,
    /// Incidents declared in each of the last 4 weeks, oldest first (this week last).
    pub incidents_per_week: Vec<u64>,
    /// Incidents' follow-ups still open, oldest first (filled by the caller from the store).
    pub open_followups: Vec<crate::domain::incidents::Followup>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductWeek {
    pub name: String,
    /// Now (when the digest is computed), not at the end of the window.
    pub status: Status,
    /// Over the 7 days.
    pub uptime: f64,
    pub downtime_seconds: f64,
    pub sla_target: Option<f64>,
    /// Whether the week's uptime met the target.
    pub sla_met: Option<bool>,
    /// The week's burn rate: above 1 spends the budget faster than the SLA allows.
    pub burn_rate: Option<f64>,
    /// What is left of the error budget over the product's SLA window (`sla_window`), ending
    /// with the week; negative once overspent.
    pub error_budget_minutes_left: Option<f64>,
    pub sla_window: String,
    /// Uptime of each of the week's 7 days, oldest first.
    pub daily_uptime: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentWeek {
    pub id: String,
    pub title: String,
    pub severity: String,
    /// Its status now.
    pub status: String,
    pub declared: String,
    /// When it was resolved, if by the end of the window.
    pub resolved: Option<String>,
    /// From impact start (else declaration) to resolution, or to the end of the window.
    pub duration_seconds: f64,
    /// Not resolved at the end of the window.
    pub ongoing: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreviousWeek {
    pub incidents_declared: u64,
    pub issues_opened: u64,
}

/// What the digest needs of an incident beyond [`IncidentFacts`].
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRecord {
    /// `INC-n`.
    pub id: String,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub declared: DateTime<Utc>,
    pub impact_started: Option<DateTime<Utc>>,
    /// Set only while resolved.
    pub resolved: Option<DateTime<Utc>>,
}

/// Incidents declared, or resolved, at or after `since`, by number.
pub fn load_incidents(conn: &Connection, since: DateTime<Utc>) -> Result<Vec<IncidentRecord>> {
    let mut stmt = conn.prepare(
        "SELECT id, title, severity, status, declared_at, impact_started,
                CASE WHEN status = 'resolved' THEN resolved_at END
         FROM incidents
         WHERE declared_at >= ?1 OR (status = 'resolved' AND resolved_at >= ?1)
         ORDER BY id",
    )?;
    let mut rows = stmt.query([ts(since)])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let Some(declared) = parse_ts(r.get_ref(4)?.as_str()?) else {
            continue;
        };
        out.push(IncidentRecord {
            id: crate::domain::incidents::label(r.get(0)?),
            title: r.get(1)?,
            severity: r.get(2)?,
            status: r.get(3)?,
            declared,
            impact_started: r.get::<_, Option<String>>(5)?.as_deref().and_then(parse_ts),
            resolved: r.get::<_, Option<String>>(6)?.as_deref().and_then(parse_ts),
        });
    }
    Ok(out)
}

/// The figures of all teams together: the metrics' own computation with every issue put in
/// one team (an empty lineage leaves the first owner, set to the same name for all, as team).
fn everyone(issues: &[IssueFacts], incidents: &[IncidentFacts], end: DateTime<Utc>) -> TeamMetrics {
    let pooled: Vec<IssueFacts> = issues
        .iter()
        .map(|i| IssueFacts {
            first_owner: Some("everyone".into()),
            ..i.clone()
        })
        .collect();
    let window = Window {
        label: "7d".into(),
        length: week(),
    };
    metrics::compute(
        &Lineage::empty(),
        &Catalog::default(),
        &pooled,
        incidents,
        &window,
        end,
    )
    .teams
    .into_iter()
    .next()
    .unwrap_or_else(|| TeamMetrics {
        team: "everyone".into(),
        issues_opened: 0,
        mtta_seconds: None,
        mttr_seconds: None,
        incident_mttr_seconds: None,
        noisiest_assets: Vec::new(),
        noisiest_checks: Vec::new(),
    })
}

/// `30d`, `12h`, else as the config writes durations.
fn window_label(w: Duration) -> String {
    let secs = w.num_seconds();
    if secs > 0 && secs % 86_400 == 0 {
        format!("{}d", secs / 86_400)
    } else if secs > 0 && secs % 3600 == 0 {
        format!("{}h", secs / 3600)
    } else {
        w.to_std()
            .map(crate::config::format_duration)
            .unwrap_or_default()
    }
}

/// The facts a digest is made of (see [`weekly`] for where they come from).
#[derive(Clone, Copy)]
pub struct Facts<'a> {
    pub lineage: &'a Lineage,
    pub catalog: &'a Catalog,
    /// From [`metrics::load`], loaded from at least 14 days and the longest SLA window back.
    pub issues: &'a [IssueFacts],
    pub incidents: &'a [IncidentFacts],
    /// From [`load_incidents`], 14 days back.
    pub records: &'a [IncidentRecord],
    /// Product statuses now.
    pub statuses: &'a [ProductStatus],
}

/// The digest of the 7 days ending at `end`. Pure.
pub fn compose(f: Facts, week_key: &str, tz: Tz, end: DateTime<Utc>) -> Digest {
    let start = end - week();
    let weekly = Window {
        label: "7d".into(),
        length: week(),
    };
    let report = metrics::compute(f.lineage, f.catalog, f.issues, f.incidents, &weekly, end);

    // The error budget left over each product's own SLA window: one computation per distinct
    // window (usually one).
    let mut budgets: HashMap<String, Option<f64>> = HashMap::new();
    let mut windows: Vec<Duration> = f.catalog.products.iter().map(|p| p.window).collect();
    windows.sort_unstable();
    windows.dedup();
    for w in windows {
        let sub = Catalog {
            products: f
                .catalog
                .products
                .iter()
                .filter(|p| p.window == w)
                .cloned()
                .collect(),
        };
        let window = Window {
            label: window_label(w),
            length: w,
        };
        let r = metrics::compute(f.lineage, &sub, f.issues, f.incidents, &window, end);
        for p in r.data_products {
            budgets.insert(p.name, p.error_budget_minutes_left);
        }
    }
    let day = Window {
        label: "1d".into(),
        length: Duration::days(1),
    };
    let days: Vec<metrics::Report> = (1..=7)
        .map(|d| {
            metrics::compute(
                f.lineage,
                f.catalog,
                f.issues,
                f.incidents,
                &day,
                start + Duration::days(d),
            )
        })
        .collect();
    let data_products = f
        .catalog
        .products
        .iter()
        .zip(&report.data_products)
        .enumerate()
        .map(|(i, (def, p))| ProductWeek {
            daily_uptime: days
                .iter()
                .map(|r| r.data_products.get(i).map_or(1.0, |d| d.uptime))
                .collect(),
            name: p.name.clone(),
            status: f
                .statuses
                .iter()
                .find(|s| s.name == p.name)
                .map_or(Status::Operational, |s| s.status),
            uptime: p.uptime,
            downtime_seconds: p.downtime_seconds,
            sla_target: p.sla_target,
            sla_met: p.sla_met,
            burn_rate: p.burn_rate,
            error_budget_minutes_left: budgets.get(&def.name).copied().flatten(),
            sla_window: window_label(def.window),
        })
        .collect();

    let in_week = |t: DateTime<Utc>| t >= start && t <= end;
    let line = |r: &IncidentRecord| {
        let resolved = r.resolved.filter(|t| *t <= end);
        let from = r.impact_started.unwrap_or(r.declared);
        let to = resolved.unwrap_or(end);
        IncidentWeek {
            id: r.id.clone(),
            title: r.title.clone(),
            severity: r.severity.clone(),
            status: r.status.clone(),
            declared: ts(r.declared),
            resolved: resolved.map(ts),
            duration_seconds: ((to - from).num_milliseconds() as f64 / 1e3).max(0.0),
            ongoing: resolved.is_none(),
        }
    };
    let incidents_declared = f
        .records
        .iter()
        .filter(|r| in_week(r.declared))
        .map(line)
        .collect();
    let incidents_resolved = f
        .records
        .iter()
        .filter(|r| r.resolved.is_some_and(in_week))
        .map(line)
        .collect();
    let previous_declared = f
        .records
        .iter()
        .filter(|r| r.declared >= start - week() && r.declared < start)
        .count() as u64;

    let all = everyone(f.issues, f.incidents, end);
    let before = everyone(f.issues, f.incidents, start);
    Digest {
        week: week_key.to_owned(),
        timezone: tz.name().to_owned(),
        window_start: ts(start),
        window_end: ts(end),
        data_products,
        incidents_declared,
        incidents_resolved,
        issues_opened: all.issues_opened,
        mtta_seconds: all.mtta_seconds,
        mttr_seconds: all.mttr_seconds,
        incident_mttr_seconds: all.incident_mttr_seconds,
        noisiest_assets: all.noisiest_assets.into_iter().take(3).collect(),
        teams: report.teams,
        error_budgets: Vec::new(),
        previous_week: PreviousWeek {
            incidents_declared: previous_declared,
            issues_opened: before.issues_opened,
        },
        incidents_per_week: crate::domain::sparkline::incidents_per_week(f.incidents, end, 4),
        open_followups: Vec::new(),
    }
}

/// A timestamp of the digest in its time zone, e.g. `Mon 24 Mar 2025 09:00` (as given when it
/// does not parse).
pub fn local_time(timestamp: &str, timezone: &str) -> String {
    match (parse_ts(timestamp), crate::config::parse_timezone(timezone)) {
        (Some(t), Some(tz)) => t
            .with_timezone(&tz)
            .format("%a %-d %b %Y %H:%M")
            .to_string(),
        _ => timestamp.to_owned(),
    }
}

fn percent(f: f64) -> String {
    format!("{:.2}%", f * 100.0)
}

fn duration(s: Option<f64>) -> String {
    s.map_or_else(
        || "-".to_owned(),
        |s| crate::sources::artifacts::human_duration(s.round() as i64),
    )
}

/// "5 (previous week 8)".
fn versus(now: u64, before: u64) -> String {
    format!("{now} (previous week {before})")
}

/// The digest as plain text, for `steward digest`.
pub fn render(d: &Digest) -> String {
    let mut out = format!(
        "Weekly digest, week of {} ({})\nThe 7 days from {} to {}\n\n",
        d.week,
        d.timezone,
        local_time(&d.window_start, &d.timezone),
        local_time(&d.window_end, &d.timezone)
    );
    out.push_str(&format!(
        "Incidents declared: {}, resolved: {}\n",
        versus(
            d.incidents_declared.len() as u64,
            d.previous_week.incidents_declared
        ),
        d.incidents_resolved.len()
    ));
    out.push_str(&format!(
        "Issues opened: {}, MTTA {}, MTTR {}, incident MTTR {}\n",
        versus(d.issues_opened, d.previous_week.issues_opened),
        duration(d.mtta_seconds),
        duration(d.mttr_seconds),
        duration(d.incident_mttr_seconds)
    ));

    out.push_str("\nData products\n");
    if d.data_products.is_empty() {
        out.push_str("no data products\n");
    } else {
        let rows: Vec<Vec<String>> = d
            .data_products
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    p.status.to_string(),
                    percent(p.uptime),
                    p.sla_target.map_or_else(|| "-".into(), percent),
                    match p.sla_met {
                        Some(true) => "met".into(),
                        Some(false) => "missed".into(),
                        None => "-".into(),
                    },
                    p.error_budget_minutes_left
                        .map_or_else(|| "-".into(), |m| format!("{m:.1} ({})", p.sla_window)),
                    p.burn_rate
                        .map_or_else(|| "-".into(), |b| format!("{b:.2}")),
                ]
            })
            .collect();
        out.push_str(&crate::domain::text::table(
            &[
                "PRODUCT",
                "STATUS",
                "UPTIME (7D)",
                "SLA",
                "SLA MET",
                "BUDGET LEFT (MIN)",
                "BURN",
            ],
            &rows,
            40,
        ));
    }

    for (title, list) in [
        ("Incidents declared", &d.incidents_declared),
        ("Incidents resolved", &d.incidents_resolved),
    ] {
        out.push_str(&format!("\n{title}\n"));
        if list.is_empty() {
            out.push_str("none\n");
            continue;
        }
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|i| {
                vec![
                    i.id.clone(),
                    i.severity.clone(),
                    i.status.clone(),
                    format!(
                        "{}{}",
                        duration(Some(i.duration_seconds)),
                        if i.ongoing { " (ongoing)" } else { "" }
                    ),
                    i.title.clone(),
                ]
            })
            .collect();
        out.push_str(&crate::domain::text::table(
            &["INCIDENT", "SEVERITY", "STATUS", "DURATION", "TITLE"],
            &rows,
            60,
        ));
    }

    out.push_str("\nNoisiest assets\n");
    if d.noisiest_assets.is_empty() {
        out.push_str("none\n");
    }
    for n in &d.noisiest_assets {
        out.push_str(&format!("{} ({})\n", n.name, n.occurrences));
    }

    out.push_str("\nTeams\n");
    if d.teams.is_empty() {
        out.push_str("no issues this week\n");
    } else {
        let rows: Vec<Vec<String>> = d
            .teams
            .iter()
            .map(|t| {
                vec![
                    t.team.clone(),
                    t.issues_opened.to_string(),
                    duration(t.mtta_seconds),
                    duration(t.mttr_seconds),
                ]
            })
            .collect();
        out.push_str(&crate::domain::text::table(
            &["TEAM", "OPENED", "MTTA", "MTTR"],
            &rows,
            40,
        ));
    }
    if !d.error_budgets.is_empty() {
        out.push_str("\nError budgets\n");
        for b in &d.error_budgets {
            out.push_str(&crate::domain::metrics::budgets::line(b));
            out.push('\n');
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Delivery

/// How often the scheduler re-reads the clock at most: a wall clock that jumps (suspend, NTP)
/// is noticed within this.
pub const POLL: std::time::Duration = std::time::Duration::from_secs(60);

/// Enqueues the digest of `slot` for `channel`, unless that week's was already enqueued; true
/// when it was enqueued now. Runs inside one store write: the check and the insert are one
/// transaction on the one writer, so a week is enqueued once whatever runs it.
pub fn enqueue_once(
    tx: &Transaction,
    slot: Slot,
    channel: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let key = slot.key();
    let seen: bool = tx.query_row(
        "SELECT EXISTS(SELECT 1 FROM outbox WHERE topic = ?1 AND json_extract(payload, '$.week') = ?2)",
        params![crate::store::outbox::DIGEST_WEEKLY, key],
        |r| r.get(0),
    )?;
    if seen {
        return Ok(false);
    }
    let payload = serde_json::json!({"week": key, "at": ts(slot.at), "channel": channel});
    crate::store::outbox::enqueue(tx, crate::store::outbox::DIGEST_WEEKLY, &payload, now)?;
    Ok(true)
}

#[cfg(test)]
mod tests;
