//! The public status page as plain HTML: no scripts, readable without styles.

use crate::clock::parse_ts;
use crate::domain::status::{Status, StatusPage};

/// Escapes text for HTML content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn readable_time(s: &str) -> String {
    parse_ts(s)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| s.to_owned())
}

fn percent(f: f64) -> String {
    format!("{:.3}%", f * 100.0)
}

/// The page as plain HTML: no scripts, readable without styles.
pub fn render_html(page: &StatusPage) -> String {
    use std::fmt::Write;
    let mut h = String::new();
    h.push_str(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"refresh\" content=\"60\">\n<title>Data status</title>\n<style>\n\
         body{font-family:system-ui,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;color:#1f2328}\n\
         table{border-collapse:collapse;width:100%}\n\
         th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid #d0d7de}\n\
         .operational,.met{color:#1a7f37}.degraded{color:#9a6700}.incident,.missed{color:#cf222e}\n\
         .status{font-weight:600}.muted{color:#656d76}\n</style>\n</head>\n<body>\n<h1>Data status</h1>\n",
    );
    let count = |s: Status| page.data_products.iter().filter(|p| p.status == s).count();
    let (incident, degraded) = (count(Status::Incident), count(Status::Degraded));
    let summary = match (incident, degraded) {
        _ if page.data_products.is_empty() => "No data products are defined yet.".to_owned(),
        (0, 0) => "All data products are operational.".to_owned(),
        _ => {
            let mut parts = Vec::new();
            if incident > 0 {
                parts.push(format!("{incident} affected by an incident"));
            }
            if degraded > 0 {
                parts.push(format!("{degraded} degraded"));
            }
            format!(
                "{} of {} data products: {}.",
                incident + degraded,
                page.data_products.len(),
                parts.join(", ")
            )
        }
    };
    let _ = writeln!(h, "<p>{}</p>", escape_html(&summary));
    h.push_str("<h2>Data products</h2>\n");
    if !page.data_products.is_empty() {
        h.push_str(
            "<table>\n<thead><tr><th>Product</th><th>Status</th><th>Uptime</th><th>SLA</th>\
             <th>Team</th><th>Tier</th></tr></thead>\n<tbody>\n",
        );
        for p in &page.data_products {
            let sla = match (p.sla_target, p.sla_met) {
                (Some(t), Some(met)) => format!(
                    "{} <span class=\"{}\">{}</span>",
                    percent(t),
                    if met { "met" } else { "missed" },
                    if met { "met" } else { "missed" }
                ),
                _ => "<span class=\"muted\">none</span>".to_owned(),
            };
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"status {}\">{}</td><td>{} <span class=\"muted\">({})</span></td>\
                 <td>{}</td><td>{}</td><td>{}</td></tr>",
                escape_html(&p.name),
                p.status.as_str(),
                p.status.as_str(),
                percent(p.uptime),
                escape_html(&p.window),
                sla,
                escape_html(p.team.as_deref().unwrap_or("")),
                p.tier.map(|t| t.to_string()).unwrap_or_default(),
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }
    h.push_str("<h2>Open incidents</h2>\n");
    if page.open_incidents.is_empty() {
        h.push_str("<p>No open incidents.</p>\n");
    } else {
        h.push_str("<ul>\n");
        for i in &page.open_incidents {
            let affects = if i.data_products.is_empty() {
                String::new()
            } else {
                format!(" Affects {}.", escape_html(&i.data_products.join(", ")))
            };
            let _ = writeln!(
                h,
                "<li><strong>{}</strong> {} · {} <span class=\"muted\">({}, declared {})</span>{}</li>",
                escape_html(&i.id),
                escape_html(&i.severity),
                escape_html(&i.title),
                escape_html(&i.status),
                escape_html(&readable_time(&i.declared)),
                affects,
            );
        }
        h.push_str("</ul>\n");
    }
    let _ = writeln!(
        h,
        "<p class=\"muted\">Generated {} · <a href=\"/status.json\">JSON</a></p>\n</body>\n</html>",
        escape_html(&readable_time(&page.generated_at))
    );
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::status::{IncidentRow, ProductRow};

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        let page = StatusPage {
            generated_at: "2025-01-31T00:00:00.000000Z".into(),
            data_products: vec![ProductRow {
                name: "<b>rev</b>".into(),
                status: Status::Degraded,
                uptime: 0.99861111,
                window: "30d".into(),
                sla_target: Some(0.995),
                sla_met: Some(true),
                team: Some("fin & ops".into()),
                tier: Some(1),
                open_issues: vec![1],
                incidents: Vec::new(),
            }],
            open_incidents: vec![IncidentRow {
                id: "INC-1".into(),
                title: "<script>alert(1)</script>".into(),
                severity: "SEV2".into(),
                status: "investigating".into(),
                declared: "2025-01-30T10:00:00.000000Z".into(),
                data_products: vec!["rev".into()],
            }],
        };
        let html = render_html(&page);
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;b&gt;rev&lt;/b&gt;") && html.contains("fin &amp; ops"));
        assert!(html.contains("99.861%") && html.contains("99.500%") && html.contains(">met<"));
        assert!(html.contains("class=\"status degraded\">degraded<"));
        assert!(html.contains("INC-1") && html.contains("2025-01-30 10:00 UTC"));
    }
}
