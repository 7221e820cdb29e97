//! Stitching: one environment's graph out of every project's latest manifest and the Airflow
//! (OpenLineage) jobs seen in it.
//!
//! - One node per `unique_id`: the owner project's own node wins over another manifest's copy
//!   (dbt Mesh copies upstream public models with an empty `original_file_path`); a copy whose
//!   project is not ingested stays, marked as a placeholder.
//! - One warehouse relation, one producer: a source, seed or snapshot of one project whose
//!   relation (database, schema, identifier; any case, unquoted) is built by another project's
//!   model hangs directly below that model.
//! - Jobs sit between their input and output datasets; a dataset is the dbt node of the same
//!   relation, else a dataset node of its own namespace.

use super::openlineage::Job;
use super::{Group, Lineage, LineageSnapshot, Node, NodeKind, normalize_relation};
use petgraph::graph::NodeIndex;
use rustc_hash::FxHashMap as HashMap;
use std::collections::hash_map::Entry;

/// Marks a node that belongs to no dbt project (a job or dataset).
const NO_PROJECT: u16 = u16::MAX;

/// The package most of a manifest's models (else nodes) belong to: its project when
/// `metadata.project_name` is missing (dbt < 1.6).
pub(super) fn dominant_package(nodes: &[Node]) -> Option<String> {
    let mut counts: HashMap<&str, (usize, usize)> = HashMap::default();
    for n in nodes {
        if let Some(p) = n.package.as_deref() {
            let c = counts.entry(p).or_default();
            c.0 += usize::from(n.kind == NodeKind::Model);
            c.1 += 1;
        }
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(p, _)| p.to_owned())
}

/// How strongly a manifest of `project` owns `node`: its own node, a node of an installed
/// package, or a copy of another project's public model (empty path).
fn owner_score(project: &str, node: &Node) -> u8 {
    let has_path = node.path.as_deref().is_some_and(|p| !p.is_empty());
    match (node.package.as_deref() == Some(project), has_path) {
        (true, true) => 3,
        (false, true) => 2,
        (true, false) => 1,
        (false, false) => 0,
    }
}

fn is_copy(project: &str, node: &Node) -> bool {
    owner_score(project, node) == 0 && node.package.is_some()
}

/// `db.schema.table` → (`db.schema.table`, `schema.table`); `schema.table` → (itself, itself).
fn relation_keys(relation: &str) -> Option<(String, String)> {
    let full = normalize_relation(relation);
    let parts = full.split('.').count();
    if !(2..=3).contains(&parts) || full.contains('(') {
        return None;
    }
    let short = match full.find('.') {
        Some(i) if parts == 3 => full[i + 1..].to_owned(),
        _ => full.clone(),
    };
    Some((full, short))
}

