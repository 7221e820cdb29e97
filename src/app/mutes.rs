//! The mute use cases every face shares: mute, unmute and the mutes in force; each write and
//! its outbox item in one transaction.

use super::{App, changed};
use crate::domain::access::{Action, Actor};
use crate::domain::issues::{self, Mute, MuteRequest, UnmuteRequest};
use anyhow::Result;

impl App {
    /// Mutes what `request` names (an issue's asset, an asset, or one check of it).
    pub fn mute_with(&self, request: MuteRequest, actor: &Actor) -> Result<Mute> {
        self.allowed(Action::Mute, actor)?;
        let actor = actor.recorded();
        let fan = self.fanout();
        let r = self.write_now(move |tx, now| {
            let mute = issues::mute_with(tx, &request, &actor, now)?;
            if let Some(id) = request.issue_id {
                changed(tx, &fan, &[id], "muted", &actor, now)?;
            }
            Ok(mute)
        });
        self.signal(r)
    }

    /// Ends the mutes in force on what `request` names; returns them.
    pub fn unmute(&self, request: UnmuteRequest, actor: &Actor) -> Result<Vec<Mute>> {
        self.allowed(Action::Mute, actor)?;
        let actor = actor.recorded();
        let fan = self.fanout();
        let r = self.write_now(move |tx, now| {
            let ended = issues::unmute(tx, &request, &actor, now)?;
            let mut ids: Vec<i64> = ended.iter().filter_map(|m| m.issue_id).collect();
            ids.extend(request.issue_id);
            ids.sort_unstable();
            ids.dedup();
            if !ids.is_empty() {
                changed(tx, &fan, &ids, "unmuted", &actor, now)?;
            }
            Ok(ended)
        });
        self.signal(r)
    }

    /// The mutes in force now, oldest first.
    pub fn mutes(&self) -> Result<Vec<Mute>> {
        let now = self.clock.now();
        self.store.read(|c| issues::active_mutes(c, now))
    }
}
