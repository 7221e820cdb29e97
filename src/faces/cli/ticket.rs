//! `steward ticket jira|linear INC-n|N`: asks for the ticket (once per subject) and creates it
//! now, printing its key and address; asking again prints the first one. `followup add --jira`
//! sends its ticket the same way.

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
    let d = super::trackers::send_now(&app, request.delivery)?;
    if json {
        return print_json(&serde_json::json!({"new": request.new, "delivery": d}));
    }
    outln!("{}", super::trackers::line(&d, request.new));
    Ok(())
}
