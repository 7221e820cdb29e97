//! Data products: named sets of dbt nodes that a team owns and promises an uptime for.
//!
//! Products come from `[[products]]` in `steward.toml` (members chosen with a subset of dbt's
//! selection syntax, see [`parse_selector`]) and from `meta.data_product` in the manifest: every
//! distinct value is a product made of the nodes carrying it, and a configured product of the
//! same name gets those nodes too.
//!
//! A product is *operational*, *degraded* (an open issue is on a member or upstream of one) or
//! in *incident* (an open incident affects it). [`statuses`] computes that from plain data, so
//! a notifier can diff two results with [`changes`]; [`status_page`] adds uptime over each
//! product's SLA window and renders the public page (`GET /status`, `GET /status.json`).

use crate::config::{Config, ProductConfig};
use crate::error::InputError;
use crate::incidents::Incident;
use crate::issues::{Issue, ts};
use crate::lineage::{Lineage, NodeKind};
use crate::store::Store;
use anyhow::Result;
use chrono::{DateTime, Utc};
use petgraph::Direction;
use petgraph::graph::NodeIndex;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// One dbt-style selector. See [`parse_selector`] for the syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// `tag:x`: nodes tagged `x`.
    Tag(String),
    /// `path:models/marts`: nodes whose `original_file_path` is that file or lies under that
    /// folder (a trailing slash makes no difference).
    Path(String),
    /// `group:x`: nodes in the dbt group `x`.
    Group(String),
    /// `exposure:x`: the exposure `x` and everything upstream of it.
    Exposure(String),
    /// `source:shop` (every table of the source) or `source:shop.payments`.
    Source(String),
    /// `fqn:a.b.c`: nodes whose fqn starts with these parts, with or without the package, or
    /// whose name is the single part given.
    Fqn(Vec<String>),
    /// A bare reference: a unique_id, relation, model name or `source.table` (as
    /// [`Lineage::resolve`] finds it), or else a dotted fqn as with `fqn:`.
    Node(String),
    /// `+x` (x and everything upstream), `x+` (x and everything downstream) or `+x+`.
    Graph {
        inner: Box<Selector>,
        parents: bool,
        children: bool,
    },
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Tag(x) => write!(f, "tag:{x}"),
            Selector::Path(x) => write!(f, "path:{x}"),
            Selector::Group(x) => write!(f, "group:{x}"),
            Selector::Exposure(x) => write!(f, "exposure:{x}"),
            Selector::Source(x) => write!(f, "source:{x}"),
            Selector::Fqn(parts) => write!(f, "fqn:{}", parts.join(".")),
            Selector::Node(x) => f.write_str(x),
            Selector::Graph {
                inner,
                parents,
                children,
            } => write!(
                f,
                "{}{inner}{}",
                if *parents { "+" } else { "" },
                if *children { "+" } else { "" }
            ),
        }
    }
}

const SYNTAX: &str =
    "use tag:, path:, group:, exposure:, source:, fqn:, a model name, +model or model+";

/// Parses one selector: `tag:x`, `path:x`, `group:x`, `exposure:x`, `source:x`, `fqn:a.b.c`, a
/// bare name, unique_id or dotted fqn (a bare value with a `/` is a path), each optionally
/// wrapped in graph operators: `+x`, `x+`, `+x+`. Methods are case-insensitive.
pub fn parse_selector(s: &str) -> Result<Selector, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty selector".into());
    }
    if s.contains(char::is_whitespace) {
        return Err(format!(
            "selector {s:?} has spaces: give one selector per string (the list is a union)"
        ));
    }
    if s.contains(',') {
        return Err(format!(
            "selector {s:?}: intersections (a,b) are not supported; list selectors separately"
        ));
    }
    let parents = s.starts_with('+');
    let children = s.len() > 1 && s.ends_with('+');
    let inner = &s[usize::from(parents)..s.len() - usize::from(children)];
    if inner.is_empty() {
        return Err(format!("selector {s:?} selects nothing"));
    }
    if inner.contains('+') || inner.starts_with('@') {
        return Err(format!(
            "selector {s:?}: graph operators go only at the start (+model) or the end (model+); \
             depth limits (2+model) and @ are not supported"
        ));
    }
    let base = match inner.split_once(':') {
        Some((method, value)) => {
            let value = value.trim();
            if value.is_empty() {
                return Err(format!("selector {s:?} has no value after {method:?}"));
            }
            match method.to_ascii_lowercase().as_str() {
                "tag" => Selector::Tag(value.to_owned()),
                "path" => Selector::Path(normalize_path(value)),
                "group" => Selector::Group(value.to_owned()),
                "exposure" => Selector::Exposure(value.to_owned()),
                "source" => Selector::Source(value.to_owned()),
                "fqn" => Selector::Fqn(fqn_parts(s, value)?),
                _ => {
                    return Err(format!(
                        "unknown selector method {method:?} in {s:?}: {SYNTAX}"
                    ));
                }
            }
        }
        None if inner.contains('/') => Selector::Path(normalize_path(inner)),
        None => {
            fqn_parts(s, inner)?;
            Selector::Node(inner.to_owned())
        }
    };
    Ok(if parents || children {
        Selector::Graph {
            inner: Box::new(base),
            parents,
            children,
        }
    } else {
        base
    })
}

