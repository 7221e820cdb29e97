//! The serde path of a manifest load, and the conversion of entries into [`Node`]s and of the
//! whole into a [`LineageSnapshot`] (both paths end there; see `lineage::read`).

use super::manifest::{
    BoolLike, MapEntries, MapValues, MaybeStr, OptionOrMap, RawGroup, RawMetadata, RawNode, Str,
};
use super::{ExposureInfo, Group, LineageSnapshot, Node, NodeKind, StewardMeta};
use crate::schema_version::ObjectOnly;
use rustc_hash::FxHashMap;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, Visitor};
use std::borrow::Cow;

/// The serde path: slower than `fast`, but its errors say where and why.
pub(super) fn serde_parse(text: &str) -> Result<RawManifest<'_>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    SizedManifest(text.len())
        .deserialize(&mut de)
        .and_then(|raw| de.end().map(|_| raw))
}

/// What the manifest's `nodes` section held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NodesSection {
    #[default]
    Missing,
    Null,
    /// An object with this many entries.
    Entries(usize),
}

/// One manifest entry, converted to a [`Node`] as soon as it is read so that the raw entry
/// never has to be held and nothing borrows the file once the parser has moved on.
pub struct Loaded<'a> {
    node: Node,
    /// No `resource_type` in the entry: the section it sits in decides its kind.
    untyped: bool,
    /// `depends_on.nodes`, newline-separated in one allocation.
    deps: String,
    attached_node: Option<String>,
    _file: std::marker::PhantomData<&'a ()>,
    /// For generic tests: the model or source named in `test_metadata.kwargs.model`.
    tested_name: Option<String>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Loaded<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawNode::deserialize(d)?;
        if let Cow::Borrowed(id) = &raw.unique_id.0 {
            super::release::passed(id.as_ptr());
        }
        Ok(Loaded::from_raw(raw))
    }
}

impl Loaded<'_> {
    /// Converts an entry as read; both parsers (`fast` and serde) end here.
    pub(super) fn from_raw(mut raw: RawNode<'_>) -> Self {
        let kind = raw
            .resource_type
            .as_deref()
            .map(NodeKind::from_resource_type)
            .unwrap_or(NodeKind::Other);
        let deps = raw
            .depends_on
            .take()
            .map(|d| d.nodes.join("\n"))
            .unwrap_or_default();
        let attached_node = raw.attached_node.take().map(Str::into_owned);
        let tested_name = raw
            .test_metadata
            .as_ref()
            .and_then(|t| t.kwargs.as_ref())
            .and_then(|k| k.model.as_deref())
            .and_then(referenced_name);
        Loaded {
            untyped: raw.resource_type.is_none(),
            node: node_from_raw(raw, kind),
            deps,
            attached_node,
            tested_name,
            _file: std::marker::PhantomData,
        }
    }
}

/// The parts of a manifest that lineage needs. Entries of every section are converted to
/// [`Node`]s as the parser reads them, straight into one list.
#[derive(Default)]
pub struct RawManifest<'a> {
    pub metadata: RawMetadata<'a>,
    pub nodes: Vec<Node>,
    /// `depends_on.nodes` of each node, newline-separated.
    pub deps: Vec<String>,
    /// Test index, `attached_node`, and the name in `test_metadata.kwargs.model`.
    pub tests: Vec<(usize, Option<String>, Option<String>)>,
    pub groups: Vec<RawGroup<'a>>,
    pub parent_map: Vec<(Str<'a>, Vec<Str<'a>>)>,
    pub nodes_section: NodesSection,
}

impl RawManifest<'_> {
    pub(super) fn push(&mut self, loaded: Loaded, section_kind: NodeKind) {
        let Loaded {
            mut node,
            untyped,
            deps,
            attached_node,
            tested_name,
            ..
        } = loaded;
        if untyped {
            node.kind = section_kind;
        }
        if node.kind == NodeKind::Test {
            self.tests
                .push((self.nodes.len(), attached_node, tested_name));
        }
        self.deps.push(deps);
        self.nodes.push(node);
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for RawManifest<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        SizedManifest(0).deserialize(d)
    }
}