/// Builds one environment's graph from its projects (sorted by name) and jobs.
pub(super) fn merge(parts: &[(&str, &Lineage)], jobs: &[Job]) -> Lineage {
    // 1. The winning copy of every unique_id.
    let mut best: HashMap<&str, (u32, u32, u8)> = HashMap::default();
    for (pi, (project, l)) in parts.iter().enumerate() {
        for (i, n) in l.nodes.iter().enumerate() {
            let score = owner_score(project, n);
            match best.entry(n.unique_id.as_str()) {
                Entry::Vacant(v) => {
                    v.insert((pi as u32, i as u32, score));
                }
                Entry::Occupied(mut o) if score > o.get().2 => {
                    o.insert((pi as u32, i as u32, score));
                }
                Entry::Occupied(_) => {}
            }
        }
    }
    let total = best.len() + jobs.len() * 3;
    let mut nodes: Vec<Node> = Vec::with_capacity(total);
    let mut node_project: Vec<u16> = Vec::with_capacity(total);
    let mut placeholders: HashMap<NodeIndex, String> = HashMap::default();
    let mut global: HashMap<&str, u32> = HashMap::default();
    global.reserve(best.len());
    for (pi, (project, l)) in parts.iter().enumerate() {
        for (i, n) in l.nodes.iter().enumerate() {
            let (wp, wi, _) = best[n.unique_id.as_str()];
            if (wp, wi) != (pi as u32, i as u32) {
                continue;
            }
            let idx = nodes.len() as u32;
            global.insert(n.unique_id.as_str(), idx);
            if is_copy(project, n) {
                let owner = n.package.as_deref().unwrap_or_default();
                placeholders.insert(
                    NodeIndex::new(idx as usize),
                    format!(
                        "a copy from project `{project}`'s manifest: project `{owner}` is not ingested in this environment yet"
                    ),
                );
            }
            nodes.push(n.clone());
            node_project.push(pi as u16);
        }
    }
    // 2. Edges and test attachments: a node's parents come from the manifest that owns it.
    let mut edges: Vec<(u32, u32)> = Vec::new();
    let mut attached: Vec<(u32, Vec<u32>)> = Vec::new();
    for (pi, (_, l)) in parts.iter().enumerate() {
        let map: Vec<u32> = l
            .nodes
            .iter()
            .map(|n| global[n.unique_id.as_str()])
            .collect();
        let owns = |i: usize| {
            let (wp, wi, _) = best[l.nodes[i].unique_id.as_str()];
            (wp, wi) == (pi as u32, i as u32)
        };
        for e in l.graph.raw_edges() {
            if owns(e.target().index()) {
                edges.push((map[e.source().index()], map[e.target().index()]));
            }
        }
        for (t, targets) in &l.attached {
            if owns(t.index()) {
                attached.push((
                    map[t.index()],
                    targets.iter().map(|x| map[x.index()]).collect(),
                ));
            }
        }
    }
    // 3. One relation, one producer: sources, seeds and snapshots below another project's model.
    let mut models: HashMap<String, u32> = HashMap::default();
    let mut models_short: HashMap<String, Option<u32>> = HashMap::default();
    for (i, n) in nodes.iter().enumerate() {
        if n.kind != NodeKind::Model || placeholders.contains_key(&NodeIndex::new(i)) {
            continue;
        }
        if let Some((full, short)) = n.relation.as_deref().and_then(relation_keys) {
            models.entry(full).or_insert(i as u32);
            models_short
                .entry(short)
                .and_modify(|v| *v = None)
                .or_insert(Some(i as u32));
        }
    }
    let lookup = |relation: &str| -> Option<u32> {
        let (full, short) = relation_keys(relation)?;
        // The short form matches only when one side has no database part.
        match models.get(&full) {
            Some(m) => Some(*m),
            None if full == short => models_short.get(&short).copied().flatten(),
            None => models.get(&short).copied(),
        }
    };
    let mut others: HashMap<String, u32> = HashMap::default();
    for (i, n) in nodes.iter().enumerate() {
        if !matches!(
            n.kind,
            NodeKind::Source | NodeKind::Seed | NodeKind::Snapshot
        ) {
            continue;
        }
        let Some((full, short)) = n.relation.as_deref().and_then(relation_keys) else {
            continue;
        };
        others.entry(full).or_insert(i as u32);
        others.entry(short).or_insert(i as u32);
        if let Some(m) = n.relation.as_deref().and_then(lookup)
            && node_project[m as usize] != node_project[i]
        {
            edges.push((m, i as u32));
        }
    }
    // A dataset is the model building its relation, else a source, seed or snapshot reading it.
    let dbt_node_of = |name: &str| -> Option<u32> {
        lookup(name).or_else(|| {
            let (full, short) = relation_keys(name)?;
            others
                .get(&full)
                .or_else(|| (full == short).then(|| others.get(&short)).flatten())
                .copied()
        })
    };
    // 4. Airflow jobs between their datasets.
    let mut datasets: HashMap<String, u32> = HashMap::default();
    for job in jobs {
        let job_idx = match global.get(job.unique_id().as_str()) {
            Some(i) => *i,
            None => {
                let idx = nodes.len() as u32;
                nodes.push(job.node());
                node_project.push(NO_PROJECT);
                idx
            }
        };
        let mut dataset = |ns: &str, name: &str, nodes: &mut Vec<Node>, np: &mut Vec<u16>| {
            if let Some(i) = dbt_node_of(name) {
                return i;
            }
            let id = format!("{ns}/{name}");
            *datasets.entry(id.clone()).or_insert_with(|| {
                nodes.push(dataset_node(id, ns, name));
                np.push(NO_PROJECT);
                (nodes.len() - 1) as u32
            })
        };
        for d in &job.inputs {
            let i = dataset(&d.namespace, &d.name, &mut nodes, &mut node_project);
            edges.push((i, job_idx));
        }
        for d in &job.outputs {
            let o = dataset(&d.namespace, &d.name, &mut nodes, &mut node_project);
            edges.push((job_idx, o));
        }
    }
    edges.retain(|(p, c)| p != c);
    edges.sort_unstable();
    edges.dedup();
    attached.sort();

    let mut groups: Vec<Group> = Vec::new();
    for (_, l) in parts {
        for g in l.groups.values() {
            if !groups.iter().any(|x| x.name == g.name) {
                groups.push(g.clone());
            }
        }
    }
    let project_names: Vec<String> = parts.iter().map(|(p, _)| (*p).to_owned()).collect();
    let mut lineage = Lineage::build(LineageSnapshot {
        schema_version: parts
            .iter()
            .map(|(_, l)| l.schema_version)
            .max()
            .unwrap_or(0),
        dbt_version: parts.iter().find_map(|(_, l)| l.dbt_version.clone()),
        project: (parts.len() == 1).then(|| project_names[0].clone()),
        nodes,
        edges,
        groups,
        attached,
    });
    lineage.project_id = (parts.len() == 1)
        .then(|| parts[0].1.project_id.clone())
        .flatten();
    lineage.node_project = node_project;
    lineage.project_names = project_names;
    lineage.placeholders = placeholders;
    lineage
}

fn dataset_node(unique_id: String, namespace: &str, name: &str) -> Node {
    Node::bare(
        unique_id,
        NodeKind::Dataset,
        name,
        vec![namespace.to_owned(), name.to_owned()],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relation_keys_ignore_case_and_quotes() {
        assert_eq!(
            relation_keys("\"Database\".\"main\".\"SHARED_MODEL\""),
            Some((
                "database.main.shared_model".into(),
                "main.shared_model".into()
            ))
        );
        assert_eq!(
            relation_keys("main.orders"),
            Some(("main.orders".into(), "main.orders".into()))
        );
        assert_eq!(relation_keys("read_csv('a.csv')"), None);
    }
}
