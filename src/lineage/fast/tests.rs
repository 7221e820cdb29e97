//! The fast path against the serde path: same result on real manifests, split or not, and a
//! refusal (so that serde_json names the error) wherever the serde path refuses what lineage reads.

use super::*;
use crate::lineage::load::serde_parse;
use std::path::{Path, PathBuf};

/// Everything lineage takes from a parse, as text.
fn summary(raw: &RawManifest) -> String {
    let groups: Vec<_> = raw
        .groups
        .iter()
        .map(|g| (g.name.clone(), g.owner.as_ref().map(|o| o.name.clone())))
        .collect();
    let m = &raw.metadata;
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        raw.nodes,
        raw.deps,
        raw.tests,
        raw.nodes_section,
        raw.parent_map,
        groups,
        (
            m.dbt_schema_version.as_ref().map(|v| v.0),
            &m.dbt_version,
            &m.project_name,
            &m.project_id
        )
    )
}

fn manifests() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let mut dirs = vec![root.join("manifests"), root.join("../shared/fixtures/dbt")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.file_name().is_some_and(|n| {
                let n = n.to_string_lossy();
                n.contains("manifest") && n.ends_with(".json")
            }) {
                out.push(p);
            }
        }
    }
    assert!(out.len() >= 4, "{out:?}");
    out
}

/// The starts of the `nodes` entries' keys, found by serde_json for the test.
fn entry_starts(text: &str) -> Vec<usize> {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let Some(nodes) = v.get("nodes").and_then(|n| n.as_object()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for key in nodes.keys() {
        let needle = format!("\"{key}\": {{");
        for (i, _) in text.match_indices(&needle) {
            out.push(i);
        }
    }
    out.sort_unstable();
    out
}

#[test]
fn the_fast_path_reads_real_manifests_as_serde_does_split_or_not() {
    for path in manifests() {
        let text = std::fs::read_to_string(&path).unwrap();
        let Ok(slow) = serde_parse(&text) else {
            continue;
        };
        let expected = summary(&slow);
        let name = path.display();
        let fast = parse_split(text.as_bytes(), false, None).unwrap_or_else(|_| panic!("{name}"));
        assert_eq!(summary(&fast), expected, "{name}");
        if let Some(at) = candidate(text.as_bytes()) {
            let split = parse_split(text.as_bytes(), false, Some(at)).unwrap();
            assert_eq!(summary(&split), expected, "{name}: guessed split at {at}");
        }
        // Every entry boundary (right guesses) and points just off them (wrong guesses).
        let starts = entry_starts(&text);
        let step = (starts.len() / 12).max(1);
        for &at in starts.iter().step_by(step) {
            for at in [at, at + 1, at - 1] {
                let split = parse_split(text.as_bytes(), false, Some(at)).unwrap();
                assert_eq!(summary(&split), expected, "{name}: split at {at}");
            }
        }
    }
}

#[test]
fn a_split_keeps_duplicate_sections_and_the_later_metadata() {
    let text = r#"{"nodes": {"model.p.a": {"unique_id": "model.p.a", "resource_type": "model"},
        "test.p.t": {"unique_id": "test.p.t", "resource_type": "test",
            "depends_on": {"nodes": ["model.p.a"]}, "attached_node": "model.p.a"},
        "model.p.b": {"unique_id": "model.p.b"}},
        "metadata": {"project_name": "first"}, "groups": {"g": {"name": "g1"}},
        "sources": {"source.p.s.t": {"unique_id": "source.p.s.t", "name": "t"}},
        "nodes": {"model.p.c": {"unique_id": "model.p.c", "resource_type": "model"},
            "test.p.u": {"unique_id": "test.p.u", "resource_type": "test"}},
        "metadata": {"project_name": "second"},
        "parent_map": {"model.p.b": ["model.p.a"]}}"#;
    let expected = summary(&serde_parse(text).unwrap());
    assert!(expected.contains("Entries(2)") && expected.contains("\"second\""));
    for (at, _) in text.match_indices('"') {
        let split = parse_split(text.as_bytes(), false, Some(at)).unwrap();
        assert_eq!(summary(&split), expected, "split at {at}");
    }
}

