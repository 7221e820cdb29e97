//! The Socket Mode bot: acks every envelope at once and queues the work, a worker that turns
//! buttons, modals, commands and thread replies into core calls, and a notifier that turns the
//! outbox into one living Slack message per root-cause group.
//!
//! slack-morphism sends an envelope's ack only when our callback returns, so callbacks only
//! convert the event to JSON, drop duplicates (Slack redelivers) and enqueue: no I/O.

use crate::app::App;
use crate::config::SlackConfig;
use crate::faces::slack::api::{self, SlackApi};
use crate::faces::slack::context::{Context as Shared, Incoming};
use anyhow::{Context, Result};
use serde_json::Value;
use slack_morphism::prelude::*;
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Tokens and where Slack is. Secrets come only from the environment and never print.
#[derive(Clone)]
pub struct SlackSettings {
    pub bot_token: crate::faces::http::Secret,
    pub app_token: crate::faces::http::Secret,
    /// `SLACK_API_URL`, default [`api::DEFAULT_API_URL`] (`https://slack.com/api`).
    pub api_url: String,
    pub config: SlackConfig,
}

impl std::fmt::Debug for SlackSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackSettings")
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

impl SlackSettings {
    /// From `SLACK_BOT_TOKEN`, `SLACK_APP_TOKEN` and `SLACK_API_URL`; None when a token is
    /// missing (then `serve` runs the HTTP API alone and says so).
    pub fn from_env(config: Option<&SlackConfig>) -> Result<Option<SlackSettings>> {
        let bot = std::env::var("SLACK_BOT_TOKEN")
            .ok()
            .filter(|t| !t.is_empty());
        let app = std::env::var("SLACK_APP_TOKEN")
            .ok()
            .filter(|t| !t.is_empty());
        let (Some(bot), Some(app)) = (bot, app) else {
            return Ok(None);
        };
        let config = config.cloned().ok_or_else(|| {
            crate::error::InputError::new(
                "steward.toml",
                "Slack tokens are set but there is no [slack] table with alerts_channel and incidents_channel",
            )
        })?;
        Ok(Some(SlackSettings {
            bot_token: crate::faces::http::Secret::new(bot),
            app_token: crate::faces::http::Secret::new(app),
            api_url: std::env::var("SLACK_API_URL")
                .unwrap_or_else(|_| api::DEFAULT_API_URL.to_owned()),
            config,
        }))
    }
}

/// Remembers recent envelope/event ids so a redelivery is handled once.
struct Seen {
    order: VecDeque<String>,
    set: HashSet<String>,
}

impl Seen {
    fn first_time(&mut self, key: String) -> bool {
        if !self.set.insert(key.clone()) {
            return false;
        }
        self.order.push_back(key);
        if self.order.len() > 10_000
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        true
    }
}

struct ListenerState {
    queue: mpsc::UnboundedSender<Incoming>,
    /// `[access]` and its membership snapshot, for refusals at a modal's ack.
    access: Arc<crate::domain::access::Access>,
    seen: Mutex<Seen>,
}

impl ListenerState {
    fn enqueue(&self, key: Option<String>, item: Incoming) {
        if let Some(key) = key
            && !self.seen.lock().expect("seen lock").first_time(key.clone())
        {
            tracing::debug!(key, "duplicate delivery ignored");
            return;
        }
        if self.queue.send(item).is_err() {
            tracing::error!("the Slack work queue is closed; dropping an event");
        }
    }
}

