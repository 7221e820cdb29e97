//! Tickets in a tracker (Jira, Linear): a request is one delivery row (target `jira` or
//! `linear`, action `create`, key `ticket-incident-<n>`, `ticket-issue-<id>` or
//! `ticket-followup-<id>`), so it goes through the same worker, retries and dead letters; a
//! second request for the same subject returns the first one, so a ticket is never created
//! twice, across retries and restarts.

use super::{Facts, incident_body, issue_body, reach};
use crate::config::Config;
use crate::domain::products::{Catalog, Membership};
use crate::domain::{incidents, issues};
use crate::error::InputError;
use crate::lineage::Lineage;
use crate::store::deliveries::{self, NewDelivery};
use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction};
use serde_json::json;
use std::sync::Arc;

/// What a ticket is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketSubject {
    Issue(i64),
    Incident(i64),
    /// A follow-up of an incident (its id): the ticket's key and address are stored on it.
    Followup(i64),
}

/// The delivery carrying the ticket, and whether this request created it.
#[derive(Debug, Clone, Copy)]
pub struct TicketRequest {
    pub delivery: i64,
    pub new: bool,
}

/// Queues the creation of `subject`'s ticket in `tracker` (`jira`), or returns the request
/// already made for it.
pub fn request_ticket(
    tx: &Transaction,
    config: &Config,
    lineage: &dyn Fn(&str) -> Arc<Lineage>,
    tracker: &str,
    subject: TicketSubject,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<TicketRequest> {
    let (dedup_key, issue_id, incident_id, followup_id) = match subject {
        TicketSubject::Issue(id) => (format!("ticket-issue-{id}"), Some(id), None, None),
        TicketSubject::Incident(n) => (format!("ticket-incident-{n}"), None, Some(n), None),
        TicketSubject::Followup(id) => (format!("ticket-followup-{id}"), None, None, Some(id)),
    };
    let existing: Option<i64> = tx
        .query_row(
            "SELECT id FROM deliveries WHERE target = ?1 AND dedup_key = ?2 ORDER BY id LIMIT 1",
            [tracker, &dedup_key],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(delivery) = existing {
        return Ok(TicketRequest {
            delivery,
            new: false,
        });
    }
    let mut body = match subject {
        TicketSubject::Issue(id) => {
            let issue = issues::get(tx, id)?
                .ok_or_else(|| InputError::not_found(format!("issue {id}"), "no such issue"))?;
            let graph = lineage(&issue.env);
            let membership = Membership::build(&graph, Catalog::build(&config.products, &graph));
            let mut facts = Facts {
                envs: vec![issue.env.clone()],
                severity: issue.severity.clone(),
                ..Facts::default()
            };
            reach(&graph, &membership, &[&issue.asset], &mut facts);
            issue_body(&issue, &graph, &facts)
        }
        TicketSubject::Incident(n) => {
            incident_body(tx, config, lineage, n)?
                .ok_or_else(|| {
                    InputError::not_found(crate::domain::incidents::label(n), "no such incident")
                })?
                .0
        }
        TicketSubject::Followup(id) => followup_body(tx, id)?,
    };
    let event_id = deliveries::next_event_id(tx)?;
    body["id"] = json!(event_id);
    body["type"] = json!("ticket.requested");
    body["created_at"] = json!(crate::clock::ts(now));
    body["dedup_key"] = json!(dedup_key);
    body["requested_by"] = json!(actor);
    let delivery = deliveries::insert(
        tx,
        &event_id,
        &NewDelivery {
            target: tracker,
            kind: tracker,
            event: "ticket.requested",
            action: "create",
            dedup_key: &dedup_key,
            issue_id,
            incident_id,
            followup_id,
            payload: &body,
        },
        now,
    )?;
    Ok(TicketRequest {
        delivery,
        new: true,
    })
}

/// A follow-up's ticket body: `followup` with its text, owner and incident (id, number, title,
/// severity, status). A follow-up already tracked by a ticket is refused.
fn followup_body(tx: &Transaction, id: i64) -> Result<serde_json::Value> {
    let f = incidents::get_followup(tx, id)?;
    if let (Some(tracker), Some(key)) = (&f.tracker, &f.ticket_key) {
        return Err(InputError::new(
            format!("follow-up {id}"),
            format!(
                "{} {key} already tracks it",
                incidents::tracker_name(tracker)
            ),
        )
        .kind(crate::error::InputErrorKind::Conflict)
        .into());
    }
    let (title, severity, status): (String, String, String) = tx.query_row(
        "SELECT title, severity, status FROM incidents WHERE id = ?1",
        [f.incident],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    Ok(json!({
        "version": 1,
        "followup": {
            "id": f.id,
            "text": f.text,
            "owner": f.owner,
            "state": f.state,
            "incident": {
                "id": incidents::label(f.incident),
                "number": f.incident,
                "title": title,
                "severity": severity,
                "status": status,
            },
        },
    }))
}