fn fqn_parts(s: &str, value: &str) -> Result<Vec<String>, String> {
    let parts: Vec<String> = value.split('.').map(str::to_owned).collect();
    if parts.iter().any(String::is_empty) {
        return Err(format!("selector {s:?} has an empty part between dots"));
    }
    Ok(parts)
}

fn normalize_path(p: &str) -> String {
    let p = p.trim().trim_start_matches("./");
    p.trim_end_matches('/').to_owned()
}

/// Nodes that can belong to a product: not tests, unit tests or operations.
fn is_member_kind(kind: NodeKind) -> bool {
    !matches!(kind, NodeKind::Test | NodeKind::UnitTest | NodeKind::Other)
}

fn fqn_matches(fqn: &[String], parts: &[String]) -> bool {
    let prefix = |fqn: &[String]| {
        parts.len() <= fqn.len()
            && parts
                .iter()
                .zip(fqn)
                .all(|(p, f)| p.eq_ignore_ascii_case(f))
    };
    (parts.len() == 1
        && fqn
            .last()
            .is_some_and(|l| l.eq_ignore_ascii_case(&parts[0])))
        || prefix(fqn)
        || (fqn.len() > 1 && prefix(&fqn[1..]))
}

/// The nodes a selector picks, tests excluded, in index order.
pub fn select(lineage: &Lineage, selector: &Selector) -> Vec<NodeIndex> {
    let mut out = select_raw(lineage, selector);
    out.retain(|i| is_member_kind(lineage.node(*i).kind));
    out.sort_unstable();
    out.dedup();
    out
}

fn select_raw(lineage: &Lineage, selector: &Selector) -> Vec<NodeIndex> {
    let filter = |f: &dyn Fn(&crate::lineage::Node) -> bool| -> Vec<NodeIndex> {
        lineage
            .nodes()
            .filter(|(_, n)| f(n))
            .map(|(i, _)| i)
            .collect()
    };
    match selector {
        Selector::Tag(t) => filter(&|n| n.tags.iter().any(|x| x.eq_ignore_ascii_case(t))),
        Selector::Path(p) => filter(&|n| {
            n.path.as_deref().is_some_and(|path| {
                let path = path.trim_start_matches("./");
                path == p
                    || (path.len() > p.len()
                        && path.starts_with(p.as_str())
                        && path.as_bytes()[p.len()] == b'/')
            })
        }),
        Selector::Group(g) => filter(&|n| n.group.as_deref().is_some_and(|x| x == g)),
        Selector::Exposure(x) => {
            let found =
                filter(&|n| n.kind == NodeKind::Exposure && (n.name == *x || n.unique_id == *x));
            let mut out = lineage.closure(&found, Direction::Incoming);
            out.extend(found);
            out
        }
        Selector::Source(x) => filter(&|n| {
            if n.kind != NodeKind::Source {
                return false;
            }
            let source_name = n
                .fqn
                .get(n.fqn.len().saturating_sub(2))
                .map(String::as_str)
                .unwrap_or("");
            source_name.eq_ignore_ascii_case(x)
                || format!("{source_name}.{}", n.name).eq_ignore_ascii_case(x)
        }),
        Selector::Fqn(parts) => filter(&|n| fqn_matches(&n.fqn, parts)),
        Selector::Node(r) => {
            let parts: Vec<String> = r.split('.').map(str::to_owned).collect();
            let mut out = filter(&|n| fqn_matches(&n.fqn, &parts));
            out.extend(lineage.resolve(r));
            out
        }
        Selector::Graph {
            inner,
            parents,
            children,
        } => {
            let base = select_raw(lineage, inner);
            let mut out = Vec::new();
            if *parents {
                out.extend(lineage.closure(&base, Direction::Incoming));
            }
            if *children {
                out.extend(lineage.closure(&base, Direction::Outgoing));
            }
            out.extend(base);
            out
        }
    }
}

