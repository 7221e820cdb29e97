//! The questions triage asks of a graph: parents and children, closures, paths, owners,
//! impact, root-cause candidates and where failures come from.

use super::*;

impl Lineage {
    pub fn parents(&self, idx: NodeIndex) -> impl Iterator<Item = NodeIndex> + '_ {
        self.graph.neighbors_directed(idx, Direction::Incoming)
    }

    pub fn children(&self, idx: NodeIndex) -> impl Iterator<Item = NodeIndex> + '_ {
        self.graph.neighbors_directed(idx, Direction::Outgoing)
    }

    /// Every node strictly above `idx`, nearest first.
    pub fn upstream(&self, idx: NodeIndex) -> Vec<NodeIndex> {
        self.closure(&[idx], Direction::Incoming)
    }

    /// Every node strictly below `idx`, nearest first.
    pub fn downstream(&self, idx: NodeIndex) -> Vec<NodeIndex> {
        self.closure(&[idx], Direction::Outgoing)
    }

    /// Breadth-first closure from `starts` (which are not included unless reached again).
    pub fn closure(&self, starts: &[NodeIndex], dir: Direction) -> Vec<NodeIndex> {
        let mut seen = vec![false; self.graph.node_count()];
        for s in starts {
            seen[s.index()] = true;
        }
        let mut queue: VecDeque<NodeIndex> = starts.iter().copied().collect();
        let mut out = Vec::new();
        while let Some(n) = queue.pop_front() {
            for m in self.graph.neighbors_directed(n, dir) {
                if !seen[m.index()] {
                    seen[m.index()] = true;
                    out.push(m);
                    queue.push_back(m);
                }
            }
        }
        out
    }

    /// The shortest dependency path from `from` down to `to`, or up if `to` is an ancestor.
    pub fn path(&self, from: NodeIndex, to: NodeIndex) -> Option<Vec<NodeIndex>> {
        self.directed_path(from, to, Direction::Outgoing)
            .or_else(|| self.directed_path(from, to, Direction::Incoming))
    }

    fn directed_path(
        &self,
        from: NodeIndex,
        to: NodeIndex,
        dir: Direction,
    ) -> Option<Vec<NodeIndex>> {
        if from == to {
            return Some(vec![from]);
        }
        let mut prev: HashMap<NodeIndex, NodeIndex> = HashMap::default();
        let mut queue = VecDeque::from([from]);
        while let Some(n) = queue.pop_front() {
            for m in self.graph.neighbors_directed(n, dir) {
                if m == from || prev.contains_key(&m) {
                    continue;
                }
                prev.insert(m, n);
                if m == to {
                    let mut path = vec![to];
                    let mut cur = to;
                    while let Some(p) = prev.get(&cur) {
                        path.push(*p);
                        cur = *p;
                    }
                    path.reverse();
                    return Some(path);
                }
                queue.push_back(m);
            }
        }
        None
    }

    /// Owners of a check, through the fallback chain, every owner found kept in order:
    /// the test's own owners, the asset's owners, the asset's group owner, then the owners of
    /// the exposures downstream. `meta.steward.owners` are added after each level's owners.
    pub fn owners(&self, test: Option<NodeIndex>, asset: NodeIndex) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut push = |o: &str| {
            if !o.is_empty() && !out.iter().any(|x| x.eq_ignore_ascii_case(o)) {
                out.push(o.to_owned());
            }
        };
        for idx in test.into_iter().chain(std::iter::once(asset)) {
            let node = &self.nodes[idx.index()];
            node.owners.iter().for_each(|o| push(o));
            node.steward
                .iter()
                .flat_map(|s| s.owners.iter())
                .for_each(|o| push(o));
        }
        for idx in test.into_iter().chain(std::iter::once(asset)) {
            if let Some(owner) = self.nodes[idx.index()]
                .group
                .as_deref()
                .and_then(|g| self.group(g))
                .and_then(Group::owner)
            {
                push(owner);
            }
        }
        for idx in self.downstream(asset) {
            if self.nodes[idx.index()].kind == NodeKind::Exposure {
                self.nodes[idx.index()].owners.iter().for_each(|o| push(o));
            }
        }
        out
    }

    /// The direct owners of a node: its own, else its group's.
    pub fn direct_owners(&self, idx: NodeIndex) -> Vec<String> {
        let node = &self.nodes[idx.index()];
        if !node.owners.is_empty() {
            return node.owners.clone();
        }
        node.group
            .as_deref()
            .and_then(|g| self.group(g))
            .and_then(Group::owner)
            .map(|o| vec![o.to_owned()])
            .unwrap_or_default()
    }

    /// What failures on `assets` affect: the data products of the assets and everything below
    /// them, the exposures below, the owners of those products and exposures, and how many
    /// models, seeds, snapshots and exposures lie below.
    pub fn impact(&self, assets: &[NodeIndex]) -> Impact {
        let below = self.closure(assets, Direction::Outgoing);
        let mut impact = Impact::default();
        let mut products: HashSet<&str> = HashSet::default();
        let mut owners: Vec<String> = Vec::new();
        let mut add_owner = |o: String| {
            if !owners.iter().any(|x| x.eq_ignore_ascii_case(&o)) {
                owners.push(o);
            }
        };
        for idx in assets.iter().copied().chain(below.iter().copied()) {
            let node = &self.nodes[idx.index()];
            for p in &node.data_products {
                if products.insert(p) {
                    impact.data_products.push(p.clone());
                }
            }
        }
        for idx in below.iter().copied() {
            let node = &self.nodes[idx.index()];
            if node.kind.is_data_asset() {
                impact.downstream_count += 1;
            }
            if node.kind == NodeKind::Model {
                impact.models += 1;
            }
            if node.kind == NodeKind::Exposure {
                impact.exposures.push(node.unique_id.clone());
                self.direct_owners(idx).into_iter().for_each(&mut add_owner);
            } else if !node.data_products.is_empty() {
                self.direct_owners(idx).into_iter().for_each(&mut add_owner);
            }
        }
        impact.owners = owners;
        impact
    }

    /// Ranks failing nodes as root-cause candidates: nodes with no failing strict ancestor,
    /// ordered by how many failing nodes each explains (itself included), then by id.
    pub fn root_candidates(&self, failing: &[NodeIndex]) -> Vec<RootCandidate> {
        let origins = self.failing_origins(failing);
        let mut seen = vec![false; self.graph.node_count()];
        let mut explains: HashMap<NodeIndex, usize> = HashMap::default();
        for &n in failing {
            if std::mem::replace(&mut seen[n.index()], true) {
                continue;
            }
            match origins.get(n) {
                Some(roots) => roots
                    .iter()
                    .for_each(|r| *explains.entry(*r).or_default() += 1),
                None => *explains.entry(n).or_default() += 1,
            }
        }
        let mut out: Vec<RootCandidate> = explains
            .into_iter()
            .map(|(idx, n)| RootCandidate {
                unique_id: self.nodes[idx.index()].unique_id.clone(),
                explains: n,
            })
            .collect();
        out.sort_by(|a, b| {
            b.explains
                .cmp(&a.explains)
                .then_with(|| a.unique_id.cmp(&b.unique_id))
        });
        out
    }

    /// For every node below a failing node, the topmost failing ancestors ("origins") it
    /// descends from. Only the part of the graph below the failing nodes is visited, in
    /// topological order.
    pub fn failing_origins(&self, failing: &[NodeIndex]) -> Origins {
        let n = self.graph.node_count();
        let mut origins = Origins {
            first: vec![NodeIndex::end(); n],
            extra: HashMap::default(),
        };
        if failing.is_empty() {
            return origins;
        }
        let mut is_failing = vec![false; n];
        for f in failing {
            is_failing[f.index()] = true;
        }
        let mut below = self.strict_descendants(failing.iter().copied());
        if self.topo_pos.is_empty() {
            // A cycle (never in a valid manifest): no order to trust, so iterate to a fixpoint.
            for _ in 0..n.max(1) {
                let before = origins.clone();
                self.propagate_origins(&below, &is_failing, &mut origins);
                if before == origins {
                    break;
                }
            }
            return origins;
        }
        below.sort_unstable_by_key(|n| self.topo_pos[n.index()]);
        self.propagate_origins(&below, &is_failing, &mut origins);
        origins
    }

    fn propagate_origins(&self, ordered: &[NodeIndex], is_failing: &[bool], origins: &mut Origins) {
        let mut found: Vec<NodeIndex> = Vec::new();
        for &n in ordered {
            found.clear();
            for p in self.graph.neighbors_directed(n, Direction::Incoming) {
                match origins.get(p) {
                    Some(list) => {
                        for r in list {
                            if *r != n && !found.contains(r) {
                                found.push(*r);
                            }
                        }
                    }
                    None if is_failing[p.index()] && p != n && !found.contains(&p) => found.push(p),
                    None => {}
                }
            }
            origins.set(n, &mut found);
        }
    }

    /// Every node strictly below any of `starts`; a start below another start is included.
    fn strict_descendants(&self, starts: impl Iterator<Item = NodeIndex>) -> Vec<NodeIndex> {
        let mut seen = vec![false; self.graph.node_count()];
        let mut queue: VecDeque<NodeIndex> = starts.collect();
        let mut out = Vec::new();
        while let Some(n) = queue.pop_front() {
            for m in self.graph.neighbors_directed(n, Direction::Outgoing) {
                if !seen[m.index()] {
                    seen[m.index()] = true;
                    out.push(m);
                    queue.push_back(m);
                }
            }
        }
        out
    }

    pub fn stats(&self) -> Stats {
        let mut counts: HashMap<NodeKind, usize> = HashMap::default();
        for n in &self.nodes {
            *counts.entry(n.kind).or_default() += 1;
        }
        let nodes = NodeKind::COUNTED
            .iter()
            .map(|k| {
                (
                    k.as_str().to_owned(),
                    serde_json::json!(counts.get(k).copied().unwrap_or(0)),
                )
            })
            .collect();
        Stats {
            schema_version: self.schema_version,
            nodes,
            edges: self.graph.edge_count(),
        }
    }
}