#[test]
fn what_serde_refuses_in_what_lineage_reads_the_fast_path_refuses() {
    let base = r#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
        "nodes": {"model.p.a": @}}"#;
    for entry in [
        r#"{"name": "a"}"#,
        r#"{"unique_id": "a", "name": "b", "name": "c"}"#,
        r#"{"unique_id": 5}"#,
        r#""x""#,
        r#"[]"#,
        r#"{}"#,
        r#"{"unique_id": "a", "fqn": 5}"#,
        r#"{"unique_id": "a", "name": "tab	inside"}"#,
        r#"{"unique_id": "a", "name": "bad \x escape"}"#,
        r#"{"unique_id": "a", "config": {"meta": {}, "meta": {}}}"#,
        r#"{"unique_id": "a", "config": {"enabled": "yes"}}"#,
        r#"{"unique_id": "a", "config": 5}"#,
        r#"{"unique_id": "a", "depends_on": {"nodes": [1]}}"#,
        r#"{"unique_id": "a", "tags": [1]}"#,
        r#"{"unique_id": "a", "columns": {"x": [1, 2}}"#,
        r#"{"unique_id": "a", "columns": "unclosed}}"#,
        r#"{"unique_id": "a",}"#,
        r#"{"unique_id": "a" "name": "b"}"#,
    ] {
        let text = base.replace('@', entry);
        assert!(serde_parse(&text).is_err(), "{entry}");
        assert_eq!(
            parse_split(text.as_bytes(), false, None).err(),
            Some(Bad),
            "{entry}"
        );
    }
    for text in [
        "",
        "[]",
        "null",
        r#"{"nodes": {}} x"#,
        r#"{"nodes": {}"#,
        r#"{"nodes": 5}"#,
        r#"{"nodes": nul}"#,
        r#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json"}}"#,
        r#"{"metadata": []}"#,
        r#"{"parent_map": {"a": 5}}"#,
    ] {
        assert!(serde_parse(text).is_err(), "{text}");
        assert_eq!(
            parse_split(text.as_bytes(), false, None).err(),
            Some(Bad),
            "{text}"
        );
    }
    // Truncated anywhere: refused, never a panic, split or not.
    let full = base.replace(
        '@',
        r#"{"unique_id": "model.p.a", "raw_code": "select \"x\" -- é", "columns": {"c": {"n": [1, {"d": null}]}}}"#,
    );
    assert!(serde_parse(&full).is_ok());
    for n in 0..full.len() {
        if let Some(part) = full.get(..n) {
            assert_eq!(
                parse_split(part.as_bytes(), false, None).err(),
                Some(Bad),
                "{part}"
            );
            assert!(
                parse_split(part.as_bytes(), false, Some(n / 2)).is_err(),
                "{part}"
            );
        }
    }
}

#[test]
fn skipped_values_are_not_checked_beyond_their_structure() {
    // serde_json refuses these; lineage never reads them, so the fast path takes the file.
    let text = r#"{"nodes": {"model.p.a": {"unique_id": "model.p.a", "raw_code": "bad \x escape",
        "columns": {"c": [tru, 01]}}}, "macros": {"m": "tab	inside"}}"#;
    assert!(serde_parse(text).is_err());
    let fast = parse_split(text.as_bytes(), false, None).unwrap();
    assert_eq!(fast.nodes.len(), 1);
}

#[test]
fn invalid_utf8_anywhere_is_refused_split_or_not() {
    let text = r#"{"nodes": {"model.p.a": {"unique_id": "model.p.a", "raw_code": "@"},
        "model.p.b": {"unique_id": "model.p.b", "name": "@"}}, "macros": {"@": "@"}}"#;
    assert!(parse_split(text.as_bytes(), false, None).is_ok());
    let at = text.find("\"model.p.b").unwrap();
    for (i, _) in text.match_indices('@') {
        let mut bad = text.as_bytes().to_vec();
        bad[i] = 0xff;
        assert_eq!(parse_split(&bad, false, None).err(), Some(Bad), "at {i}");
        assert!(parse_split(&bad, false, Some(at)).is_err(), "at {i}");
    }
}