/// A data product, from the config or found in the manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductDef {
    pub name: String,
    /// The owning team (for a product found only in the manifest: its nodes' dbt group).
    pub team: Option<String>,
    /// Where its status changes go (manifest-only: the nodes' `meta.steward.channel`).
    pub channel: Option<String>,
    /// 1 is the most critical (manifest-only: from a `tierN` tag on its nodes).
    pub tier: Option<u8>,
    /// The uptime target as a fraction, e.g. 0.995.
    pub sla_target: Option<f64>,
    /// The window uptime is measured over.
    pub window: chrono::Duration,
    pub selectors: Vec<Selector>,
    /// Defined in `steward.toml` (else only by `meta.data_product`).
    pub configured: bool,
    /// The line of its `name` in `steward.toml` (0 when not from a file).
    pub line: usize,
}

impl ProductDef {
    /// The definition a `[[products]]` entry gives; an invalid selector is an error.
    pub fn from_config(p: &ProductConfig) -> Result<ProductDef, String> {
        Ok(ProductDef {
            name: p.name.clone(),
            team: Some(p.team.clone()),
            channel: p.channel.clone(),
            tier: p.tier,
            sla_target: p.sla_target(),
            window: chrono::Duration::from_std(p.window)
                .unwrap_or_else(|_| chrono::Duration::days(30)),
            selectors: p
                .select
                .iter()
                .map(|s| parse_selector(s))
                .collect::<Result<_, _>>()?,
            configured: true,
            line: p.line,
        })
    }
}

/// Every data product: the configured ones in config order, then those found only in
/// `meta.data_product`, by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    pub products: Vec<ProductDef>,
}

impl Catalog {
    /// The products of `config` plus one per `meta.data_product` value in `lineage` that the
    /// config does not define. (Config entries with invalid selectors, which `Config::parse`
    /// refuses, are skipped.)
    pub fn build(config: &[ProductConfig], lineage: &Lineage) -> Catalog {
        let mut products: Vec<ProductDef> = Vec::new();
        for p in config {
            match ProductDef::from_config(p) {
                Ok(def) => products.push(def),
                Err(e) => tracing::warn!(product = %p.name, error = %e, "skipping product"),
            }
        }
        let mut tagged: BTreeMap<&str, Vec<NodeIndex>> = BTreeMap::new();
        for (idx, node) in lineage.nodes() {
            if is_member_kind(node.kind) {
                for p in &node.data_products {
                    tagged.entry(p.as_str()).or_default().push(idx);
                }
            }
        }
        for (name, nodes) in tagged {
            if products.iter().any(|d| d.name.eq_ignore_ascii_case(name)) {
                continue;
            }
            let mut by_kind = nodes.clone();
            by_kind.sort_by_key(|i| (lineage.node(*i).kind != NodeKind::Model, *i));
            let team = by_kind.iter().find_map(|i| lineage.node(*i).group.clone());
            let channel = by_kind.iter().find_map(|i| {
                lineage
                    .node(*i)
                    .steward
                    .as_ref()
                    .and_then(|s| s.channel.clone())
            });
            let tier = nodes
                .iter()
                .flat_map(|i| lineage.node(*i).tags.iter())
                .filter_map(|t| t.strip_prefix("tier")?.parse::<u8>().ok())
                .filter(|t| *t > 0)
                .min();
            products.push(ProductDef {
                name: name.to_owned(),
                team,
                channel,
                tier,
                sla_target: None,
                window: chrono::Duration::days(30),
                selectors: Vec::new(),
                configured: false,
                line: 0,
            });
        }
        Catalog { products }
    }

    pub fn get(&self, name: &str) -> Option<&ProductDef> {
        self.products
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }
}

/// The nodes of a product: those its selectors pick plus those whose `meta.data_product` names
/// it; tests excluded; in index order.
pub fn members(lineage: &Lineage, def: &ProductDef) -> Vec<NodeIndex> {
    let mut out: Vec<NodeIndex> = lineage
        .nodes()
        .filter(|(_, n)| {
            n.data_products
                .iter()
                .any(|p| p.eq_ignore_ascii_case(&def.name))
        })
        .map(|(i, _)| i)
        .collect();
    for s in &def.selectors {
        out.extend(select_raw(lineage, s));
    }
    out.retain(|i| is_member_kind(lineage.node(*i).kind));
    out.sort_unstable();
    out.dedup();
    out
}

/// A product with everything a failure could reach it from (its members and all their
/// ancestors), as a dense bitmap over node indexes.
struct Resolved<'a> {
    def: &'a ProductDef,
    reach: &'a [bool],
}

impl Resolved<'_> {
    fn hit(&self, node: NodeIndex) -> bool {
        self.reach.get(node.index()).copied().unwrap_or(false)
    }
}

