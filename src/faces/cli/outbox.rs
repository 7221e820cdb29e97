//! `steward outbox`: what is still to be delivered (pending and dead deliveries to the
//! integrations, pending Slack items), and `steward outbox retry ID|--all`.

use super::{Context_, OutboxAction, print_json};
use anyhow::Result;

pub(super) fn run(ctx: &Context_, json: bool, action: Option<OutboxAction>) -> Result<()> {
    let app = ctx.app()?;
    match action {
        Some(OutboxAction::Retry { id, all }) => {
            let revived = app.outbox_retry(if all { None } else { id })?;
            if json {
                return print_json(&serde_json::json!({"retried": revived}));
            }
            match revived.len() {
                0 => outln!("no dead deliveries"),
                n => outln!(
                    "{n} {} pending again: {}",
                    if n == 1 { "delivery" } else { "deliveries" },
                    revived
                        .iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
            Ok(())
        }
        None => {
            let view = app.outbox()?;
            if json {
                return print_json(&view);
            }
            if view.deliveries.is_empty() && view.slack_pending.is_empty() {
                outln!("nothing pending");
                return Ok(());
            }
            for d in &view.deliveries {
                let about = match (d.incident_id, d.issue_id) {
                    (Some(n), _) => format!("INC-{n}"),
                    (None, Some(i)) => format!("issue #{i}"),
                    _ => String::new(),
                };
                let when = if d.state == "pending" {
                    format!(" next {}", d.next_attempt_at)
                } else {
                    String::new()
                };
                outln!(
                    "{:>5}  {:<7}  {:<12} {:<11} {:<22} {}  attempts {}{}{}",
                    d.id,
                    d.state,
                    d.target,
                    d.action,
                    d.event,
                    about,
                    d.attempts,
                    when,
                    d.last_error
                        .as_deref()
                        .map(|e| format!("  error: {e}"))
                        .unwrap_or_default()
                );
            }
            for s in &view.slack_pending {
                outln!(
                    "{:>5}  slack    {:<22} attempts {} next {}{}",
                    s.id,
                    s.topic,
                    s.attempts,
                    s.next_attempt_at,
                    s.last_error
                        .as_deref()
                        .map(|e| format!("  error: {e}"))
                        .unwrap_or_default()
                );
            }
            Ok(())
        }
    }
}
