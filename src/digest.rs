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
//!   metrics ([`crate::metrics::compute`]) and the incidents table: per data product uptime, SLA,
//!   burn rate and status now, with the error budget left over the product's own SLA window;
//!   incidents declared and resolved; issues opened, MTTA, MTTR (all teams, and per team); the 3
//!   noisiest assets; and the previous 7 days' incidents declared and issues opened.
//! - **Delivery** ([`run`]): a task next to the Slack notifier that sleeps until the next
//!   scheduled instant (waking at least every minute, and whenever a manual clock moves) and
//!   then, in one store write, enqueues a [`crate::outbox::DIGEST_WEEKLY`] item unless that
//!   week's was already enqueued. A digest missed while the bot was down is sent late once if
//!   it is less than [`late_limit`] old, never later. The notifier computes and posts it.

use crate::app::App;
use crate::config::DigestConfig;
use crate::issues::ts;
use crate::lineage::Lineage;
use crate::metrics::{self, IncidentFacts, IssueFacts, Noisy, TeamMetrics, Window};
use crate::products::{Catalog, ProductStatus, Status};
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
    /// All teams together (see [`crate::metrics`] for the definitions).
    pub issues_opened: u64,
    pub mtta_seconds: Option<f64>,
    pub mttr_seconds: Option<f64>,
    pub incident_mttr_seconds: Option<f64>,
    /// The top 3 by occurrences of issues active in the window.
    pub noisiest_assets: Vec<Noisy>,
    pub teams: Vec<TeamMetrics>,
    pub previous_week: PreviousWeek,
    /// Incidents declared in each of the last 4 weeks, oldest first (this week last).
    pub incidents_per_week: Vec<u64>,
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

fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
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
            id: crate::incidents::label(r.get(0)?),
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
        previous_week: PreviousWeek {
            incidents_declared: previous_declared,
            issues_opened: before.issues_opened,
        },
        incidents_per_week: crate::sparkline::incidents_per_week(f.incidents, end, 4),
    }
}

/// The digest of the week keyed `week`, the 7 days ending at `end`, from the store; product
/// statuses are as of now.
pub fn weekly(app: &App, week_key: NaiveDate, end: DateTime<Utc>) -> Result<Digest> {
    let lineage = app.lineage.current();
    let catalog = Catalog::build(&app.config.products, &lineage);
    let back = crate::products::longest_window(&catalog).max(week() + week());
    let (issues, incidents, records) = app.store.read(|c| {
        let (issues, incidents) = metrics::load(c, end - back)?;
        Ok((issues, incidents, load_incidents(c, end - week() - week())?))
    })?;
    let statuses = app.product_statuses()?;
    let tz = app
        .config
        .digest
        .as_ref()
        .map_or(chrono_tz::UTC, |d| d.timezone);
    let key = week_key.format("%Y-%m-%d").to_string();
    Ok(compose(
        Facts {
            lineage: &lineage,
            catalog: &catalog,
            issues: &issues,
            incidents: &incidents,
            records: &records,
            statuses: &statuses,
        },
        &key,
        tz,
        end,
    ))
}

/// This week's digest as of now (`steward digest`): the 7 days ending now, keyed by today's
/// date in the digest's time zone.
pub fn current(app: &App) -> Result<Digest> {
    let now = app.clock.now();
    let tz = app
        .config
        .digest
        .as_ref()
        .map_or(chrono_tz::UTC, |d| d.timezone);
    weekly(app, now.with_timezone(&tz).date_naive(), now)
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
        |s| crate::artifacts::human_duration(s.round() as i64),
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
        out.push_str(&crate::render::table(
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
        out.push_str(&crate::render::table(
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
        out.push_str(&crate::render::table(
            &["TEAM", "OPENED", "MTTA", "MTTR"],
            &rows,
            40,
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Delivery

/// How often the scheduler re-reads the clock at most: a wall clock that jumps (suspend, NTP)
/// is noticed within this.
const POLL: std::time::Duration = std::time::Duration::from_secs(60);

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
        params![crate::outbox::DIGEST_WEEKLY, key],
        |r| r.get(0),
    )?;
    if seen {
        return Ok(false);
    }
    let payload = serde_json::json!({"week": key, "at": ts(slot.at), "channel": channel});
    crate::outbox::enqueue(tx, crate::outbox::DIGEST_WEEKLY, &payload, now)?;
    Ok(true)
}

/// The scheduler: runs until aborted; does nothing without `[digest]`.
pub async fn run(app: App) {
    let Some(cfg) = app.config.digest.clone() else {
        return;
    };
    let clock = app.clock.clone();
    // The last week enqueued (or found enqueued) by this task: no store write until the next.
    let mut done: Option<NaiveDate> = None;
    loop {
        // Registered before the clock is read, so a move in between still wakes the wait.
        let moved = clock.moved().map(|n| n.notified());
        let now = clock.now();
        if let Some(slot) = due_slot(&cfg, now).filter(|s| done != Some(s.week)) {
            let channel = cfg.channel.clone();
            match app
                .store
                .write_async(move |tx| enqueue_once(tx, slot, &channel, now))
                .await
            {
                Ok(enqueued) => {
                    done = Some(slot.week);
                    if enqueued {
                        tracing::info!(week = slot.key(), late = %(now - slot.at), "weekly digest due");
                        app.outbox_signal.notify_one();
                    }
                }
                Err(e) => tracing::error!(error = format!("{e:#}"), "weekly digest not enqueued"),
            }
        }
        let wait = (next_slot(&cfg, now).at - now)
            .to_std()
            .unwrap_or_default()
            .min(POLL);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = async {
                match moved {
                    Some(n) => n.await,
                    None => std::future::pending().await,
                }
            } => {}
        }
    }
}

#[cfg(test)]
mod tests {
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
        let items = store.read(|c| crate::outbox::due(c, now, 10)).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].topic, crate::outbox::DIGEST_WEEKLY);
        assert_eq!(
            items[0].payload,
            serde_json::json!({"week": "2025-03-03", "at": "2025-03-03T09:00:00.000000Z", "channel": "C0DIGEST01"})
        );
    }

    // Content: the metrics' own scenario shape, over a week ending at `end`.

    use crate::lineage::{LineageSnapshot, Node, NodeKind};
    use crate::products::ProductDef;

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
            // This week, users: never acked, open.
            issue(3, USERS, 10, None, None, 2),
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
        let statuses: Vec<ProductStatus> = crate::products::statuses(&lineage, &catalog, &[], &[]);
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
}
