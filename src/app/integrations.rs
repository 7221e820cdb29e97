//! The deliveries use cases: the fan-out every write calls (one delivery per matching event and
//! target, in the write's transaction), and what the delivery worker and `steward outbox` need:
//! due deliveries, success, failure with backoff and dead letters, and revival.

use super::App;
use crate::config::Config;
use crate::domain::integrations::{self, Change};
use crate::error::InputError;
use crate::lineage::LineageHandle;
use crate::store::deliveries::{self, Delivery};
use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// What a write closure needs to fan a change out to the integrations: cheap to clone, moved
/// into the closure.
#[derive(Clone)]
pub struct Fanout {
    config: Arc<Config>,
    lineage: LineageHandle,
}

impl Fanout {
    /// Writes the deliveries `change` calls for, in `tx` (nothing when no target is set).
    pub fn run(
        &self,
        tx: &rusqlite::Transaction,
        change: Change,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if !integrations::any_target(&self.config) {
            return Ok(());
        }
        let handle = &self.lineage;
        integrations::fan_out(tx, &self.config, &|env| handle.env(Some(env)), &change, now)?;
        Ok(())
    }
}

/// How a delivery attempt failed.
#[derive(Debug, Clone)]
pub struct Failure {
    pub error: String,
    /// 429, 5xx, a timeout or a connection error: worth another try.
    pub retryable: bool,
    /// The target's `Retry-After`.
    pub retry_after: Option<Duration>,
}

/// `steward outbox`: deliveries not done, and the Slack outbox's pending items.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxView {
    pub deliveries: Vec<Delivery>,
    pub slack_pending: Vec<SlackItem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SlackItem {
    pub id: i64,
    pub topic: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
}

impl App {
    pub fn fanout(&self) -> Fanout {
        Fanout {
            config: self.config.clone(),
            lineage: self.lineage.clone(),
        }
    }

    /// Deliveries due now, at most `limit`.
    pub fn due_deliveries(&self, limit: usize) -> Result<Vec<Delivery>> {
        let now = self.clock.now();
        self.store.read(|c| deliveries::due(c, now, limit))
    }

    /// When the next pending delivery is due (RFC 3339), if any.
    pub fn next_delivery_at(&self) -> Result<Option<String>> {
        self.store.read(deliveries::next_due)
    }

    /// Records a delivery's success and what came back; a page about an incident logs a
    /// `notified` event on its timeline.
    pub fn delivery_sent(&self, d: &Delivery, response: serde_json::Value) -> Result<()> {
        let d = d.clone();
        let r = self.write_now(move |tx, now| {
            let sent = deliveries::done(tx, d.id, &response, now)?;
            if sent
                && d.action == "create"
                && let Some(id) = d.followup_id
                && let (Some(key), Some(url)) = (response["key"].as_str(), response["url"].as_str())
            {
                crate::domain::incidents::set_followup_ticket(tx, id, &d.kind, key, url, now)?;
                // Said in the incident's thread, where the follow-up was asked for.
                let f = crate::domain::incidents::get_followup(tx, id)?;
                crate::store::outbox::enqueue(
                    tx,
                    crate::store::outbox::INCIDENT_CHANGED,
                    &serde_json::json!({
                        "incident": f.incident,
                        "actor": crate::domain::incidents::tracker_name(&d.kind),
                        "text": format!("tracks the follow-up \"{}\" as {key}: {url}", f.text),
                    }),
                    now,
                )?;
            }
            if sent
                && d.action == "create"
                && let Some(id) = d.issue_id
            {
                // The issue's alert shows its ticket: re-render it (no thread reply).
                crate::store::outbox::enqueue(
                    tx,
                    crate::store::outbox::ISSUES_CHANGED,
                    &serde_json::json!({"issues": [id], "reason": "incident"}),
                    now,
                )?;
            }
            if sent
                && let Some(n) = d.incident_id
                && d.kind != "webhook"
            {
                let via = match d.kind.as_str() {
                    "jira" => "Jira",
                    "linear" => "Linear",
                    kind => crate::config::TargetKind::parse(kind)
                        .map(|k| k.display())
                        .unwrap_or("?"),
                };
                let what = match d.action.as_str() {
                    "trigger" => "paged",
                    "create" => "ticket created",
                    "acknowledge" => "acknowledged",
                    "resolve" => "resolved",
                    other => other,
                };
                tx.prepare_cached("INSERT INTO events (at, incident_id, kind, actor, detail) VALUES (?1, ?2, 'notified', NULL, ?3)")?
                    .execute(rusqlite::params![
                        crate::clock::ts(now),
                        n,
                        serde_json::json!({"via": via, "target": d.target, "what": what, "link": response.get("link")}).to_string()
                    ])?;
                if d.action == "trigger" || d.action == "create" {
                    // The incident's message says it was paged, or shows its ticket: re-render
                    // it (no thread reply).
                    crate::store::outbox::enqueue(
                        tx,
                        crate::store::outbox::INCIDENT_CHANGED,
                        &serde_json::json!({"incident": n}),
                        now,
                    )?;
                }
            }
            Ok(())
        });
        self.signal(r)
    }

