//! The lineage picture's model and its layout: nodes with a role and a group (dbt project or
//! Airflow), edges, collapsing of large fans and long chains into "N more" nodes, and a small
//! layered layout (longest-path layers, barycentric ordering, a few sweeps).

use rustc_hash::FxHashMap;

/// What a drawn node stands for; it picks the node's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A root cause.
    Root,
    /// A symptom with an issue of its own.
    Symptom,
    /// Skipped because of a root.
    Skipped,
    /// An impacted data product.
    Product,
    /// An impacted exposure.
    Exposure,
    /// On a path from a root to an impacted product or exposure.
    Path,
    /// Downstream, nothing more.
    Plain,
    /// Collapsed nodes; their names are listed under the picture.
    More,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Root => "root",
            Role::Symptom => "symptom",
            Role::Skipped => "skipped",
            Role::Product => "product",
            Role::Exposure => "exposure",
            Role::Path => "path",
            Role::Plain => "plain",
            Role::More => "more",
        }
    }

    /// A more telling role wins when a node is seen twice.
    fn rank(self) -> u8 {
        match self {
            Role::Root => 7,
            Role::Product => 6,
            Role::Exposure => 5,
            Role::Symptom => 4,
            Role::Skipped => 3,
            Role::Path => 2,
            Role::Plain => 1,
            Role::More => 0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Node {
    /// A unique_id, `product:NAME` or `more:K`.
    pub id: String,
    pub label: String,
    /// A second line: the failing checks, the node kind, "N more models".
    pub sub: String,
    pub role: Role,
    /// The dbt project, `Airflow`, or `data products`.
    pub group: String,
    pub href: Option<String>,
    /// For a `More` node: the labels it stands for.
    pub hidden: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    /// On a root's path to an impacted product or exposure.
    pub path: bool,
}

/// A picture's nodes and edges, before layout.
#[derive(Debug, Clone, Default)]
pub struct Picture {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    index: FxHashMap<String, usize>,
}

impl Picture {
    /// Adds a node (or raises an existing one's role); returns its index.
    pub fn node(&mut self, id: &str, label: &str, role: Role, group: &str) -> usize {
        if let Some(&i) = self.index.get(id) {
            if role.rank() > self.nodes[i].role.rank() {
                self.nodes[i].role = role;
            }
            return i;
        }
        self.nodes.push(Node {
            id: id.to_owned(),
            label: label.to_owned(),
            sub: String::new(),
            role,
            group: group.to_owned(),
            href: None,
            hidden: Vec::new(),
        });
        self.index.insert(id.to_owned(), self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    pub fn get(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    pub fn node_mut(&mut self, i: usize) -> &mut Node {
        &mut self.nodes[i]
    }

    /// Adds an edge (once; a path edge stays one).
    pub fn edge(&mut self, from: usize, to: usize, path: bool) {
        if from == to {
            return;
        }
        if let Some(e) = self.edges.iter_mut().find(|e| e.from == from && e.to == to) {
            e.path |= path;
            return;
        }
        self.edges.push(Edge { from, to, path });
    }

    /// Replaces large fans (more than `fan` plain children of one node) and chains of at least
    /// `chain` plain nodes with one `More` node each, until none is left. Edges follow the
    /// nodes they joined, so every edge still joins two drawn nodes.
    pub fn collapse(&mut self, fan: usize, chain: usize) {
        loop {
            let children = self.children();
            let found = (0..self.nodes.len()).find_map(|p| {
                let plain: Vec<usize> = children[p]
                    .iter()
                    .copied()
                    .filter(|c| self.nodes[*c].role == Role::Plain)
                    .collect();
                (plain.len() > fan).then_some((p, plain))
            });
            // Many plain parents of one node, each with no other child (sources into a model).
            let found = found.or_else(|| {
                let parents = self.parents();
                (0..self.nodes.len()).find_map(|c| {
                    let plain: Vec<usize> = parents[c]
                        .iter()
                        .copied()
                        .filter(|p| self.nodes[*p].role == Role::Plain && children[*p].len() == 1)
                        .collect();
                    (plain.len() > fan).then_some((c, plain))
                })
            });
            match found {
                Some((p, plain)) => self.merge(&plain, &self.nodes[p].group.clone()),
                None => break,
            }
        }
        loop {
            let run = self.find_chain(chain);
            match run {
                Some(run) => self.merge(&run, &self.nodes[run[0]].group.clone()),
                None => break,
            }
        }
    }

    fn children(&self) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); self.nodes.len()];
        for e in &self.edges {
            out[e.from].push(e.to);
        }
        out
    }

    fn parents(&self) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); self.nodes.len()];
        for e in &self.edges {
            out[e.to].push(e.from);
        }
        out
    }

    /// A run of `len` or more plain nodes, each the only child of the one before.
    fn find_chain(&self, len: usize) -> Option<Vec<usize>> {
        let (children, parents) = (self.children(), self.parents());
        let link = |n: usize| {
            self.nodes[n].role == Role::Plain && children[n].len() == 1 && parents[n].len() == 1
        };
        for (start, above) in parents.iter().enumerate() {
            if !link(start) || link(above[0]) {
                continue;
            }
            let mut run = vec![start];
            let mut at = start;
            while let [next] = children[at][..] {
                if !link(next) || run.contains(&next) {
                    break;
                }
                run.push(next);
                at = next;
            }
            if run.len() >= len {
                return Some(run);
            }
        }
        None
    }

    /// Replaces `merged` with one `More` node.
    fn merge(&mut self, merged: &[usize], group: &str) {
        let mut hidden = Vec::new();
        for &m in merged {
            let n = &mut self.nodes[m];
            if n.role == Role::More {
                hidden.append(&mut n.hidden);
            } else {
                hidden.push(n.label.clone());
            }
        }
        let gone: rustc_hash::FxHashSet<usize> = merged.iter().copied().collect();
        let more = self.nodes.len() - gone.len();
        let mut map = vec![usize::MAX; self.nodes.len()];
        let mut kept = Vec::with_capacity(more + 1);
        for (i, n) in std::mem::take(&mut self.nodes).into_iter().enumerate() {
            if gone.contains(&i) {
                map[i] = more;
            } else {
                map[i] = kept.len();
                kept.push(n);
            }
        }
        let count = hidden.len();
        kept.push(Node {
            id: format!("more:{}", self.nodes_made()),
            label: format!("{count} more"),
            sub: format!("{count} more models"),
            role: Role::More,
            group: group.to_owned(),
            href: None,
            hidden,
        });
        self.nodes = kept;
        self.index = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.clone(), i))
            .collect();
        let old = std::mem::take(&mut self.edges);
        for e in old {
            self.edge(map[e.from], map[e.to], e.path);
        }
    }

    /// A fresh number for a `More` node's id.
    fn nodes_made(&self) -> usize {
        self.nodes
            .iter()
            .filter_map(|n| n.id.strip_prefix("more:")?.parse::<usize>().ok())
            .max()
            .map_or(1, |m| m + 1)
    }
}

