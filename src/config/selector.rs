//! The dbt-style selectors `[[products]]` choose members with: their syntax, parsed and checked
//! when the configuration loads (the graph evaluates them in `domain::products`).

use std::fmt;

/// One dbt-style selector. See [`parse_selector`] for the syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// `tag:x`: nodes tagged `x`.
    Tag(String),
    /// `path:models/marts`: nodes whose `original_file_path` is that file or lies under that
    /// folder (a trailing slash makes no difference).
    Path(String),
    /// `group:x`: nodes in the dbt group `x`.
    Group(String),
    /// `exposure:x`: the exposure `x` and everything upstream of it.
    Exposure(String),
    /// `source:shop` (every table of the source) or `source:shop.payments`.
    Source(String),
    /// `fqn:a.b.c`: nodes whose fqn starts with these parts, with or without the package, or
    /// whose name is the single part given.
    Fqn(Vec<String>),
    /// A bare reference: a unique_id, relation, model name or `source.table` (as
    /// [`Lineage::resolve`] finds it), or else a dotted fqn as with `fqn:`.
    Node(String),
    /// `+x` (x and everything upstream), `x+` (x and everything downstream) or `+x+`.
    Graph {
        inner: Box<Selector>,
        parents: bool,
        children: bool,
    },
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Tag(x) => write!(f, "tag:{x}"),
            Selector::Path(x) => write!(f, "path:{x}"),
            Selector::Group(x) => write!(f, "group:{x}"),
            Selector::Exposure(x) => write!(f, "exposure:{x}"),
            Selector::Source(x) => write!(f, "source:{x}"),
            Selector::Fqn(parts) => write!(f, "fqn:{}", parts.join(".")),
            Selector::Node(x) => f.write_str(x),
            Selector::Graph {
                inner,
                parents,
                children,
            } => write!(
                f,
                "{}{inner}{}",
                if *parents { "+" } else { "" },
                if *children { "+" } else { "" }
            ),
        }
    }
}

const SYNTAX: &str =
    "use tag:, path:, group:, exposure:, source:, fqn:, a model name, +model or model+";

/// Parses one selector: `tag:x`, `path:x`, `group:x`, `exposure:x`, `source:x`, `fqn:a.b.c`, a
/// bare name, unique_id or dotted fqn (a bare value with a `/` is a path), each optionally
/// wrapped in graph operators: `+x`, `x+`, `+x+`. Methods are case-insensitive.
pub fn parse_selector(s: &str) -> Result<Selector, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty selector".into());
    }
    if s.contains(char::is_whitespace) {
        return Err(format!(
            "selector {s:?} has spaces: give one selector per string (the list is a union)"
        ));
    }
    if s.contains(',') {
        return Err(format!(
            "selector {s:?}: intersections (a,b) are not supported; list selectors separately"
        ));
    }
    let parents = s.starts_with('+');
    let children = s.len() > 1 && s.ends_with('+');
    let inner = &s[usize::from(parents)..s.len() - usize::from(children)];
    if inner.is_empty() {
        return Err(format!("selector {s:?} selects nothing"));
    }
    if inner.contains('+') || inner.starts_with('@') {
        return Err(format!(
            "selector {s:?}: graph operators go only at the start (+model) or the end (model+); \
             depth limits (2+model) and @ are not supported"
        ));
    }
    let base = match inner.split_once(':') {
        Some((method, value)) => {
            let value = value.trim();
            if value.is_empty() {
                return Err(format!("selector {s:?} has no value after {method:?}"));
            }
            match method.to_ascii_lowercase().as_str() {
                "tag" => Selector::Tag(value.to_owned()),
                "path" => Selector::Path(normalize_path(value)),
                "group" => Selector::Group(value.to_owned()),
                "exposure" => Selector::Exposure(value.to_owned()),
                "source" => Selector::Source(value.to_owned()),
                "fqn" => Selector::Fqn(fqn_parts(s, value)?),
                _ => {
                    return Err(format!(
                        "unknown selector method {method:?} in {s:?}: {SYNTAX}"
                    ));
                }
            }
        }
        None if inner.contains('/') => Selector::Path(normalize_path(inner)),
        None => {
            fqn_parts(s, inner)?;
            Selector::Node(inner.to_owned())
        }
    };
    Ok(if parents || children {
        Selector::Graph {
            inner: Box::new(base),
            parents,
            children,
        }
    } else {
        base
    })
}

fn fqn_parts(s: &str, value: &str) -> Result<Vec<String>, String> {
    let parts: Vec<String> = value.split('.').map(str::to_owned).collect();
    if parts.iter().any(String::is_empty) {
        return Err(format!("selector {s:?} has an empty part between dots"));
    }
    Ok(parts)
}

fn normalize_path(p: &str) -> String {
    let p = p.trim().trim_start_matches("./");
    p.trim_end_matches('/').to_owned()
}
