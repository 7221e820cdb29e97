//! The notifier: drains the outbox into Slack. One living message per root-cause group (root
//! issues on one asset), edited in place as issues change, with short thread replies saying who
//! did what; incident messages in the incidents channel; the App Home after changes.
//!
//! An outbox item is marked done only when Slack accepted everything it asked for; otherwise it is
//! retried with backoff, across restarts. Re-processing is safe: a group that already has a
//! message is edited, never posted twice.
//!
//! Split along its seams: [`alerts`] (root-cause groups and their living messages),
//! [`incidents`] (incident messages, stakeholder updates, reports) and [`products`] (data
//! product announcements and the weekly digest); the Home tab is [`crate::faces::slack::home`].

mod alerts;
mod explained;
mod incidents;
mod products;
mod storms;

use crate::faces::slack::api::CallError;
use crate::faces::slack::context::Context;
use crate::store::outbox;
use anyhow::Result;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub async fn run(ctx: Arc<Context>) {
    let state = Arc::new(State::default());
    loop {
        match tick(&ctx, &state).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::error!(error = format!("{e:#}"), "notifier pass failed"),
        }
        tokio::select! {
            _ = ctx.app.outbox_signal.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

/// In-memory pacing of repeat-failure replies and who has looked at their Home tab.
#[derive(Default)]
struct State {
    last_repeat_reply: Mutex<HashMap<i64, Instant>>,
    /// A product announcement failed: try again even when the outbox is empty.
    announce_again: std::sync::atomic::AtomicBool,
}

/// One pass over due outbox items; true when there may be more.
async fn tick(ctx: &Arc<Context>, state: &Arc<State>) -> Result<bool> {
    let now = ctx.app.clock.now();
    let items = {
        let app = ctx.app.clone();
        tokio::task::spawn_blocking(move || app.store.read(|c| outbox::due(c, now, 50))).await??
    };
    if items.is_empty() {
        if state
            .announce_again
            .swap(false, std::sync::atomic::Ordering::Relaxed)
            && let Err(e) = products::announce_products(ctx).await
        {
            state
                .announce_again
                .store(true, std::sync::atomic::Ordering::Relaxed);
            tracing::warn!(
                error = format!("{e:#}"),
                "product status changes not announced yet"
            );
        }
        return Ok(false);
    }
    for item in &items {
        tracing::debug!(item = item.id, topic = item.topic, payload = %item.payload, "outbox item");
        let outcome = match item.topic.as_str() {
            outbox::ISSUES_CHANGED => alerts::issues_changed(ctx, state, &item.payload).await,
            outbox::INCIDENT_CHANGED => incidents::incident_changed(ctx, &item.payload).await,
            outbox::STAKEHOLDER_UPDATE => incidents::stakeholder_update(ctx, &item.payload).await,
            outbox::POSTMORTEM_SHARED => incidents::share_postmortem(ctx, &item.payload).await,
            outbox::DIGEST_WEEKLY => products::weekly_digest(ctx, &item.payload).await,
            _ => Ok(()),
        };
        let (id, attempts) = (item.id, item.attempts);
        let app = ctx.app.clone();
        match outcome {
            Ok(()) => {
                tokio::task::spawn_blocking(move || {
                    app.store.write(move |tx| outbox::done(tx, id, now))
                })
                .await??;
            }
            Err(e) => {
                let permanent = e
                    .downcast_ref::<CallError>()
                    .is_some_and(|c| matches!(c, CallError::Api(_)));
                let msg = format!("{e:#}");
                tracing::warn!(
                    item = id,
                    attempts,
                    error = msg,
                    permanent,
                    "Slack delivery failed"
                );
                let delay = chrono::Duration::seconds((2i64 << attempts.min(8)).min(600));
                tokio::task::spawn_blocking(move || {
                    app.store.write(move |tx| {
                        if permanent {
                            outbox::retry(tx, id, &msg, chrono::Duration::zero(), now)?;
                            outbox::done(tx, id, now)
                        } else {
                            outbox::retry(tx, id, &msg, delay, now)
                        }
                    })
                })
                .await??;
            }
        }
    }
    // Issues and incidents changed: tell data products' channels whose status changed.
    if let Err(e) = products::announce_products(ctx).await {
        state
            .announce_again
            .store(true, std::sync::atomic::Ordering::Relaxed);
        tracing::warn!(
            error = format!("{e:#}"),
            "product status changes not announced yet"
        );
    }
    // Home tabs show open issues and mutes: republish them for the people who look at them.
    let users: Vec<String> = ctx
        .home_users
        .lock()
        .expect("home users lock")
        .iter()
        .cloned()
        .collect();
    for user in users {
        if let Err(e) = crate::faces::slack::home::publish(ctx, &user).await {
            tracing::warn!(user, error = format!("{e:#}"), "Home tab not republished");
        }
    }
    Ok(items.len() == 50)
}

/// A group's living message.
#[derive(Debug, Clone, PartialEq)]
struct Posted {
    channel: String,
    ts: String,
}
