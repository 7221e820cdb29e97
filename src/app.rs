//! The application context every face shares: store, current lineage, config and clock.
//! A CLI command, an HTTP request and (later) a Slack button all end in these methods.

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::error::InputError;
use crate::ingest::{self, DbtArtifacts, IngestSummary, Input};
use crate::incidents::{self, Declaration, Incident};
use crate::issues::{self, Comment, Event, Issue, IssueFilter, Mute, Resolution, Status};
use crate::lineage::{Impact, Lineage, LineageHandle};
use crate::store::Store;
use anyhow::Result;
use rusqlite::OptionalExtension;
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;

#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub lineage: LineageHandle,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
}

/// Where an issue's Slack message is.
#[derive(Debug, Clone, Serialize)]
pub struct SlackRef {
    pub channel: String,
    pub ts: Option<String>,
}

/// An issue with its timeline, comments and Slack message.
#[derive(Debug, Clone, Serialize)]
pub struct IssueDetail {
    #[serde(flatten)]
    pub issue: Issue,
    pub comments: Vec<Comment>,
    pub events: Vec<Event>,
    pub slack: Option<SlackRef>,
}

/// The impact of one node, as `steward lineage impact` and `GET /v1/lineage/impact` show it.
#[derive(Debug, Clone, Serialize)]
pub struct NodeImpact {
    pub node: String,
    #[serde(flatten)]
    pub impact: Impact,
}

impl App {
    /// Opens the database at `db` and loads the lineage stored by the last manifest ingest.
    pub fn open(config: Config, db: &Path) -> Result<App> {
        App::open_with_clock(config, db, Arc::new(SystemClock))
    }

    pub fn open_with_clock(config: Config, db: &Path, clock: Arc<dyn Clock>) -> Result<App> {
        let store = Store::open(db)?;
        let lineage = ingest::load_stored_lineage(&store)?;
        Ok(App {
            store,
            lineage: LineageHandle::new(lineage),
            config: Arc::new(config),
            clock,
        })
    }

    pub fn ingest_dbt(&self, artifacts: DbtArtifacts) -> Result<IngestSummary> {
        ingest::ingest_dbt(
            &self.store,
            &self.lineage,
            &self.config,
            artifacts,
            self.clock.now(),
        )
    }

    pub fn ingest_alerts(&self, input: Input, env: Option<String>) -> Result<IngestSummary> {
        ingest::ingest_alerts(
            &self.store,
            &self.lineage,
            &self.config,
            input,
            env,
            self.clock.now(),
        )
    }

    pub fn ingest_openlineage(&self, input: Input, env: Option<String>) -> Result<IngestSummary> {
        ingest::ingest_openlineage(
            &self.store,
            &self.lineage,
            &self.config,
            input,
            env,
            self.clock.now(),
        )
    }

    pub fn issues(&self, filter: &IssueFilter) -> Result<Vec<Issue>> {
        self.store.read(|c| issues::list(c, filter))
    }

    pub fn issue(&self, id: i64) -> Result<IssueDetail> {
        self.store.read(|c| {
            let issue = issues::get(c, id)?.ok_or_else(|| InputError::not_found(format!("issue {id}"), "no such issue"))?;
            let slack = c
                .query_row(
                    "SELECT channel, ts FROM slack_messages WHERE issue_id = ?1 AND purpose = 'alert' ORDER BY id DESC LIMIT 1",
                    [id],
                    |r| Ok(SlackRef { channel: r.get(0)?, ts: r.get(1)? }),
                )
                .optional()?;
            Ok(IssueDetail {
                issue,
                comments: issues::comments(c, id)?,
                events: issues::events(c, id)?,
                slack,
            })
        })
    }

    pub fn set_status(&self, id: i64, status: Status, actor: &str) -> Result<Issue> {
        let now = self.clock.now();
        let actor = actor.to_owned();
        self.store
            .write(move |tx| issues::set_status(tx, id, status, &actor, now))
    }

    pub fn assign(&self, id: i64, assignee: &str, actor: &str) -> Result<Issue> {
        let now = self.clock.now();
        let (assignee, actor) = (assignee.to_owned(), actor.to_owned());
        self.store
            .write(move |tx| issues::assign(tx, id, &assignee, &actor, now))
    }

