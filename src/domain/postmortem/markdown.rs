//! The report as Markdown: headings, the timeline in words, bullets and tables.

use super::*;

/// `model.pkg.orders` → `orders`, `source.pkg.shop.payments` → `shop.payments`; anything
/// that is not a unique_id stays as it is.
pub fn short_name(unique_id: &str) -> &str {
    let kinds = [
        "model.",
        "source.",
        "seed.",
        "snapshot.",
        "exposure.",
        "metric.",
        "test.",
        "analysis.",
        "semantic_model.",
        "saved_query.",
        "unit_test.",
    ];
    if !kinds.iter().any(|k| unique_id.starts_with(k)) {
        return unique_id;
    }
    match unique_id.splitn(3, '.').nth(2) {
        Some(rest) if !rest.is_empty() => rest,
        _ => unique_id,
    }
}

/// `2026-03-01T10:00:00.000000Z` → `2026-03-01 10:00:00 UTC`.
fn when(s: &str) -> String {
    match parse_ts(s) {
        Some(t) => t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        None => s.to_owned(),
    }
}

/// `3d 4h`, `2h 5m`, `7m 30s`, `45s`.
pub fn human_duration(seconds: i64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
        seconds % 60,
    );
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {s}s")
    } else {
        format!("{s}s")
    }
}

/// One line of user text (newlines folded).
fn line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A URL as a Markdown link target: `<…>` so parentheses and spaces cannot end it early.
fn link_target(url: &str) -> String {
    format!("<{}>", url.replace(['<', '>', '\n', '\r'], ""))
}

fn or_dash(s: Option<&str>) -> String {
    s.map(str::to_owned).unwrap_or_else(|| "—".into())
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

fn detail_str<'a>(e: &'a TimelineEntry, key: &str) -> Option<&'a str> {
    e.detail.get(key).and_then(|v| v.as_str())
}

fn detail_i64(e: &TimelineEntry, key: &str) -> Option<i64> {
    e.detail.get(key).and_then(|v| v.as_i64())
}

