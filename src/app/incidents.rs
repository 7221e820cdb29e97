//! The incident use cases: declare, change status, severity and commander, link and unlink
//! issues, comment, update stakeholders and share the report; each write and its outbox item in
//! one transaction.

use super::{App, incident_changed, issue_rerender};
use crate::domain::access::{Action, Actor};
use crate::domain::incidents::{self, Declaration, Incident};
use crate::domain::integrations::{Change, IncidentEvent};
use crate::domain::issues::{Issue, IssueFilter};
use crate::error::InputError;
use crate::lineage::Lineage;
use anyhow::Result;
use rusqlite::OptionalExtension;
use std::sync::Arc;

impl App {
    /// Declares an incident as `actor` (recorded as `declared_by`); returns it as every face
    /// shows it.
    pub fn declare(&self, mut d: Declaration, actor: &Actor) -> Result<Incident> {
        self.allowed(Action::Declare, actor)?;
        d.declared_by = actor.recorded();
        let fan = self.fanout();
        let n = self.signal(self.write_now(move |tx, now| {
            let n = incidents::declare(tx, &d, now)?;
            crate::store::outbox::enqueue(
                tx,
                crate::store::outbox::INCIDENT_CHANGED,
                &serde_json::json!({"incident": n}),
                now,
            )?;
            fan.run(tx, Change::Incident(n, IncidentEvent::Declared), now)?;
            Ok(n)
        }))?;
        self.incident(n)
    }

    /// Moves an incident through its lifecycle (see [`incidents::set_status`]).
    pub fn incident_status(
        &self,
        n: i64,
        status: &str,
        actor: &Actor,
        summary: Option<&str>,
        reason: Option<&str>,
    ) -> Result<Incident> {
        if status.trim().eq_ignore_ascii_case("resolved") {
            self.allowed(Action::ResolveIncidents, actor)?;
        }
        let (status, actor, summary, reason) = (
            status.to_owned(),
            actor.recorded(),
            summary.map(str::to_owned),
            reason.map(str::to_owned),
        );
        let fan = self.fanout();
        self.signal(self.write_now(move |tx, now| {
            incidents::set_status(
                tx,
                n,
                &status,
                &actor,
                summary.as_deref(),
                reason.as_deref(),
                now,
            )?;
            let text = match &summary {
                Some(s) => format!("set the status to *{status}*: {s}"),
                None => format!("set the status to *{status}*"),
            };
            crate::store::outbox::enqueue(
                tx,
                crate::store::outbox::INCIDENT_CHANGED,
                &serde_json::json!({"incident": n, "actor": actor, "text": text}),
                now,
            )?;
            let event = if status == "resolved" {
                IncidentEvent::Resolved
            } else {
                IncidentEvent::Updated
            };
            fan.run(tx, Change::Incident(n, event), now)?;
            Ok(())
        }))?;
        self.incident(n)
    }

    /// Posts an update (a comment) on an incident.
    pub fn incident_comment(&self, n: i64, author: &str, body: &str) -> Result<()> {
        let (author, body) = (author.to_owned(), body.to_owned());
        let fan = self.fanout();
        self.signal(self.write_now(move |tx, now| {
            incidents::comment(tx, n, &author, &body, now)?;
            crate::store::outbox::enqueue(tx, crate::store::outbox::INCIDENT_CHANGED, &serde_json::json!({"incident": n, "actor": author, "text": format!("posted an update: {body}")}), now)?;
            fan.run(tx, Change::Incident(n, IncidentEvent::Updated), now)?;
            Ok(())
        }))
    }

    /// Posts a stakeholder update on an open incident: stored as an incident comment, and sent
    /// (through the outbox) to the incident's thread and to the channels of the data products
    /// it affects. Returns those channels. A missing or resolved incident is an [`InputError`].
    ///
    /// [`InputError`]: crate::error::InputError
    pub fn stakeholder_update(&self, n: i64, author: &str, text: &str) -> Result<Vec<String>> {
        let incident = self.incident(n)?;
        let channels = self.product_channels(&incident)?;
        let (author, text, payload_channels) =
            (author.to_owned(), text.trim().to_owned(), channels.clone());
        self.signal(self.write_now(move |tx, now| {
            incidents::comment(tx, n, &author, &text, now)?;
            crate::store::outbox::enqueue(
                tx,
                crate::store::outbox::STAKEHOLDER_UPDATE,
                &serde_json::json!({
                    "incident": n,
                    "actor": author,
                    "text": text,
                    "channels": payload_channels,
                }),
                now,
            )?;
            Ok(())
        }))?;
        Ok(channels)
    }

