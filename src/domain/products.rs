//! Data products: named sets of dbt nodes that a team owns and promises an uptime for.
//!
//! Products come from `[[products]]` in `steward.toml` (members chosen with a subset of dbt's
//! selection syntax, see `config::selector`) and from `meta.data_product` in the manifest: every
//! distinct value is a product made of the nodes carrying it, and a configured product of the
//! same name gets those nodes too.
//! What a failure affects is [`affected_products`]; how each product is doing (statuses,
//! uptime, the status page's data) is `domain::status`.

use crate::config::ProductConfig;
use crate::config::selector::{Selector, parse_selector};
use crate::error::InputError;
use crate::lineage::{Lineage, NodeKind};
use anyhow::Result;
use petgraph::Direction;
use petgraph::graph::NodeIndex;
use std::collections::BTreeMap;

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
pub(crate) struct Resolved<'a> {
    pub(crate) def: &'a ProductDef,
    reach: &'a [bool],
}

impl Resolved<'_> {
    pub(crate) fn hit(&self, node: NodeIndex) -> bool {
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

    pub(crate) fn resolved(&self) -> Vec<Resolved<'_>> {
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
}
