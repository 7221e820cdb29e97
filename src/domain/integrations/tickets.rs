//! Tickets in a tracker (Jira today): a request is one delivery row (target `jira`, action
//! `create`, key `ticket-incident-<n>` or `ticket-issue-<id>`), so it goes through the same
//! worker, retries and dead letters; a second request for the same subject returns the first
//! one, so a ticket is never created twice.

use super::{Facts, incident_body, issue_body, reach};
use crate::config::Config;
use crate::domain::issues;
use crate::domain::products::{Catalog, Membership};
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
    let (dedup_key, issue_id, incident_id) = match subject {
        TicketSubject::Issue(id) => (format!("ticket-issue-{id}"), Some(id), None),
        TicketSubject::Incident(n) => (format!("ticket-incident-{n}"), None, Some(n)),
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
            payload: &body,
        },
        now,
    )?;
    Ok(TicketRequest {
        delivery,
        new: true,
    })
}
