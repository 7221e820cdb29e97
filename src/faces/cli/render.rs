//! Plain-text rendering for the terminal: tables and issue summaries.

use crate::app::{IssueDetail, NodeImpact};
use crate::domain::ingests::IngestRecord;
use crate::domain::issues::Issue;
pub use crate::domain::text::{channel_mention, short_name, table};
use std::fmt::Write;

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

/// `steward ingests`: one line per ingest, newest first.
pub fn ingests_table(ingests: &[IngestRecord]) -> String {
    if ingests.is_empty() {
        return "no ingests\n".to_owned();
    }
    let rows: Vec<Vec<String>> = ingests
        .iter()
        .map(|i| {
            let c = &i.counts;
            vec![
                format!("#{}", i.id),
                i.received_at.clone(),
                i.kind.clone(),
                i.env.clone(),
                i.who(),
                c.results.to_string(),
                c.failing.to_string(),
                format!("{}/{}/{}", c.opened, c.reopened, c.recovered),
            ]
        })
        .collect();
    table(
        &[
            "ID",
            "RECEIVED",
            "KIND",
            "ENV",
            "PUSHED BY",
            "RESULTS",
            "FAILING",
            "OPENED/REOPENED/RECOVERED",
        ],
        &rows,
        40,
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
    if !d.pushes.is_empty() {
        let _ = writeln!(out, "  pushed by:");
        for p in &d.pushes {
            let _ = writeln!(
                out,
                "    {} {} (ingest #{}, {})",
                p.received_at,
                p.who(),
                p.id,
                p.kind
            );
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

/// One follow-up: "#3 [open] Add a test — ana@example.com · DATA-2 (In Progress) https://…".
pub fn followup_line(f: &crate::domain::incidents::Followup) -> String {
    let mut line = format!("#{} [{}] {}", f.id, f.state, f.text);
    if let Some(o) = &f.owner {
        let _ = write!(line, " — {o}");
    }
    if let Some(key) = &f.ticket_key {
        let _ = write!(line, " · {key}");
        if let Some(s) = &f.ticket_state {
            let _ = write!(line, " ({s})");
        }
        if let Some(url) = &f.ticket_url {
            let _ = write!(line, " {url}");
        }
    }
    line
}