/// A running bot.
pub struct Bot {
    pub api: Arc<SlackApi>,
    pub bot_user: String,
    access: Arc<crate::domain::access::Access>,
    listener: Arc<SlackClientSocketModeListener<api::Connector>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Bot {
    /// Reads `[access]`'s user groups again now (as the refresh task does every
    /// `[access] refresh`); returns the problems met.
    pub async fn refresh_access(&self) -> Vec<String> {
        super::access::refresh(&self.api, &self.access).await
    }

    pub async fn stop(self) {
        self.listener.shutdown().await;
        for t in self.tasks {
            t.abort();
        }
    }
}

/// Connects to Slack and starts the listener, the worker and the notifier.
pub async fn start(app: App, settings: SlackSettings) -> Result<Bot> {
    let client = api::client(&settings.api_url)?;
    let api = Arc::new(SlackApi::new(
        client.clone(),
        settings.bot_token.expose(),
        settings.config.post_interval,
        settings.config.burst,
    ));
    let me = api
        .auth_test()
        .await
        .map_err(|e| anyhow::anyhow!("Slack auth.test failed: {e} (check SLACK_BOT_TOKEN)"))?;
    let bot_user = me
        .get("user_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();

    // Who is in `[access]`'s user groups, before any envelope can ask.
    super::access::refresh(&api, &app.access).await;

    let (tx, rx) = mpsc::unbounded_channel();
    let state = Arc::new(ListenerState {
        queue: tx,
        access: app.access.clone(),
        seen: Mutex::new(Seen {
            order: VecDeque::new(),
            set: HashSet::new(),
        }),
    });
    let env = Arc::new(
        SlackClientEventsListenerEnvironment::new(client.clone())
            .with_error_handler(on_listener_error)
            .with_user_state(state),
    );
    let callbacks = SlackSocketModeListenerCallbacks::new()
        // Each connection (the first and every reconnect) starts with `hello`.
        .with_hello_events(|_hello, _client, _states| async {
            crate::telemetry::socket_connected();
        })
        .with_push_events(on_push)
        .with_interaction_events(on_interaction)
        .with_command_events(on_command);
    let listener = Arc::new(SlackClientSocketModeListener::new(
        &SlackClientSocketModeConfig::new(),
        env,
        callbacks,
    ));
    listener
        .listen_for(&SlackApiToken::new(settings.app_token.expose().into()))
        .await
        .context("opening the Socket Mode connection (check SLACK_APP_TOKEN)")?;
    listener.start().await;

    let ctx = Arc::new(Shared {
        app: app.clone(),
        api: api.clone(),
        config: settings.config.clone(),
        bot_user: bot_user.clone(),
        home_users: Default::default(),
    });
    let worker = tokio::spawn(super::worker::run(ctx.clone(), rx));
    let notifier = tokio::spawn(super::notifier::run(ctx));
    let digest = tokio::spawn(crate::app::reports::run_weekly_digest(app.clone()));
    let names = tokio::spawn(super::people::run(app.clone(), api.clone()));
    let access = tokio::spawn(super::access::run(
        api.clone(),
        app.access.clone(),
        app.config.access.refresh,
    ));
    tracing::info!(bot_user, "connected to Slack over Socket Mode");
    Ok(Bot {
        api,
        bot_user,
        access: app.access.clone(),
        listener,
        tasks: vec![worker, notifier, digest, names, access],
    })
}

async fn state_of(states: &SlackClientEventsUserState) -> Option<Arc<ListenerState>> {
    states
        .read()
        .await
        .get_user_state::<Arc<ListenerState>>()
        .cloned()
}

/// Times a callback: its ack leaves when it returns.
struct AckTimer(std::time::Instant);

impl Drop for AckTimer {
    fn drop(&mut self) {
        crate::telemetry::ack(self.0.elapsed().as_secs_f64());
    }
}

fn ack_timer() -> AckTimer {
    AckTimer(std::time::Instant::now())
}

async fn on_push(
    event: SlackPushEventCallback,
    _client: Arc<SlackClient<api::Connector>>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    let _ack = ack_timer();
    let key = Some(format!("event:{}", event.event_id));
    let value = serde_json::to_value(&event).unwrap_or(Value::Null);
    if let Some(state) = state_of(&states).await {
        state.enqueue(key, Incoming::Event(value));
    }
    Ok(())
}

async fn on_interaction(
    event: SlackInteractionEvent,
    _client: Arc<SlackClient<api::Connector>>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<SlackInteractionResponse> {
    let _ack = ack_timer();
    let value = serde_json::to_value(&event).unwrap_or(Value::Null);
    // A modal's input is validated here, synchronously and without I/O, because only the ack
    // can carry errors back into the open modal.
    let state = state_of(&states).await;
    let access = state.as_ref().map(|s| s.access.as_ref());
    if let Some(errors) = super::handlers::validate_submission(&value, access) {
        return Ok(SlackInteractionResponse::ViewSubmission(
            SlackViewSubmissionResponse::Errors(SlackViewSubmissionErrorsResponse::new(errors)),
        ));
    }
    let key = value
        .get("trigger_id")
        .and_then(Value::as_str)
        .map(|t| format!("interaction:{t}"))
        .or_else(|| {
            value
                .pointer("/actions/0/action_ts")
                .and_then(Value::as_str)
                .map(|t| format!("action:{t}"))
        });
    if let Some(state) = state {
        state.enqueue(key, Incoming::Interaction(value));
    }
    Ok(SlackInteractionResponse::Empty)
}

async fn on_command(
    event: SlackCommandEvent,
    _client: Arc<SlackClient<api::Connector>>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<SlackCommandEventResponse> {
    let _ack = ack_timer();
    let value = serde_json::to_value(&event).unwrap_or(Value::Null);
    let key = value
        .get("trigger_id")
        .and_then(Value::as_str)
        .map(|t| format!("command:{t}"));
    if let Some(state) = state_of(&states).await {
        state.enqueue(key, Incoming::Command(value));
    }
    Ok(SlackCommandEventResponse::new(SlackMessageContent::new()))
}

/// Logged with context and acknowledged anyway: an unacked envelope is redelivered, and a
/// handler that fails on it would loop forever.
fn on_listener_error(
    err: Box<dyn std::error::Error + Send + Sync>,
    _client: Arc<SlackClient<api::Connector>>,
    _states: SlackClientEventsUserState,
) -> hyper::StatusCode {
    tracing::error!(error = %err, "Slack listener error (envelope acknowledged)");
    hyper::StatusCode::OK
}