/// The bitmap of `def`'s members and all their ancestors.
pub fn reach_of(lineage: &Lineage, def: &ProductDef) -> Vec<bool> {
    let members = members(lineage, def);
    let mut reach = vec![false; lineage.node_count()];
    for i in members
        .iter()
        .copied()
        .chain(lineage.closure(&members, Direction::Incoming))
    {
        reach[i.index()] = true;
    }
    reach
}

/// Every product of a catalog resolved against one lineage: the part of a status that depends
/// only on the graph and the products config, so [`StatusCache`] computes it once per lineage.
pub struct Membership {
    catalog: Catalog,
    /// Per product, in catalog order: see [`Resolved`].
    reach: Vec<Vec<bool>>,
}

impl Membership {
    pub fn build(lineage: &Lineage, catalog: Catalog) -> Membership {
        let reach = catalog
            .products
            .iter()
            .map(|def| reach_of(lineage, def))
            .collect();
        Membership { catalog, reach }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    fn resolved(&self) -> Vec<Resolved<'_>> {
        self.catalog
            .products
            .iter()
            .zip(&self.reach)
            .map(|(def, reach)| Resolved { def, reach })
            .collect()
    }
}

/// The products that failures on `assets` affect: those with a member among the assets or
/// below them (member ∩ (assets ∪ downstream(assets)) ≠ ∅), in catalog order.
pub fn affected_products(
    lineage: &Lineage,
    catalog: &Catalog,
    assets: &[NodeIndex],
) -> Vec<String> {
    catalog
        .products
        .iter()
        .filter(|def| {
            let reach = reach_of(lineage, def);
            let r = Resolved { def, reach: &reach };
            assets.iter().any(|a| r.hit(*a))
        })
        .map(|def| def.name.clone())
        .collect()
}

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

fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
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
        let id = crate::incidents::label(n);
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
            && last.id == crate::incidents::label(n)
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
    let active: Vec<String> = crate::issues::Status::ALL
        .into_iter()
        .filter(|s| *s != crate::issues::Status::Resolved)
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

/// The unresolved incidents, newest first, as [`crate::incidents::list`] would give them to
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
                    id: crate::incidents::label(n),
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

/// Escapes text for HTML content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn readable_time(s: &str) -> String {
    parse_ts(s)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| s.to_owned())
}

fn percent(f: f64) -> String {
    format!("{:.3}%", f * 100.0)
}

