//! Unit tests of the manifest structs: byte-keyed node keys and borrowed strings.

use super::*;

const KEYS: [NodeKey; 25] = {
    use NodeKey::*;
    [
        UniqueId,
        ResourceType,
        Name,
        PackageName,
        SourceName,
        Database,
        Schema,
        Alias,
        Identifier,
        RelationName,
        OriginalFilePath,
        Fqn,
        Tags,
        Group,
        Meta,
        Config,
        DependsOn,
        AttachedNode,
        TestMetadata,
        Checksum,
        Owner,
        Type,
        Url,
        Maturity,
        Label,
    ]
};

#[test]
fn node_keys_match_their_own_name_and_nothing_near_it() {
    for key in KEYS {
        assert_eq!(NodeKey::from_bytes(key.name().as_bytes()), key);
        let mut longer = key.name().to_owned();
        longer.push('x');
        assert_eq!(NodeKey::from_bytes(longer.as_bytes()), NodeKey::Other);
        assert_eq!(
            NodeKey::from_bytes(key.name().to_uppercase().as_bytes()),
            NodeKey::Other
        );
    }
    for other in [
        "",
        "path",
        "columns",
        "raw_code",
        "compiled_code",
        "unrendered_config",
    ] {
        assert_eq!(NodeKey::from_bytes(other.as_bytes()), NodeKey::Other);
    }
}

#[test]
fn node_entries_borrow_strings_and_refuse_what_the_derive_refused() {
    let json = r#"{"unique_id": "model.p.a", "name": "a", "fqn": ["p", "a"], "tags": null,
        "columns": {"x": {"name": "x"}}, "type": "dashboard", "unique_id_x": 5,
        "depends_on": {"nodes": ["seed.p.s"]}, "database": "d\u00e9v"}"#;
    let node: RawNode = serde_json::from_str(json).unwrap();
    assert!(matches!(node.unique_id.0, Cow::Borrowed("model.p.a")));
    assert!(matches!(
        node.name.as_ref().map(|n| &n.0),
        Some(Cow::Borrowed("a"))
    ));
    assert!(matches!(node.fqn[1].0, Cow::Borrowed("a")));
    assert!(node.tags.is_empty());
    assert_eq!(
        node.exposure_type.and_then(|t| t.0).as_deref(),
        Some("dashboard")
    );
    assert!(matches!(
        node.depends_on.unwrap().nodes[0].0,
        Cow::Borrowed("seed.p.s")
    ));
    assert_eq!(node.database.as_deref(), Some("dév"));

    let err = |json: &str| {
        serde_json::from_str::<RawNode>(json)
            .err()
            .unwrap()
            .to_string()
    };
    assert!(err(r#"{"name": "a"}"#).starts_with("missing field `unique_id`"));
    assert!(
        err(r#"{"unique_id": "a", "name": "b", "name": "c"}"#)
            .starts_with("duplicate field `name`")
    );
    assert!(err(r#"{"unique_id": 5}"#).starts_with("invalid type: integer `5`, expected a string"));
    assert!(err(r#""x""#).starts_with(r#"invalid type: string "x", expected struct RawNode"#));
    assert!(err(r#"{"unique_id": "a", "fqn": 5}"#).contains("expected a sequence"));
}
