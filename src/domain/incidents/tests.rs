//! Incident rules, pinned.

use super::*;

#[test]
fn incident_numbers_parse_in_every_form() {
    for s in ["INC-7", "inc-7", "#7", "7", " 7 "] {
        assert_eq!(parse_number(s), Some(7), "{s}");
    }
    assert_eq!(parse_number("INC-x"), None);
    assert_eq!(parse_number("0"), None);
    assert_eq!(label(12), "INC-12");
}

/// raw → stg_payments → fct_revenue (product `revenue`) → dash (dashboard exposure);
/// stg_users → dim_users (product `users`) → model_api (ml exposure).
fn graph() -> Lineage {
    use crate::lineage::{ExposureInfo, LineageSnapshot, Node, NodeKind};
    let node = |id: &str, kind: NodeKind| Node {
        unique_id: id.into(),
        kind,
        name: id.rsplit('.').next().unwrap().to_owned(),
        package: Some("shop".into()),
        relation: None,
        path: None,
        fqn: Vec::new(),
        tags: Vec::new(),
        group: None,
        owners: Vec::new(),
        data_products: Vec::new(),
        checksum: None,
        severity: None,
        steward: None,
        exposure: None,
    };
    let exposure = |id: &str, kind: &str| Node {
        exposure: Some(Box::new(ExposureInfo {
            kind: Some(kind.into()),
            ..Default::default()
        })),
        ..node(id, NodeKind::Exposure)
    };
    let mut nodes = vec![
        node("source.shop.raw.payments", NodeKind::Source),
        node("model.shop.stg_payments", NodeKind::Model),
        node("model.shop.fct_revenue", NodeKind::Model),
        exposure("exposure.shop.dash", "dashboard"),
        node("model.shop.stg_users", NodeKind::Model),
        node("model.shop.dim_users", NodeKind::Model),
        exposure("exposure.shop.model_api", "ml"),
    ];
    nodes[2].data_products = vec!["revenue".into()];
    nodes[5].data_products = vec!["users".into()];
    Lineage::build(LineageSnapshot {
        schema_version: 12,
        dbt_version: None,
        project: Some("shop".into()),
        nodes,
        edges: vec![(0, 1), (1, 2), (2, 3), (4, 5), (5, 6)],
        groups: Vec::new(),
        attached: Vec::new(),
    })
}

fn config(text: &str) -> crate::config::Config {
    crate::config::Config::parse("s.toml", text).unwrap()
}

fn suggest(config: &crate::config::Config, lineage: &Lineage, assets: &[&str]) -> String {
    let catalog = crate::domain::products::Catalog::build(&config.products, lineage);
    let idx: Vec<_> = assets.iter().map(|a| lineage.get(a).unwrap()).collect();
    suggest_severity(config, lineage, &catalog, &idx)
}

#[test]
fn severity_rules_first_match_wins_else_the_default() {
    let l = graph();
    let none = crate::config::Config::default();
    assert_eq!(suggest(&none, &l, &["model.shop.stg_payments"]), "SEV3");
    assert_eq!(suggest(&none, &l, &[]), "SEV3");

    let products = "[[products]]\nname = \"revenue\"\nteam = \"finance\"\ntier = 1\n\n[[products]]\nname = \"users\"\nteam = \"core\"\ntier = 3\n\n";
    let c = config(&format!(
        "{products}[incidents]\ndefault_severity = \"SEV4\"\n\n[[incidents.severity_rules]]\nseverity = \"SEV1\"\ntier = 1\n\n[[incidents.severity_rules]]\nseverity = \"SEV2\"\nexposure_type = \"ML\"\n"
    ));
    // Upstream of revenue (tier 1): the tier rule.
    assert_eq!(suggest(&c, &l, &["source.shop.raw.payments"]), "SEV1");
    // Users is tier 3 and feeds an ml exposure: the second rule.
    assert_eq!(suggest(&c, &l, &["model.shop.stg_users"]), "SEV2");
    // Below every product and exposure: the default.
    assert_eq!(suggest(&c, &l, &["exposure.shop.dash"]), "SEV4");
    // No assets (a bare `/steward declare`): the default.
    assert_eq!(suggest(&c, &l, &[]), "SEV4");

    // A tier rule holds for a product of that tier or a more critical one.
    let c = config(&format!(
        "{products}[[incidents.severity_rules]]\nseverity = \"SEV2\"\ntier = 2\n"
    ));
    assert_eq!(suggest(&c, &l, &["model.shop.fct_revenue"]), "SEV2");
    assert_eq!(suggest(&c, &l, &["model.shop.dim_users"]), "SEV3");

    // data_product matches configured and manifest-only products alike; order decides.
    let c = config(
        "[[incidents.severity_rules]]\nseverity = \"SEV2\"\ndata_product = \"Users\"\n\n[[incidents.severity_rules]]\nseverity = \"SEV1\"\nexposure_type = \"ml\"\n",
    );
    assert_eq!(suggest(&c, &l, &["model.shop.stg_users"]), "SEV2");
    assert_eq!(suggest(&c, &l, &["model.shop.stg_payments"]), "SEV3");
    let c = config(
        "[[incidents.severity_rules]]\nseverity = \"SEV4\"\nexposure_type = \"dashboard\"\n",
    );
    assert_eq!(suggest(&c, &l, &["model.shop.stg_payments"]), "SEV4");
}