/// The page as plain HTML: no scripts, readable without styles.
pub fn render_html(page: &StatusPage) -> String {
    use std::fmt::Write;
    let mut h = String::new();
    h.push_str(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"refresh\" content=\"60\">\n<title>Data status</title>\n<style>\n\
         body{font-family:system-ui,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;color:#1f2328}\n\
         table{border-collapse:collapse;width:100%}\n\
         th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid #d0d7de}\n\
         .operational,.met{color:#1a7f37}.degraded{color:#9a6700}.incident,.missed{color:#cf222e}\n\
         .status{font-weight:600}.muted{color:#656d76}\n</style>\n</head>\n<body>\n<h1>Data status</h1>\n",
    );
    let count = |s: Status| page.data_products.iter().filter(|p| p.status == s).count();
    let (incident, degraded) = (count(Status::Incident), count(Status::Degraded));
    let summary = match (incident, degraded) {
        _ if page.data_products.is_empty() => "No data products are defined yet.".to_owned(),
        (0, 0) => "All data products are operational.".to_owned(),
        _ => {
            let mut parts = Vec::new();
            if incident > 0 {
                parts.push(format!("{incident} affected by an incident"));
            }
            if degraded > 0 {
                parts.push(format!("{degraded} degraded"));
            }
            format!(
                "{} of {} data products: {}.",
                incident + degraded,
                page.data_products.len(),
                parts.join(", ")
            )
        }
    };
    let _ = writeln!(h, "<p>{}</p>", escape_html(&summary));
    h.push_str("<h2>Data products</h2>\n");
    if !page.data_products.is_empty() {
        h.push_str(
            "<table>\n<thead><tr><th>Product</th><th>Status</th><th>Uptime</th><th>SLA</th>\
             <th>Team</th><th>Tier</th></tr></thead>\n<tbody>\n",
        );
        for p in &page.data_products {
            let sla = match (p.sla_target, p.sla_met) {
                (Some(t), Some(met)) => format!(
                    "{} <span class=\"{}\">{}</span>",
                    percent(t),
                    if met { "met" } else { "missed" },
                    if met { "met" } else { "missed" }
                ),
                _ => "<span class=\"muted\">none</span>".to_owned(),
            };
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"status {}\">{}</td><td>{} <span class=\"muted\">({})</span></td>\
                 <td>{}</td><td>{}</td><td>{}</td></tr>",
                escape_html(&p.name),
                p.status.as_str(),
                p.status.as_str(),
                percent(p.uptime),
                escape_html(&p.window),
                sla,
                escape_html(p.team.as_deref().unwrap_or("")),
                p.tier.map(|t| t.to_string()).unwrap_or_default(),
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }
    h.push_str("<h2>Open incidents</h2>\n");
    if page.open_incidents.is_empty() {
        h.push_str("<p>No open incidents.</p>\n");
    } else {
        h.push_str("<ul>\n");
        for i in &page.open_incidents {
            let affects = if i.data_products.is_empty() {
                String::new()
            } else {
                format!(" Affects {}.", escape_html(&i.data_products.join(", ")))
            };
            let _ = writeln!(
                h,
                "<li><strong>{}</strong> {} · {} <span class=\"muted\">({}, declared {})</span>{}</li>",
                escape_html(&i.id),
                escape_html(&i.severity),
                escape_html(&i.title),
                escape_html(&i.status),
                escape_html(&readable_time(&i.declared)),
                affects,
            );
        }
        h.push_str("</ul>\n");
    }
    let _ = writeln!(
        h,
        "<p class=\"muted\">Generated {} · <a href=\"/status.json\">JSON</a></p>\n</body>\n</html>",
        escape_html(&readable_time(&page.generated_at))
    );
    h
}

/// What `steward config check` says about `[[products]]` against a stored lineage.
#[derive(Debug, Clone, Default)]
pub struct ConfigCheck {
    /// One line on what the products were checked against.
    pub note: String,
    /// Selectors that match nothing while their product matches something.
    pub warnings: Vec<InputError>,
    /// Products that match nothing.
    pub errors: Vec<InputError>,
}

/// Checks configured products against `lineage` (the last ingested manifest; None or empty
/// when there is none): a product matching nothing is an error, a selector matching nothing a
/// warning; each names its line in `origin`.
pub fn check_config(
    origin: &str,
    products: &[ProductConfig],
    lineage: Option<&Lineage>,
) -> ConfigCheck {
    let Some(lineage) = lineage.filter(|l| !l.is_empty()) else {
        return ConfigCheck {
            note: "no manifest ingested yet: selectors not checked against lineage".into(),
            ..ConfigCheck::default()
        };
    };
    let mut check = ConfigCheck {
        note: format!(
            "checked against the last ingested manifest ({} nodes)",
            lineage.node_count()
        ),
        ..ConfigCheck::default()
    };
    let at = |line: usize| {
        if line > 0 {
            format!("line {line}")
        } else {
            String::new()
        }
    };
    for p in products {
        let Ok(def) = ProductDef::from_config(p) else {
            continue;
        };
        if members(lineage, &def).is_empty() {
            check.errors.push(
                InputError::new(
                    origin,
                    format!(
                        "product {:?} matches nothing in the last ingested manifest (select = {:?}, and no node has meta.data_product = {:?})",
                        p.name, p.select, p.name
                    ),
                )
                .at(at(p.line)),
            );
            continue;
        }
        for (i, sel) in def.selectors.iter().enumerate() {
            if select(lineage, sel).is_empty() {
                check.warnings.push(
                    InputError::new(
                        origin,
                        format!(
                            "product {:?}: selector {:?} matches nothing",
                            p.name, p.select[i]
                        ),
                    )
                    .at(at(p.select_line(i))),
                );
            }
        }
    }
    check
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lineage::{LineageSnapshot, Node};
    use chrono::TimeZone;

    fn node(id: &str, kind: NodeKind) -> Node {
        let name = id.rsplit('.').next().unwrap().to_owned();
        let pkg = "shop".to_owned();
        let fqn = match kind {
            NodeKind::Source => vec![pkg.clone(), "raw".into(), name.clone()],
            _ => vec![pkg.clone(), "marts".into(), name.clone()],
        };
        Node {
            unique_id: id.into(),
            kind,
            name,
            package: Some(pkg),
            relation: None,
            path: None,
            fqn,
            tags: Vec::new(),
            group: None,
            owners: Vec::new(),
            data_products: Vec::new(),
            checksum: None,
            severity: None,
            steward: None,
            exposure: None,
        }
    }

    /// raw.payments → stg_payments → fct_revenue → dash (exposure); stg_payments → test;
    /// raw.users → stg_users → dim_users; fct_revenue is `meta.data_product = revenue`.
    fn graph() -> Lineage {
        let mut nodes = vec![
            node("source.shop.raw.payments", NodeKind::Source),
            node("model.shop.stg_payments", NodeKind::Model),
            node("model.shop.fct_revenue", NodeKind::Model),
            node("exposure.shop.dash", NodeKind::Exposure),
            node("test.shop.not_null_stg_payments_id", NodeKind::Test),
            node("source.shop.raw.users", NodeKind::Source),
            node("model.shop.stg_users", NodeKind::Model),
            node("model.shop.dim_users", NodeKind::Model),
        ];
        nodes[1].path = Some("models/staging/stg_payments.sql".into());
        nodes[1].fqn = vec!["shop".into(), "staging".into(), "stg_payments".into()];
        nodes[6].path = Some("models/staging/stg_users.sql".into());
        nodes[6].fqn = vec!["shop".into(), "staging".into(), "stg_users".into()];
        nodes[2].path = Some("models/marts/fct_revenue.sql".into());
        nodes[7].path = Some("models/marts_old/dim_users.sql".into());
        nodes[2].tags = vec!["finance".into(), "tier1".into()];
        nodes[4].tags = vec!["finance".into()];
        nodes[2].group = Some("finance".into());
        nodes[2].data_products = vec!["revenue".into()];
        nodes[7].data_products = vec!["users".into()];
        nodes[7].group = Some("core".into());
        Lineage::build(LineageSnapshot {
            schema_version: 12,
            dbt_version: None,
            project: Some("shop".into()),
            nodes,
            edges: vec![(0, 1), (1, 2), (2, 3), (1, 4), (5, 6), (6, 7)],
            groups: Vec::new(),
            attached: vec![(4, vec![1])],
        })
    }

    fn names(l: &Lineage, idx: &[NodeIndex]) -> Vec<String> {
        idx.iter().map(|i| l.node(*i).name.clone()).collect()
    }

    fn pick(l: &Lineage, s: &str) -> Vec<String> {
        names(l, &select(l, &parse_selector(s).unwrap()))
    }

    #[test]
    fn selectors_parse() {
        assert_eq!(parse_selector("tag:x"), Ok(Selector::Tag("x".into())));
        assert_eq!(parse_selector(" TAG:x "), Ok(Selector::Tag("x".into())));
        assert_eq!(
            parse_selector("path:models/marts/"),
            Ok(Selector::Path("models/marts".into()))
        );
        assert_eq!(
            parse_selector("models/marts"),
            Ok(Selector::Path("models/marts".into()))
        );
        assert_eq!(parse_selector("group:g"), Ok(Selector::Group("g".into())));
        assert_eq!(
            parse_selector("exposure:e"),
            Ok(Selector::Exposure("e".into()))
        );
        assert_eq!(
            parse_selector("fqn:a.b.c"),
            Ok(Selector::Fqn(vec!["a".into(), "b".into(), "c".into()]))
        );
        assert_eq!(parse_selector("a.b"), Ok(Selector::Node("a.b".into())));
        assert_eq!(parse_selector("m"), Ok(Selector::Node("m".into())));
        let graph = |p: bool, c: bool| Selector::Graph {
            inner: Box::new(Selector::Node("m".into())),
            parents: p,
            children: c,
        };
        assert_eq!(parse_selector("+m"), Ok(graph(true, false)));
        assert_eq!(parse_selector("m+"), Ok(graph(false, true)));
        assert_eq!(parse_selector("+m+"), Ok(graph(true, true)));
        assert_eq!(
            parse_selector("+tag:finance").unwrap().to_string(),
            "+tag:finance"
        );
        for s in [
            "+m+",
            "tag:x",
            "path:models/marts",
            "fqn:a.b",
            "m",
            "source:s.t",
        ] {
            assert_eq!(parse_selector(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn bad_selectors_say_why() {
        for (s, why) in [
            ("", "empty"),
            ("+", "selects nothing"),
            ("++", "selects nothing"),
            ("colour:red", "unknown selector method \"colour\""),
            ("tag:", "no value"),
            ("2+m", "depth limits"),
            ("@m", "not supported"),
            ("a+b", "graph operators"),
            ("tag:a tag:b", "spaces"),
            ("tag:a,tag:b", "intersections"),
            ("a..b", "empty part"),
            ("fqn:a.", "empty part"),
        ] {
            let e = parse_selector(s).unwrap_err();
            assert!(e.contains(why), "{s:?}: {e}");
        }
    }

    #[test]
    fn selectors_pick_nodes() {
        let l = graph();
        assert_eq!(
            pick(&l, "tag:finance"),
            ["fct_revenue"],
            "tests are never members"
        );
        assert_eq!(pick(&l, "group:finance"), ["fct_revenue"]);
        assert_eq!(
            pick(&l, "path:models/staging"),
            ["stg_payments", "stg_users"]
        );
        assert_eq!(
            pick(&l, "path:models/staging/"),
            pick(&l, "path:models/staging")
        );
        assert_eq!(
            pick(&l, "path:models/marts"),
            ["fct_revenue"],
            "not marts_old"
        );
        assert_eq!(pick(&l, "path:models/staging/stg_users.sql"), ["stg_users"]);
        assert_eq!(
            pick(&l, "+fct_revenue"),
            ["payments", "stg_payments", "fct_revenue"]
        );
        assert_eq!(
            pick(&l, "stg_payments+"),
            ["stg_payments", "fct_revenue", "dash"]
        );
        assert_eq!(
            pick(&l, "+stg_payments+"),
            ["payments", "stg_payments", "fct_revenue", "dash"]
        );
        assert_eq!(
            pick(&l, "exposure:dash"),
            ["payments", "stg_payments", "fct_revenue", "dash"]
        );
        assert_eq!(pick(&l, "fqn:shop.staging"), ["stg_payments", "stg_users"]);
        assert_eq!(
            pick(&l, "staging"),
            ["stg_payments", "stg_users"],
            "fqn without package"
        );
        assert_eq!(pick(&l, "shop.marts.fct_revenue"), ["fct_revenue"]);
        assert_eq!(pick(&l, "model.shop.dim_users"), ["dim_users"]);
        assert_eq!(pick(&l, "raw.payments"), ["payments"]);
        assert_eq!(pick(&l, "source:raw"), ["payments", "users"]);
        assert_eq!(pick(&l, "source:raw.users"), ["users"]);
        assert!(pick(&l, "nope").is_empty());
        assert!(pick(&l, "+nope+").is_empty());
        assert!(pick(&l, "exposure:nope").is_empty());
    }

    fn product(name: &str, select: &[&str]) -> ProductConfig {
        ProductConfig {
            name: name.into(),
            team: "t".into(),
            channel: None,
            tier: None,
            sla: Some("99%".into()),
            window: std::time::Duration::from_secs(30 * 86_400),
            select: select.iter().map(|s| s.to_string()).collect(),
            line: 0,
            select_lines: Vec::new(),
        }
    }

    #[test]
    fn catalog_merges_config_and_manifest_products() {
        let l = graph();
        let c = Catalog::build(
            &[
                product("revenue", &["stg_payments"]),
                product("raw", &["source:raw"]),
            ],
            &l,
        );
        let got: Vec<(&str, bool)> = c
            .products
            .iter()
            .map(|p| (p.name.as_str(), p.configured))
            .collect();
        assert_eq!(got, [("revenue", true), ("raw", true), ("users", false)]);
        assert_eq!(
            names(&l, &members(&l, c.get("revenue").unwrap())),
            ["stg_payments", "fct_revenue"],
            "config selectors unioned with meta.data_product"
        );
        let users = c.get("users").unwrap();
        assert_eq!(names(&l, &members(&l, users)), ["dim_users"]);
        assert_eq!(users.team.as_deref(), Some("core"));
        assert_eq!(c.get("revenue").unwrap().sla_target, Some(0.99));
        let auto = Catalog::build(&[], &l);
        let rev = auto.get("revenue").unwrap();
        assert_eq!((rev.team.as_deref(), rev.tier), (Some("finance"), Some(1)));
    }

    #[test]
    fn affected_products_look_downstream() {
        let l = graph();
        let c = Catalog::build(&[product("raw", &["source:raw.users"])], &l);
        let at = |id: &str| affected_products(&l, &c, &[l.get(id).unwrap()]);
        assert_eq!(at("source.shop.raw.payments"), ["revenue"]);
        assert_eq!(at("model.shop.fct_revenue"), ["revenue"]);
        assert!(at("exposure.shop.dash").is_empty(), "below the product");
        assert_eq!(at("source.shop.raw.users"), ["raw", "users"]);
        assert!(affected_products(&l, &c, &[]).is_empty());
    }

    fn t(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, 31, 0, 0, 0).unwrap() + chrono::Duration::hours(h)
    }

    #[test]
    fn downtime_merges_and_clips() {
        let (start, now) = (t(0), t(100));
        let h = chrono::Duration::hours;
        assert_eq!(downtime(&[], start, now), h(0));
        // Overlapping incidents count once.
        assert_eq!(
            downtime(&[(t(10), Some(t(20))), (t(15), Some(t(30)))], start, now),
            h(20)
        );
        // Nested and touching.
        assert_eq!(
            downtime(
                &[
                    (t(10), Some(t(40))),
                    (t(20), Some(t(30))),
                    (t(40), Some(t(45)))
                ],
                start,
                now
            ),
            h(35)
        );
        // Spanning the window start, and ending before it.
        assert_eq!(
            downtime(&[(t(-50), Some(t(5))), (t(-50), Some(t(-1)))], start, now),
            h(5)
        );
        // Still open (or reopened): up to now; a future end is clipped to now.
        assert_eq!(downtime(&[(t(90), None)], start, now), h(10));
        assert_eq!(downtime(&[(t(95), Some(t(200)))], start, now), h(5));
        // Unordered input, one fully outside after now.
        assert_eq!(
            downtime(
                &[(t(60), Some(t(70))), (t(5), Some(t(10))), (t(150), None)],
                start,
                now
            ),
            h(15)
        );
        // Empty or inverted intervals add nothing.
        assert_eq!(
            downtime(&[(t(50), Some(t(50))), (t(60), Some(t(55)))], start, now),
            h(0)
        );
    }

    #[test]
    fn merged_intervals_give_the_same_downtime_in_any_window() {
        let intervals = vec![
            (t(10), Some(t(20))),
            (t(15), Some(t(30))),
            (t(30), Some(t(31))),
            (t(40), None),
            (t(45), Some(t(50))),
            (t(-50), Some(t(5))),
            (t(60), Some(t(55))),
            (t(70), Some(t(70))),
            (t(-80), Some(t(-60))),
        ];
        let merged = merge_intervals(intervals.clone());
        assert_eq!(
            merged,
            [
                (t(-80), Some(t(-60))),
                (t(-50), Some(t(5))),
                (t(10), Some(t(31))),
                (t(40), None)
            ]
        );
        for start in -100..60 {
            for end in [start + 1, start + 7, 25, 42, 48, 100, 200] {
                assert_eq!(
                    downtime(&merged, t(start), t(end)),
                    downtime(&intervals, t(start), t(end)),
                    "window {start}..{end}"
                );
            }
        }
    }

    #[test]
    fn uptime_is_the_uncovered_fraction() {
        let window = chrono::Duration::hours(100);
        let now = t(100);
        assert_eq!(uptime(&[], window, now), 1.0);
        assert!((uptime(&[(t(50), Some(t(60)))], window, now) - 0.9).abs() < 1e-9);
        assert_eq!(uptime(&[(t(-10), None)], window, now), 0.0);
        assert_eq!(uptime(&[(t(0), None)], chrono::Duration::zero(), now), 1.0);
    }

    #[test]
    fn status_changes_diff() {
        let st = |name: &str, status: Status| ProductStatus {
            name: name.into(),
            status,
            team: None,
            tier: None,
            channel: Some("C0FINANCE1".into()),
            sla_target: None,
            open_issues: Vec::new(),
            incidents: Vec::new(),
        };
        let before = [st("a", Status::Operational), st("b", Status::Degraded)];
        let after = [
            st("a", Status::Incident),
            st("b", Status::Degraded),
            st("c", Status::Degraded),
            st("d", Status::Operational),
        ];
        let got: Vec<(String, Status, Status)> = changes(&before, &after)
            .into_iter()
            .map(|c| (c.name, c.from, c.to))
            .collect();
        assert_eq!(
            got,
            [
                ("a".into(), Status::Operational, Status::Incident),
                ("c".into(), Status::Operational, Status::Degraded)
            ]
        );
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        let page = StatusPage {
            generated_at: "2025-01-31T00:00:00.000000Z".into(),
            data_products: vec![ProductRow {
                name: "<b>rev</b>".into(),
                status: Status::Degraded,
                uptime: 0.99861111,
                window: "30d".into(),
                sla_target: Some(0.995),
                sla_met: Some(true),
                team: Some("fin & ops".into()),
                tier: Some(1),
                open_issues: vec![1],
                incidents: Vec::new(),
            }],
            open_incidents: vec![IncidentRow {
                id: "INC-1".into(),
                title: "<script>alert(1)</script>".into(),
                severity: "SEV2".into(),
                status: "investigating".into(),
                declared: "2025-01-30T10:00:00.000000Z".into(),
                data_products: vec!["rev".into()],
            }],
        };
        let html = render_html(&page);
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;b&gt;rev&lt;/b&gt;") && html.contains("fin &amp; ops"));
        assert!(html.contains("99.861%") && html.contains("99.500%") && html.contains(">met<"));
        assert!(html.contains("class=\"status degraded\">degraded<"));
        assert!(html.contains("INC-1") && html.contains("2025-01-30 10:00 UTC"));
    }
}
