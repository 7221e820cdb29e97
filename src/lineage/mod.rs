//! The lineage graph: dbt nodes and their dependencies in a `petgraph` graph, with the queries that
//! triage needs (closures, impact, paths, owners, root-cause candidates).
//!
//! A [`Lineage`] is immutable once built; [`LineageHandle`] swaps in a new one atomically, so a
//! reader holds a consistent graph for as long as it needs and never blocks a writer.

mod fast;
mod load;
pub mod manifest;
pub mod openlineage;
pub mod projects;
mod queries;
mod read;
mod release;
mod scan;
mod stitch;

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

pub use projects::{EnvGraph, LineageHandle, Part, ProjectInfo};
pub use read::{
    LoadOptions, SUPPORTED_MANIFEST_VERSIONS, load_manifest, load_manifest_with,
    load_mapped_manifest,
};

/// What a node is, by dbt `resource_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Model,
    Seed,
    Snapshot,
    Source,
    Exposure,
    Analysis,
    Metric,
    SemanticModel,
    SavedQuery,
    Test,
    UnitTest,
    /// Hooks, RPC and SQL operations and anything newer dbt adds.
    Other,
    /// An Airflow (OpenLineage) job: a node between its input and output datasets.
    Job,
    /// An OpenLineage dataset no dbt relation matches.
    Dataset,
}

impl NodeKind {
    pub const COUNTED: [NodeKind; 11] = [
        NodeKind::Model,
        NodeKind::Test,
        NodeKind::Seed,
        NodeKind::Snapshot,
        NodeKind::Source,
        NodeKind::Exposure,
        NodeKind::Metric,
        NodeKind::SemanticModel,
        NodeKind::SavedQuery,
        NodeKind::UnitTest,
        NodeKind::Analysis,
    ];

    pub fn from_resource_type(s: &str) -> NodeKind {
        match s {
            "model" => NodeKind::Model,
            "seed" => NodeKind::Seed,
            "snapshot" => NodeKind::Snapshot,
            "source" => NodeKind::Source,
            "exposure" => NodeKind::Exposure,
            "analysis" => NodeKind::Analysis,
            "metric" => NodeKind::Metric,
            "semantic_model" => NodeKind::SemanticModel,
            "saved_query" => NodeKind::SavedQuery,
            "test" | "data_test" => NodeKind::Test,
            "unit_test" => NodeKind::UnitTest,
            _ => NodeKind::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Model => "model",
            NodeKind::Seed => "seed",
            NodeKind::Snapshot => "snapshot",
            NodeKind::Source => "source",
            NodeKind::Exposure => "exposure",
            NodeKind::Analysis => "analysis",
            NodeKind::Metric => "metric",
            NodeKind::SemanticModel => "semantic_model",
            NodeKind::SavedQuery => "saved_query",
            NodeKind::Test => "test",
            NodeKind::UnitTest => "unit_test",
            NodeKind::Other => "other",
            NodeKind::Job => "job",
            NodeKind::Dataset => "dataset",
        }
    }

    /// Nodes that hold data and can be "impacted": what `downstream_count` counts.
    pub fn is_data_asset(self) -> bool {
        matches!(
            self,
            NodeKind::Model | NodeKind::Seed | NodeKind::Snapshot | NodeKind::Exposure
        )
    }
}

/// Steward settings a dbt user writes in `meta.steward`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StewardMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mute: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
}

/// Exposure details worth showing when one is impacted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExposureInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maturity: Option<String>,
}

/// One dbt node, reduced to what Steward uses.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Node {
    pub unique_id: String,
    pub kind: NodeKind,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// The relation as dbt wrote it, e.g. `"analytics"."marts"."orders"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fqn: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The node's own owners: `config.meta.owner`, `meta.owner`, or an exposure's owner.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_products: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
    /// Configured severity of a test (`error` or `warn`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// `meta.steward`, when the node has one (boxed: most nodes have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steward: Option<Box<StewardMeta>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Box<ExposureInfo>>,
}