/// What a timeline entry says, in words.
fn describe(e: &TimelineEntry, n: i64) -> String {
    let from_to = |what: &str| {
        format!(
            "{what} {} → {}",
            or_dash(detail_str(e, "from")),
            or_dash(detail_str(e, "to"))
        )
    };
    let issue = e.issue.map(|i| format!("#{i}")).unwrap_or_default();
    let text = match e.kind.as_str() {
        "declared" => format!(
            "declared the incident{}{}",
            detail_str(e, "title")
                .map(|t| format!(" \"{}\"", line(t)))
                .unwrap_or_default(),
            detail_str(e, "severity")
                .map(|s| format!(" ({s})"))
                .unwrap_or_default()
        ),
        "issue_linked" => match (detail_i64(e, "moved_from"), e.incident) {
            (_, Some(other)) if other != n => {
                format!("linked issue {issue} to {}", incidents::label(other))
            }
            (Some(p), _) => format!("moved issue {issue} here from {}", incidents::label(p)),
            (None, _) => format!("linked issue {issue}"),
        },
        "issue_unlinked" => match detail_i64(e, "moved_to") {
            Some(to) if e.incident != Some(n) => format!(
                "moved issue {issue} from {} to {}",
                e.incident.map(incidents::label).unwrap_or_default(),
                incidents::label(to)
            ),
            Some(to) => format!("moved issue {issue} to {}", incidents::label(to)),
            None => format!("unlinked issue {issue}"),
        },
        "status_changed" | "reopened" => {
            let mut t = if e.kind == "reopened" {
                from_to("reopened:")
            } else {
                from_to("status")
            };
            if let Some(r) = detail_str(e, "reason") {
                let _ = write!(t, " (reason: {})", line(r));
            }
            if let Some(s) = detail_str(e, "summary") {
                let _ = write!(t, ": {}", line(s));
            }
            t
        }
        "severity_changed" => from_to("severity"),
        "commander_changed" => match (detail_str(e, "from"), detail_str(e, "to")) {
            (None, Some(to)) => format!("made {to} the commander"),
            _ => from_to("commander"),
        },
        "commented" => match detail_str(e, "text") {
            Some(t) => format!("commented: {}", line(t)),
            None => "commented".into(),
        },
        "assigned" => format!("assigned to {}", or_dash(detail_str(e, "to"))),
        "opened" => format!("failed ({})", detail_str(e, "status").unwrap_or("failing")),
        "failed_again" => format!(
            "failed again ({})",
            detail_str(e, "status").unwrap_or("failing")
        ),
        "regressed" => "failed again while recovering".into(),
        "recovering" => "passed (recovering)".into(),
        "recovered" => "recovered".into(),
        "resolved" => format!(
            "resolved as {}{}",
            detail_str(e, "resolution").unwrap_or("resolved"),
            detail_str(e, "reason")
                .map(|r| format!(": {}", line(r)))
                .unwrap_or_default()
        ),
        "postmortem_requested" => "asked for the post-incident report in Slack".into(),
        "merged" => format!(
            "merged {} into this incident",
            detail_i64(e, "from")
                .map(incidents::label)
                .unwrap_or_default()
        ),
        "merged_into" => format!(
            "merged into {}",
            detail_i64(e, "into")
                .map(incidents::label)
                .unwrap_or_default()
        ),
        "split" => format!(
            "split issues off into {}",
            detail_i64(e, "into")
                .map(incidents::label)
                .unwrap_or_default()
        ),
        "followup_added" => format!(
            "added a follow-up: {}{}",
            detail_str(e, "text").map(line).unwrap_or_default(),
            detail_str(e, "owner")
                .map(|o| format!(" (owner {})", line(o)))
                .unwrap_or_default()
        ),
        "followup_changed" => from_to("follow-up"),
        "followup_ticket" => format!(
            "tracked follow-up {} as {}",
            detail_i64(e, "followup").unwrap_or_default(),
            detail_str(e, "key").map(line).unwrap_or_default()
        ),
        "followup_synced" => format!(
            "follow-up {} is {} ({} is {})",
            detail_i64(e, "followup").unwrap_or_default(),
            detail_str(e, "to").unwrap_or_default(),
            detail_str(e, "key").map(line).unwrap_or_default(),
            detail_str(e, "ticket_state").map(line).unwrap_or_default()
        ),
        "joined_storm" => "joined a storm of roots that share one cause".into(),
        "muted" => match detail_str(e, "until") {
            Some(u) => format!("muted until {}", when(u)),
            None => "muted until fixed".into(),
        },
        "notified" if detail_str(e, "via").is_some() => format!(
            "{} via {} ({})",
            detail_str(e, "what").unwrap_or("notified"),
            detail_str(e, "via").unwrap_or_default(),
            detail_str(e, "target").unwrap_or_default()
        ),
        "notified" => format!(
            "notified {}{}",
            detail_str(e, "channel")
                .map(crate::domain::text::channel_mention)
                .unwrap_or_else(|| "Slack".to_owned()),
            detail_str(e, "what")
                .map(|w| format!(" ({})", line(w)))
                .unwrap_or_default()
        ),
        other => other.replace('_', " "),
    };
    // Issue events (other than link changes, which name the issue) say which issue.
    match e.issue {
        Some(i) if !matches!(e.kind.as_str(), "issue_linked" | "issue_unlinked") => {
            format!("issue #{i}: {text}")
        }
        _ => text,
    }
}

