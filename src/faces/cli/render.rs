//! Plain-text rendering for the terminal: tables and issue summaries.

use crate::app::{IssueDetail, NodeImpact};
use crate::domain::issues::Issue;
use std::fmt::Write;

/// Renders rows as an aligned table; cells longer than `max` characters are cut with "…".
pub fn table(headers: &[&str], rows: &[Vec<String>], max: usize) -> String {
    let cut = |s: &str| -> String {
        let one_line = s.replace('\n', " ");
        if one_line.chars().count() > max {
            let mut t: String = one_line.chars().take(max.saturating_sub(1)).collect();
            t.push('…');
            t
        } else {
            one_line
        }
    };
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| cut(c)).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = widths[i] - c.chars().count();
            l.push_str(c);
            if i + 1 < cells.len() {
                l.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(headers.to_vec(), &mut out);
    for row in &rows {
        line(row.iter().map(String::as_str).collect(), &mut out);
    }
    out
}

/// The last dotted component of a unique_id, e.g. `model.shop.orders` → `orders`; tests keep
/// their name without the hash suffix.
pub fn short_name(unique_id: &str) -> String {
    let parts: Vec<&str> = unique_id.split('.').collect();
    match parts.first() {
        Some(&"test") if parts.len() >= 3 => parts[2].to_owned(),
        Some(&"source") if parts.len() >= 4 => format!("{}.{}", parts[2], parts[3]),
        _ if parts.len() >= 3 => parts[2..].join("."),
        _ => unique_id.to_owned(),
    }
}

pub fn issues_table(issues: &[Issue]) -> String {
    if issues.is_empty() {
        return "no issues\n".to_owned();
    }
    let rows: Vec<Vec<String>> = issues
        .iter()
        .map(|i| {
            vec![
                format!("#{}", i.id),
                i.status.clone(),
                i.severity.clone(),
                short_name(&i.asset) + if i.asset_known { "" } else { " (unknown)" },
                if i.check == "run" || i.check == "freshness" {
                    i.check.clone()
                } else {
                    short_name(&i.check)
                },
                match i.symptom_of {
                    Some(r) => format!("symptom of #{r}"),
                    None if !i.symptoms.is_empty() => {
                        format!("root ({} symptoms)", i.symptoms.len())
                    }
                    None => "root".to_owned(),
                },
                i.occurrences.to_string(),
                i.owners.first().cloned().unwrap_or_default(),
            ]
        })
        .collect();
    table(
        &[
            "ID", "STATUS", "SEV", "ASSET", "CHECK", "CAUSE", "SEEN", "OWNER",
        ],
        &rows,
        60,
    )
}

pub fn issue_detail(d: &IssueDetail) -> String {
    let i = &d.issue;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Issue #{} [{}{}] {} on {}",
        i.id,
        i.status,
        i.resolution
            .as_ref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default(),
        i.severity,
        i.asset
    );
    let _ = writeln!(out, "  check:       {}", i.check);
    let _ = writeln!(out, "  env:         {}", i.env);
    let _ = writeln!(
        out,
        "  status:      {} ({} time(s), first {}, last {})",
        i.dbt_status, i.occurrences, i.first_seen, i.last_seen
    );
    if let Some(m) = &i.message {
        let _ = writeln!(out, "  message:     {}", m.replace('\n', " "));
    }
    if let Some(f) = i.failures {
        let _ = writeln!(out, "  failing rows: {f}");
    }
    if !i.owners.is_empty() {
        let _ = writeln!(out, "  owners:      {}", i.owners.join(", "));
    }
    if let Some(a) = &i.assignee {
        let _ = writeln!(out, "  assignee:    {a}");
    }
    match i.symptom_of {
        Some(r) => {
            let _ = writeln!(out, "  cause:       symptom of issue #{r}");
        }
        None => {
            let _ = writeln!(out, "  cause:       root cause");
        }
    }
    for s in &i.symptoms {
        let _ = writeln!(
            out,
            "    symptom:   {} ({}{})",
            s.unique_id,
            s.status,
            s.issue.map(|n| format!(", issue #{n}")).unwrap_or_default()
        );
    }
    if let Some(s) = &d.slack {
        let _ = writeln!(
            out,
            "  slack:       {} {}",
            s.channel,
            s.ts.as_deref().unwrap_or("(pending)")
        );
    }
    if !d.comments.is_empty() {
        let _ = writeln!(out, "  comments:");
        for c in &d.comments {
            let _ = writeln!(out, "    {} {}: {}", c.at, c.author, c.body);
        }
    }
    let _ = writeln!(out, "  timeline:");
    for e in &d.events {
        let _ = writeln!(
            out,
            "    {} {}{}",
            e.at,
            e.kind,
            e.actor
                .as_ref()
                .map(|a| format!(" by {a}"))
                .unwrap_or_default()
        );
    }
    out
}

pub fn impact(i: &NodeImpact) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Impact of {}", i.node);
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_owned()
        } else {
            v.join(", ")
        }
    };
    let _ = writeln!(out, "  data products:    {}", list(&i.impact.data_products));
    let _ = writeln!(out, "  exposures:        {}", list(&i.impact.exposures));
    let _ = writeln!(out, "  owners to tell:   {}", list(&i.impact.owners));
    let _ = writeln!(
        out,
        "  downstream:       {} nodes ({} models)",
        i.impact.downstream_count, i.impact.models
    );
    out
}

/// A Slack channel as people should see it: an id (`C0123ABCD`) as a channel mention
/// (`<#C0123ABCD>`, which Slack shows as its name), anything else as `#name`.
pub fn channel_mention(channel: &str) -> String {
    let id = channel.trim().trim_start_matches('#');
    let is_id = (9..=20).contains(&id.len())
        && (id.starts_with('C') || id.starts_with('G'))
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if is_id {
        format!("<#{id}>")
    } else {
        format!("#{id}")
    }
}

/// `steward lineage projects`: one line per project.
pub fn projects(list: &[crate::lineage::ProjectInfo]) -> String {
    if list.is_empty() {
        return "no projects: ingest a manifest first\n".to_owned();
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<28} {:<12} {:>7}  {:<25} schema",
        "project", "env", "nodes", "last ingest"
    );
    for p in list {
        let _ = writeln!(
            out,
            "{:<28} {:<12} {:>7}  {:<25} v{}",
            p.project, p.env, p.nodes, p.last_ingest, p.manifest_schema
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_drop_package_and_hash() {
        assert_eq!(short_name("model.shop.orders"), "orders");
        assert_eq!(
            short_name("test.shop.not_null_orders_id.abc123"),
            "not_null_orders_id"
        );
        assert_eq!(short_name("source.shop.raw.orders"), "raw.orders");
        assert_eq!(short_name("weird"), "weird");
    }

    #[test]
    fn tables_align_and_truncate() {
        let t = table(&["A", "B"], &[vec!["x".into(), "yyyyyyyyyy".into()]], 5);
        assert_eq!(t, "A  B\nx  yyyy…\n");
    }
}
