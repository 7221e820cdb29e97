//! How each data product is doing: *operational*, *degraded* (an open issue is on a member or
//! upstream of one) or in *incident* (an open incident affects it). [`statuses`] computes that
//! from plain data, so a notifier can diff two results with [`changes`]; [`status_page`] adds
//! uptime over each product's SLA window for the public page (`GET /status`, `/status.json`);
//! [`StatusCache`] keeps it between writes.

use crate::clock::parse_ts;
use crate::config::Config;
use crate::domain::incidents::Incident;
use crate::domain::issues::{Issue, ts};
use crate::domain::products::{Catalog, Membership, Resolved};
use crate::lineage::Lineage;
use crate::store::Store;
use anyhow::Result;
use chrono::{DateTime, Utc};
use petgraph::graph::NodeIndex;
use serde::Serialize;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// A product's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Operational,
    /// An open issue is on a member or upstream of one.
    Degraded,
    /// An open incident affects it.
    Incident,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Operational => "operational",
            Status::Degraded => "degraded",
            Status::Incident => "incident",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One product's status and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductStatus {
    pub name: String,
    pub status: Status,
    pub team: Option<String>,
    pub tier: Option<u8>,
    pub channel: Option<String>,
    /// The SLA target as a fraction.
    pub sla_target: Option<f64>,
    /// Open issues on or upstream of its members.
    pub open_issues: Vec<i64>,
    /// Open incidents affecting it, as `INC-n`.
    pub incidents: Vec<String>,
}

/// The node an issue is on for statuses: its asset, else the node whose result failed.
fn issue_node(lineage: &Lineage, asset: &str, node: Option<&str>) -> Option<NodeIndex> {
    lineage
        .get(asset)
        .or_else(|| node.and_then(|n| lineage.get(n)))
        .map(|i| lineage.asset_of(i))
}

/// The active issues among `issues` with the node each is on (those on no known node left out).
fn issue_nodes(lineage: &Lineage, issues: &[Issue]) -> Vec<(i64, NodeIndex)> {
    issues
        .iter()
        .filter(|i| i.is_active())
        .filter_map(|i| Some((i.id, issue_node(lineage, &i.asset, i.node.as_deref())?)))
        .collect()
}

/// An open incident as statuses and the status page need it.
#[derive(Debug, Clone)]
struct OpenIncident {
    id: String,
    title: String,
    severity: String,
    status: String,
    declared: String,
    /// The nodes of its ranked root causes.
    roots: Vec<NodeIndex>,
    /// The data products its impact names.
    products: Vec<String>,
}

impl OpenIncident {
    /// The unresolved incidents among `incidents`, in their order.
    fn all_of(lineage: &Lineage, incidents: &[Incident]) -> Vec<OpenIncident> {
        incidents
            .iter()
            .filter(|i| i.status != "resolved")
            .map(|inc| OpenIncident {
                id: inc.id.clone(),
                title: inc.title.clone(),
                severity: inc.severity.clone(),
                status: inc.status.clone(),
                declared: inc.declared.clone(),
                roots: inc
                    .root_causes
                    .iter()
                    .filter_map(|c| lineage.get(&c.unique_id))
                    .collect(),
                products: inc.impact.data_products.clone(),
            })
            .collect()
    }
}

/// Whether an incident affects a product: a root cause (a linked issue's asset, or an ancestor
/// of all of them) reaches it, or its impact names it.
fn incident_hits(r: &Resolved, inc: &OpenIncident) -> bool {
    inc.roots.iter().any(|n| r.hit(*n))
        || inc
            .products
            .iter()
            .any(|p| p.eq_ignore_ascii_case(&r.def.name))
}

