//! Block Kit rendering: pure functions from core state to Slack messages, modals and the Home tab.
//!
//! Everything here is state in, JSON out: no clock (time is passed in), no network, no store.
//! This is where Slack's limits are enforced ([`super::limits`]): every message and view fits
//! whatever the input size. Long text is cut with a pointer to where the rest is (e.g.
//! "see `steward issue 12`"), long lists end with "… and N more", and when a message runs out of
//! room a closing note says so: nothing is dropped silently and no limit is exceeded.
//!
//! Conventions the handlers rely on:
//! - every `action_id` starts with `steward.`;
//! - an alert's actions block has `block_id` `steward.issue.{id}` and its buttons carry the
//!   issue id as their `value`; an incident's has `steward.incident.{n}` and carries `n`;
//! - modals carry their subject in `private_metadata` as JSON (`{"issue": 12}`).
//!
//! User-provided text (messages, names, titles, comments) is escaped per Slack's mrkdwn rules
//! (`&`, `<`, `>`). Already-resolved mentions (`<@U123>`, `<!subteam^S1>`, `<#C1>`) are kept;
//! `<!here>`, `<!channel>` and `<!everyone>` are not, so no text can ping a whole channel.
//!
//! One module per message: `alert` (the alert), `replies` (its thread replies), `storm` (a
//! storm's message and the flood summary), `incident` (the incident message),
//! `incident_actions` (the incident's severity, commander and add-issue modals, and the
//! post-incident report), `incident_reshape` (merge and split), `modals` (the modals opened from
//! an alert or an incident), `home` (the App Home tab), `lists` (slash-command answers), `digest`
//! and `product`. They are all built with `kit`: the block list that keeps within the limits,
//! the Block Kit pieces and the mrkdwn helpers. Callers use the re-exports below.

use super::limits;

mod alert;
mod digest;
mod home;
mod incident;
mod incident_actions;
mod incident_reshape;
mod kit;
mod lists;
mod modals;
mod open_link;
mod product;
mod replies;
mod storm;
#[cfg(test)]
mod tests;

pub use alert::*;
pub use digest::*;
pub use home::*;
pub use incident::*;
pub use incident_actions::*;
pub use incident_reshape::*;
pub use kit::{Message, View, escape, slack_time};
pub use lists::*;
pub use modals::*;
pub use open_link::*;
pub use product::*;
pub use replies::*;
pub use storm::*;