    /// The channels of the data products an incident affects (its impact names them, or the
    /// product status lists the incident), deduplicated, in catalog order.
    pub fn product_channels(&self, incident: &Incident) -> Result<Vec<String>> {
        let mut channels: Vec<String> = Vec::new();
        for p in self.product_statuses()? {
            let hit = incident
                .impact
                .data_products
                .iter()
                .any(|d| d.eq_ignore_ascii_case(&p.name))
                || p.incidents.contains(&incident.id);
            if let Some(c) = p.channel.filter(|c| hit && !c.trim().is_empty())
                && !channels.contains(&c)
            {
                channels.push(c);
            }
        }
        Ok(channels)
    }

    /// Incident `n` with its ranked root causes, live impact and the teams to contact, read
    /// through the graph of the environment its issues live in.
    pub fn incident(&self, n: i64) -> Result<Incident> {
        let lineage = self.incident_lineage(n)?;
        let mut incident = self.store.read(|c| incidents::get(c, &lineage, n))?;
        let catalog = crate::domain::products::Catalog::build(&self.config.products, &lineage);
        incident.teams =
            incidents::teams_to_contact(&lineage, &catalog, &incident, &self.config.teams);
        Ok(incident)
    }

    /// The graph of the environment incident `n`'s issues live in (its first linked issue's),
    /// else the current graph.
    pub fn incident_lineage(&self, n: i64) -> Result<Arc<Lineage>> {
        self.env_lineage(
            "SELECT env FROM issues WHERE incident_id = ?1 ORDER BY id LIMIT 1",
            n,
        )
    }

    /// The graph of the environment issue `id` lives in, else the current graph.
    pub fn issue_lineage(&self, id: i64) -> Result<Arc<Lineage>> {
        self.env_lineage("SELECT env FROM issues WHERE id = ?1", id)
    }

    fn env_lineage(&self, env_query: &str, id: i64) -> Result<Arc<Lineage>> {
        let env: Option<String> = self
            .store
            .read(|c| Ok(c.query_row(env_query, [id], |r| r.get(0)).optional()?))?;
        Ok(self.lineage.env(env.as_deref()))
    }

    pub fn incidents(&self, open_only: bool) -> Result<Vec<Incident>> {
        let lineage = self.lineage.current();
        let mut list = self
            .store
            .read(|c| incidents::list(c, &lineage, open_only))?;
        if !list.is_empty() {
            let catalog = self.catalog();
            for incident in &mut list {
                incident.teams =
                    incidents::teams_to_contact(&lineage, &catalog, incident, &self.config.teams);
            }
        }
        Ok(list)
    }

    /// Links an issue to an open incident; `move_from_open` takes it from another open one
    /// (see [`incidents::link`]). Every incident touched and the issue's alert re-render.
    pub fn incident_link(
        &self,
        n: i64,
        issue_id: i64,
        actor: &str,
        move_from_open: bool,
    ) -> Result<Incident> {
        let actor = actor.to_owned();
        let fan = self.fanout();
        self.signal(self.write_now(move |tx, now| {
            let previous = incidents::link(tx, n, issue_id, &actor, move_from_open, now)?;
            let text = match previous {
                Some(p) => format!("moved issue #{issue_id} here from {}", incidents::label(p)),
                None => format!("linked issue #{issue_id}"),
            };
            incident_changed(tx, &fan, n, &actor, &text, now)?;
            if let Some(p) = previous {
                let text = format!("moved issue #{issue_id} to {}", incidents::label(n));
                incident_changed(tx, &fan, p, &actor, &text, now)?;
            }
            issue_rerender(tx, issue_id, now)?;
            Ok(())
        }))?;
        self.incident(n)
    }

    /// Removes an issue from an open incident (see [`incidents::unlink`]).
    pub fn incident_unlink(&self, n: i64, issue_id: i64, actor: &str) -> Result<Incident> {
        let actor = actor.to_owned();
        let fan = self.fanout();
        self.signal(self.write_now(move |tx, now| {
            incidents::unlink(tx, n, issue_id, &actor, now)?;
            incident_changed(
                tx,
                &fan,
                n,
                &actor,
                &format!("unlinked issue #{issue_id}"),
                now,
            )?;
            issue_rerender(tx, issue_id, now)?;
            Ok(())
        }))?;
        self.incident(n)
    }