fn statuses_of(
    resolved: &[Resolved],
    issue_nodes: &[(i64, NodeIndex)],
    open: &[OpenIncident],
) -> Vec<ProductStatus> {
    resolved
        .iter()
        .map(|r| {
            let mut open_issues: Vec<i64> = issue_nodes
                .iter()
                .filter(|(_, n)| r.hit(*n))
                .map(|(id, _)| *id)
                .collect();
            open_issues.sort_unstable();
            open_issues.dedup();
            let incidents: Vec<String> = open
                .iter()
                .filter(|inc| incident_hits(r, inc))
                .map(|inc| inc.id.clone())
                .collect();
            let status = if !incidents.is_empty() {
                Status::Incident
            } else if !open_issues.is_empty() {
                Status::Degraded
            } else {
                Status::Operational
            };
            ProductStatus {
                name: r.def.name.clone(),
                status,
                team: r.def.team.clone(),
                tier: r.def.tier,
                channel: r.def.channel.clone(),
                sla_target: r.def.sla_target,
                open_issues,
                incidents,
            }
        })
        .collect()
}

/// Every product's status, in catalog order. `open_issues` should be the active issues (any
/// resolved one passed is ignored); `open_incidents` the unresolved incidents (likewise).
pub fn statuses(
    lineage: &Lineage,
    catalog: &Catalog,
    open_issues: &[Issue],
    open_incidents: &[Incident],
) -> Vec<ProductStatus> {
    let membership = Membership::build(lineage, catalog.clone());
    statuses_of(
        &membership.resolved(),
        &issue_nodes(lineage, open_issues),
        &OpenIncident::all_of(lineage, open_incidents),
    )
}

/// A product whose status differs between two [`statuses`] results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusChange {
    pub name: String,
    pub from: Status,
    pub to: Status,
    pub channel: Option<String>,
    pub team: Option<String>,
}

/// The status changes from `before` to `after`. A product new in `after` counts as having been
/// operational; one gone from `after` is not reported.
pub fn changes(before: &[ProductStatus], after: &[ProductStatus]) -> Vec<StatusChange> {
    after
        .iter()
        .filter_map(|a| {
            let from = before
                .iter()
                .find(|b| b.name == a.name)
                .map(|b| b.status)
                .unwrap_or(Status::Operational);
            (from != a.status).then(|| StatusChange {
                name: a.name.clone(),
                from,
                to: a.status,
                channel: a.channel.clone(),
                team: a.team.clone(),
            })
        })
        .collect()
}

/// How long `intervals` (start, end; None = still going) cover within `[window_start, now]`,
/// overlaps counted once.
pub fn downtime(
    intervals: &[(DateTime<Utc>, Option<DateTime<Utc>>)],
    window_start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> chrono::Duration {
    let mut clipped: Vec<(DateTime<Utc>, DateTime<Utc>)> = intervals
        .iter()
        .map(|(s, e)| ((*s).max(window_start), e.unwrap_or(now).min(now)))
        .filter(|(s, e)| s < e)
        .collect();
    clipped.sort_unstable();
    let mut total = chrono::Duration::zero();
    let mut current: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    for (s, e) in clipped {
        current = match current {
            Some((cs, ce)) if s <= ce => Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += ce - cs;
                Some((s, e))
            }
            None => Some((s, e)),
        };
    }
    if let Some((cs, ce)) = current {
        total += ce - cs;
    }
    total
}

/// 1 − downtime / window over the `window` ending at `now`.
pub fn uptime(
    intervals: &[(DateTime<Utc>, Option<DateTime<Utc>>)],
    window: chrono::Duration,
    now: DateTime<Utc>,
) -> f64 {
    let total = window.num_milliseconds();
    if total <= 0 {
        return 1.0;
    }
    let down = downtime(intervals, now - window, now).num_milliseconds();
    (1.0 - down as f64 / total as f64).clamp(0.0, 1.0)
}

/// An incident as uptime needs it: when its impact started and ended, and the assets of its
/// linked issues.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentSpan {
    pub id: String,
    /// `impact_started`, else when it was declared.
    pub start: DateTime<Utc>,
    /// When it was resolved; None while open (a reopened incident is open again).
    pub end: Option<DateTime<Utc>>,
    /// unique_ids of the linked issues' assets.
    pub assets: Vec<String>,
}