    pub fn comment(&self, id: i64, author: &str, body: &str) -> Result<Comment> {
        let now = self.clock.now();
        let (author, body) = (author.to_owned(), body.to_owned());
        self.store
            .write(move |tx| issues::comment(tx, id, &author, &body, now))
    }

    pub fn resolve(
        &self,
        id: i64,
        resolution: Resolution,
        reason: Option<&str>,
        actor: &str,
    ) -> Result<Issue> {
        let now = self.clock.now();
        let (reason, actor) = (reason.map(str::to_owned), actor.to_owned());
        self.store.write(move |tx| {
            let issue = issues::resolve(tx, id, resolution, reason.as_deref(), &actor, now)?;
            changed(tx, id, "resolved", &actor, now)?;
            Ok(issue)
        })
    }

    /// Declares an incident; returns it as every face shows it.
    pub fn declare(&self, d: Declaration) -> Result<Incident> {
        let now = self.clock.now();
        let n = self.store.write(move |tx| {
            let n = incidents::declare(tx, &d, now)?;
            crate::outbox::enqueue(tx, crate::outbox::INCIDENT_CHANGED, &serde_json::json!({"incident": n}), now)?;
            Ok(n)
        })?;
        self.incident(n)
    }

    pub fn incident(&self, n: i64) -> Result<Incident> {
        let lineage = self.lineage.current();
        self.store.read(|c| incidents::get(c, &lineage, n))
    }

    pub fn incidents(&self, open_only: bool) -> Result<Vec<Incident>> {
        let lineage = self.lineage.current();
        self.store.read(|c| incidents::list(c, &lineage, open_only))
    }

    /// Open issues lineage relates to `issue_id` (for pre-selecting when declaring).
    pub fn related_issues(&self, issue_id: i64) -> Result<Vec<(Issue, bool)>> {
        let lineage = self.lineage.current();
        let now = self.clock.now();
        self.store
            .read(|c| incidents::related_issues(c, &lineage, issue_id, chrono::Duration::hours(24), now))
    }

    /// Mutes alerts for an asset (and its issue) until `until`, or until fixed when None.
    pub fn mute(&self, issue_id: Option<i64>, asset: Option<&str>, until: Option<chrono::DateTime<chrono::Utc>>, actor: &str) -> Result<Mute> {
        let now = self.clock.now();
        let (asset, actor) = (asset.map(str::to_owned), actor.to_owned());
        self.store.write(move |tx| {
            let mute = issues::mute(tx, issue_id, asset.as_deref(), until, &actor, now)?;
            if let Some(id) = issue_id {
                changed(tx, id, "muted", &actor, now)?;
            }
            Ok(mute)
        })
    }

    /// The impact of one node in `lineage` (the current one when None).
    pub fn impact(&self, lineage: Option<&Lineage>, reference: &str) -> Result<NodeImpact> {
        let current;
        let lineage = match lineage {
            Some(l) => l,
            None => {
                current = self.lineage.current();
                &current
            }
        };
        node_impact(lineage, reference)
    }
}

/// Tells integrations (through the outbox, in the same transaction) that a person changed an issue.
fn changed(tx: &rusqlite::Transaction, id: i64, reason: &str, actor: &str, now: chrono::DateTime<chrono::Utc>) -> Result<()> {
    crate::outbox::enqueue(
        tx,
        crate::outbox::ISSUES_CHANGED,
        &serde_json::json!({"issues": [id], "reason": reason, "actor": actor}),
        now,
    )?;
    Ok(())
}

/// Resolves `reference` and computes its impact; an unknown node is an input error.
pub fn node_impact(lineage: &Lineage, reference: &str) -> Result<NodeImpact> {
    let idx = resolve_node(lineage, reference)?;
    Ok(NodeImpact {
        node: lineage.node(idx).unique_id.clone(),
        impact: lineage.impact(&[idx]),
    })
}

/// Resolves a node reference or explains why not.
pub fn resolve_node(
    lineage: &Lineage,
    reference: &str,
) -> Result<petgraph::graph::NodeIndex, InputError> {
    if lineage.is_empty() {
        return Err(InputError::not_found(
            reference,
            "no lineage loaded: ingest a manifest first or pass --manifest",
        ));
    }
    lineage.resolve(reference).ok_or_else(|| {
        InputError::not_found(
            reference,
            "no such node (try a unique_id, a relation name like db.schema.table, or a model name)",
        )
    })
}
