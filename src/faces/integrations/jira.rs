//! Jira Cloud REST v3 (`POST /rest/api/3/issue`, basic auth with an email and an API token):
//! the ticket's summary, and a description in Atlassian Document Format carrying the impact,
//! root cause, owners and a link back. Jira answers 201 `{"id":…,"key":"DATA-24","self":…}`.

use super::http::{Links, Outgoing, Reply, cap, summary, ticket_list as list, ticket_subject};
use crate::config::integrations::JiraConfig;
use crate::store::deliveries::Delivery;
use base64::Engine;
use serde_json::{Value, json};

fn paragraph(text: &str) -> Value {
    json!({"type": "paragraph", "content": [{"type": "text", "text": text}]})
}

/// The description: impact, root cause, owners, what happened, and the link back.
pub fn description(e: &Value, links: &Links) -> Value {
    let (part, root) = ticket_subject(e);
    let mut content = vec![
        paragraph(&format!(
            "Impact: data products {}",
            list(&part["products"])
        )),
        paragraph(&format!("Root cause: {root}")),
        paragraph(&format!("Owners: {}", list(&part["owners"]))),
    ];
    if let Some(s) = part["summary"].as_str().or(part["message"].as_str()) {
        content.push(paragraph(&cap(s, 2000)));
    }
    if let Some(l) = links.first() {
        content.push(json!({"type": "paragraph", "content": [
            {"type": "text", "text": "Open in Steward", "marks": [{"type": "link", "attrs": {"href": l}}]}
        ]}));
    }
    json!({"type": "doc", "version": 1, "content": content})
}

pub fn request(
    d: &Delivery,
    jira: &JiraConfig,
    email: &str,
    token: &str,
    links: &Links,
) -> Outgoing {
    let e = &d.payload;
    let body = json!({
        "fields": {
            "project": {"key": jira.project},
            "issuetype": {"name": jira.issue_type},
            "summary": cap(&summary(e), 254),
            "description": description(e, links),
            "labels": ["steward"],
        }
    });
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{email}:{token}"));
    Outgoing {
        url: format!("{}/rest/api/3/issue", jira.url.trim_end_matches('/')),
        headers: vec![("authorization", format!("Basic {basic}"))],
        body: body.to_string().into_bytes(),
    }
}

/// The key, id and the issue's address for people.
pub fn response(reply: &Reply, jira: &JiraConfig) -> Value {
    let key = reply.body["key"].as_str().unwrap_or_default();
    json!({
        "key": key,
        "id": reply.body["id"],
        "url": format!("{}/browse/{key}", jira.url.trim_end_matches('/')),
    })
}