/// Renders the report as Markdown.
pub fn render(p: &PostmortemData) -> String {
    let inc = &p.incident;
    let m = &p.metrics;
    let mut out = String::new();
    let o = &mut out;
    let dur = |s: Option<i64>, running: bool| match s {
        Some(s) if running => format!("{} (ongoing)", human_duration(s)),
        Some(s) => human_duration(s),
        None => "—".into(),
    };

    let _ = writeln!(o, "# Post-incident report: {} {}", inc.id, line(&inc.title));
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "_Generated {} by Steward._",
        p.now.format("%Y-%m-%d %H:%M:%S UTC")
    );

    // Summary
    let _ = writeln!(o, "\n## Summary\n");
    match inc.summary.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => {
            let _ = writeln!(o, "{}\n", s.trim());
        }
        None => {
            let _ = writeln!(o, "_No summary yet (one is required to resolve)._\n");
        }
    }
    if let Some(d) = inc.description.as_deref().filter(|d| !d.trim().is_empty()) {
        let _ = writeln!(o, "{}\n", d.trim());
    }
    let _ = writeln!(o, "- **Severity:** {}", inc.severity);
    let status = match (&inc.resolution_reason, inc.status.as_str()) {
        (Some(r), "resolved") => format!("resolved (reason: {})", line(r)),
        (_, s) => s.to_owned(),
    };
    let _ = writeln!(o, "- **Status:** {status}");
    let _ = writeln!(
        o,
        "- **Impact started:** {}",
        inc.impact_started
            .as_deref()
            .map(when)
            .unwrap_or("—".into())
    );
    let _ = writeln!(
        o,
        "- **Detected:** {}",
        inc.detected.as_deref().map(when).unwrap_or("—".into())
    );
    let _ = writeln!(
        o,
        "- **Declared:** {} by {}",
        when(&inc.declared),
        inc.declared_by
    );
    let _ = writeln!(
        o,
        "- **Acknowledged:** {}",
        inc.acknowledged.as_deref().map(when).unwrap_or("—".into())
    );
    let _ = writeln!(
        o,
        "- **Mitigated:** {}",
        inc.mitigated.as_deref().map(when).unwrap_or("—".into())
    );
    let _ = writeln!(
        o,
        "- **Resolved:** {}",
        inc.resolved
            .as_deref()
            .map(when)
            .unwrap_or("not yet".into())
    );
    let _ = writeln!(
        o,
        "- **Duration of impact:** {}",
        dur(m.impact_seconds, m.ongoing)
    );
    let _ = writeln!(
        o,
        "- **Linked issues:** {}",
        if p.issues.is_empty() {
            "none".to_owned()
        } else {
            p.issues
                .iter()
                .map(|i| format!("#{}", i.id))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    if !p.issues.is_empty() {
        let _ = writeln!(o);
        for i in &p.issues {
            let state = match &i.resolution {
                Some(r) => format!("{} ({r})", i.status),
                None => i.status.clone(),
            };
            let _ = write!(
                o,
                "- #{} `{}` — {} — {}, first failed {}",
                i.id,
                short_name(&i.asset),
                short_name(&i.check),
                state,
                when(&i.first_seen)
            );
            if let Some(a) = &i.assignee {
                let _ = write!(o, ", assigned to {a}");
            }
            if let Some(url) = &i.run_url {
                let _ = write!(o, ", [run]({})", link_target(url));
            }
            let _ = writeln!(o);
        }
    }

    // Timeline
    let _ = writeln!(o, "\n## Timeline\n");
    if p.timeline.is_empty() {
        let _ = writeln!(o, "_No events._");
    }
    for e in &p.timeline {
        let _ = writeln!(
            o,
            "- {} · {} · {}",
            when(&e.at),
            e.actor.as_deref().unwrap_or("Steward"),
            describe(e, inc.number)
        );
    }

    if let Some(block) = mermaid::gantt(p) {
        let _ = write!(o, "\n{block}");
    }

    // Root cause
    let _ = writeln!(o, "\n## Root cause\n");
    if p.roots.is_empty() {
        let _ = writeln!(
            o,
            "_No root-cause candidate: no linked issue is on an asset in the lineage._"
        );
    } else {
        let _ = writeln!(
            o,
            "Ranked root-cause candidates among the linked issues' assets:\n"
        );
    }
    for (rank, r) in p.roots.iter().enumerate() {
        let issues = if r.issues.is_empty() {
            String::new()
        } else {
            format!(
                "; issue {}",
                r.issues
                    .iter()
                    .map(|i| format!("#{i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let _ = writeln!(
            o,
            "{}. `{}` — explains {} failing asset{}{}",
            rank + 1,
            r.unique_id,
            r.explains,
            if r.explains == 1 { "" } else { "s" },
            issues
        );
        if r.paths.is_empty() {
            let _ = writeln!(o, "   - no impacted data product or exposure below it");
        }
        for path in &r.paths {
            let target = if path.kind == "exposure" {
                format!("exposure `{}`", short_name(&path.target))
            } else {
                format!("data product **{}**", path.target)
            };
            let chain: Vec<&str> = path.path.iter().map(|u| short_name(u)).collect();
            let _ = writeln!(o, "   - {target}: {}", chain.join(" → "));
        }
    }

    if let Some(block) = mermaid::flowchart(p) {
        let _ = write!(o, "\n{block}");
    }

    // Impact
    let _ = writeln!(o, "\n## Impact\n");
    let _ = writeln!(
        o,
        "- **Data products:** {}",
        list_or_none(&inc.impact.data_products)
    );
    if p.exposures.is_empty() {
        let _ = writeln!(o, "- **Exposures:** none");
    } else {
        let _ = writeln!(o, "- **Exposures:**");
        for x in &p.exposures {
            let _ = write!(o, "  - `{}`", short_name(&x.unique_id));
            if let Some(l) = &x.label {
                let _ = write!(o, " ({})", line(l));
            }
            let _ = write!(o, " — owners: {}", list_or_none(&x.owners));
            if let Some(u) = &x.url {
                let _ = write!(o, " — <{u}>");
            }
            let _ = writeln!(o);
        }
    }
    let mut contacts: Vec<String> = inc.impact.owners.clone();
    for owner in p.issues.iter().flat_map(|i| i.owners.iter()) {
        if !contacts.iter().any(|c| c.eq_ignore_ascii_case(owner)) {
            contacts.push(owner.clone());
        }
    }
    let _ = writeln!(o, "- **Owners to contact:** {}", list_or_none(&contacts));
    if !inc.teams.is_empty() {
        let _ = writeln!(o, "- **Teams to contact:**");
        for t in &inc.teams {
            let mut reach = Vec::new();
            if let Some(g) = &t.slack_group {
                reach.push(format!("<!subteam^{}>", g.trim()));
            }
            if let Some(c) = &t.channel {
                reach.push(crate::domain::text::channel_mention(c));
            }
            let reach = if reach.is_empty() {
                String::new()
            } else {
                format!(" ({})", reach.join(", "))
            };
            let _ = writeln!(o, "  - {}{reach} — {}", line(&t.name), t.why.join("; "));
        }
    }
    let _ = writeln!(
        o,
        "- **Downstream:** {} model{} ({} data asset{} in all)",
        inc.impact.models,
        if inc.impact.models == 1 { "" } else { "s" },
        inc.impact.downstream_count,
        if inc.impact.downstream_count == 1 {
            ""
        } else {
            "s"
        }
    );

    // People
    let _ = writeln!(o, "\n## People\n");
    let _ = writeln!(
        o,
        "- **Commander:** {}",
        p.people.commander.as_deref().unwrap_or("none")
    );
    let _ = writeln!(o, "- **Declared by:** {}", p.people.declared_by);
    let _ = writeln!(o, "- **Assignees:** {}", list_or_none(&p.people.assignees));
    let _ = writeln!(
        o,
        "- **Participants:** {}",
        list_or_none(&p.people.participants)
    );

    // Comments
    let _ = writeln!(o, "\n## Comments\n");
    if p.comments.is_empty() {
        let _ = writeln!(o, "_No comments._");
    }
    for c in &p.comments {
        let on = c
            .issue
            .map(|i| format!(" on issue #{i}"))
            .unwrap_or_default();
        let body = c.body.trim().replace('\n', "\n  ");
        let _ = writeln!(o, "- {} · **{}**{on}: {body}", when(&c.at), c.author);
    }

    // Metrics
    let _ = writeln!(o, "\n## Metrics\n");
    let _ = writeln!(o, "| Metric | Value |");
    let _ = writeln!(o, "| --- | --- |");
    let _ = writeln!(
        o,
        "| Duration of impact (impact started → resolved) | {} |",
        dur(m.impact_seconds, m.ongoing)
    );
    let _ = writeln!(
        o,
        "| Response (declared → resolved) | {} |",
        dur(m.response_seconds, m.ongoing)
    );
    let _ = writeln!(
        o,
        "| Time to acknowledge (declared → acknowledged) | {} |",
        dur(m.acknowledge_seconds, false)
    );
    let _ = writeln!(
        o,
        "| Time to mitigate (declared → mitigated) | {} |",
        dur(m.mitigate_seconds, false)
    );

    // Action items: the incident's follow-ups, then room for more.
    let _ = writeln!(o, "\n## Action items\n");
    for f in &p.incident.followups {
        let text = line(&f.text);
        let mut item = match f.state.as_str() {
            "done" => format!("- [x] {text}"),
            "dropped" => format!("- [ ] ~~{text}~~ (dropped)"),
            _ => format!("- [ ] {text}"),
        };
        if let Some(owner) = &f.owner {
            let _ = write!(item, " — {}", line(owner));
        }
        if let (Some(key), Some(url)) = (&f.ticket_key, &f.ticket_url) {
            // The state last read back from the tracker (the report does not call out).
            let state = f
                .ticket_state
                .as_deref()
                .map(|s| format!(", {}", line(s)))
                .unwrap_or_default();
            let _ = write!(item, " ([{}]({}){state})", line(key), link_target(url));
        }
        let _ = writeln!(o, "{item}");
    }
    let blanks = if p.incident.followups.is_empty() {
        3
    } else {
        1
    };
    for _ in 0..blanks {
        let _ = writeln!(o, "- [ ] ");
    }
    out
}