impl Node {
    /// A node known only by its id, kind, name and fqn (an Airflow job, an OpenLineage dataset):
    /// no relation, owners, tags or dbt settings.
    pub fn bare(unique_id: String, kind: NodeKind, name: &str, fqn: Vec<String>) -> Node {
        Node {
            unique_id,
            kind,
            name: name.to_owned(),
            package: None,
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
}

/// A dbt group and its owner.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    #[serde(default)]
    pub owner_name: Option<String>,
    #[serde(default)]
    pub owner_email: Option<String>,
}

impl Group {
    /// The owner as Steward shows it: the email when there is one, else the name.
    pub fn owner(&self) -> Option<&str> {
        self.owner_email.as_deref().or(self.owner_name.as_deref())
    }
}

/// Node counts and edges, as `steward lineage stats` prints them.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub schema_version: u32,
    pub nodes: serde_json::Map<String, serde_json::Value>,
    pub edges: usize,
}

/// What a failure on a set of nodes affects downstream.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Impact {
    pub data_products: Vec<String>,
    pub exposures: Vec<String>,
    pub owners: Vec<String>,
    pub downstream_count: usize,
    pub models: usize,
}

/// A root-cause candidate among failing nodes: a failing node with no failing ancestor.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RootCandidate {
    pub unique_id: String,
    /// How many of the failing nodes it explains (itself and failing descendants).
    pub explains: usize,
}

/// The lineage of one manifest: graph, indexes and cached orderings.
pub struct Lineage {
    pub schema_version: u32,
    pub dbt_version: Option<String>,
    pub project: Option<String>,
    /// Structure only; node data lives in `nodes`, at the same indexes.
    graph: DiGraph<(), ()>,
    nodes: Vec<Node>,
    by_id: HashMap<String, NodeIndex>,
    by_relation: HashMap<String, Vec<NodeIndex>>,
    by_name: HashMap<String, Vec<NodeIndex>>,
    groups: HashMap<String, Group>,
    /// For each test, the node(s) it checks.
    attached: HashMap<NodeIndex, Vec<NodeIndex>>,
    /// Each node's position in a topological order; empty if the graph has a cycle.
    topo_pos: Vec<u32>,
    /// `metadata.project_id` of the manifest, when dbt wrote one.
    pub project_id: Option<String>,
    /// For a graph stitched from several projects: the project each node comes from (an index
    /// into `project_names`). Empty for one manifest's graph.
    node_project: Vec<u16>,
    project_names: Vec<String>,
    /// Nodes that stand for another project's node not ingested yet, with why.
    placeholders: HashMap<NodeIndex, String>,
}

/// The topmost failing ancestors of each node below a failing set (see
/// [`Lineage::failing_origins`]). Dense: one slot per node, with a side table for the rare node
/// that descends from several origins.
#[derive(Clone, PartialEq)]
pub struct Origins {
    first: Vec<NodeIndex>,
    extra: HashMap<NodeIndex, Vec<NodeIndex>>,
}

impl Origins {
    /// The origins of `node`, sorted; None when nothing above it fails.
    pub fn get(&self, node: NodeIndex) -> Option<&[NodeIndex]> {
        let first = self.first.get(node.index())?;
        if *first == NodeIndex::end() {
            return None;
        }
        Some(match self.extra.get(&node) {
            Some(list) => list,
            None => std::slice::from_ref(first),
        })
    }

    fn set(&mut self, node: NodeIndex, found: &mut [NodeIndex]) {
        if found.is_empty() {
            return;
        }
        found.sort_unstable();
        self.first[node.index()] = found[0];
        if found.len() > 1 {
            self.extra.insert(node, found.to_vec());
        }
    }
}

/// The serialised form of a [`Lineage`], stored in SQLite so that a restart or a later CLI call
/// can answer lineage questions without the original manifest file.
#[derive(Serialize, Deserialize)]
pub struct LineageSnapshot {
    pub schema_version: u32,
    pub dbt_version: Option<String>,
    pub project: Option<String>,
    pub nodes: Vec<Node>,
    pub edges: Vec<(u32, u32)>,
    pub groups: Vec<Group>,
    pub attached: Vec<(u32, Vec<u32>)>,
}

