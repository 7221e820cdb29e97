//! What each data product's channel should be told: its status changed (operational, degraded,
//! incident) or an incident started or stopped affecting it, since the last announcement.
//!
//! The last announced state lives in `product_status`; a face posts the announcement and then
//! calls [`record`], which stores the new state and logs a `notified` event on every incident the
//! announcement named, in one transaction. An announcement that was not delivered is computed
//! again on the next pass, so nothing is lost and nothing is said twice.

use crate::config::ProductUpdates;
use crate::domain::issues::ts;
use crate::domain::status::{ProductStatus, Status};
use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, params};
use serde::Serialize;
use std::collections::HashMap;

/// One product's change since it was last announced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Announcement {
    pub product: String,
    pub channel: Option<String>,
    pub team: Option<String>,
    pub tier: Option<u8>,
    pub from: Status,
    pub to: Status,
    /// Incidents (as `INC-n`) now affecting it that did not before.
    pub incidents_added: Vec<String>,
    /// Incidents that affected it before and no longer do (resolved or unlinked).
    pub incidents_removed: Vec<String>,
    /// Incidents affecting it now.
    pub incidents: Vec<String>,
    /// Open issues on or upstream of it now.
    pub open_issues: usize,
}

impl Announcement {
    /// Whether the product's channel should hear of it under `policy`.
    pub fn worth_posting(&self, policy: ProductUpdates) -> bool {
        match policy {
            ProductUpdates::Off => false,
            ProductUpdates::Incidents => {
                !self.incidents_added.is_empty() || !self.incidents_removed.is_empty()
            }
            ProductUpdates::All => {
                self.from != self.to
                    || !self.incidents_added.is_empty()
                    || !self.incidents_removed.is_empty()
            }
        }
    }
}

struct Announced {
    status: Status,
    incidents: Vec<String>,
}

fn parse_status(s: &str) -> Status {
    match s {
        "incident" => Status::Incident,
        "degraded" => Status::Degraded,
        _ => Status::Operational,
    }
}

fn announced(conn: &Connection) -> Result<HashMap<String, Announced>> {
    let mut stmt = conn.prepare_cached("SELECT name, status, incidents FROM product_status")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut out = HashMap::new();
    for row in rows {
        let (name, status, incidents) = row?;
        out.insert(
            name,
            Announced {
                status: parse_status(&status),
                incidents: serde_json::from_str(&incidents).unwrap_or_default(),
            },
        );
    }
    Ok(out)
}

/// The products whose state differs from what was last announced. A product never announced
/// counts as having been operational with no incidents.
pub fn pending(conn: &Connection, now: &[ProductStatus]) -> Result<Vec<Announcement>> {
    let before = announced(conn)?;
    Ok(diff(&before, now))
}

fn diff(before: &HashMap<String, Announced>, now: &[ProductStatus]) -> Vec<Announcement> {
    now.iter()
        .filter_map(|p| {
            let (from, old) = before
                .get(&p.name)
                .map(|a| (a.status, a.incidents.as_slice()))
                .unwrap_or((Status::Operational, &[]));
            let added: Vec<String> = p
                .incidents
                .iter()
                .filter(|i| !old.contains(i))
                .cloned()
                .collect();
            let removed: Vec<String> = old
                .iter()
                .filter(|i| !p.incidents.contains(i))
                .cloned()
                .collect();
            (from != p.status || !added.is_empty() || !removed.is_empty()).then(|| Announcement {
                product: p.name.clone(),
                channel: p.channel.clone().filter(|c| !c.trim().is_empty()),
                team: p.team.clone(),
                tier: p.tier,
                from,
                to: p.status,
                incidents_added: added,
                incidents_removed: removed,
                incidents: p.incidents.clone(),
                open_issues: p.open_issues.len(),
            })
        })
        .collect()
}

/// Stores `a` as announced and, when it was posted to `posted_to`, logs a `notified` event on
/// every incident it named.
pub fn record(
    tx: &Transaction,
    a: &Announcement,
    posted_to: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO product_status (name, status, incidents, announced_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(name) DO UPDATE SET status = excluded.status, incidents = excluded.incidents, announced_at = excluded.announced_at",
        params![a.product, a.to.as_str(), serde_json::to_string(&a.incidents)?, ts(now)],
    )?;
    if let Some(channel) = posted_to {
        for id in a.incidents_added.iter().chain(&a.incidents_removed) {
            if let Some(n) = crate::domain::incidents::parse_number(id) {
                crate::domain::incidents::record_notification(
                    tx,
                    n,
                    channel,
                    &format!("data product {} is {}", a.product, a.to),
                    now,
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(name: &str, status: Status, incidents: &[&str], issues: usize) -> ProductStatus {
        ProductStatus {
            name: name.into(),
            status,
            team: None,
            tier: Some(1),
            channel: Some(format!("#{name}")),
            sla_target: None,
            open_issues: (0..issues as i64).collect(),
            incidents: incidents.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn was(status: Status, incidents: &[&str]) -> Announced {
        Announced {
            status,
            incidents: incidents.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_product_never_announced_counts_as_operational() {
        let now = [
            status("orders", Status::Operational, &[], 0),
            status("revenue", Status::Degraded, &[], 2),
        ];
        let d = diff(&HashMap::new(), &now);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].product, "revenue");
        assert_eq!(
            (d[0].from, d[0].to),
            (Status::Operational, Status::Degraded)
        );
        assert_eq!(d[0].open_issues, 2);
        assert!(d[0].worth_posting(ProductUpdates::All));
        assert!(!d[0].worth_posting(ProductUpdates::Incidents));
        assert!(!d[0].worth_posting(ProductUpdates::Off));
    }

    #[test]
    fn a_second_incident_on_a_product_already_in_incident_is_announced() {
        let before = HashMap::from([("orders".to_owned(), was(Status::Incident, &["INC-1"]))]);
        let d = diff(
            &before,
            &[status("orders", Status::Incident, &["INC-1", "INC-2"], 3)],
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].incidents_added, vec!["INC-2"]);
        assert!(d[0].incidents_removed.is_empty());
        assert!(d[0].worth_posting(ProductUpdates::Incidents));
    }

    #[test]
    fn resolution_back_to_degraded_names_the_incident_removed() {
        let before = HashMap::from([("orders".to_owned(), was(Status::Incident, &["INC-1"]))]);
        let d = diff(&before, &[status("orders", Status::Degraded, &[], 1)]);
        assert_eq!((d[0].from, d[0].to), (Status::Incident, Status::Degraded));
        assert_eq!(d[0].incidents_removed, vec!["INC-1"]);
        assert!(d[0].worth_posting(ProductUpdates::Incidents));
    }

    #[test]
    fn nothing_changed_means_nothing_to_say() {
        let before = HashMap::from([("orders".to_owned(), was(Status::Degraded, &[]))]);
        assert!(diff(&before, &[status("orders", Status::Degraded, &[], 4)]).is_empty());
    }

    #[test]
    fn policies_parse() {
        assert_eq!(ProductUpdates::parse("ALL"), Some(ProductUpdates::All));
        assert_eq!(
            ProductUpdates::parse("incidents"),
            Some(ProductUpdates::Incidents)
        );
        assert_eq!(ProductUpdates::parse("off"), Some(ProductUpdates::Off));
        assert_eq!(ProductUpdates::parse("sometimes"), None);
    }
}
