//! The report's two Mermaid blocks, which GitHub, GitLab and Notion draw: a `flowchart` of the
//! root causes and their paths to the impacted products and exposures, and a `gantt` of the
//! incident (impact and response as bars, its moments as milestones).

use super::{PostmortemData, short_name};
use chrono::{DateTime, Utc};
use std::fmt::Write;

/// Text safe inside a quoted Mermaid label or a gantt task name.
fn label(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' => '\'',
            ':' | ';' | '#' | '\n' | '\r' | '`' => ' ',
            c => c,
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The flowchart block, or None when no root has a path to anything.
pub fn flowchart(p: &PostmortemData) -> Option<String> {
    let mut ids: Vec<(String, String)> = Vec::new(); // (key, class)
    let mut edges: Vec<(usize, usize)> = Vec::new();
    let mut id_of = |key: String, class: &str| -> usize {
        if let Some(i) = ids.iter().position(|(k, _)| *k == key) {
            return i;
        }
        ids.push((key, class.to_owned()));
        ids.len() - 1
    };
    for r in &p.roots {
        let root = id_of(r.unique_id.clone(), "root");
        for path in &r.paths {
            let mut prev = root;
            for uid in path.path.iter().skip(1) {
                let class = if path.kind == "exposure" && *uid == path.target {
                    "exposure"
                } else {
                    "asset"
                };
                let next = id_of(uid.clone(), class);
                if !edges.contains(&(prev, next)) && prev != next {
                    edges.push((prev, next));
                }
                prev = next;
            }
            if path.kind == "data_product" {
                let product = id_of(format!("product:{}", path.target), "product");
                if !edges.contains(&(prev, product)) {
                    edges.push((prev, product));
                }
            }
        }
    }
    if edges.is_empty() {
        return None;
    }
    let mut o = String::from("```mermaid\nflowchart LR\n");
    for (i, (key, class)) in ids.iter().enumerate() {
        let _ = match class.as_str() {
            "product" => writeln!(
                o,
                "  n{i}([\"{}\"]):::product",
                label(key.trim_start_matches("product:"))
            ),
            "exposure" => writeln!(o, "  n{i}[[\"{}\"]]:::exposure", label(short_name(key))),
            "root" => writeln!(o, "  n{i}[\"{}\"]:::root", label(short_name(key))),
            _ => writeln!(o, "  n{i}[\"{}\"]", label(short_name(key))),
        };
    }
    for (a, b) in &edges {
        let _ = writeln!(o, "  n{a} --> n{b}");
    }
    o.push_str("  classDef root fill:#ffebe9,stroke:#cf222e\n");
    o.push_str("  classDef product fill:#ddf4ff,stroke:#0969da\n");
    o.push_str("  classDef exposure fill:#fbefff,stroke:#8250df\n```\n");
    Some(o)
}

fn parse(s: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn at(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The gantt block of the incident's impact, response and moments.
pub fn gantt(p: &PostmortemData) -> Option<String> {
    let inc = &p.incident;
    let declared = parse(Some(&inc.declared))?;
    let end = parse(inc.resolved.as_deref())
        .unwrap_or(p.now)
        .max(declared);
    let mut o = String::from("```mermaid\ngantt\n");
    let _ = writeln!(o, "  title {} {}", inc.id, label(&inc.title));
    o.push_str("  dateFormat YYYY-MM-DD HH:mm:ss\n  axisFormat %m-%d %H:%M\n");
    o.push_str("  section Incident\n");
    if let Some(start) = parse(inc.impact_started.as_deref()).filter(|s| *s < end) {
        let _ = writeln!(o, "  Impact :crit, impact, {}, {}", at(start), at(end));
    }
    let _ = writeln!(
        o,
        "  Response :active, response, {}, {}",
        at(declared),
        at(end)
    );
    o.push_str("  section Moments\n");
    let moments = [
        ("Detected", inc.detected.as_deref()),
        ("Declared", Some(inc.declared.as_str())),
        ("Acknowledged", inc.acknowledged.as_deref()),
        ("Mitigated", inc.mitigated.as_deref()),
        ("Resolved", inc.resolved.as_deref()),
    ];
    for (i, (name, t)) in moments.iter().enumerate() {
        if let Some(t) = parse(*t) {
            let _ = writeln!(o, "  {name} :milestone, m{i}, {}, 0m", at(t));
        }
    }
    o.push_str("```\n");
    Some(o)
}
