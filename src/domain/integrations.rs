//! Which targets hear of a change, and what each gets: the events integrations are told of
//! (`issue.opened` … `incident.resolved`), the targets whose filters match them, and one
//! delivery row per (event, target), written in the caller's transaction.
//!
//! Pagers (PagerDuty, incident.io, Opsgenie) get actions on a stable dedup key: `trigger` when
//! an alert group (root issues on one asset in one environment) opens or an incident is
//! declared, `acknowledge` when someone acknowledges it, `resolve` when it recovers or is
//! resolved. A key never gets two triggers in a row: a trigger is queued only when the key's
//! last action was none or a resolve. Webhooks get every event they asked for.

pub mod tickets;

use crate::config::Config;
use crate::config::integrations::{TargetConfig, TargetKind, all_targets};
use crate::domain::issues::{self, Issue};
use crate::domain::products::{Catalog, Membership};
use crate::lineage::Lineage;
use crate::store::deliveries::{self, NewDelivery};
use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{Transaction, params};
use serde_json::{Value, json};
use std::sync::Arc;

/// The version of the event body (`docs/webhooks.md`).
pub const SCHEMA_VERSION: u32 = 1;

/// What happened to an issue, as integrations name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueEvent {
    Opened,
    Updated,
    StatusChanged,
    Resolved,
}

/// What happened to an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentEvent {
    Declared,
    Updated,
    Resolved,
}

/// A change integrations may hear of.
#[derive(Debug, Clone)]
pub enum Change {
    Issues(Vec<(i64, IssueEvent)>),
    Incident(i64, IncidentEvent),
}

impl IssueEvent {
    pub fn name(self) -> &'static str {
        match self {
            IssueEvent::Opened => "issue.opened",
            IssueEvent::Updated => "issue.updated",
            IssueEvent::StatusChanged => "issue.status_changed",
            IssueEvent::Resolved => "issue.resolved",
        }
    }

    /// The event a person's change (the outbox's `reason`) is.
    pub fn of_reason(reason: &str) -> IssueEvent {
        match reason {
            "status" => IssueEvent::StatusChanged,
            "resolved" => IssueEvent::Resolved,
            _ => IssueEvent::Updated,
        }
    }
}

impl IncidentEvent {
    pub fn name(self) -> &'static str {
        match self {
            IncidentEvent::Declared => "incident.declared",
            IncidentEvent::Updated => "incident.updated",
            IncidentEvent::Resolved => "incident.resolved",
        }
    }
}

/// Whether any target is configured (the fan-out costs nothing otherwise).
pub fn any_target(config: &Config) -> bool {
    all_targets(config).next().is_some()
}

/// What the filters look at.
#[derive(Debug, Default)]
struct Facts {
    envs: Vec<String>,
    severity: String,
    products: Vec<String>,
    tiers: Vec<u8>,
    teams: Vec<String>,
}

fn matches(t: &TargetConfig, f: &Facts) -> bool {
    let any = |want: &[String], have: &[String]| {
        want.is_empty()
            || want
                .iter()
                .any(|w| have.iter().any(|h| h.eq_ignore_ascii_case(w)))
    };
    any(&t.env, &f.envs)
        && any(&t.severity, std::slice::from_ref(&f.severity))
        && any(&t.product, &f.products)
        && (t.tier.is_empty() || t.tier.iter().any(|x| f.tiers.contains(x)))
        && any(&t.team, &f.teams)
}

/// Products, tiers and teams of failures on `assets`.
fn reach(lineage: &Lineage, membership: &Membership, assets: &[&str], facts: &mut Facts) {
    let nodes: Vec<_> = assets.iter().filter_map(|a| lineage.get(a)).collect();
    for r in membership.resolved() {
        if nodes.iter().any(|n| r.hit(*n)) && !facts.products.contains(&r.def.name) {
            facts.products.push(r.def.name.clone());
            facts.tiers.extend(r.def.tier);
            facts.teams.extend(r.def.team.clone());
        }
    }
    for n in nodes {
        facts.teams.extend(lineage.node(n).group.clone());
    }
}