    /// Changes an open incident's severity (see [`incidents::set_severity`]).
    pub fn incident_severity(&self, n: i64, severity: &str, actor: &Actor) -> Result<Incident> {
        self.allowed(Action::SeverityCommander, actor)?;
        let (severity, actor) = (severity.to_owned(), actor.recorded());
        let fan = self.fanout();
        self.signal(self.write_now(move |tx, now| {
            incidents::set_severity(tx, n, &severity, &actor, now)?;
            let text = format!(
                "set the severity to *{}*",
                severity.trim().to_ascii_uppercase()
            );
            incident_changed(tx, &fan, n, &actor, &text, now)
        }))?;
        self.incident(n)
    }

    /// Hands an open incident to a new commander (see [`incidents::set_commander`]).
    pub fn incident_commander(&self, n: i64, commander: &str, actor: &Actor) -> Result<Incident> {
        self.allowed(Action::SeverityCommander, actor)?;
        let (commander, actor) = (commander.to_owned(), actor.recorded());
        let fan = self.fanout();
        self.signal(self.write_now(move |tx, now| {
            incidents::set_commander(tx, n, &commander, &actor, now)?;
            let text = format!("made {} the commander", commander.trim());
            incident_changed(tx, &fan, n, &actor, &text, now)
        }))?;
        self.incident(n)
    }

    /// Asks for incident `n`'s post-incident report to be shared in its Slack thread (through the
    /// outbox); logged on the timeline as `postmortem_requested`.
    pub fn share_postmortem(&self, n: i64, actor: &str) -> Result<()> {
        self.incident(n)?;
        let actor = actor.to_owned();
        self.signal(self.write_now(move |tx, now| {
            tx.execute(
                "INSERT INTO events (at, incident_id, kind, actor, detail) VALUES (?1, ?2, 'postmortem_requested', ?3, '{}')",
                rusqlite::params![crate::domain::issues::ts(now), n, actor],
            )?;
            crate::store::outbox::enqueue(
                tx,
                crate::store::outbox::POSTMORTEM_SHARED,
                &serde_json::json!({"incident": n, "actor": actor}),
                now,
            )?;
            Ok(())
        }))
    }

    /// Open issues that could join incident `n`, with whether lineage relates them to its
    /// issues, and the open incident each belongs to now (if another one).
    pub fn link_candidates(&self, n: i64) -> Result<Vec<(Issue, bool, Option<i64>)>> {
        let incident = self.incident(n)?;
        let mut related: std::collections::HashSet<i64> = std::collections::HashSet::new();
        for id in &incident.issues {
            for (i, pre) in self.related_issues(*id)? {
                if pre {
                    related.insert(i.id);
                }
            }
        }
        let open_incidents: std::collections::HashSet<i64> = self
            .incidents(true)?
            .into_iter()
            .map(|i| i.number)
            .collect();
        Ok(self
            .issues(&IssueFilter {
                active: true,
                ..Default::default()
            })?
            .into_iter()
            .filter(|i| i.is_active() && !incident.issues.contains(&i.id))
            .map(|i| {
                let other = i
                    .incident_id
                    .filter(|m| *m != n && open_incidents.contains(m));
                let rel = related.contains(&i.id);
                (i, rel, other)
            })
            .collect())
    }

    /// Every event of an incident and of its linked issues, in time order.
    pub fn incident_timeline(&self, n: i64) -> Result<Vec<incidents::TimelineEntry>> {
        self.store.read(|c| incidents::timeline(c, n))
    }

    /// Open issues lineage relates to `issue_id` (for pre-selecting when declaring).
    pub fn related_issues(&self, issue_id: i64) -> Result<Vec<(Issue, bool)>> {
        let lineage = self.issue_lineage(issue_id)?;
        let now = self.clock.now();
        self.store.read(|c| {
            incidents::related_issues(c, &lineage, issue_id, chrono::Duration::hours(24), now)
        })
    }