/// The second field is the input's size in bytes, when known.
struct TopLevel<'a>(std::marker::PhantomData<&'a ()>, usize);
impl<'de: 'a, 'a> Visitor<'de> for TopLevel<'a> {
    type Value = RawManifest<'a>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a dbt manifest object")
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = RawManifest {
            // dbt 1.9 writes 2–8 KB per node (3.5–4.3 KB on average in the benchmark
            // projects): reserving from the input size avoids growing (and copying) the node
            // list on a large manifest. Capacity never touched is never made resident.
            nodes: Vec::with_capacity(self.1 / 2048),
            deps: Vec::with_capacity(self.1 / 2048),
            ..RawManifest::default()
        };
        while let Some(MaybeStr(key)) = map.next_key()? {
            let section = match key.as_deref() {
                Some("nodes") => Some(NodeKind::Other),
                Some("sources") => Some(NodeKind::Source),
                Some("exposures") => Some(NodeKind::Exposure),
                Some("metrics") => Some(NodeKind::Metric),
                Some("semantic_models") => Some(NodeKind::SemanticModel),
                Some("saved_queries") => Some(NodeKind::SavedQuery),
                Some("unit_tests") => Some(NodeKind::UnitTest),
                _ => None,
            };
            if let Some(kind) = section {
                let before = out.nodes.len();
                let was_map = map.next_value_seed(Section {
                    out: &mut out,
                    kind,
                })?;
                if kind == NodeKind::Other {
                    out.nodes_section = match was_map {
                        true => NodesSection::Entries(out.nodes.len() - before),
                        false => NodesSection::Null,
                    };
                }
                continue;
            }
            match key.as_deref() {
                Some("metadata") => {
                    out.metadata = map
                        .next_value::<Option<ObjectOnly<RawMetadata>>>()?
                        .map(|m| m.0)
                        .unwrap_or_default()
                }
                Some("groups") => out.groups = map.next_value::<MapValues<RawGroup>>()?.0,
                Some("parent_map") => out.parent_map = map.next_value::<MapEntries<_, _>>()?.0,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// Deserializes a [`RawManifest`] knowing the input's size, for capacity hints (serde gives
/// none for maps).
struct SizedManifest(usize);

impl<'de> DeserializeSeed<'de> for SizedManifest {
    type Value = RawManifest<'de>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<RawManifest<'de>, D::Error> {
        d.deserialize_map(TopLevel(std::marker::PhantomData, self.0))
    }
}

/// Reads one section (`nodes`, `sources`, …) straight into the manifest's node list.
struct Section<'m, 'a> {
    out: &'m mut RawManifest<'a>,
    kind: NodeKind,
}

/// The value is `false` when the section is `null`.
impl<'de: 'a, 'a> DeserializeSeed<'de> for Section<'_, 'a> {
    type Value = bool;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_option(OptionOrMap(self))
    }
}

impl<'de: 'a, 'a> Visitor<'de> for Section<'_, 'a> {
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object keyed by unique_id")
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_none<E>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        while let Some((_, loaded)) = map.next_entry::<IgnoredAny, Loaded>()? {
            self.out.push(loaded, self.kind);
        }
        Ok(true)
    }
}