/// Writes the deliveries `change` calls for, in `tx`. `lineage` gives an environment's graph
/// (for the products a failure affects). Returns how many rows were written.
pub fn fan_out(
    tx: &Transaction,
    config: &Config,
    lineage: &dyn Fn(&str) -> Arc<Lineage>,
    change: &Change,
    now: DateTime<Utc>,
) -> Result<usize> {
    if !any_target(config) {
        return Ok(0);
    }
    let mut written = 0;
    match change {
        Change::Issues(list) => {
            // Each environment's products are resolved once per change, not once per issue.
            let mut graphs: std::collections::HashMap<String, (Arc<Lineage>, Membership)> =
                std::collections::HashMap::new();
            for (id, event) in list {
                let Some(issue) = issues::get(tx, *id)? else {
                    continue;
                };
                let (graph, membership) = graphs.entry(issue.env.clone()).or_insert_with(|| {
                    let graph = lineage(&issue.env);
                    let m = Membership::build(&graph, Catalog::build(&config.products, &graph));
                    (graph, m)
                });
                let (graph, membership) = (&**graph, &*membership);
                let mut facts = Facts {
                    envs: vec![issue.env.clone()],
                    severity: issue.severity.clone(),
                    ..Facts::default()
                };
                reach(graph, membership, &[&issue.asset], &mut facts);
                let body = issue_body(&issue, graph, &facts);
                written += issue_deliveries(tx, config, &issue, *event, &facts, body, now)?;
            }
        }
        Change::Incident(n, event) => {
            let Some((body, facts)) = incident_body(tx, config, lineage, *n)? else {
                return Ok(0);
            };
            written += incident_deliveries(tx, config, *n, *event, &facts, body, now)?;
        }
    }
    Ok(written)
}

/// A target's dedup keys are at most 255 characters (PagerDuty's limit): long ones are hashed.
fn key(raw: String) -> String {
    if raw.len() <= 200 {
        return raw;
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(raw.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("steward-alert-{hex}")
}

/// What a pager's alert should be after a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wanted {
    Open,
    Acknowledged,
    Resolved,
}

/// The actions that bring a key from its last action to `wanted`: a trigger only when nothing
/// stands (never two in a row), an acknowledge only of a standing trigger, a resolve only of
/// what stands. A target that starts matching an acknowledged alert gets the trigger and the
/// acknowledge.
fn actions(last: Option<&str>, wanted: Wanted) -> &'static [&'static str] {
    let standing = matches!(last, Some("trigger" | "acknowledge"));
    match wanted {
        Wanted::Open if !standing => &["trigger"],
        Wanted::Acknowledged if !standing => &["trigger", "acknowledge"],
        Wanted::Acknowledged if last == Some("trigger") => &["acknowledge"],
        Wanted::Resolved if standing => &["resolve"],
        _ => &[],
    }
}

/// What an issue's change asks of its alert group's pager alert, if anything. Only root
/// issues page; the group resolves when its last unresolved root issue does.
fn issue_wanted(tx: &Transaction, issue: &Issue, event: IssueEvent) -> Result<Option<Wanted>> {
    if issue.status == "resolved" {
        let others: i64 = tx.query_row(
            "SELECT count(*) FROM issues WHERE env = ?1 AND asset = ?2 AND id != ?3 AND status != 'resolved' AND symptom_of IS NULL",
            params![issue.env, issue.asset, issue.id],
            |r| r.get(0),
        )?;
        return Ok((others == 0).then_some(Wanted::Resolved));
    }
    if !issue.is_root() || event == IssueEvent::Resolved {
        return Ok(None);
    }
    Ok(Some(match issue.status.as_str() {
        "acknowledged" | "investigating" => Wanted::Acknowledged,
        _ => Wanted::Open,
    }))
}

struct Subject<'a> {
    event: &'static str,
    issue_id: Option<i64>,
    incident_id: Option<i64>,
    /// What the pager alert should become, and its key, if the event asks anything of it.
    pager: Option<(Wanted, String)>,
    /// The webhook ordering key.
    webhook_key: String,
    hears: &'a str,
}

