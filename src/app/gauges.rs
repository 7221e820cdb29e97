//! What `GET /metrics` reads of the database at each scrape (see [`crate::telemetry`]).

use super::App;
use anyhow::Result;

impl App {
    /// Open issues and incidents, and the outbox's backlog, now.
    pub fn gauges(&self) -> Result<crate::telemetry::Gauges> {
        let now = self.clock.now();
        self.store.read(|c| crate::domain::gauges::read(c, now))
    }
}