pub(super) fn snapshot_from_raw(raw: RawManifest<'_>, version: u32) -> LineageSnapshot {
    let RawManifest {
        metadata,
        nodes: out_nodes,
        deps,
        tests: test_targets,
        groups,
        parent_map,
        ..
    } = raw;

    let index: FxHashMap<&str, u32> = out_nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.unique_id.as_str(), i as u32))
        .collect();

    // Edges: parent_map where the manifest has one, else each node's depends_on.nodes.
    let mut edges: Vec<(u32, u32)> = Vec::new();
    match &parent_map {
        pm if !pm.is_empty() => {
            for (child, parents) in pm {
                let Some(&c) = index.get(child.as_ref()) else {
                    continue;
                };
                for p in parents {
                    if let Some(&p) = index.get(p.as_ref()) {
                        edges.push((p, c));
                    }
                }
            }
        }
        _ => {
            for (c, parents) in deps.iter().enumerate() {
                if out_nodes[c].kind == NodeKind::UnitTest {
                    continue;
                }
                for p in parents.split('\n') {
                    if let Some(&p) = index.get(p) {
                        edges.push((p, c as u32));
                    }
                }
            }
        }
    }
    edges.retain(|(p, c)| p != c);
    edges.sort_unstable();
    edges.dedup();

    // Tests attach to their `attached_node`, else the node named in test_metadata's `model`
    // kwarg, else (singular tests) every node they depend on.
    let mut attached: Vec<(u32, Vec<u32>)> = Vec::with_capacity(test_targets.len());
    for (t, attached_node, kwarg_name) in test_targets {
        let dep_ids: Vec<u32> = deps[t]
            .split('\n')
            .filter_map(|d| index.get(d).copied())
            .filter(|i| out_nodes[*i as usize].kind != NodeKind::Test)
            .collect();
        let mut targets: Vec<u32> = Vec::new();
        if let Some(&a) = attached_node.as_deref().and_then(|a| index.get(a)) {
            targets.push(a);
        } else if let Some(name) = kwarg_name
            && let Some(&hit) = dep_ids.iter().find(|i| {
                let n = &out_nodes[**i as usize];
                n.name.eq_ignore_ascii_case(&name)
                    || n.kind == NodeKind::Source
                        && format!("{}.{}", source_name_of(n), n.name).eq_ignore_ascii_case(&name)
            })
        {
            targets.push(hit);
        }
        for d in dep_ids {
            if !targets.contains(&d) {
                targets.push(d);
            }
        }
        if !targets.is_empty() {
            attached.push((t as u32, targets));
        }
    }

    let groups = groups
        .into_iter()
        .filter_map(|g| {
            let name = g.name?.to_string();
            let (owner_name, owner_email) = match g.owner {
                Some(o) => (
                    o.name.map(|s| s.to_string()),
                    o.email.and_then(|e| e.values().into_iter().next()),
                ),
                None => (None, None),
            };
            Some(Group {
                name,
                owner_name,
                owner_email,
            })
        })
        .collect();

    LineageSnapshot {
        schema_version: version,
        dbt_version: metadata.dbt_version.map(|s| s.to_string()),
        project: metadata
            .project_name
            .map(|s| s.to_string())
            .or_else(|| super::stitch::dominant_package(&out_nodes)),
        nodes: out_nodes,
        edges,
        groups,
        attached,
    }
}

fn source_name_of(node: &Node) -> &str {
    node.fqn
        .get(node.fqn.len().saturating_sub(2))
        .map(String::as_str)
        .unwrap_or("")
}

/// `{{ get_where_subquery(ref('customers')) }}` → `customers`;
/// `source('shop', 'orders')` → `shop.orders`.
fn referenced_name(expr: &str) -> Option<String> {
    let args_of = |call: &str| -> Option<Vec<String>> {
        let start = expr.find(call)? + call.len();
        let end = expr[start..].find(')')? + start;
        Some(
            expr[start..end]
                .split(',')
                .map(|a| a.trim().trim_matches(|c| c == '\'' || c == '"').to_owned())
                .filter(|a| !a.is_empty() && !a.contains('='))
                .collect(),
        )
    };
    if let Some(args) = args_of("source(") {
        return (args.len() >= 2).then(|| format!("{}.{}", args[0], args[1]));
    }
    args_of("ref(").and_then(|args| args.last().cloned())
}

