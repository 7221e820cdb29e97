//! `steward ticket jira|linear INC-n|N`: asks for the ticket (once per subject) and creates it
//! now, printing its key and address; asking again prints the first one. `followup add --jira`
//! sends its ticket the same way.

use super::{Context_, print_json};
use crate::domain::integrations::tickets::TicketSubject;
use crate::error::InputError;
use crate::faces::integrations::Secrets;
use crate::faces::integrations::http::Http;
use crate::store::deliveries::Delivery;
use anyhow::Result;

pub(super) fn run(
    ctx: &Context_,
    tracker: &str,
    subject: &str,
    actor: &str,
    json: bool,
) -> Result<()> {
    let subject = if subject.to_ascii_uppercase().starts_with("INC-") {
        TicketSubject::Incident(super::incidents::incident_number(subject)?)
    } else {
        TicketSubject::Issue(subject.parse().map_err(|_| {
            InputError::new(subject, "not an issue number or an incident id (INC-n)")
        })?)
    };
    let app = ctx.app()?;
    let request = app.request_ticket(tracker, subject, actor)?;
    let d = send_now(&app, request.delivery)?;
    if json {
        return print_json(&serde_json::json!({"new": request.new, "delivery": d}));
    }
    outln!("{}", line(&d, request.new));
    Ok(())
}

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
