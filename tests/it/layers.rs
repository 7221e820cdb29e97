//! The house rules, read from the source: the folders are layers, imports only point down, and
//! no two modules import each other, directly or round a circle.
//!
//! Every `crate::…` path (and `super::…`, resolved) outside comments is an import. A module is
//! a file, except that `faces` counts three levels (`faces::slack::worker`) and the other layers
//! two (`domain::issues`), so a module's own submodules and test files belong to it.

use petgraph::algo::tarjan_scc;
use petgraph::graph::DiGraph;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first. A module may import its own layer's folder and any layer below.
const LAYERS: &[(&str, u8)] = &[
    ("config", 0),
    ("clock", 0),
    ("error", 0),
    ("schema_version", 0),
    ("telemetry", 0),
    ("lineage", 1),
    ("store", 2),
    ("sources", 2),
    ("domain", 3),
    ("app", 4),
    ("faces", 5),
];

fn rank(unit: &str) -> Option<u8> {
    let top = unit.split("::").next()?;
    LAYERS
        .iter()
        .find(|(name, _)| *name == top)
        .map(|(_, r)| *r)
}

/// The module a file is, at the granularity the rules speak of.
fn unit_of(segments: &[&str]) -> Option<String> {
    let top = *segments.first()?;
    let depth = match top {
        "faces" => 3,
        "config" | "clock" | "error" | "schema_version" | "telemetry" => 1,
        _ => 2,
    };
    Some(segments[..segments.len().min(depth)].join("::"))
}

/// The module a path names: its longest prefix that is a module (`app::App` → `app`).
fn unit_named(units: &BTreeSet<String>, segments: &[&str]) -> Option<String> {
    let mut unit = unit_of(segments)?;
    while !units.contains(&unit) {
        unit.truncate(unit.rfind("::")?);
    }
    Some(unit)
}

/// A source file's module path: `src/faces/slack/blocks/mod.rs` → `faces::slack::blocks`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// Imports between modules: (from, to) → the first `file:line` that shows it.
type Imports = BTreeMap<(String, String), String>;

/// Reads the imports of `files` (path, text) under `src`.
fn imports(src: &Path, files: &[(PathBuf, String)]) -> (BTreeSet<String>, Imports) {
    let units: BTreeSet<String> = files
        .iter()
        .filter_map(|(f, _)| {
            let m = module_path(src, f);
            unit_of(&m.iter().map(String::as_str).collect::<Vec<_>>())
        })
        .collect();
    let mut found = Imports::new();
    for (file, text) in files {
        let here = module_path(src, file);
        let Some(from) = unit_of(&here.iter().map(String::as_str).collect::<Vec<_>>()) else {
            continue;
        };
        // Inline modules (`mod tests {`): where `super` starts from, with the brace depth
        // each opened at.
        let mut inline: Vec<(String, i32)> = Vec::new();
        let mut depth = 0;
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let mut scope = here.clone();
            scope.extend(inline.iter().map(|(name, _)| name.clone()));
            if let Some(name) = inline_module(code) {
                inline.push((name, depth));
            }
            depth += code.matches('{').count() as i32 - code.matches('}').count() as i32;
            while inline.last().is_some_and(|(_, opened)| depth <= *opened) {
                inline.pop();
            }
            for target in paths_in(code, &scope) {
                let segments: Vec<&str> = target.iter().map(String::as_str).collect();
                let Some(to) = unit_named(&units, &segments) else {
                    continue;
                };
                if to != from {
                    found
                        .entry((from.clone(), to))
                        .or_insert_with(|| format!("{}:{}", file.display(), n + 1));
                }
            }
        }
    }
    (units, found)
}

/// `mod tests {` → `tests`.
fn inline_module(code: &str) -> Option<String> {
    let rest = code.trim_start();
    let rest = rest.strip_prefix("pub ").unwrap_or(rest);
    let name = rest.strip_prefix("mod ")?.strip_suffix('{')?.trim();
    Some(name.to_owned())
}

