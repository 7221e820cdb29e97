//! The application context every face shares: store, current lineage, config and clock.
//! A CLI command, an HTTP request and (later) a Slack button all end in these methods.

pub mod ingest;
pub mod reports;

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::domain::incidents::{self, Declaration, Incident};
use crate::domain::issues::{self, Comment, Event, Issue, IssueFilter, Mute, Resolution, Status};
use crate::error::InputError;
use crate::lineage::{Impact, Lineage, LineageHandle};
use crate::store::Store;
use anyhow::Result;
use ingest::{DbtArtifacts, IngestSummary, Input};
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
    /// Woken after every write that put work in the outbox, so integrations act at once.
    pub outbox_signal: Arc<tokio::sync::Notify>,
    /// What the public status page keeps between requests (see [`App::status_page`]).
    status_cache: Arc<crate::domain::status::StatusCache>,
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
    /// Whether the node's dbt code changed since the check last passed (None: unknown).
    pub changed_since_last_pass: Option<bool>,
}

/// The impact of one node, as `steward lineage impact` and `GET /v1/lineage/impact` show it.
#[derive(Debug, Clone, Serialize)]
pub struct NodeImpact {
    pub node: String,
    #[serde(flatten)]
    pub impact: Impact,
    /// The projects the node and everything below it belong to.
    pub projects: Vec<String>,
    /// Set when the node stands for another project's node that is not ingested yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
}

/// A project removed from an environment's graph.
#[derive(Debug, Clone, Serialize)]
pub struct Forgotten {
    pub project: String,
    pub env: String,
    pub nodes: usize,
}

impl App {
    /// Opens the database at `db` and loads the lineage stored by the last manifest ingest.
    pub fn open(config: Config, db: &Path) -> Result<App> {
        App::open_with_clock(config, db, Arc::new(SystemClock))
    }

    pub fn open_with_clock(config: Config, db: &Path, clock: Arc<dyn Clock>) -> Result<App> {
        let store = Store::open(db)?;
        let default_env = config.issues.default_environment.clone();
        let graphs = crate::store::graphs::load(&store, &default_env)?;
        Ok(App {
            store,
            lineage: LineageHandle::new(&default_env, graphs),
            config: Arc::new(config),
            clock,
            outbox_signal: Arc::new(tokio::sync::Notify::new()),
            status_cache: Arc::default(),
        })
    }

    pub fn ingest_dbt(&self, artifacts: DbtArtifacts) -> Result<IngestSummary> {
        let s = ingest::ingest_dbt(
            &self.store,
            &self.lineage,
            &self.config,
            artifacts,
            self.clock.now(),
        );
        self.signal(s)
    }

    pub fn ingest_alerts(&self, input: Input, env: Option<String>) -> Result<IngestSummary> {
        let s = ingest::ingest_alerts(
            &self.store,
            &self.lineage,
            &self.config,
            input,
            env,
            self.clock.now(),
        );
        self.signal(s)
    }

    pub fn ingest_openlineage(&self, input: Input, env: Option<String>) -> Result<IngestSummary> {
        let s = ingest::ingest_openlineage(
            &self.store,
            &self.lineage,
            &self.config,
            input,
            env,
            self.clock.now(),
        );
        self.signal(s)
    }

    /// Wakes outbox consumers after a successful write.
    fn signal<T>(&self, r: Result<T>) -> Result<T> {
        if r.is_ok() {
            self.outbox_signal.notify_one();
        }
        r
    }