/// The incidents open now or resolved since `since`, with their linked assets.
pub fn incident_spans(
    conn: &rusqlite::Connection,
    since: DateTime<Utc>,
) -> Result<Vec<IncidentSpan>> {
    let mut stmt = conn.prepare(
        "SELECT i.id, i.declared_at, i.impact_started, i.resolved_at, s.asset
         FROM incidents i LEFT JOIN issues s ON s.incident_id = i.id
         WHERE i.resolved_at IS NULL OR i.resolved_at >= ?1
         ORDER BY i.id",
    )?;
    let rows = stmt.query_map([ts(since)], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<String>>(4)?,
        ))
    })?;
    let mut out: Vec<IncidentSpan> = Vec::new();
    for row in rows {
        let (n, declared, started, resolved, asset) = row?;
        let id = crate::domain::incidents::label(n);
        if out.last().is_none_or(|s| s.id != id) {
            let Some(start) = started
                .as_deref()
                .and_then(parse_ts)
                .or_else(|| parse_ts(&declared))
            else {
                continue;
            };
            out.push(IncidentSpan {
                id,
                start,
                end: resolved.as_deref().and_then(parse_ts),
                assets: Vec::new(),
            });
        }
        if let (Some(asset), Some(last)) = (asset, out.last_mut())
            && last.id == crate::domain::incidents::label(n)
        {
            last.assets.push(asset);
        }
    }
    Ok(out)
}