fn node_from_raw(raw: RawNode<'_>, kind: NodeKind) -> Node {
    let config_meta = raw.config.as_ref().and_then(|c| c.meta.as_ref());
    let metas = [config_meta, raw.meta.as_ref()];
    let mut owners: Vec<String> = Vec::new();
    let mut data_products: Vec<String> = Vec::new();
    let mut steward = StewardMeta::default();
    for meta in metas.into_iter().flatten() {
        for o in meta.owner.iter().flat_map(|o| o.values()) {
            if !owners.contains(&o) {
                owners.push(o);
            }
        }
        for p in meta.data_product.iter().flat_map(|p| p.values()) {
            if !data_products.contains(&p) {
                data_products.push(p);
            }
        }
        if let Some(s) = &meta.steward {
            if steward.channel.is_none() {
                steward.channel = s
                    .channel
                    .as_ref()
                    .and_then(|c| c.values().into_iter().next());
            }
            if matches!(s.mute, Some(BoolLike(true))) {
                steward.mute = true;
            }
            for o in s.owners.iter().flat_map(|o| o.values()) {
                if !steward.owners.contains(&o) {
                    steward.owners.push(o);
                }
            }
        }
    }
    if kind == NodeKind::Exposure
        && let Some(owner) = &raw.owner
    {
        let email = owner
            .email
            .as_ref()
            .and_then(|e| e.values().into_iter().next());
        if let Some(o) = email.or_else(|| owner.name.as_ref().map(|n| n.to_string()))
            && !owners.contains(&o)
        {
            owners.push(o);
        }
    }
    let relation = raw.relation_name.as_deref().map(str::to_owned).or_else(|| {
        let ident = raw
            .identifier
            .as_deref()
            .or(raw.alias.as_deref())
            .or(raw.name.as_deref())?;
        match kind {
            NodeKind::Model | NodeKind::Seed | NodeKind::Snapshot | NodeKind::Source => {
                let parts = [raw.database.as_deref(), raw.schema.as_deref(), Some(ident)];
                let mut relation =
                    String::with_capacity(parts.iter().flatten().map(|p| p.len() + 1).sum());
                for part in parts.into_iter().flatten().filter(|p| !p.is_empty()) {
                    if !relation.is_empty() {
                        relation.push('.');
                    }
                    relation.push_str(part);
                }
                Some(relation)
            }
            _ => None,
        }
    });
    let group = raw
        .group
        .as_deref()
        .or(raw.config.as_ref().and_then(|c| c.group.as_deref()))
        .map(str::to_owned);
    let mut fqn: Vec<String> = raw.fqn.iter().map(|s| s.to_string()).collect();
    if kind == NodeKind::Source
        && fqn.len() < 2
        && let Some(sn) = raw.source_name.as_deref()
    {
        fqn = vec![
            sn.to_owned(),
            raw.name.as_deref().unwrap_or_default().to_owned(),
        ];
    }
    let exposure = (kind == NodeKind::Exposure).then(|| ExposureInfo {
        kind: raw
            .exposure_type
            .as_ref()
            .and_then(|t| t.0.as_deref())
            .map(str::to_owned),
        label: raw.label.as_deref().map(str::to_owned),
        url: raw.url.as_deref().map(str::to_owned),
        maturity: raw.maturity.as_deref().map(str::to_owned),
    });
    let severity = (kind == NodeKind::Test)
        .then(|| {
            raw.config
                .as_ref()
                .and_then(|c| c.severity.as_deref())
                .map(|s| s.to_ascii_lowercase())
        })
        .flatten();
    let name = raw.name.as_deref().map(str::to_owned).unwrap_or_else(|| {
        raw.unique_id
            .rsplit('.')
            .next()
            .unwrap_or_default()
            .to_owned()
    });
    Node {
        unique_id: raw.unique_id.into_owned(),
        kind,
        name,
        package: raw.package_name.map(|s| s.into_owned()),
        relation,
        path: raw.original_file_path.map(|s| s.into_owned()),
        fqn,
        tags: raw.tags.iter().map(|s| s.to_string()).collect(),
        group,
        owners,
        data_products,
        checksum: raw.checksum.and_then(|c| c.value()),
        severity,
        steward: (steward != StewardMeta::default()).then(|| Box::new(steward)),
        exposure: exposure.map(Box::new),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_model_a_generic_test_checks() {
        assert_eq!(
            referenced_name("{{ get_where_subquery(ref('customers')) }}").as_deref(),
            Some("customers")
        );
        assert_eq!(
            referenced_name("{{ get_where_subquery(source('shop', 'orders')) }}").as_deref(),
            Some("shop.orders")
        );
        assert_eq!(referenced_name("select 1"), None);
    }
}
#[cfg(test)]
mod size_probe {
    #[test]
    fn sizes() {
        eprintln!(
            "Node {} Loaded {} RawNode {}",
            std::mem::size_of::<super::Node>(),
            std::mem::size_of::<super::Loaded>(),
            std::mem::size_of::<super::RawNode>()
        );
    }
}
