//! The delivery worker: sends due deliveries (see [`crate::store::deliveries`]) to PagerDuty,
//! incident.io, Opsgenie and signed webhooks, one request per delivery, and records each
//! outcome through `App`: done with what came back, retried with backoff (honouring
//! `Retry-After`), or dead-lettered. A delivery is marked done only after the target accepted
//! it; a crash in between resends it, which the pagers absorb by dedup key and webhook
//! receivers by `Steward-Event-Id`.

pub mod fake;
pub mod http;
mod incidentio;
mod jira;
mod linear;
mod opsgenie;
mod pagerduty;
pub mod sync;
pub mod webhook;

use crate::app::App;
use crate::app::integrations::Failure;
use crate::config::integrations::all_targets;
use crate::config::{TargetConfig, TargetKind};
use crate::store::deliveries::Delivery;
use anyhow::Result;
use http::{Http, Links};
use std::time::Duration;

/// Where secrets come from: the process environment in `steward serve`, a map in tests.
pub type Secrets = std::sync::Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The process environment (an empty variable counts as unset).
pub fn env_secrets() -> Secrets {
    std::sync::Arc::new(|var: &str| std::env::var(var).ok().filter(|s| !s.is_empty()))
}

/// Runs until the process ends: a pass whenever a write wakes it, and at least every second
/// (retries come due with time).
pub async fn run(app: App) {
    let secrets = env_secrets();
    let http = match Http::new(app.config.integrations.timeout) {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "integrations are off");
            return;
        }
    };
    loop {
        match pass(&app, &http, &secrets).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = format!("{e:#}"), "delivery pass failed"),
        }
        tokio::select! {
            _ = app.deliveries_signal.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// Warns, at start, about targets whose secret's variable is not set.
pub fn check_secrets(app: &App) {
    let secrets = env_secrets();
    for t in all_targets(&app.config) {
        if let Some(var) = t.secret_var()
            && secrets(var).is_none()
        {
            tracing::warn!(
                target_name = %t.name,
                variable = var,
                "the target's secret is not set: its deliveries will be dead-lettered"
            );
        }
    }
}

/// One pass: sends every due delivery (at most 50, concurrently: a batch never holds two of one
/// target and dedup key) and records the outcomes. Returns how many were attempted.
pub async fn pass(app: &App, http: &Http, secrets: &Secrets) -> Result<usize> {
    let due = {
        let app = app.clone();
        tokio::task::spawn_blocking(move || app.due_deliveries(50)).await??
    };
    let n = due.len();
    let sends = due.into_iter().map(|d| async move {
        let outcome = send(app, http, secrets, &d).await;
        let app = app.clone();
        tokio::task::spawn_blocking(move || match outcome {
            Ok(response) => app.delivery_sent(&d, response),
            Err(failure) => {
                tracing::warn!(delivery = d.id, target_name = %d.target, error = %failure.error, retryable = failure.retryable, "delivery failed");
                app.delivery_failed(&d, failure)
            }
        })
        .await?
    });
    for r in futures_util::future::join_all(sends).await {
        r?;
    }
    Ok(n)
}

fn refused(error: String) -> Failure {
    Failure {
        error,
        retryable: false,
        retry_after: None,
    }
}

/// Sends one delivery; `Ok` carries what the target gave back.
async fn send(
    app: &App,
    http: &Http,
    secrets: &Secrets,
    d: &Delivery,
) -> Result<serde_json::Value, Failure> {
    match d.kind.as_str() {
        "jira" => return send_jira(app, http, secrets, d).await,
        "linear" => return send_linear(app, http, secrets, d).await,
        _ => {}
    }
    let target: &TargetConfig = all_targets(&app.config)
        .find(|t| t.name == d.target)
        .ok_or_else(|| refused(format!("target {:?} is no longer configured", d.target)))?;
    let var = target.secret_var().unwrap_or_default();
    let secret = secrets(var)
        .ok_or_else(|| refused(format!("the environment variable {var} is not set")))?;
    let links = links(app, d).await;
    let url = target.endpoint();
    let out = match target.kind {
        TargetKind::PagerDuty => pagerduty::request(d, url, &secret, &links),
        TargetKind::IncidentIo => incidentio::request(
            d,
            url,
            target.alert_source_config_id.as_deref().unwrap_or_default(),
            &secret,
            &links,
        ),
        TargetKind::Opsgenie => opsgenie::request(d, url, &secret, &links),
        TargetKind::Webhook => {
            webhook::request(d, url, &secret, &links, app.clock.now().timestamp())
        }
    };
    let reply = http.post(&out).await?;
    http::judge(&reply, target.kind.display())?;
    // What the vendor answered (none of them answers a link to its own alert).
    let response = match target.kind {
        TargetKind::PagerDuty => pagerduty::response(&reply),
        TargetKind::IncidentIo => incidentio::response(&reply),
        TargetKind::Opsgenie => opsgenie::response(&reply),
        TargetKind::Webhook => serde_json::json!({"status": reply.status}),
    };
    Ok(response)
}

/// The Slack message's archive link and Steward's page, when known.
async fn links(app: &App, d: &Delivery) -> Links {
    let slack = {
        let (app, d) = (app.clone(), d.clone());
        tokio::task::spawn_blocking(move || app.delivery_slack_ref(&d))
            .await
            .ok()
            .and_then(|r| r.ok())
            .flatten()
    };
    let http = &app.config.http;
    let page = http
        .public_url
        .as_deref()
        .filter(|_| http.public_pages)
        .and_then(|base| {
            let base = base.trim_end_matches('/');
            match (d.about_incident(), d.issue_id) {
                (Some(n), _) => Some(format!("{base}/incidents/INC-{n}")),
                (None, Some(i)) => Some(format!("{base}/issues/{i}")),
                _ => None,
            }
        });
    Links {
        slack: slack.and_then(|s| {
            let ts = s.ts?;
            Some(crate::domain::text::slack_permalink(&s.channel, &ts))
        }),
        page,
    }
}

/// The pagers that took an incident (a done trigger), once each: ("PagerDuty", the link back
/// when one came), for the incident's Slack message.
pub fn paged(deliveries: &[Delivery]) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for d in deliveries {
        let Some(kind) = TargetKind::parse(&d.kind).filter(|k| k.is_pager()) else {
            continue;
        };
        if d.action != "trigger" || d.state != "done" {
            continue;
        }
        let via = kind.display().to_owned();
        if !out.iter().any(|(v, _)| *v == via) {
            let link = d
                .response
                .as_ref()
                .and_then(|r| r.get("link"))
                .and_then(|l| l.as_str())
                .map(str::to_owned);
            out.push((via, link));
        }
    }
    out
}