fn issue_deliveries(
    tx: &Transaction,
    config: &Config,
    issue: &Issue,
    event: IssueEvent,
    facts: &Facts,
    body: Value,
    now: DateTime<Utc>,
) -> Result<usize> {
    let pager = issue_wanted(tx, issue, event)?.map(|a| {
        (
            a,
            key(format!("steward-alert-{}-{}", issue.env, issue.asset)),
        )
    });
    let subject = Subject {
        event: event.name(),
        issue_id: Some(issue.id),
        incident_id: None,
        pager,
        webhook_key: format!("issue-{}", issue.id),
        hears: "alerts",
    };
    write(tx, config, &subject, facts, body, now)
}

fn incident_deliveries(
    tx: &Transaction,
    config: &Config,
    n: i64,
    event: IncidentEvent,
    facts: &Facts,
    body: Value,
    now: DateTime<Utc>,
) -> Result<usize> {
    // Past investigating, someone is on it; a reopened incident pages again.
    let wanted = match body["incident"]["status"].as_str().unwrap_or_default() {
        "resolved" => Wanted::Resolved,
        "investigating" => Wanted::Open,
        _ => Wanted::Acknowledged,
    };
    let subject = Subject {
        event: event.name(),
        issue_id: None,
        incident_id: Some(n),
        pager: Some((wanted, format!("steward-incident-{n}"))),
        webhook_key: format!("incident-{n}"),
        hears: "incidents",
    };
    write(tx, config, &subject, facts, body, now)
}

fn write(
    tx: &Transaction,
    config: &Config,
    s: &Subject,
    facts: &Facts,
    mut body: Value,
    now: DateTime<Utc>,
) -> Result<usize> {
    let mut event_id: Option<String> = None;
    let mut written = 0;
    for t in all_targets(config) {
        if !t.hears(s.hears) || !matches(t, facts) {
            continue;
        }
        let (todo, dedup_key): (&[&str], String) = match (t.kind, &s.pager) {
            (TargetKind::Webhook, _) if t.sends_event(s.event) => {
                (&["notify"], s.webhook_key.clone())
            }
            (TargetKind::Webhook, _) | (_, None) => continue,
            (_, Some((wanted, key))) => {
                let last = deliveries::last_action(tx, &t.name, key)?;
                (actions(last.as_deref(), *wanted), key.clone())
            }
        };
        for action in todo {
            // incident.io's alert sources know firing and resolved only.
            if t.kind == TargetKind::IncidentIo && *action == "acknowledge" {
                continue;
            }
            let id = match &event_id {
                Some(id) => id.clone(),
                None => {
                    let id = deliveries::next_event_id(tx)?;
                    body["id"] = json!(id);
                    body["type"] = json!(s.event);
                    body["created_at"] = json!(crate::clock::ts(now));
                    event_id = Some(id.clone());
                    id
                }
            };
            insert(tx, t, s, &body, (&id, action, &dedup_key), now)?;
            written += 1;
        }
    }
    Ok(written)
}

/// One delivery row: `(event id, action, dedup key)` for target `t`.
fn insert(
    tx: &Transaction,
    t: &TargetConfig,
    s: &Subject,
    body: &Value,
    (id, action, dedup_key): (&str, &str, &str),
    now: DateTime<Utc>,
) -> Result<()> {
    let mut payload = body.clone();
    payload["dedup_key"] = json!(dedup_key);
    deliveries::insert(
        tx,
        id,
        &NewDelivery {
            target: &t.name,
            kind: t.kind.as_str(),
            event: s.event,
            action,
            dedup_key,
            issue_id: s.issue_id,
            incident_id: s.incident_id,
            followup_id: None,
            payload: &payload,
        },
        now,
    )?;
    Ok(())
}

/// The event body's `issue` part, plus the version.
fn issue_body(issue: &Issue, lineage: &Lineage, facts: &Facts) -> Value {
    let project = lineage
        .get(&issue.asset)
        .and_then(|n| lineage.node(n).package.clone());
    json!({
        "version": SCHEMA_VERSION,
        "issue": issue_json(issue, project, facts),
    })
}