/// The module paths a line names: `crate::a::b…` as written, `super::x` resolved from `here`.
fn paths_in(code: &str, here: &[String]) -> Vec<Vec<String>> {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = Vec::new();
    for (at, _) in code
        .match_indices("crate::")
        .chain(code.match_indices("super::"))
    {
        if code[..at].ends_with(ident) || code[..at].ends_with("::") {
            continue; // `$crate::`, `my_crate::`, or the middle of `super::super::`
        }
        let rest = &code[at..];
        let end = rest
            .find(|c: char| !(ident(c) || c == ':'))
            .unwrap_or(rest.len());
        let segments: Vec<&str> = rest[..end].split("::").filter(|s| !s.is_empty()).collect();
        let path = if segments[0] == "crate" {
            segments[1..].iter().map(|s| s.to_string()).collect()
        } else {
            let ups = segments.iter().take_while(|s| **s == "super").count();
            if ups > here.len() {
                continue;
            }
            let mut base = here[..here.len() - ups].to_vec();
            base.extend(segments[ups..].iter().map(|s| s.to_string()));
            base
        };
        if !path.is_empty() {
            out.push(path);
        }
    }
    out
}

/// What breaks the rules: imports that point up or sideways, and circles.
fn violations(units: &BTreeSet<String>, found: &Imports) -> Vec<String> {
    let mut out = Vec::new();
    for ((from, to), at) in found {
        let (Some(a), Some(b)) = (rank(from), rank(to)) else {
            out.push(format!(
                "{at}: {from} → {to}: a module outside the known layers"
            ));
            continue;
        };
        let folder = |u: &str| u.split("::").next().unwrap_or("").to_owned();
        if b > a {
            out.push(format!("{at}: {from} → {to} points up a layer"));
        } else if a == b && a > 0 && folder(from) != folder(to) {
            out.push(format!(
                "{at}: {from} → {to} points sideways between layers"
            ));
        }
    }
    let mut graph = DiGraph::<&str, ()>::new();
    let index: BTreeMap<&str, _> = units
        .iter()
        .map(|u| (u.as_str(), graph.add_node(u.as_str())))
        .collect();
    for (from, to) in found.keys() {
        graph.add_edge(index[from.as_str()], index[to.as_str()], ());
    }
    for component in tarjan_scc(&graph).into_iter().filter(|c| c.len() > 1) {
        let mut names: Vec<&str> = component.iter().map(|i| graph[*i]).collect();
        names.sort();
        let edges: Vec<String> = found
            .iter()
            .filter(|((f, t), _)| names.contains(&f.as_str()) && names.contains(&t.as_str()))
            .map(|((f, t), at)| format!("{f} → {t} ({at})"))
            .collect();
        out.push(format!("circle: {}", edges.join(", ")));
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path, text));
        }
    }
}

#[test]
fn imports_only_point_down_and_never_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let (units, found) = imports(&src, &files);
    assert!(units.len() > 40, "read the tree: {units:?}");
    assert!(found.len() > 100, "read the imports: {}", found.len());
    let broken = violations(&units, &found);
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn the_rules_see_a_circle_an_upward_import_and_a_sideways_one() {
    let src = PathBuf::from("/x/src");
    let file = |path: &str, text: &str| (src.join(path), text.to_owned());
    let files = vec![
        file(
            "domain/issues.rs",
            "use crate::domain::incidents::Incident;",
        ),
        file("domain/incidents.rs", "    let x = super::issues::list(c);"),
        file(
            "lineage/mod.rs",
            "use crate::app::App; // and crate::faces in a comment",
        ),
        file(
            "store/mod.rs",
            "use crate::sources::observation::Observation;",
        ),
        file("sources/observation.rs", "use crate::lineage::Node;"),
        file("app.rs", "use crate::domain::issues;"),
        file("faces/slack/worker.rs", "use super::blocks::Message;"),
        file(
            "faces/slack/blocks/mod.rs",
            "//! use crate::faces::slack::worker;",
        ),
    ];
    let (units, found) = imports(&src, &files);
    assert!(found.contains_key(&("faces::slack::worker".into(), "faces::slack::blocks".into())));
    assert!(!found.contains_key(&("faces::slack::blocks".into(), "faces::slack::worker".into())));
    let broken = violations(&units, &found);
    let says = |what: &str| broken.iter().any(|b| b.contains(what));
    assert!(says("lineage → app points up a layer"), "{broken:?}");
    assert!(
        says("store → sources::observation points sideways"),
        "{broken:?}"
    );
    assert!(
        says("circle: domain::incidents → domain::issues"),
        "{broken:?}"
    );
    assert!(!says("sources::observation → lineage"), "down is allowed");
    assert_eq!(broken.len(), 3, "{broken:?}");
}
