//! `steward ticket jira INC-n|N`: asks for the ticket (once per subject) and creates it now,
//! printing its key and address; asking again prints the first one.

use super::{Context_, print_json};
use crate::domain::integrations::tickets::TicketSubject;
use crate::error::InputError;
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
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let delivery = runtime.block_on(async {
        let http = crate::faces::integrations::http::Http::new(app.config.integrations.timeout)?;
        let secrets = crate::faces::integrations::env_secrets();
        crate::faces::integrations::deliver_now(&app, &http, &secrets, request.delivery).await
    })?;
    let Some(d) = delivery else {
        anyhow::bail!("the ticket request {} disappeared", request.delivery);
    };
    if json {
        return print_json(&serde_json::json!({"new": request.new, "delivery": d}));
    }
    match (d.state.as_str(), &d.response) {
        ("done", Some(r)) => outln!(
            "{} {}{}",
            r["key"].as_str().unwrap_or_default(),
            r["url"].as_str().unwrap_or_default(),
            if request.new { "" } else { " (created before)" }
        ),
        (state, _) => outln!(
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
    Ok(())
}