    /// Records a failed attempt: retried after a backoff (or the target's `Retry-After`), or
    /// dead-lettered when it cannot succeed or had `[integrations] max_attempts`.
    pub fn delivery_failed(&self, d: &Delivery, failure: Failure) -> Result<()> {
        let cfg = self.config.integrations.clone();
        let (id, attempts) = (d.id, d.attempts + 1);
        self.write_now(move |tx, now| {
            let next = (failure.retryable && attempts < i64::from(cfg.max_attempts)).then(|| {
                let delay = failure
                    .retry_after
                    .map(|r| r.min(Duration::from_secs(3600)))
                    .unwrap_or_else(|| backoff(&cfg, id, attempts));
                now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1))
            });
            let error: String = failure.error.chars().take(500).collect();
            deliveries::failed(tx, id, &error, next, now)
        })
    }

    /// `steward outbox`: deliveries pending or dead, and the Slack items pending.
    pub fn outbox(&self) -> Result<OutboxView> {
        self.store.read(|c| {
            let mut stmt = c.prepare(
                "SELECT id, topic, attempts, next_attempt_at, last_error FROM outbox WHERE done_at IS NULL ORDER BY id",
            )?;
            let slack_pending = stmt
                .query_map([], |r| {
                    Ok(SlackItem {
                        id: r.get(0)?,
                        topic: r.get(1)?,
                        attempts: r.get(2)?,
                        next_attempt_at: r.get(3)?,
                        last_error: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(OutboxView {
                deliveries: deliveries::unfinished(c)?,
                slack_pending,
            })
        })
    }

    /// `steward outbox retry ID|--all`: dead deliveries pending again, due now. An id that is
    /// not a dead delivery is an input error.
    pub fn outbox_retry(&self, id: Option<i64>) -> Result<Vec<i64>> {
        if let Some(i) = id {
            let d = self.store.read(|c| deliveries::get(c, i))?;
            match d {
                None => {
                    return Err(InputError::not_found(
                        format!("delivery {i}"),
                        "no such delivery (see `steward outbox`)",
                    )
                    .into());
                }
                Some(d) if d.state != "dead" => {
                    return Err(InputError::new(
                        format!("delivery {i}"),
                        format!("it is {}, not dead", d.state),
                    )
                    .into());
                }
                Some(_) => {}
            }
        }
        self.signal(self.write_now(move |tx, now| deliveries::revive(tx, id, now)))
    }

    /// Where the Slack message a delivery is about lives, if it was posted.
    pub fn delivery_slack_ref(&self, d: &Delivery) -> Result<Option<super::SlackRef>> {
        use rusqlite::OptionalExtension;
        let (sql, id) = match (d.about_incident(), d.issue_id) {
            (Some(n), _) => (
                "SELECT channel, ts FROM slack_messages WHERE purpose = 'incident' AND incident_id = ?1 AND ts IS NOT NULL ORDER BY id LIMIT 1",
                n,
            ),
            (None, Some(i)) => (
                "SELECT channel, ts FROM slack_messages WHERE purpose = 'alert' AND issue_id = ?1 AND ts IS NOT NULL ORDER BY id DESC LIMIT 1",
                i,
            ),
            (None, None) => return Ok(None),
        };
        self.store.read(|c| {
            Ok(c.query_row(sql, [id], |r| {
                Ok(super::SlackRef {
                    channel: r.get(0)?,
                    ts: r.get(1)?,
                })
            })
            .optional()?)
        })
    }

    /// Asks for a ticket about `subject` in `tracker` (`jira`, `linear`), once: a second request returns
    /// the first one's delivery. The worker (or `steward ticket`) creates it.
    pub fn request_ticket(
        &self,
        tracker: &str,
        subject: crate::domain::integrations::tickets::TicketSubject,
        actor: &str,
    ) -> Result<crate::domain::integrations::tickets::TicketRequest> {
        self.tracker_configured(tracker)?;
        let (config, handle, tracker, actor) = (
            self.config.clone(),
            self.lineage.clone(),
            tracker.to_owned(),
            actor.to_owned(),
        );
        self.signal(self.write_now(move |tx, now| {
            crate::domain::integrations::tickets::request_ticket(
                tx,
                &config,
                &|env| handle.env(Some(env)),
                &tracker,
                subject,
                &actor,
                now,
            )
        }))
    }

    /// Refuses a tracker (`jira`, `linear`) that steward.toml does not configure.
    pub fn tracker_configured(&self, tracker: &str) -> Result<()> {
        let configured = match tracker {
            "jira" => self.config.jira.is_some(),
            "linear" => self.config.linear.is_some(),
            _ => false,
        };
        if !configured {
            return Err(InputError::new(
                tracker,
                "no such tracker configured (set [jira] or [linear] in steward.toml)",
            )
            .into());
        }
        Ok(())
    }

    /// Takes a pending delivery for sending now: it stays pending but is not due for `lease`, so
    /// the worker of another process leaves it alone. None when it is not pending.
    pub fn claim_delivery(&self, id: i64, lease: Duration) -> Result<Option<Delivery>> {
        let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(5));
        self.write_now(move |tx, now| {
            let Some(d) = deliveries::get(tx, id)? else {
                return Ok(None);
            };
            if d.state != "pending" {
                return Ok(None);
            }
            tx.execute(
                "UPDATE deliveries SET next_attempt_at = ?2 WHERE id = ?1",
                rusqlite::params![id, crate::clock::ts(now + lease)],
            )?;
            Ok(Some(d))
        })
    }

    pub fn delivery(&self, id: i64) -> Result<Option<Delivery>> {
        self.store.read(|c| deliveries::get(c, id))
    }

    /// Incident `n`'s deliveries, oldest first.
    /// The deliveries about these issues (e.g. their tickets).
    pub fn issue_deliveries(&self, ids: &[i64]) -> Result<Vec<Delivery>> {
        self.store.read(|c| deliveries::for_issues(c, ids))
    }

    pub fn incident_deliveries(&self, n: i64) -> Result<Vec<Delivery>> {
        self.store.read(|c| deliveries::for_incident(c, n))
    }
}

/// The delay before attempt `attempts + 1`: `retry_base` doubled per attempt up to `max_delay`,
/// then a jitter that keeps between half and all of it (so many deliveries failing together
/// do not retry together).
pub fn backoff(cfg: &crate::config::IntegrationsConfig, id: i64, attempts: i64) -> Duration {
    let exp = u32::try_from(attempts.clamp(1, 30) - 1).unwrap_or(0);
    let full = cfg
        .retry_base
        .saturating_mul(2u32.saturating_pow(exp))
        .min(cfg.max_delay);
    use std::hash::BuildHasher;
    let h = std::collections::hash_map::RandomState::new().hash_one((id, attempts));
    let fraction = 0.5 + (h % 1000) as f64 / 2000.0;
    full.mul_f64(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_stops_at_the_cap() {
        let cfg = crate::config::IntegrationsConfig {
            retry_base: Duration::from_secs(2),
            max_delay: Duration::from_secs(60),
            ..Default::default()
        };
        for attempts in 1..=10 {
            let full =
                Duration::from_secs(2 * 2u64.pow(attempts as u32 - 1)).min(Duration::from_secs(60));
            let d = backoff(&cfg, 7, attempts);
            assert!(
                d >= full / 2 && d <= full,
                "attempt {attempts}: {d:?} not in [{:?}, {full:?}]",
                full / 2
            );
        }
    }
}
