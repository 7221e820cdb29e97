//! From the lineage to a [`Picture`]: the roots and everything below them, the symptoms and
//! skipped nodes, the paths to the impacted data products and exposures, large fans and long
//! chains collapsed. The incident, issue and product pages all draw one.

use super::graph::{Picture, Role};
use crate::domain::postmortem::ImpactPath;
use crate::lineage::{Lineage, NodeKind};
use petgraph::graph::NodeIndex;
use rustc_hash::FxHashSet;

/// At most this many nodes are read from the lineage before collapsing.
const MAX_NODES: usize = 3000;
/// More plain children than this under one node collapse into one "N more" node.
pub const FAN: usize = 6;
/// Chains of this many plain nodes or more collapse into one.
pub const CHAIN: usize = 3;

/// What to mark on the picture.
#[derive(Default)]
pub struct Marks<'a> {
    /// Root causes with the line under their name (their failing checks).
    pub roots: Vec<(String, String)>,
    /// Failing nodes with an issue of their own below a root.
    pub symptoms: Vec<String>,
    /// Nodes skipped because of a root.
    pub skipped: Vec<String>,
    pub paths: &'a [ImpactPath],
    /// Impacted data products (drawn each as a node of its own).
    pub products: &'a [String],
    /// How far below the roots to draw: the whole downstream when true, else only the marked
    /// nodes and the paths.
    pub downstream: bool,
}

/// The group a node is drawn in: Airflow for jobs and datasets, else its dbt project.
pub fn group_of(lineage: &Lineage, idx: NodeIndex) -> String {
    let node = lineage.node(idx);
    match node.kind {
        NodeKind::Job | NodeKind::Dataset => "Airflow".to_owned(),
        _ => lineage
            .project_of(idx)
            .or(node.package.as_deref())
            .unwrap_or("other")
            .to_owned(),
    }
}

fn drawn_kind(kind: NodeKind) -> bool {
    !matches!(
        kind,
        NodeKind::Test | NodeKind::UnitTest | NodeKind::Analysis
    )
}

fn add(p: &mut Picture, lineage: &Lineage, idx: NodeIndex, role: Role) -> usize {
    let node = lineage.node(idx);
    let role = if role == Role::Plain && node.kind == NodeKind::Exposure {
        Role::Exposure
    } else {
        role
    };
    let i = p.node(&node.unique_id, &node.name, role, &group_of(lineage, idx));
    if p.nodes[i].sub.is_empty() {
        p.node_mut(i).sub = node.kind.as_str().to_owned();
    }
    i
}

/// Draws the lineage's edges among `set` (each in `on_path` marked so); returns `set` sorted.
fn join(
    p: &mut Picture,
    lineage: &Lineage,
    set: &FxHashSet<NodeIndex>,
    on_path: &FxHashSet<(NodeIndex, NodeIndex)>,
) -> Vec<NodeIndex> {
    let mut drawn: Vec<NodeIndex> = set.iter().copied().collect();
    drawn.sort_unstable();
    for &v in &drawn {
        let from = p.get(&lineage.node(v).unique_id);
        for c in lineage.children(v).filter(|c| set.contains(c)) {
            if let (Some(a), Some(b)) = (from, p.get(&lineage.node(c).unique_id)) {
                p.edge(a, b, on_path.contains(&(v, c)));
            }
        }
    }
    drawn
}

/// The picture `marks` describe on `lineage`, collapsed.
pub fn build(lineage: &Lineage, marks: &Marks) -> Picture {
    let mut p = Picture::default();
    let resolve = |id: &str| lineage.get(id);
    let roots: Vec<NodeIndex> = marks
        .roots
        .iter()
        .filter_map(|(id, _)| resolve(id))
        .collect();
    for ((_, sub), idx) in marks.roots.iter().zip(&roots) {
        let i = add(&mut p, lineage, *idx, Role::Root);
        if !sub.is_empty() {
            p.node_mut(i).sub = sub.clone();
        }
    }
    let mut set: FxHashSet<NodeIndex> = roots.iter().copied().collect();
    for (ids, role) in [
        (&marks.symptoms, Role::Symptom),
        (&marks.skipped, Role::Skipped),
    ] {
        for idx in ids.iter().filter_map(|id| resolve(id)) {
            add(&mut p, lineage, idx, role);
            set.insert(idx);
        }
    }
    let mut on_path: FxHashSet<(NodeIndex, NodeIndex)> = FxHashSet::default();
    for path in marks.paths {
        let nodes: Vec<NodeIndex> = path.path.iter().filter_map(|id| resolve(id)).collect();
        for idx in &nodes {
            add(&mut p, lineage, *idx, Role::Path);
            set.insert(*idx);
        }
        on_path.extend(nodes.windows(2).map(|w| (w[0], w[1])));
    }
    if marks.downstream {
        for idx in lineage.closure(&roots, petgraph::Direction::Outgoing) {
            if set.len() >= MAX_NODES {
                break;
            }
            if drawn_kind(lineage.node(idx).kind) && set.insert(idx) {
                add(&mut p, lineage, idx, Role::Plain);
            }
        }
    }
    let drawn = join(&mut p, lineage, &set, &on_path);
    for name in marks.products {
        let product = p.node(
            &format!("product:{name}"),
            name,
            Role::Product,
            "data products",
        );
        p.node_mut(product).sub = "data product".into();
        let mut joined = false;
        for path in marks
            .paths
            .iter()
            .filter(|x| x.kind == "data_product" && &x.target == name)
        {
            if let Some(last) = path.path.last().and_then(|id| p.get(id)) {
                p.edge(last, product, true);
                joined = true;
            }
        }
        if !joined
            && let Some(member) = drawn
                .iter()
                .find(|i| lineage.node(**i).data_products.contains(name))
            && let Some(m) = p.get(&lineage.node(*member).unique_id)
        {
            p.edge(m, product, false);
        }
    }
    p.collapse(FAN, CHAIN);
    p
}

/// A data product's own lineage: its members (highlighted) and everything upstream of them,
/// the assets of open issues in red, and the product itself fed by its last members.
pub fn product(
    lineage: &Lineage,
    name: &str,
    members: &[NodeIndex],
    failing: &[String],
) -> Picture {
    let mut p = Picture::default();
    let mut set: FxHashSet<NodeIndex> = FxHashSet::default();
    for &m in members {
        add(&mut p, lineage, m, Role::Path);
        set.insert(m);
    }
    for idx in lineage.closure(members, petgraph::Direction::Incoming) {
        if set.len() >= MAX_NODES {
            break;
        }
        if drawn_kind(lineage.node(idx).kind) && set.insert(idx) {
            add(&mut p, lineage, idx, Role::Plain);
        }
    }
    for idx in failing.iter().filter_map(|id| lineage.get(id)) {
        if set.contains(&idx) {
            add(&mut p, lineage, idx, Role::Root);
        }
    }
    join(&mut p, lineage, &set, &FxHashSet::default());
    let product = p.node(
        &format!("product:{name}"),
        name,
        Role::Product,
        "data products",
    );
    p.node_mut(product).sub = "data product".into();
    let member_set: FxHashSet<NodeIndex> = members.iter().copied().collect();
    for &m in members {
        if !lineage.children(m).any(|c| member_set.contains(&c))
            && let Some(i) = p.get(&lineage.node(m).unique_id)
        {
            p.edge(i, product, true);
        }
    }
    p.collapse(FAN, CHAIN);
    p
}