/// The status page: every product with its status and uptime, and the open incidents.
#[derive(Debug, Clone, Serialize)]
pub struct StatusPage {
    pub generated_at: String,
    pub data_products: Vec<ProductRow>,
    pub open_incidents: Vec<IncidentRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProductRow {
    pub name: String,
    pub status: Status,
    /// The fraction of the SLA window without an incident affecting it (1.0 = no downtime).
    pub uptime: f64,
    /// The window uptime is measured over, e.g. `30d`.
    pub window: String,
    pub sla_target: Option<f64>,
    pub sla_met: Option<bool>,
    pub team: Option<String>,
    pub tier: Option<u8>,
    pub open_issues: Vec<i64>,
    pub incidents: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IncidentRow {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub declared: String,
    pub data_products: Vec<String>,
}

/// The longest SLA window in the catalog (at least 30 days): how far back
/// [`incident_spans`] must look.
pub fn longest_window(catalog: &Catalog) -> chrono::Duration {
    catalog
        .products
        .iter()
        .map(|p| p.window)
        .max()
        .unwrap_or_else(|| chrono::Duration::days(30))
        .max(chrono::Duration::days(30))
}

/// `30d`, `12h`, else as the config writes durations.
fn window_text(w: chrono::Duration) -> String {
    let secs = w.num_seconds();
    if secs > 0 && secs % 86_400 == 0 {
        format!("{}d", secs / 86_400)
    } else if secs > 0 && secs % 3600 == 0 {
        format!("{}h", secs / 3600)
    } else {
        w.to_std()
            .map(crate::config::format_duration)
            .unwrap_or_default()
    }
}

/// Builds the status page at `now` from the open issues and incidents and the incident
/// history (see [`incident_spans`]). [`StatusCache::page`] gives the same page without
/// recomputing what has not changed.
pub fn status_page(
    lineage: &Lineage,
    catalog: &Catalog,
    open_issues: &[Issue],
    open_incidents: &[Incident],
    history: &[IncidentSpan],
    now: DateTime<Utc>,
) -> StatusPage {
    PageData::build(
        lineage,
        &Membership::build(lineage, catalog.clone()),
        &issue_nodes(lineage, open_issues),
        &OpenIncident::all_of(lineage, open_incidents),
        history,
    )
    .page(now)
}

/// A list of downtime intervals (start, end; None = still going).
type Intervals = Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>;

/// `intervals` merged where they overlap or touch (an open one reaching to the end of time),
/// empty and inverted ones dropped: [`downtime`] over any window is the same as for the input.
fn merge_intervals(mut intervals: Intervals) -> Intervals {
    intervals.retain(|(s, e)| e.is_none_or(|e| *s < e));
    intervals.sort_unstable_by_key(|(s, _)| *s);
    let mut out: Intervals = Vec::with_capacity(intervals.len());
    for (s, e) in intervals {
        match out.last_mut() {
            Some((_, last)) if last.is_none_or(|l| s <= l) => {
                *last = last.zip(e).map(|(a, b)| a.max(b));
            }
            _ => out.push((s, e)),
        }
    }
    out
}

/// Everything on the status page but the time: statuses, each product's downtime intervals and
/// the open incidents. It changes only with the store or the lineage; [`PageData::page`] adds
/// uptime at a given time.
struct PageData {
    statuses: Vec<ProductStatus>,
    /// Per product, in the same order: its SLA window and merged downtime intervals.
    downtime: Vec<(chrono::Duration, Intervals)>,
    open_incidents: Vec<IncidentRow>,
}

impl PageData {
    fn build(
        lineage: &Lineage,
        membership: &Membership,
        issue_nodes: &[(i64, NodeIndex)],
        open_incidents: &[OpenIncident],
        history: &[IncidentSpan],
    ) -> PageData {
        let resolved = membership.resolved();
        let statuses = statuses_of(&resolved, issue_nodes, open_incidents);
        let span_nodes: Vec<Vec<NodeIndex>> = history
            .iter()
            .map(|s| {
                s.assets
                    .iter()
                    .filter_map(|a| lineage.get(a).map(|i| lineage.asset_of(i)))
                    .collect()
            })
            .collect();
        let downtime = resolved
            .iter()
            .map(|r| {
                let intervals: Intervals = history
                    .iter()
                    .zip(&span_nodes)
                    .filter(|(_, nodes)| nodes.iter().any(|n| r.hit(*n)))
                    .map(|(s, _)| (s.start, s.end))
                    .collect();
                (r.def.window, merge_intervals(intervals))
            })
            .collect();
        let open_incidents = open_incidents
            .iter()
            .map(|inc| IncidentRow {
                id: inc.id.clone(),
                title: inc.title.clone(),
                severity: inc.severity.clone(),
                status: inc.status.clone(),
                declared: inc.declared.clone(),
                data_products: resolved
                    .iter()
                    .filter(|r| incident_hits(r, inc))
                    .map(|r| r.def.name.clone())
                    .collect(),
            })
            .collect();
        PageData {
            statuses,
            downtime,
            open_incidents,
        }
    }

    /// The page at `now` (which must not be before the history's window start).
    fn page(&self, now: DateTime<Utc>) -> StatusPage {
        let data_products = self
            .statuses
            .iter()
            .zip(&self.downtime)
            .map(|(st, (window, intervals))| {
                let up = uptime(intervals, *window, now);
                ProductRow {
                    name: st.name.clone(),
                    status: st.status,
                    uptime: up,
                    window: window_text(*window),
                    sla_target: st.sla_target,
                    sla_met: st.sla_target.map(|t| up + 1e-12 >= t),
                    team: st.team.clone(),
                    tier: st.tier,
                    open_issues: st.open_issues.clone(),
                    incidents: st.incidents.clone(),
                }
            })
            .collect();
        StatusPage {
            generated_at: ts(now),
            data_products,
            open_incidents: self.open_incidents.clone(),
        }
    }
}

/// The active issues with the node each is on, read with one indexed query (the columns
/// statuses need, not whole issues).
fn load_issue_nodes(
    conn: &rusqlite::Connection,
    lineage: &Lineage,
) -> Result<Vec<(i64, NodeIndex)>> {
    let active: Vec<String> = crate::domain::issues::Status::ALL
        .into_iter()
        .filter(|s| *s != crate::domain::issues::Status::Resolved)
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, asset, node FROM issues WHERE status IN ({}) ORDER BY id",
        active.join(", ")
    ))?;
    let mut out = Vec::new();
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let asset: String = r.get(1)?;
        let node: Option<String> = r.get(2)?;
        if let Some(n) = issue_node(lineage, &asset, node.as_deref()) {
            out.push((r.get(0)?, n));
        }
    }
    Ok(out)
}