    /// A reply in the Slack thread of an issue or incident message: stored as a comment
    /// (`kind` "new"), edited ("changed") or removed ("deleted"), keyed by the reply's `ts`.
    /// Replies in threads Steward does not own are ignored.
    pub fn thread_comment(
        &self,
        channel: &str,
        thread_ts: &str,
        ts: &str,
        author: &str,
        text: &str,
        kind: &str,
    ) -> Result<()> {
        let now = self.clock.now();
        let (channel, thread_ts, ts, author, text, kind) = (
            channel.to_owned(),
            thread_ts.to_owned(),
            ts.to_owned(),
            author.to_owned(),
            text.to_owned(),
            kind.to_owned(),
        );
        self.store.write(move |tx| {
            let target: Option<(Option<i64>, Option<i64>)> = tx
                .query_row(
                    "SELECT issue_id, incident_id FROM slack_messages WHERE channel = ?1 AND ts = ?2 LIMIT 1",
                    rusqlite::params![channel, thread_ts],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            match (kind.as_str(), target) {
                ("changed", _) => {
                    tx.execute("UPDATE comments SET body = ?2 WHERE slack_ts = ?1", rusqlite::params![ts, text])?;
                }
                ("deleted", _) => {
                    tx.execute("DELETE FROM comments WHERE slack_ts = ?1", [&ts])?;
                }
                (_, None) => {}
                ("new", Some((issue, incident))) => {
                    let exists: bool =
                        tx.query_row("SELECT EXISTS (SELECT 1 FROM comments WHERE slack_ts = ?1)", [&ts], |r| r.get(0))?;
                    if !exists {
                        tx.execute(
                            "INSERT INTO comments (issue_id, incident_id, author, body, at, slack_ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                            rusqlite::params![issue, incident, author, text, issues::ts(now), ts],
                        )?;
                        tx.execute(
                            "INSERT INTO events (at, issue_id, incident_id, kind, actor, detail) VALUES (?1, ?2, ?3, 'commented', ?4, ?5)",
                            rusqlite::params![issues::ts(now), issue, incident, author, serde_json::json!({"slack_ts": ts}).to_string()],
                        )?;
                    }
                }
                _ => {}
            }
            Ok(())
        })
    }

    /// The severity `[incidents]` suggests for an incident grouping `issues` (see
    /// [`incidents::suggest_severity`]); the default severity when there are none.
    pub fn suggest_severity(&self, issues: &[&Issue]) -> String {
        let lineage = self.lineage.current();
        let catalog = crate::domain::products::Catalog::build(&self.config.products, &lineage);
        let mut assets: Vec<_> = issues
            .iter()
            .filter_map(|i| lineage.get(&i.asset))
            .collect();
        assets.sort_unstable();
        assets.dedup();
        incidents::suggest_severity(&self.config, &lineage, &catalog, &assets)
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
            let changed_since_last_pass = crate::domain::changes::changed_since_last_pass(c, &issue)?;
            Ok(IssueDetail {
                issue,
                comments: issues::comments(c, id)?,
                events: issues::events(c, id)?,
                slack,
                changed_since_last_pass,
            })
        })
    }

    pub fn set_status(&self, id: i64, status: Status, actor: &str) -> Result<Issue> {
        let now = self.clock.now();
        let actor = actor.to_owned();
        let r = self.store.write(move |tx| {
            let issue = issues::set_status(tx, id, status, &actor, now)?;
            changed(tx, id, "status", &actor, now)?;
            Ok(issue)
        });
        self.signal(r)
    }

    pub fn assign(&self, id: i64, assignee: &str, actor: &str) -> Result<Issue> {
        let now = self.clock.now();
        let (assignee, actor) = (assignee.to_owned(), actor.to_owned());
        let r = self.store.write(move |tx| {
            let issue = issues::assign(tx, id, &assignee, &actor, now)?;
            changed(tx, id, "assigned", &actor, now)?;
            Ok(issue)
        });
        self.signal(r)
    }

    pub fn comment(&self, id: i64, author: &str, body: &str) -> Result<Comment> {
        let now = self.clock.now();
        let (author, body) = (author.to_owned(), body.to_owned());
        let r = self.store.write(move |tx| {
            let comment = issues::comment(tx, id, &author, &body, now)?;
            crate::store::outbox::enqueue(
                tx,
                crate::store::outbox::ISSUES_CHANGED,
                &serde_json::json!({"issues": [id], "reason": "commented", "actor": author, "text": body}),
                now,
            )?;
            Ok(comment)
        });
        self.signal(r)
    }

    /// Resolves an issue by hand; `expected` mutes its check for the default time (see
    /// [`App::resolve_with_mute`]).
    pub fn resolve(
        &self,
        id: i64,
        resolution: Resolution,
        reason: Option<&str>,
        actor: &str,
    ) -> Result<Issue> {
        self.resolve_with_mute(id, resolution, reason, None, false, actor)
    }

    /// Resolves an issue by hand; as `expected` it also mutes the issue's check for `mute_for`
    /// (default 24h), in the same transaction (see [`issues::resolve`]). An issue of an open
    /// incident is refused unless `despite_open_incident` (the person confirmed).
    pub fn resolve_with_mute(
        &self,
        id: i64,
        resolution: Resolution,
        reason: Option<&str>,
        mute_for: Option<chrono::Duration>,
        despite_open_incident: bool,
        actor: &str,
    ) -> Result<Issue> {
        let now = self.clock.now();
        let (reason, actor) = (reason.map(str::to_owned), actor.to_owned());
        let r = self.store.write(move |tx| {
            let options = issues::ResolveOptions {
                mute_for,
                despite_open_incident,
            };
            let issue =
                issues::resolve(tx, id, resolution, reason.as_deref(), options, &actor, now)?;
            changed(tx, id, "resolved", &actor, now)?;
            Ok(issue)
        });
        self.signal(r)
    }

    /// Declares an incident; returns it as every face shows it.
    pub fn declare(&self, d: Declaration) -> Result<Incident> {
        let now = self.clock.now();
        let n = self.signal(self.store.write(move |tx| {
            let n = incidents::declare(tx, &d, now)?;
            crate::store::outbox::enqueue(
                tx,
                crate::store::outbox::INCIDENT_CHANGED,
                &serde_json::json!({"incident": n}),
                now,
            )?;
            Ok(n)
        }))?;
        self.incident(n)
    }

    /// Moves an incident through its lifecycle (see [`incidents::set_status`]).
    pub fn incident_status(
        &self,
        n: i64,
        status: &str,
        actor: &str,
        summary: Option<&str>,
        reason: Option<&str>,
    ) -> Result<Incident> {
        let now = self.clock.now();
        let (status, actor, summary, reason) = (
            status.to_owned(),
            actor.to_owned(),
            summary.map(str::to_owned),
            reason.map(str::to_owned),
        );
        self.signal(self.store.write(move |tx| {
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
            Ok(())
        }))?;
        self.incident(n)
    }

    /// Posts an update (a comment) on an incident.
    pub fn incident_comment(&self, n: i64, author: &str, body: &str) -> Result<()> {
        let now = self.clock.now();
        let (author, body) = (author.to_owned(), body.to_owned());
        self.signal(self.store.write(move |tx| {
            incidents::comment(tx, n, &author, &body, now)?;
            crate::store::outbox::enqueue(tx, crate::store::outbox::INCIDENT_CHANGED, &serde_json::json!({"incident": n, "actor": author, "text": format!("posted an update: {body}")}), now)?;
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
        let now = self.clock.now();
        let (author, text, payload_channels) =
            (author.to_owned(), text.trim().to_owned(), channels.clone());
        self.signal(self.store.write(move |tx| {
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
        let now = self.clock.now();
        let actor = actor.to_owned();
        self.signal(self.store.write(move |tx| {
            let previous = incidents::link(tx, n, issue_id, &actor, move_from_open, now)?;
            let text = match previous {
                Some(p) => format!("moved issue #{issue_id} here from {}", incidents::label(p)),
                None => format!("linked issue #{issue_id}"),
            };
            incident_changed(tx, n, &actor, &text, now)?;
            if let Some(p) = previous {
                let text = format!("moved issue #{issue_id} to {}", incidents::label(n));
                incident_changed(tx, p, &actor, &text, now)?;
            }
            issue_rerender(tx, issue_id, now)?;
            Ok(())
        }))?;
        self.incident(n)
    }

    /// Removes an issue from an open incident (see [`incidents::unlink`]).
    pub fn incident_unlink(&self, n: i64, issue_id: i64, actor: &str) -> Result<Incident> {
        let now = self.clock.now();
        let actor = actor.to_owned();
        self.signal(self.store.write(move |tx| {
            incidents::unlink(tx, n, issue_id, &actor, now)?;
            incident_changed(tx, n, &actor, &format!("unlinked issue #{issue_id}"), now)?;
            issue_rerender(tx, issue_id, now)?;
            Ok(())
        }))?;
        self.incident(n)
    }

    /// Changes an open incident's severity (see [`incidents::set_severity`]).
    pub fn incident_severity(&self, n: i64, severity: &str, actor: &str) -> Result<Incident> {
        let now = self.clock.now();
        let (severity, actor) = (severity.to_owned(), actor.to_owned());
        self.signal(self.store.write(move |tx| {
            incidents::set_severity(tx, n, &severity, &actor, now)?;
            let text = format!(
                "set the severity to *{}*",
                severity.trim().to_ascii_uppercase()
            );
            incident_changed(tx, n, &actor, &text, now)
        }))?;
        self.incident(n)
    }

    /// Hands an open incident to a new commander (see [`incidents::set_commander`]).
    pub fn incident_commander(&self, n: i64, commander: &str, actor: &str) -> Result<Incident> {
        let now = self.clock.now();
        let (commander, actor) = (commander.to_owned(), actor.to_owned());
        self.signal(self.store.write(move |tx| {
            incidents::set_commander(tx, n, &commander, &actor, now)?;
            let text = format!("made {} the commander", commander.trim());
            incident_changed(tx, n, &actor, &text, now)
        }))?;
        self.incident(n)
    }

    /// Asks for incident `n`'s post-incident report to be shared in its Slack thread (through the
    /// outbox); logged on the timeline as `postmortem_requested`.
    pub fn share_postmortem(&self, n: i64, actor: &str) -> Result<()> {
        self.incident(n)?;
        let now = self.clock.now();
        let actor = actor.to_owned();
        self.signal(self.store.write(move |tx| {
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

    /// Mutes alerts for an asset (and its issue) until `until`, or until fixed when None.
    pub fn mute(
        &self,
        issue_id: Option<i64>,
        asset: Option<&str>,
        until: Option<chrono::DateTime<chrono::Utc>>,
        actor: &str,
    ) -> Result<Mute> {
        let now = self.clock.now();
        let (asset, actor) = (asset.map(str::to_owned), actor.to_owned());
        let r = self.store.write(move |tx| {
            let mute = issues::mute(tx, issue_id, asset.as_deref(), until, &actor, now)?;
            if let Some(id) = issue_id {
                changed(tx, id, "muted", &actor, now)?;
            }
            Ok(mute)
        });
        self.signal(r)
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

    /// An environment's graph (the default environment's when None). An environment nothing
    /// was ingested in is an input error, unless it is the default one.
    pub fn lineage_of(&self, env: Option<&str>) -> Result<Arc<Lineage>> {
        match env {
            Some(e) if e != self.lineage.default_env() && self.lineage.graph(e).is_none() => {
                Err(InputError::not_found(
                    format!("env {e}"),
                    format!(
                        "nothing was ingested in this environment (known: {})",
                        self.lineage.environments().join(", ")
                    ),
                )
                .into())
            }
            Some(e) => Ok(self.lineage.env(Some(e))),
            None => Ok(self.lineage.current()),
        }
    }

    /// The projects making up `env`'s graph (every environment's when None), by env and name.
    pub fn lineage_projects(&self, env: Option<&str>) -> Result<Vec<crate::lineage::ProjectInfo>> {
        let envs = match env {
            Some(e) => vec![e.to_owned()],
            None => self.lineage.environments(),
        };
        Ok(envs
            .iter()
            .filter_map(|e| self.lineage.graph(e))
            .flat_map(|g| g.projects())
            .collect())
    }

    /// Removes `project` from `env`'s graph (the default environment's when None), stored and in
    /// memory, and recomputes that environment's root causes over what remains.
    pub fn forget_project(&self, project: &str, env: Option<&str>) -> Result<Forgotten> {
        let env = env.unwrap_or(self.lineage.default_env()).to_owned();
        let _writer = self.lineage.write_lock();
        let graph = self.lineage.graph(&env);
        let nodes = graph
            .as_ref()
            .and_then(|g| g.part(project))
            .map(|p| p.lineage.node_count());
        let (Some(graph), Some(nodes)) = (graph, nodes) else {
            return Err(InputError::not_found(
                format!("project {project}"),
                format!("no such project in env {env} (see `steward lineage projects`)"),
            )
            .into());
        };
        let next = graph
            .without_project(project)
            .expect("the project is in the graph");
        let lineage = next.lineage();
        let (p, e) = (project.to_owned(), env.clone());
        let raises = self.config.issues.raises_issues(&env);
        self.store.write(move |tx| {
            crate::store::graphs::delete_part(tx, &e, &p)?;
            if raises {
                issues::recompute_roots(tx, &e, &lineage, None)?;
            }
            Ok(())
        })?;
        self.lineage.replace_env(next);
        Ok(Forgotten {
            project: project.to_owned(),
            env,
            nodes,
        })
    }

    /// The data products of the config and the current lineage.
    pub fn catalog(&self) -> crate::domain::products::Catalog {
        crate::domain::products::Catalog::build(&self.config.products, &self.lineage.current())
    }

    /// Every data product's status now (see [`crate::domain::status::statuses`]), from the status
    /// page's cache: rebuilt only after a write or a new manifest.
    pub fn product_statuses(&self) -> Result<Vec<crate::domain::status::ProductStatus>> {
        self.status_cache.statuses(
            &self.store,
            &self.lineage.current(),
            &self.config,
            self.clock.now(),
        )
    }

    /// Data products whose status or incidents changed since their channel was last told
    /// (see [`crate::domain::announcements`]).
    pub fn product_announcements(&self) -> Result<Vec<crate::domain::announcements::Announcement>> {
        let now = self.product_statuses()?;
        self.store
            .read(|c| crate::domain::announcements::pending(c, &now))
    }

    /// Records `a` as announced (posted to `posted_to`, if anywhere), with a `notified` event on
    /// each incident it named.
    pub fn product_announced(
        &self,
        a: &crate::domain::announcements::Announcement,
        posted_to: Option<&str>,
    ) -> Result<()> {
        let now = self.clock.now();
        let (a, posted_to) = (a.clone(), posted_to.map(str::to_owned));
        self.store.write(move |tx| {
            crate::domain::announcements::record(tx, &a, posted_to.as_deref(), now)
        })
    }

    /// Logs that incident `n` was announced in `channel` (a `notified` timeline event).
    pub fn incident_notified(&self, n: i64, channel: &str, what: &str) -> Result<()> {
        let now = self.clock.now();
        let (channel, what) = (channel.to_owned(), what.to_owned());
        self.store.write(move |tx| {
            crate::domain::incidents::record_notification(tx, n, &channel, &what, now)
        })
    }

    /// The metrics report over `window` ending now (see [`crate::domain::metrics`]).
    pub fn report(
        &self,
        window: &crate::domain::metrics::Window,
    ) -> Result<crate::domain::metrics::Report> {
        let lineage = self.lineage.current();
        let catalog = crate::domain::products::Catalog::build(&self.config.products, &lineage);
        let now = self.clock.now();
        let (issues, incidents) = self
            .store
            .read(|c| crate::domain::metrics::load(c, now - window.length))?;
        Ok(crate::domain::metrics::compute(
            &lineage, &catalog, &issues, &incidents, window, now,
        ))
    }

    /// The public status page: products, their status and uptime, and the open incidents.
    /// Membership and the page's data are cached until the lineage or the database changes
    /// (see [`crate::domain::status::StatusCache`]); uptime is computed for now.
    pub fn status_page(&self) -> Result<crate::domain::status::StatusPage> {
        self.status_cache.page(
            &self.store,
            &self.lineage.current(),
            &self.config,
            self.clock.now(),
        )
    }
}

/// Tells integrations (through the outbox, in the same transaction) that a person changed an issue.
fn changed(
    tx: &rusqlite::Transaction,
    id: i64,
    reason: &str,
    actor: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    crate::store::outbox::enqueue(
        tx,
        crate::store::outbox::ISSUES_CHANGED,
        &serde_json::json!({"issues": [id], "reason": reason, "actor": actor}),
        now,
    )?;
    Ok(())
}

/// Tells integrations (in the same transaction) that a person changed incident `n`: the
/// incident message re-renders and `text` goes to its thread.
fn incident_changed(
    tx: &rusqlite::Transaction,
    n: i64,
    actor: &str,
    text: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    crate::store::outbox::enqueue(
        tx,
        crate::store::outbox::INCIDENT_CHANGED,
        &serde_json::json!({"incident": n, "actor": actor, "text": text}),
        now,
    )?;
    Ok(())
}

/// Re-renders an issue's alert (it shows its incident) without a thread reply.
fn issue_rerender(
    tx: &rusqlite::Transaction,
    id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    crate::store::outbox::enqueue(
        tx,
        crate::store::outbox::ISSUES_CHANGED,
        &serde_json::json!({"issues": [id], "reason": "incident"}),
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
        projects: lineage.projects_reached(&[idx]),
        placeholder: lineage.placeholder(idx).map(str::to_owned),
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
