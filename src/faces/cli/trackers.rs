//! What CLI commands that talk to Jira or Linear share: sending a ticket's delivery now, the
//! line that says how it went, and a small runtime with the integrations' client and secrets.

use crate::faces::integrations::Secrets;
use crate::faces::integrations::http::Http;
use crate::store::deliveries::Delivery;
use anyhow::Result;

/// Sends ticket delivery `id` now (if still pending) with the process's secrets; returns it as
/// it is afterwards.
pub(super) fn send_now(app: &crate::app::App, id: i64) -> Result<Delivery> {
    let delivery = with_trackers(app, |http, secrets| async move {
        crate::faces::integrations::deliver_now(app, &http, &secrets, id).await
    })?;
    delivery.ok_or_else(|| anyhow::anyhow!("the ticket request {id} disappeared"))
}

/// Runs `f` to its end on a small runtime, with the integrations' client and the process's
/// secrets (a CLI command talking to Jira or Linear).
pub(super) fn with_trackers<T, F>(
    app: &crate::app::App,
    f: impl FnOnce(Http, Secrets) -> F,
) -> Result<T>
where
    F: std::future::Future<Output = Result<T>>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let http = Http::new(app.config.integrations.timeout)?;
        f(http, crate::faces::integrations::env_secrets()).await
    })
}

/// "DATA-1 https://…/browse/DATA-1", or why the ticket is not there yet.
pub(super) fn line(d: &Delivery, new: bool) -> String {
    match (d.state.as_str(), &d.response) {
        ("done", Some(r)) => format!(
            "{} {}{}",
            r["key"].as_str().unwrap_or_default(),
            r["url"].as_str().unwrap_or_default(),
            if new { "" } else { " (created before)" }
        ),
        (state, _) => format!(
            "ticket not created yet ({state}, delivery {}): {}; `steward outbox` shows it{}",
            d.id,
            d.last_error.as_deref().unwrap_or("waiting"),
            if state == "dead" {
                ", `steward outbox retry` sends it again"
            } else {
                ""
            }
        ),
    }
}
