//! People's names: what the bot learns from Slack (`users.info`) and what the other faces read
//! to show `@name` instead of `<@U…>`.

use super::App;
use crate::domain::people::{self, People};
use anyhow::Result;

impl App {
    /// Every known name, for rendering outside Slack.
    pub fn people(&self) -> Result<People> {
        self.store.read(People::load)
    }

    /// Slack users stored somewhere whose name is unknown or stale, at most `limit`.
    pub fn people_to_look_up(&self, limit: usize) -> Result<Vec<String>> {
        let now = self.clock.now();
        self.store.read(move |c| people::to_look_up(c, now, limit))
    }

    /// Records names learnt from Slack, in one transaction; returns how many were new or changed.
    pub fn remember_people(&self, names: Vec<(String, String)>) -> Result<usize> {
        if names.is_empty() {
            return Ok(0);
        }
        self.write_now(move |tx, now| {
            let mut changed = 0;
            for (id, name) in &names {
                changed += usize::from(people::remember(tx, id, name, now)?);
            }
            Ok(changed)
        })
    }
}