fn issue_json(issue: &Issue, project: Option<String>, facts: &Facts) -> Value {
    json!({
        "id": issue.id,
        "env": issue.env,
        "asset": issue.asset,
        "check": issue.check,
        "project": project,
        "severity": issue.severity,
        "status": issue.status,
        "resolution": issue.resolution,
        "message": issue.message,
        "failures": issue.failures,
        "owners": issue.owners,
        "run_url": issue.url,
        "products": facts.products,
        "teams": facts.teams,
        "root_cause_of": issue.root_cause_of,
        "symptom_of": issue.symptom_of,
        "incident": issue.incident_id.map(crate::domain::incidents::label),
        "first_seen": issue.first_seen,
        "last_seen": issue.last_seen,
    })
}

/// The event body's `incident` part and the facts the filters read.
fn incident_body(
    tx: &Transaction,
    config: &Config,
    lineage: &dyn Fn(&str) -> Arc<Lineage>,
    n: i64,
) -> Result<Option<(Value, Facts)>> {
    use rusqlite::OptionalExtension;
    let row = tx
        .query_row(
            "SELECT title, severity, status, commander, summary, declared_at, resolved_at FROM incidents WHERE id = ?1",
            [n],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            },
        )
        .optional()?;
    let Some((title, severity, status, commander, summary, declared, resolved)) = row else {
        return Ok(None);
    };
    let linked: Vec<(i64, String, String, Vec<String>)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT id, env, asset, owners FROM issues WHERE incident_id = ?1 ORDER BY id",
        )?;
        stmt.query_map([n], |r| {
            let owners: Option<String> = r.get(3)?;
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                owners
                    .and_then(|o| serde_json::from_str(&o).ok())
                    .unwrap_or_default(),
            ))
        })?
        .collect::<rusqlite::Result<_>>()?
    };
    let mut facts = Facts {
        severity: severity.clone(),
        ..Facts::default()
    };
    let env = linked
        .first()
        .map(|l| l.1.clone())
        .unwrap_or_else(|| config.issues.default_environment.clone());
    let graph = lineage(&env);
    let membership = Membership::build(&graph, Catalog::build(&config.products, &graph));
    let assets: Vec<&str> = linked.iter().map(|l| l.2.as_str()).collect();
    reach(&graph, &membership, &assets, &mut facts);
    for (_, e, _, _) in &linked {
        if !facts.envs.contains(e) {
            facts.envs.push(e.clone());
        }
    }
    let mut owners: Vec<&String> = linked.iter().flat_map(|l| &l.3).collect();
    owners.sort();
    owners.dedup();
    let body = json!({
        "version": SCHEMA_VERSION,
        "incident": {
            "id": crate::domain::incidents::label(n),
            "number": n,
            "title": title,
            "severity": severity,
            "status": status,
            "commander": commander,
            "summary": summary,
            "declared_at": declared,
            "resolved_at": resolved,
            "issues": linked.iter().map(|l| l.0).collect::<Vec<_>>(),
            "assets": assets,
            "owners": owners,
            "products": facts.products,
            "teams": facts.teams,
        },
    });
    Ok(Some((body, facts)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_never_triggered_twice_in_a_row() {
        use Wanted::*;
        assert_eq!(actions(None, Open), ["trigger"]);
        assert_eq!(actions(Some("resolve"), Open), ["trigger"]);
        assert!(actions(Some("trigger"), Open).is_empty());
        assert!(actions(Some("acknowledge"), Open).is_empty());
        assert_eq!(actions(Some("trigger"), Acknowledged), ["acknowledge"]);
        assert!(actions(Some("acknowledge"), Acknowledged).is_empty());
        assert_eq!(actions(None, Acknowledged), ["trigger", "acknowledge"]);
        assert_eq!(actions(Some("acknowledge"), Resolved), ["resolve"]);
        assert!(actions(None, Resolved).is_empty());
        assert!(actions(Some("resolve"), Resolved).is_empty());
    }

    #[test]
    fn long_keys_are_hashed_under_the_limit() {
        assert_eq!(key("steward-alert-prod-a".into()), "steward-alert-prod-a");
        let long = key(format!("steward-alert-prod-{}", "x".repeat(300)));
        assert!(
            long.len() <= 255 && long.starts_with("steward-alert-"),
            "{long}"
        );
        assert_eq!(long, key(format!("steward-alert-prod-{}", "x".repeat(300))));
    }
}
