//! What the Socket Mode bot's parts share: the [`Context`] every handler and the notifier read,
//! and the [`Incoming`] work the listener queues for the worker. Both live here, below `bot`,
//! `worker` and `notifier`, so none of those three imports another's internals.

use crate::app::App;
use crate::config::SlackConfig;
use crate::faces::slack::api::SlackApi;
use serde_json::Value;
use std::sync::Arc;

/// What handlers share.
pub struct Context {
    pub app: App,
    pub api: Arc<SlackApi>,
    pub config: SlackConfig,
    pub bot_user: String,
    /// People who opened their Home tab: it is republished for them after changes.
    pub home_users: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

/// One unit of queued work: what Slack sent, as JSON.
#[derive(Debug, Clone)]
pub enum Incoming {
    /// `block_actions`, `view_submission`, … (the interaction payload).
    Interaction(Value),
    /// A slash command payload.
    Command(Value),
    /// An Events API `event_callback` payload.
    Event(Value),
}
