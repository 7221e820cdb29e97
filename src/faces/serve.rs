//! `steward serve`: the HTTP API and, when Slack tokens are set, the Socket Mode bot, side by
//! side over one app, until Ctrl-C or SIGTERM; then requests in flight finish (up to
//! [`http::SHUTDOWN_GRACE`]) before the process exits.

use crate::app::App;
use crate::faces::http::{self, Tokens};
use crate::faces::slack::bot::{self, SlackSettings};
use anyhow::Result;

pub async fn run(app: App, listen: &str) -> Result<()> {
    let tokens = Tokens::from_env(&app.config)?;
    if tokens.is_empty() {
        tracing::warn!(
            "STEWARD_TOKEN is not set: the API accepts unauthenticated requests on loopback only"
        );
    }
    let slack = SlackSettings::from_env(app.config.slack.as_ref())?;
    let server = http::start_with(app.clone(), listen, tokens).await?;
    // The dead man's switch runs with or without Slack: its issues wait in the outbox.
    let expectations = tokio::spawn(crate::app::expect::run_expectations(app.clone()));
    let deliveries = crate::faces::integrations::wanted(&app.config).then(|| {
        crate::faces::integrations::check_secrets(&app);
        tokio::spawn(crate::faces::integrations::run(app.clone()))
    });
    // Follow-ups' tickets read back from Jira and Linear, every `[integrations] ticket_sync`.
    let ticket_sync = tokio::spawn(crate::faces::integrations::sync::run(app.clone()));
    eprintln!("steward listening on http://{}", server.addr);
    let bot = match slack {
        Some(settings) => {
            let b = bot::start(app.clone(), settings).await?;
            eprintln!("steward connected to Slack as {}", b.bot_user);
            Some(b)
        }
        None => {
            eprintln!(
                "Slack is off: SLACK_BOT_TOKEN and SLACK_APP_TOKEN are not both set, so only the HTTP API runs"
            );
            None
        }
    };
    http::shutdown_signal().await;
    tracing::info!("shutting down");
    if let Some(b) = bot {
        b.stop().await;
    }
    expectations.abort();
    ticket_sync.abort();
    if let Some(d) = deliveries {
        // A delivery in flight is resent after a restart; the targets dedup it.
        d.abort();
    }
    server.stop().await;
    Ok(())
}