/// The unresolved incidents, newest first, as [`crate::domain::incidents::list`] would give them to
/// [`statuses`] (root causes and impact from the linked issues' assets, in issue order), with one
/// query over the `issues.incident_id` index instead of a read of every issue per incident.
fn load_open_incidents(
    conn: &rusqlite::Connection,
    lineage: &Lineage,
) -> Result<Vec<OpenIncident>> {
    let mut stmt = conn.prepare_cached(
        "SELECT i.id, i.title, i.severity, i.status, i.declared_at, s.asset
         FROM incidents i LEFT JOIN issues s ON s.incident_id = i.id
         WHERE i.status != 'resolved'
         ORDER BY i.id DESC, s.id",
    )?;
    let mut rows = stmt.query([])?;
    let mut found: Vec<(i64, OpenIncident, Vec<NodeIndex>)> = Vec::new();
    while let Some(r) = rows.next()? {
        let n: i64 = r.get(0)?;
        if found.last().is_none_or(|(last, _, _)| *last != n) {
            found.push((
                n,
                OpenIncident {
                    id: crate::domain::incidents::label(n),
                    title: r.get(1)?,
                    severity: r.get(2)?,
                    status: r.get(3)?,
                    declared: r.get(4)?,
                    roots: Vec::new(),
                    products: Vec::new(),
                },
                Vec::new(),
            ));
        }
        let asset: Option<String> = r.get(5)?;
        if let (Some(node), Some((_, _, nodes))) =
            (asset.and_then(|a| lineage.get(&a)), found.last_mut())
        {
            nodes.push(node);
        }
    }
    Ok(found
        .into_iter()
        .map(|(_, mut inc, nodes)| {
            inc.roots = lineage
                .root_candidates(&nodes)
                .iter()
                .filter_map(|c| lineage.get(&c.unique_id))
                .collect();
            inc.products = lineage.impact(&nodes).data_products;
            inc
        })
        .collect())
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the public status page would otherwise recompute on every request (see
/// [`crate::app::App::status_page`]):
///
/// - product membership ([`Membership`]), once per lineage and config: keyed by the identity of
///   the lineage `Arc` (a new manifest swaps in a new one) and of the config `Arc`;
/// - the page's data ([`PageData`]: statuses, downtime intervals, open incidents), once per
///   database state: keyed by `PRAGMA data_version` on a read-only connection of the cache's
///   own, which changes with every commit by any other connection, this process's writer or
///   another process. A request after a write sees the write; uptime and `generated_at` are
///   computed for each request's own time.
///
/// A request that misses builds the data while the others wait for it (one build at a time);
/// the database reads go through the store's reader pool and never wait for the writer.
#[derive(Default)]
pub struct StatusCache {
    watch: Mutex<Watch>,
    membership: Mutex<Option<MembershipEntry>>,
    data: Mutex<Option<DataEntry>>,
    building: Mutex<()>,
}

#[derive(Default)]
struct Watch {
    conn: Option<rusqlite::Connection>,
    /// Bumped when the connection is (re)opened: versions of different connections differ.
    epoch: u64,
}

struct MembershipEntry {
    lineage: Weak<Lineage>,
    config: Weak<Config>,
    membership: Arc<Membership>,
}

struct DataEntry {
    version: (u64, i64),
    membership: Arc<Membership>,
    /// The time it was built for: its incident history starts one longest window before.
    built: DateTime<Utc>,
    data: Arc<PageData>,
}

impl StatusCache {
    /// The status page at `now` for the store's current state, `lineage` and `config`.
    pub fn page(
        &self,
        store: &Store,
        lineage: &Arc<Lineage>,
        config: &Arc<Config>,
        now: DateTime<Utc>,
    ) -> Result<StatusPage> {
        Ok(self.data(store, lineage, config, now)?.page(now))
    }

    /// Every product's status now (as [`statuses`] computes it), from the same cached data.
    pub fn statuses(
        &self,
        store: &Store,
        lineage: &Arc<Lineage>,
        config: &Arc<Config>,
        now: DateTime<Utc>,
    ) -> Result<Vec<ProductStatus>> {
        Ok(self.data(store, lineage, config, now)?.statuses.clone())
    }

    fn data(
        &self,
        store: &Store,
        lineage: &Arc<Lineage>,
        config: &Arc<Config>,
        now: DateTime<Utc>,
    ) -> Result<Arc<PageData>> {
        if let Some(data) = self.lookup(store, lineage, config, now) {
            return Ok(data);
        }
        let _one = lock(&self.building);
        // Another request may have built it while this one waited. The version is read before
        // the data, so data newer than its version only causes an extra build later.
        if let Some(data) = self.lookup(store, lineage, config, now) {
            return Ok(data);
        }
        let version = self.data_version(store);
        let membership = self.membership(lineage, config);
        let since = now - longest_window(membership.catalog());
        // Two pooled connections at once: the reads are mostly page reads of the issues table.
        let (issues, incidents_and_history) = std::thread::scope(|s| {
            let issues = s.spawn(|| store.read(|c| load_issue_nodes(c, lineage)));
            let rest =
                store.read(|c| Ok((load_open_incidents(c, lineage)?, incident_spans(c, since)?)));
            (issues.join(), rest)
        });
        let issues = issues.unwrap_or_else(|p| std::panic::resume_unwind(p))?;
        let (incidents, history) = incidents_and_history?;
        let data = Arc::new(PageData::build(
            lineage,
            &membership,
            &issues,
            &incidents,
            &history,
        ));
        if let Some(version) = version {
            *lock(&self.data) = Some(DataEntry {
                version,
                membership,
                built: now,
                data: data.clone(),
            });
        }
        Ok(data)
    }

    /// The cached data if it is still current.
    fn lookup(
        &self,
        store: &Store,
        lineage: &Arc<Lineage>,
        config: &Arc<Config>,
        now: DateTime<Utc>,
    ) -> Option<Arc<PageData>> {
        let version = self.data_version(store)?;
        let membership = self.cached_membership(lineage, config)?;
        let entry = lock(&self.data);
        let e = entry.as_ref()?;
        (e.version == version && Arc::ptr_eq(&e.membership, &membership) && now >= e.built)
            .then(|| e.data.clone())
    }

    fn cached_membership(
        &self,
        lineage: &Arc<Lineage>,
        config: &Arc<Config>,
    ) -> Option<Arc<Membership>> {
        let entry = lock(&self.membership);
        let e = entry.as_ref()?;
        // A Weak keeps its allocation, so no new Arc can reuse the address while it is held.
        (e.lineage.as_ptr() == Arc::as_ptr(lineage) && e.config.as_ptr() == Arc::as_ptr(config))
            .then(|| e.membership.clone())
    }

    fn membership(&self, lineage: &Arc<Lineage>, config: &Arc<Config>) -> Arc<Membership> {
        if let Some(m) = self.cached_membership(lineage, config) {
            return m;
        }
        let membership = Arc::new(Membership::build(
            lineage,
            Catalog::build(&config.products, lineage),
        ));
        *lock(&self.membership) = Some(MembershipEntry {
            lineage: Arc::downgrade(lineage),
            config: Arc::downgrade(config),
            membership: membership.clone(),
        });
        membership
    }

    /// `PRAGMA data_version` on the cache's own read-only connection, with that connection's
    /// epoch; None (no caching) when it cannot be read.
    fn data_version(&self, store: &Store) -> Option<(u64, i64)> {
        let mut w = lock(&self.watch);
        if w.conn.is_none() {
            let conn = rusqlite::Connection::open_with_flags(
                store.path(),
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .ok()?;
            conn.busy_timeout(std::time::Duration::from_secs(5)).ok()?;
            w.conn = Some(conn);
            w.epoch += 1;
        }
        let version = w
            .conn
            .as_ref()?
            .query_row("PRAGMA data_version", [], |r| r.get::<_, i64>(0));
        match version {
            Ok(v) => Some((w.epoch, v)),
            Err(e) => {
                tracing::warn!(error = %e, "status page cache: cannot read data_version");
                w.conn = None;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests;