fn secret(secrets: &Secrets, var: &str) -> Result<String, Failure> {
    secrets(var).ok_or_else(|| refused(format!("the environment variable {var} is not set")))
}

/// `[jira]`, the account's email and its API token, or why not.
fn jira_access<'a>(
    app: &'a App,
    secrets: &Secrets,
) -> Result<(&'a crate::config::integrations::JiraConfig, String, String), Failure> {
    let jira = app
        .config
        .jira
        .as_ref()
        .ok_or_else(|| refused("[jira] is no longer configured".into()))?;
    let email = secret(secrets, &jira.email_env)?;
    Ok((jira, email, secret(secrets, &jira.token_env)?))
}

/// `[linear]` and its API key, or why not.
fn linear_access<'a>(
    app: &'a App,
    secrets: &Secrets,
) -> Result<(&'a crate::config::integrations::LinearConfig, String), Failure> {
    let linear = app
        .config
        .linear
        .as_ref()
        .ok_or_else(|| refused("[linear] is no longer configured".into()))?;
    Ok((linear, secret(secrets, &linear.token_env)?))
}

/// Creates a Jira issue for a ticket delivery.
async fn send_jira(
    app: &App,
    http: &Http,
    secrets: &Secrets,
    d: &Delivery,
) -> Result<serde_json::Value, Failure> {
    let (jira, email, token) = jira_access(app, secrets)?;
    let links = links(app, d).await;
    let reply = http
        .post(&jira::request(d, jira, &email, &token, &links))
        .await?;
    http::judge(&reply, "Jira")?;
    Ok(jira::response(&reply, jira))
}

/// Creates a Linear issue for a ticket delivery.
async fn send_linear(
    app: &App,
    http: &Http,
    secrets: &Secrets,
    d: &Delivery,
) -> Result<serde_json::Value, Failure> {
    let (linear, key) = linear_access(app, secrets)?;
    let links = links(app, d).await;
    let reply = http.post(&linear::request(d, linear, &key, &links)).await?;
    http::judge(&reply, "Linear")?;
    linear::response(&reply)
}

/// Sends one delivery now, if it is pending (`steward ticket`): claimed first, so another
/// process's worker leaves it alone while this one sends. Returns it as it is afterwards.
pub async fn deliver_now(
    app: &App,
    http: &Http,
    secrets: &Secrets,
    id: i64,
) -> Result<Option<Delivery>> {
    let claimed = {
        let app = app.clone();
        tokio::task::spawn_blocking(move || app.claim_delivery(id, Duration::from_secs(300)))
            .await??
    };
    if let Some(d) = claimed {
        let outcome = send(app, http, secrets, &d).await;
        let app = app.clone();
        tokio::task::spawn_blocking(move || match outcome {
            Ok(response) => app.delivery_sent(&d, response),
            Err(failure) => app.delivery_failed(&d, failure),
        })
        .await??;
    }
    let app = app.clone();
    tokio::task::spawn_blocking(move || app.delivery(id)).await?
}

/// Every ticket created (Jira or Linear): (key, address), from the done deliveries.
pub fn tickets(deliveries: &[Delivery]) -> Vec<(String, String)> {
    deliveries
        .iter()
        .filter(|d| matches!(d.kind.as_str(), "jira" | "linear") && d.state == "done")
        .filter_map(|d| {
            let r = d.response.as_ref()?;
            Some((r["key"].as_str()?.to_owned(), r["url"].as_str()?.to_owned()))
        })
        .collect()
}

/// The ticket created for a subject in `tracker` (`jira`, `linear`): (key, address), from its
/// done delivery.
pub fn ticket(deliveries: &[Delivery], tracker: &str) -> Option<(String, String)> {
    deliveries
        .iter()
        .filter(|d| d.kind == tracker && d.state == "done")
        .find_map(|d| {
            let r = d.response.as_ref()?;
            Some((r["key"].as_str()?.to_owned(), r["url"].as_str()?.to_owned()))
        })
}

/// Whether the delivery worker has anything to do: a target or a tracker is configured.
pub fn wanted(config: &crate::config::Config) -> bool {
    crate::domain::integrations::any_target(config)
        || config.jira.is_some()
        || config.linear.is_some()
}