impl Lineage {
    /// An empty graph: every asset resolves to nothing.
    pub fn empty() -> Lineage {
        Lineage::build(LineageSnapshot {
            schema_version: 0,
            dbt_version: None,
            project: None,
            nodes: Vec::new(),
            edges: Vec::new(),
            groups: Vec::new(),
            attached: Vec::new(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    /// Builds indexes and orderings around nodes and edges.
    pub fn build(snapshot: LineageSnapshot) -> Lineage {
        let nodes = snapshot.nodes;
        let mut graph = DiGraph::with_capacity(nodes.len(), snapshot.edges.len());
        for _ in 0..nodes.len() {
            graph.add_node(());
        }
        for (a, b) in &snapshot.edges {
            graph.add_edge(NodeIndex::new(*a as usize), NodeIndex::new(*b as usize), ());
        }
        let mut by_id = HashMap::with_capacity_and_hasher(graph.node_count(), Default::default());
        let mut by_relation: HashMap<String, Vec<NodeIndex>> = HashMap::default();
        let mut by_name: HashMap<String, Vec<NodeIndex>> = HashMap::default();
        for idx in graph.node_indices() {
            let node = &nodes[idx.index()];
            by_id.insert(node.unique_id.clone(), idx);
            if matches!(
                node.kind,
                NodeKind::Test | NodeKind::UnitTest | NodeKind::Other
            ) {
                continue;
            }
            if let Some(rel) = &node.relation {
                let full = normalize_relation(rel);
                // Also index `schema.table` when the relation has a database part.
                let mut dots = full.rmatch_indices('.').map(|(i, _)| i);
                if let (Some(_), Some(second_last)) = (dots.next(), dots.next()) {
                    by_relation
                        .entry(full[second_last + 1..].to_owned())
                        .or_default()
                        .push(idx);
                }
                by_relation.entry(full).or_default().push(idx);
            }
            by_name
                .entry(node.name.to_ascii_lowercase())
                .or_default()
                .push(idx);
            if node.kind == NodeKind::Source
                && let Some(source_name) = node.fqn.get(node.fqn.len().saturating_sub(2))
            {
                by_name
                    .entry(format!("{}.{}", source_name, node.name).to_ascii_lowercase())
                    .or_default()
                    .push(idx);
            }
        }
        for list in by_relation.values_mut().chain(by_name.values_mut()) {
            list.sort_by_key(|i| (kind_rank(nodes[(*i).index()].kind), *i));
            list.dedup();
        }
        let attached = snapshot
            .attached
            .into_iter()
            .map(|(t, v)| {
                (
                    NodeIndex::new(t as usize),
                    v.into_iter().map(|i| NodeIndex::new(i as usize)).collect(),
                )
            })
            .collect();
        let mut topo_pos = Vec::new();
        if let Ok(order) = petgraph::algo::toposort(&graph, None) {
            topo_pos = vec![0u32; graph.node_count()];
            for (pos, idx) in order.into_iter().enumerate() {
                topo_pos[idx.index()] = pos as u32;
            }
        }
        let groups = snapshot
            .groups
            .into_iter()
            .map(|g| (g.name.clone(), g))
            .collect();
        Lineage {
            schema_version: snapshot.schema_version,
            dbt_version: snapshot.dbt_version,
            project: snapshot.project,
            graph,
            nodes,
            by_id,
            by_relation,
            by_name,
            groups,
            attached,
            topo_pos,
            project_id: None,
            node_project: Vec::new(),
            project_names: Vec::new(),
            placeholders: HashMap::default(),
        }
    }

    /// The project a node comes from: its part's project in a stitched graph, else the
    /// manifest's project, else the node's package.
    pub fn project_of(&self, idx: NodeIndex) -> Option<&str> {
        match self.node_project.get(idx.index()) {
            Some(p) => self.project_names.get(*p as usize).map(String::as_str),
            None => self
                .project
                .as_deref()
                .or(self.nodes[idx.index()].package.as_deref()),
        }
    }

    /// Why `idx` is a placeholder (another project's node, that project not ingested), if it is.
    pub fn placeholder(&self, idx: NodeIndex) -> Option<&str> {
        self.placeholders.get(&idx).map(String::as_str)
    }

    /// The projects `assets` and everything below them belong to, sorted.
    pub fn projects_reached(&self, assets: &[NodeIndex]) -> Vec<String> {
        let below = self.closure(assets, Direction::Outgoing);
        let mut out: Vec<String> = Vec::new();
        for idx in assets.iter().chain(below.iter()) {
            if matches!(
                self.nodes[idx.index()].kind,
                NodeKind::Test | NodeKind::UnitTest
            ) {
                continue;
            }
            if let Some(p) = self.project_of(*idx)
                && !out.iter().any(|x| x == p)
            {
                out.push(p.to_owned());
            }
        }
        out.sort();
        out
    }

    pub fn to_snapshot(&self) -> LineageSnapshot {
        let mut groups: Vec<Group> = self.groups.values().cloned().collect();
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        let mut attached: Vec<(u32, Vec<u32>)> = self
            .attached
            .iter()
            .map(|(t, v)| {
                (
                    t.index() as u32,
                    v.iter().map(|i| i.index() as u32).collect(),
                )
            })
            .collect();
        attached.sort();
        LineageSnapshot {
            schema_version: self.schema_version,
            dbt_version: self.dbt_version.clone(),
            project: self.project.clone(),
            nodes: self.nodes.clone(),
            edges: self
                .graph
                .raw_edges()
                .iter()
                .map(|e| (e.source().index() as u32, e.target().index() as u32))
                .collect(),
            groups,
            attached,
        }
    }

    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    pub fn node(&self, idx: NodeIndex) -> &Node {
        &self.nodes[idx.index()]
    }

    pub fn nodes(&self) -> impl Iterator<Item = (NodeIndex, &Node)> {
        self.graph
            .node_indices()
            .map(move |i| (i, &self.nodes[i.index()]))
    }

    pub fn get(&self, unique_id: &str) -> Option<NodeIndex> {
        self.by_id.get(unique_id).copied()
    }

    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.get(name)
    }

    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.groups.values()
    }

    /// Resolves an asset reference: a `unique_id`, a relation name (`db.schema.table` or
    /// `schema.table`, any case, quoted or not), a model/seed/snapshot name, or `source.table`.
    /// An ambiguous reference prefers models, then the project's own package.
    pub fn resolve(&self, reference: &str) -> Option<NodeIndex> {
        let reference = reference.trim();
        if reference.is_empty() {
            return None;
        }
        if let Some(idx) = self.by_id.get(reference) {
            return Some(*idx);
        }
        let normalized = normalize_relation(reference);
        let pick = |list: &Vec<NodeIndex>| -> Option<NodeIndex> {
            let best = kind_rank(self.nodes[list[0].index()].kind);
            let same_rank: Vec<&NodeIndex> = list
                .iter()
                .filter(|i| kind_rank(self.nodes[(**i).index()].kind) == best)
                .collect();
            if same_rank.len() == 1 {
                return Some(*same_rank[0]);
            }
            same_rank
                .iter()
                .find(|i| {
                    self.project.is_some() && self.nodes[(***i).index()].package == self.project
                })
                .map(|i| **i)
                .or(Some(*same_rank[0]))
        };
        if let Some(list) = self.by_relation.get(&normalized) {
            return pick(list);
        }
        self.by_name.get(&normalized).and_then(pick)
    }

    /// The nodes a test checks (its attached node, or what a singular test depends on).
    pub fn tested_nodes(&self, test: NodeIndex) -> &[NodeIndex] {
        self.attached.get(&test).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The asset a check is about: a test's first attached node, or the node itself.
    pub fn asset_of(&self, idx: NodeIndex) -> NodeIndex {
        match self.nodes[idx.index()].kind {
            NodeKind::Test | NodeKind::UnitTest => {
                self.tested_nodes(idx).first().copied().unwrap_or(idx)
            }
            _ => idx,
        }
    }
}

/// Lower ranks win when a name or relation matches several nodes.
fn kind_rank(kind: NodeKind) -> u8 {
    match kind {
        NodeKind::Model => 0,
        NodeKind::Source => 1,
        NodeKind::Seed => 2,
        NodeKind::Snapshot => 3,
        NodeKind::Exposure => 4,
        _ => 5,
    }
}

/// `"Analytics".`marts`.[Orders]` → `analytics.marts.orders`.
pub fn normalize_relation(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s
        .trim()
        .chars()
        .filter(|c| !matches!(c, '"' | '`' | '[' | ']'))
    {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}