    /// Merges open incident `from` into open incident `into` (see [`incidents::merge_into`]):
    /// both messages re-render, both threads say so, and the moved issues' alerts show `into`.
    pub fn incident_merge(&self, from: i64, into: i64, actor: &Actor) -> Result<Incident> {
        self.allowed(Action::MergeSplit, actor)?;
        let actor = actor.recorded();
        let fan = self.fanout();
        self.signal(self.write_now(move |tx, now| {
            let moved = incidents::merge_into(tx, from, into, &actor, now)?;
            let text = format!(
                "merged {} into this incident ({} {})",
                incidents::label(from),
                moved.len(),
                if moved.len() == 1 { "issue" } else { "issues" }
            );
            incident_changed(tx, &fan, into, &actor, &text, now)?;
            let text = format!("merged this incident into {}", incidents::label(into));
            incident_changed(tx, &fan, from, &actor, &text, now)?;
            fan.run(tx, Change::Incident(from, IncidentEvent::Resolved), now)?;
            issues_rerender(tx, &moved, now)
        }))?;
        self.incident(into)
    }

    /// Makes a new incident of some of open incident `n`'s issues (see [`incidents::split`]);
    /// returns the new one.
    pub fn incident_split(
        &self,
        n: i64,
        issue_ids: &[i64],
        title: &str,
        actor: &Actor,
    ) -> Result<Incident> {
        self.allowed(Action::MergeSplit, actor)?;
        let (issue_ids, title, actor) = (issue_ids.to_vec(), title.to_owned(), actor.recorded());
        let fan = self.fanout();
        let new = self.signal(self.write_now(move |tx, now| {
            let new = incidents::split(tx, n, &issue_ids, &title, &actor, now)?;
            let text = format!(
                "split {} off into {}",
                issue_ids
                    .iter()
                    .map(|i| format!("#{i}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                incidents::label(new)
            );
            incident_changed(tx, &fan, n, &actor, &text, now)?;
            crate::store::outbox::enqueue(
                tx,
                crate::store::outbox::INCIDENT_CHANGED,
                &serde_json::json!({"incident": new, "actor": actor, "text": format!("split off from {}", incidents::label(n))}),
                now,
            )?;
            fan.run(tx, Change::Incident(new, IncidentEvent::Declared), now)?;
            issues_rerender(tx, &issue_ids, now)?;
            Ok(new)
        }))?;
        self.incident(new)
    }

    /// Adds a follow-up to incident `n` (see [`incidents::add_followup`]).
    pub fn followup_add(
        &self,
        n: i64,
        text: &str,
        owner: Option<&str>,
        actor: &str,
    ) -> Result<incidents::Followup> {
        let (text, owner, actor) = (text.to_owned(), owner.map(str::to_owned), actor.to_owned());
        let fan = self.fanout();
        self.signal(self.write_now(move |tx, now| {
            let f = incidents::add_followup(tx, n, &text, owner.as_deref(), &actor, now)?;
            let said = format!("added a follow-up: {}", f.text);
            incident_changed(tx, &fan, n, &actor, &said, now)?;
            Ok(f)
        }))
    }

    pub fn followup(&self, id: i64) -> Result<incidents::Followup> {
        self.store.read(|c| incidents::get_followup(c, id))
    }

    /// Sets follow-up `id` of incident `n` to `open`, `done` or `dropped`; a follow-up of
    /// another incident is refused, naming it.
    pub fn followup_state(
        &self,
        n: i64,
        id: i64,
        state: &str,
        actor: &str,
    ) -> Result<incidents::Followup> {
        let (state, actor) = (state.to_owned(), actor.to_owned());
        let fan = self.fanout();
        self.signal(self.write_now(move |tx, now| {
            let of = incidents::get_followup(tx, id)?.incident;
            if of != n {
                return Err(InputError::new(
                    format!("follow-up {id}"),
                    format!(
                        "it belongs to {}, not {}",
                        incidents::label(of),
                        incidents::label(n)
                    ),
                )
                .into());
            }
            let f = incidents::set_followup_state(tx, id, &state, &actor, now)?;
            let said = format!("marked the follow-up \"{}\" {}", f.text, f.state);
            incident_changed(tx, &fan, f.incident, &actor, &said, now)?;
            Ok(f)
        }))
    }
}

/// Re-renders several issues' alerts (they show their incident) in one outbox item.
fn issues_rerender(
    tx: &rusqlite::Transaction,
    ids: &[i64],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    crate::store::outbox::enqueue(
        tx,
        crate::store::outbox::ISSUES_CHANGED,
        &serde_json::json!({"issues": ids, "reason": "incident"}),
        now,
    )?;
    Ok(())
}
