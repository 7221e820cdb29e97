//! The application context every face shares: store, current lineage, config and clock.
//! A CLI command, an HTTP request and (later) a Slack button all end in these methods.

pub mod expect;
mod followups;
mod gauges;
pub mod incidents;
pub mod ingest;
pub mod integrations;
mod mutes;
mod people;
mod pushing;
pub mod reports;

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::domain::access::{Access, Action, Actor};
use crate::domain::issues::{self, Comment, Event, Issue, IssueFilter, Mute, Resolution, Status};
use crate::error::InputError;
use crate::lineage::{Impact, Lineage, LineageHandle};
use crate::store::Store;
use anyhow::Result;
use ingest::{DbtArtifacts, IngestSummary, Input, Pusher};
pub use pushing::Pushing;
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
    /// Woken after every write, for the delivery worker (see [`integrations`]).
    pub deliveries_signal: Arc<tokio::sync::Notify>,
    /// What the public status page keeps between requests (see [`App::status_page`]).
    status_cache: Arc<crate::domain::status::StatusCache>,
    /// `[access]` and the latest user-group membership (see [`crate::domain::access`]).
    pub access: Arc<Access>,
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
    /// The ingests that brought its results, newest first (at most 5): who pushed them.
    pub pushes: Vec<crate::domain::ingests::IngestRecord>,
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
            access: Arc::new(Access::new(&config.access)),
            config: Arc::new(config),
            clock,
            outbox_signal: Arc::new(tokio::sync::Notify::new()),
            deliveries_signal: Arc::new(tokio::sync::Notify::new()),
            status_cache: Arc::default(),
        })
    }

    pub fn ingest_dbt(&self, artifacts: DbtArtifacts) -> Result<IngestSummary> {
        self.pushed_by(Pusher::default()).ingest_dbt(artifacts)
    }

    pub fn ingest_alerts(&self, input: Input, env: Option<String>) -> Result<IngestSummary> {
        self.pushed_by(Pusher::default()).ingest_alerts(input, env)
    }

    pub fn ingest_openlineage(&self, input: Input, env: Option<String>) -> Result<IngestSummary> {
        self.pushed_by(Pusher::default())
            .ingest_openlineage(input, env)
    }

    /// Ingests how a scheduled job's run went (see [`ingest::JobRun`]).
    pub fn ingest_job_run(&self, run: ingest::JobRun) -> Result<IngestSummary> {
        self.pushed_by(Pusher::default()).ingest_job_run(run)
    }

    /// The ingests, as pushed by `by`: each is recorded with who pushed it.
    pub fn pushed_by(&self, by: Pusher) -> Pushing<'_> {
        Pushing { app: self, by }
    }

    /// Refuses `actor` when `[access]` does not let them take `action`: an [`InputError`] of kind
    /// `Forbidden` that names the rule. Administrators are always allowed.
    pub fn allowed(&self, action: Action, actor: &Actor) -> Result<(), InputError> {
        self.access.check(action, actor).map_err(InputError::from)
    }

    /// Wakes outbox consumers after a successful write.
    fn signal<T>(&self, r: Result<T>) -> Result<T> {
        if r.is_ok() {
            self.outbox_signal.notify_one();
            self.deliveries_signal.notify_one();
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
        let (channel, thread_ts, ts, author, text, kind) = (
            channel.to_owned(),
            thread_ts.to_owned(),
            ts.to_owned(),
            author.to_owned(),
            text.to_owned(),
            kind.to_owned(),
        );
        self.write_now(move |tx, now| {
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
    /// [`crate::domain::incidents::suggest_severity`]); the default severity when there are none.
    pub fn suggest_severity(&self, issues: &[&Issue]) -> String {
        let lineage = self.lineage.current();
        let catalog = crate::domain::products::Catalog::build(&self.config.products, &lineage);
        let mut assets: Vec<_> = issues
            .iter()
            .filter_map(|i| lineage.get(&i.asset))
            .collect();
        assets.sort_unstable();
        assets.dedup();
        crate::domain::incidents::suggest_severity(&self.config, &lineage, &catalog, &assets)
    }

    /// The record of ingests, newest first: what arrived and who pushed it.
    pub fn ingests(
        &self,
        filter: &crate::domain::ingests::IngestFilter,
    ) -> Result<Vec<crate::domain::ingests::IngestRecord>> {
        self.store.read(|c| crate::domain::ingests::list(c, filter))
    }

    pub fn issues(&self, filter: &IssueFilter) -> Result<Vec<Issue>> {
        self.store.read(|c| issues::list(c, filter))
    }

    pub fn issue(&self, id: i64) -> Result<IssueDetail> {
        self.store.read(|c| {
            let issue = issues::get(c, id)?.ok_or_else(|| InputError::not_found(format!("issue {id}"), "no such issue"))?;
            let slack = c
                .query_row(
                    "SELECT channel, ts FROM slack_messages WHERE issue_id = ?1 AND purpose IN ('alert', 'storm', 'flood') ORDER BY id DESC LIMIT 1",
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
                pushes: crate::domain::ingests::of_issue(c, id, 5)?,
            })
        })
    }

    pub fn set_status(&self, id: i64, status: Status, actor: &str) -> Result<Issue> {
        self.set_status_all(&[id], status, actor).map(first)
    }

    /// Sets the status of several issues in one transaction.
    pub fn set_status_all(&self, ids: &[i64], status: Status, actor: &str) -> Result<Vec<Issue>> {
        let (ids, actor) = (ids.to_vec(), actor.to_owned());
        let fan = self.fanout();
        let r = self.write_now(move |tx, now| {
            let issues = ids
                .iter()
                .map(|id| issues::set_status(tx, *id, status, &actor, now))
                .collect::<Result<Vec<_>>>()?;
            changed(tx, &fan, &ids, "status", &actor, now)?;
            Ok(issues)
        });
        self.signal(r)
    }

    pub fn assign(&self, id: i64, assignee: &str, actor: &str) -> Result<Issue> {
        self.assign_all(&[id], assignee, actor).map(first)
    }

    /// Assigns several issues (a message that shows them all) in one transaction.
    pub fn assign_all(&self, ids: &[i64], assignee: &str, actor: &str) -> Result<Vec<Issue>> {
        let (ids, assignee, actor) = (ids.to_vec(), assignee.to_owned(), actor.to_owned());
        let fan = self.fanout();
        let r = self.write_now(move |tx, now| {
            let issues = ids
                .iter()
                .map(|id| issues::assign(tx, *id, &assignee, &actor, now))
                .collect::<Result<Vec<_>>>()?;
            changed(tx, &fan, &ids, "assigned", &actor, now)?;
            Ok(issues)
        });
        self.signal(r)
    }

    pub fn comment(&self, id: i64, author: &str, body: &str) -> Result<Comment> {
        let (author, body) = (author.to_owned(), body.to_owned());
        let fan = self.fanout();
        let r = self.write_now(move |tx, now| {
            let comment = issues::comment(tx, id, &author, &body, now)?;
            crate::store::outbox::enqueue(
                tx,
                crate::store::outbox::ISSUES_CHANGED,
                &serde_json::json!({"issues": [id], "reason": "commented", "actor": author, "text": body}),
                now,
            )?;
            let event = crate::domain::integrations::IssueEvent::Updated;
            fan.run(tx, crate::domain::integrations::Change::Issues(vec![(id, event)]), now)?;
            Ok(comment)
        });
        self.signal(r)
    }

    pub fn resolve(
        &self,
        id: i64,
        resolution: Resolution,
        reason: Option<&str>,
        actor: &Actor,
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
        actor: &Actor,
    ) -> Result<Issue> {
        let options = issues::ResolveOptions {
            mute_for,
            despite_open_incident,
        };
        self.resolve_all(&[id], resolution, reason, options, actor)
            .map(first)
    }

    /// Resolves several issues in one transaction: all of them, or none when one is refused.
    pub fn resolve_all(
        &self,
        ids: &[i64],
        resolution: Resolution,
        reason: Option<&str>,
        options: issues::ResolveOptions,
        actor: &Actor,
    ) -> Result<Vec<Issue>> {
        self.allowed(Action::ResolveIssues, actor)?;
        let (ids, reason, actor) = (ids.to_vec(), reason.map(str::to_owned), actor.recorded());
        let fan = self.fanout();
        let r = self.write_now(move |tx, now| {
            let issues = ids
                .iter()
                .map(|id| {
                    issues::resolve(tx, *id, resolution, reason.as_deref(), options, &actor, now)
                })
                .collect::<Result<Vec<_>>>()?;
            changed(tx, &fan, &ids, "resolved", &actor, now)?;
            Ok(issues)
        });
        self.signal(r)
    }

    /// Mutes alerts for an asset (and its issue) until `until`, or until fixed when None.
    pub fn mute(
        &self,
        issue_id: Option<i64>,
        asset: Option<&str>,
        until: Option<chrono::DateTime<chrono::Utc>>,
        actor: &Actor,
    ) -> Result<Mute> {
        let request = issues::MuteRequest {
            issue_id,
            asset: asset.map(str::to_owned),
            until,
            ..Default::default()
        };
        self.mute_with(request, actor)
    }

    /// Mutes the assets of several issues (a storm's members) in one transaction.
    pub fn mute_all(
        &self,
        ids: &[i64],
        until: Option<chrono::DateTime<chrono::Utc>>,
        actor: &Actor,
    ) -> Result<Vec<Mute>> {
        self.allowed(Action::Mute, actor)?;
        let (ids, actor) = (ids.to_vec(), actor.recorded());
        let fan = self.fanout();
        let r = self.write_now(move |tx, now| {
            let mutes = ids
                .iter()
                .map(|id| issues::mute(tx, Some(*id), None, until, &actor, now))
                .collect::<Result<Vec<_>>>()?;
            changed(tx, &fan, &ids, "muted", &actor, now)?;
            Ok(mutes)
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
        let written = self.write_now(move |tx, now| {
            crate::store::graphs::delete_part(tx, &e, &p)?;
            if raises {
                let rerooted = issues::recompute_roots(tx, &e, &lineage, None)?;
                if !rerooted.is_empty() {
                    crate::store::outbox::enqueue(
                        tx,
                        crate::store::outbox::ISSUES_CHANGED,
                        &serde_json::json!({"issues": rerooted, "reason": "lineage"}),
                        now,
                    )?;
                }
            }
            Ok(())
        });
        written?;
        self.lineage.replace_env(next);
        // The notifier reads the new graph: wake it only once the graph is swapped.
        self.signal(Ok(()))?;
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
        let (a, posted_to) = (a.clone(), posted_to.map(str::to_owned));
        self.write_now(move |tx, now| {
            crate::domain::announcements::record(tx, &a, posted_to.as_deref(), now)
        })
    }

    /// Logs that incident `n` was announced in `channel` (a `notified` timeline event).
    pub fn incident_notified(&self, n: i64, channel: &str, what: &str) -> Result<()> {
        let (channel, what) = (channel.to_owned(), what.to_owned());
        self.write_now(move |tx, now| {
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
        let mut report =
            crate::domain::metrics::compute(&lineage, &catalog, &issues, &incidents, window, now);
        report.error_budgets = self.error_budgets()?;
        Ok(report)
    }

    /// Every `[[teams]] error_budget`, each over its own window ending now.
    pub fn error_budgets(&self) -> Result<Vec<crate::domain::metrics::budgets::TeamBudget>> {
        self.error_budgets_at(self.clock.now())
    }

    /// Every `[[teams]] error_budget`, each over its own window ending at `now`.
    pub fn error_budgets_at(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<crate::domain::metrics::budgets::TeamBudget>> {
        use crate::domain::metrics::{self, budgets};
        let Some(longest) = budgets::longest_window(&self.config.teams) else {
            return Ok(Vec::new());
        };
        let lineage = self.lineage.current();
        let (issues, _) = self.store.read(|c| metrics::load(c, now - longest))?;
        Ok(budgets::compute(&lineage, &self.config.teams, &issues, now))
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

impl App {
    /// One write transaction, with the time read on the writer thread: the timestamps of
    /// events follow the order of the commits, even for two people acting at the same moment.
    fn write_now<R: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction, chrono::DateTime<chrono::Utc>) -> Result<R>
        + Send
        + 'static,
    ) -> Result<R> {
        let clock = self.clock.clone();
        self.store.write(move |tx| f(tx, clock.now()))
    }
}

/// Counts an ingest of `source` that started at `start` (see [`crate::telemetry::ingest`]).
fn counted<T>(source: &str, start: std::time::Instant, r: Result<T>) -> Result<T> {
    let outcome = match &r {
        Ok(_) => "ok",
        Err(e) if crate::error::as_input_error(e).is_some() => "rejected",
        Err(_) => "error",
    };
    crate::telemetry::ingest(source, outcome, start.elapsed().as_secs_f64());
    r
}

/// The one result of an action taken on one issue.
fn first<T>(mut all: Vec<T>) -> T {
    all.swap_remove(0)
}

/// Tells integrations (through the outbox and the deliveries, in the same transaction) that a
/// person changed some issues.
fn changed(
    tx: &rusqlite::Transaction,
    fan: &integrations::Fanout,
    ids: &[i64],
    reason: &str,
    actor: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    crate::store::outbox::enqueue(
        tx,
        crate::store::outbox::ISSUES_CHANGED,
        &serde_json::json!({"issues": ids, "reason": reason, "actor": actor}),
        now,
    )?;
    let event = crate::domain::integrations::IssueEvent::of_reason(reason);
    fan.run(
        tx,
        crate::domain::integrations::Change::Issues(ids.iter().map(|id| (*id, event)).collect()),
        now,
    )
}

/// Tells integrations (in the same transaction) that a person changed incident `n`: the
/// incident message re-renders and `text` goes to its thread.
fn incident_changed(
    tx: &rusqlite::Transaction,
    fan: &integrations::Fanout,
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
    let event = crate::domain::integrations::IncidentEvent::Updated;
    fan.run(
        tx,
        crate::domain::integrations::Change::Incident(n, event),
        now,
    )
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
