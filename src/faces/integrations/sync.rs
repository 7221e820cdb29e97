//! Follow-ups' tickets read back from their tracker: Jira's status category
//! (`GET /rest/api/3/issue/{key}?fields=status`) or Linear's workflow state type (the `issue`
//! query), applied through `App::followup_ticket_state`. Asked when a follow-up is looked at
//! (`steward incident INC-n followup list`) and, in `serve`, every `[integrations] ticket_sync`.
//! A tracker that fails to answer (network, 5xx, 401, an unknown key) changes nothing: it is
//! logged and asked again next time.

use super::http::{self, Http};
use super::{Secrets, jira, jira_access, linear, linear_access, refused};
use crate::app::App;
use crate::app::integrations::Failure;
use crate::domain::incidents::{Followup, TicketState};
use anyhow::Result;
use std::time::Duration;

/// What one read-back did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Synced {
    /// Follow-ups whose tracker was asked.
    pub asked: usize,
    /// Of those, how many changed state.
    pub changed: usize,
    /// Of those, how many the tracker did not answer (left as they were).
    pub failed: usize,
}

/// Reads back the tickets of the open follow-ups (all, or incident `n`'s) and applies them.
pub async fn refresh(
    app: &App,
    http: &Http,
    secrets: &Secrets,
    incident: Option<i64>,
) -> Result<Synced> {
    let followups = {
        let app = app.clone();
        tokio::task::spawn_blocking(move || app.tracked_followups(incident)).await??
    };
    let mut synced = Synced {
        asked: followups.len(),
        ..Synced::default()
    };
    let reads = followups.iter().map(|f| read(app, http, secrets, f));
    let reads = futures_util::future::join_all(reads).await;
    for (f, read) in followups.into_iter().zip(reads) {
        match read {
            Ok(state) => {
                let app = app.clone();
                let changed =
                    tokio::task::spawn_blocking(move || app.followup_ticket_state(f.id, state))
                        .await??;
                synced.changed += usize::from(changed.is_some());
            }
            Err(e) => {
                synced.failed += 1;
                tracing::warn!(
                    followup = f.id,
                    tracker = f.tracker.as_deref().unwrap_or_default(),
                    ticket = f.ticket_key.as_deref().unwrap_or_default(),
                    error = %e.error,
                    "ticket state not read; asked again next time"
                );
            }
        }
    }
    Ok(synced)
}

/// Asks the follow-up's tracker for its ticket's state.
async fn read(
    app: &App,
    http: &Http,
    secrets: &Secrets,
    f: &Followup,
) -> Result<TicketState, Failure> {
    let key = f.ticket_key.as_deref().unwrap_or_default();
    match f.tracker.as_deref() {
        Some("jira") => {
            let (jira, email, token) = jira_access(app, secrets)?;
            let reply = http
                .get(&jira::state_request(jira, &email, &token, key))
                .await?;
            http::judge(&reply, "Jira")?;
            jira::state_response(&reply)
        }
        Some("linear") => {
            let (linear, token) = linear_access(app, secrets)?;
            let reply = http
                .post(&linear::state_request(linear, &token, key))
                .await?;
            http::judge(&reply, "Linear")?;
            linear::state_response(&reply)
        }
        other => Err(refused(format!("unknown tracker {other:?}"))),
    }
}

/// The schedule in `serve`: a read-back every `[integrations] ticket_sync` (nothing when it is
/// off or no tracker is configured), with the process's secrets.
pub async fn run(app: App) {
    let http = match Http::new(app.config.integrations.timeout) {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "ticket read-back is off");
            return;
        }
    };
    run_with(app, http, super::env_secrets()).await
}

/// [`run`] with a given client and secrets (the tests' fakes). The first read-back is one
/// period after the start; a manual clock's moves wake it, so tests never wait in real time.
pub async fn run_with(app: App, http: Http, secrets: Secrets) {
    let Some(every) = app.config.integrations.ticket_sync else {
        return;
    };
    if app.config.jira.is_none() && app.config.linear.is_none() {
        return;
    }
    let clock = app.clock.clone();
    let every_c = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::minutes(15));
    let mut next = clock.now() + every_c;
    loop {
        // Registered before the clock is read, so a move in between still wakes the wait.
        let moved = clock.moved().map(|n| n.notified());
        let now = clock.now();
        if now >= next {
            match refresh(&app, &http, &secrets, None).await {
                Ok(s) if s.asked > 0 => tracing::info!(
                    asked = s.asked,
                    changed = s.changed,
                    failed = s.failed,
                    "ticket states read back"
                ),
                Ok(_) => {}
                Err(e) => tracing::error!(error = format!("{e:#}"), "ticket read-back failed"),
            }
            next = now + every_c;
        }
        let wait = (next - now).to_std().unwrap_or_default().min(every);
        tokio::select! {
            _ = tokio::time::sleep(wait.max(Duration::from_millis(10))) => {}
            _ = async {
                match moved {
                    Some(n) => n.await,
                    None => std::future::pending().await,
                }
            } => {}
        }
    }
}
