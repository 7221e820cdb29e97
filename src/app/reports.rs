//! The reports the faces ask for, gathered through the store and the right graph: an
//! incident's post-incident report and the weekly digest, and the task that schedules the digest.

use crate::app::App;
use crate::domain::digest::{self, Digest};
use crate::domain::metrics;
use crate::domain::postmortem::{self, PostmortemData};
use crate::domain::products::Catalog;
use crate::domain::status;
use anyhow::Result;
use chrono::{DateTime, NaiveDate, Utc};

impl App {
    /// The post-incident report of incident `n`, read through the graph of its environment.
    pub fn postmortem(&self, n: i64) -> Result<PostmortemData> {
        let lineage = self.incident_lineage(n)?;
        let catalog = Catalog::build(&self.config.products, &lineage);
        let now = self.clock.now();
        self.store
            .read(|c| postmortem::gather(c, &lineage, &catalog, &self.config.teams, n, now))
    }

    /// The digest of the week keyed `week`, the 7 days ending at `end`, from the store; product
    /// statuses are as of now.
    pub fn weekly_digest(&self, week_key: NaiveDate, end: DateTime<Utc>) -> Result<Digest> {
        let lineage = self.lineage.current();
        let catalog = Catalog::build(&self.config.products, &lineage);
        let back = status::longest_window(&catalog).max(digest::week() + digest::week());
        let (issues, incidents, records) = self.store.read(|c| {
            let (issues, incidents) = metrics::load(c, end - back)?;
            Ok((
                issues,
                incidents,
                digest::load_incidents(c, end - digest::week() - digest::week())?,
            ))
        })?;
        let statuses = self.product_statuses()?;
        let tz = self
            .config
            .digest
            .as_ref()
            .map_or(chrono_tz::UTC, |d| d.timezone);
        let key = week_key.format("%Y-%m-%d").to_string();
        let open_followups = self.store.read(crate::domain::incidents::open_followups)?;
        let budgets = self.error_budgets_at(end)?;
        let mut digest = digest::compose(
            digest::Facts {
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
        );
        digest.open_followups = open_followups;
        digest.error_budgets = budgets;
        Ok(digest)
    }

    /// This week's digest as of now (`steward digest`): the 7 days ending now, keyed by today's
    /// date in the digest's time zone.
    pub fn current_digest(&self) -> Result<Digest> {
        let now = self.clock.now();
        let tz = self
            .config
            .digest
            .as_ref()
            .map_or(chrono_tz::UTC, |d| d.timezone);
        self.weekly_digest(now.with_timezone(&tz).date_naive(), now)
    }
}

/// The scheduler: runs until aborted; does nothing without `[digest]`.
pub async fn run_weekly_digest(app: App) {
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
        if let Some(slot) = digest::due_slot(&cfg, now).filter(|s| done != Some(s.week)) {
            let channel = cfg.channel.clone();
            match app
                .store
                .write_async(move |tx| digest::enqueue_once(tx, slot, &channel, now))
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
        let wait = (digest::next_slot(&cfg, now).at - now)
            .to_std()
            .unwrap_or_default()
            .min(digest::POLL);
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
mod tests;