/// Where each node goes: its column (layer) and row, and the picture's size in cells.
#[derive(Debug, Clone)]
pub struct Layout {
    pub layer: Vec<usize>,
    pub row: Vec<usize>,
    pub layers: usize,
    pub rows: usize,
}

/// Layers by longest path from the sources (edges closing a cycle are ignored), then orders
/// each layer by its nodes' group and the mean row of their neighbours, sweeping down and up.
pub fn layout(p: &Picture) -> Layout {
    let n = p.nodes.len();
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut indeg = vec![0usize; n];
    for e in &p.edges {
        out[e.from].push(e.to);
    }
    // Drop back edges found by an iterative depth-first search, so the rest is acyclic.
    let mut state = vec![0u8; n];
    let mut forward: Vec<Vec<usize>> = vec![Vec::new(); n];
    for s in 0..n {
        if state[s] != 0 {
            continue;
        }
        let mut stack = vec![(s, 0usize)];
        state[s] = 1;
        while let Some((v, k)) = stack.pop() {
            if let Some(&w) = out[v].get(k) {
                stack.push((v, k + 1));
                match state[w] {
                    0 => {
                        forward[v].push(w);
                        state[w] = 1;
                        stack.push((w, 0));
                    }
                    1 => {} // back edge
                    _ => forward[v].push(w),
                }
            } else {
                state[v] = 2;
            }
        }
    }
    for &w in forward.iter().flatten() {
        indeg[w] += 1;
    }
    let mut layer = vec![0usize; n];
    let mut queue: Vec<usize> = (0..n).filter(|v| indeg[*v] == 0).collect();
    let mut head = 0;
    while head < queue.len() {
        let v = queue[head];
        head += 1;
        for &w in &forward[v] {
            layer[w] = layer[w].max(layer[v] + 1);
            indeg[w] -= 1;
            if indeg[w] == 0 {
                queue.push(w);
            }
        }
    }
    let layers = layer.iter().max().map_or(0, |m| m + 1);
    let mut groups: Vec<&str> = Vec::new();
    for node in &p.nodes {
        if !groups.contains(&node.group.as_str()) {
            groups.push(&node.group);
        }
    }
    let group_rank: Vec<usize> = p
        .nodes
        .iter()
        .map(|node| groups.iter().position(|g| *g == node.group).unwrap_or(0))
        .collect();
    let mut by_layer: Vec<Vec<usize>> = vec![Vec::new(); layers];
    for v in 0..n {
        by_layer[layer[v]].push(v);
    }
    for l in &mut by_layer {
        l.sort_by_key(|v| group_rank[*v]);
    }
    let mut row = vec![0usize; n];
    for l in &by_layer {
        for (i, v) in l.iter().enumerate() {
            row[*v] = i;
        }
    }
    let mut parents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for e in &p.edges {
        parents[e.to].push(e.from);
    }
    for sweep in 0..4 {
        let down = sweep % 2 == 0;
        let order: Vec<usize> = if down {
            (1..layers).collect()
        } else {
            (0..layers.saturating_sub(1)).rev().collect()
        };
        for li in order {
            let keyed: Vec<(usize, f64, usize)> = by_layer[li]
                .iter()
                .map(|&v| {
                    let near = if down { &parents[v] } else { &out[v] };
                    let bary = if near.is_empty() {
                        row[v] as f64
                    } else {
                        near.iter().map(|w| row[*w] as f64).sum::<f64>() / near.len() as f64
                    };
                    (group_rank[v], bary, v)
                })
                .collect();
            let mut keyed = keyed;
            keyed.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
            by_layer[li] = keyed.into_iter().map(|(_, _, v)| v).collect();
            for (i, v) in by_layer[li].iter().enumerate() {
                row[*v] = i;
            }
        }
    }
    // The final rows leave one empty row between two groups of a layer, for the group's label.
    let mut rows = 0;
    for l in &by_layer {
        let mut r = 0;
        for (i, v) in l.iter().enumerate() {
            if i > 0 && group_rank[l[i - 1]] != group_rank[*v] {
                r += 1;
            }
            row[*v] = r;
            r += 1;
        }
        rows = rows.max(r);
    }
    Layout {
        layer,
        row,
        layers,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_fan_and_a_long_chain_collapse_and_edges_stay_joined() {
        let mut p = Picture::default();
        let root = p.node("root", "root", Role::Root, "shop");
        for i in 0..20 {
            let c = p.node(&format!("m{i}"), &format!("m{i}"), Role::Plain, "shop");
            p.edge(root, c, false);
        }
        let mut prev = p.node("c0", "c0", Role::Path, "shop");
        p.edge(root, prev, true);
        for i in 1..6 {
            let c = p.node(&format!("c{i}"), &format!("c{i}"), Role::Plain, "shop");
            p.edge(prev, c, false);
            prev = c;
        }
        let product = p.node("product:x", "x", Role::Product, "data products");
        p.edge(prev, product, true);
        p.collapse(6, 3);
        let more: Vec<&Node> = p.nodes.iter().filter(|n| n.role == Role::More).collect();
        assert_eq!(more.len(), 2, "{:?}", p.nodes);
        assert_eq!(more.iter().map(|m| m.hidden.len()).sum::<usize>(), 25);
        assert!(p.get("root").is_some() && p.get("product:x").is_some());
        for e in &p.edges {
            assert!(e.from < p.nodes.len() && e.to < p.nodes.len() && e.from != e.to);
        }
        let l = layout(&p);
        assert_eq!(l.layer[p.get("root").unwrap()], 0);
        assert!(l.layer[p.get("product:x").unwrap()] > l.layer[p.get("c0").unwrap()]);
    }

    #[test]
    fn a_cycle_still_lays_out() {
        let mut p = Picture::default();
        let a = p.node("a", "a", Role::Plain, "g");
        let b = p.node("b", "b", Role::Plain, "g");
        p.edge(a, b, false);
        p.edge(b, a, false);
        let l = layout(&p);
        assert_eq!(l.layers, 2);
    }
}
