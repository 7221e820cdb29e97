//! Jira Cloud REST v3 (`POST /rest/api/3/issue`, basic auth with an email and an API token):
//! the ticket's summary, and a description in Atlassian Document Format carrying the impact,
//! root cause, owners and a link back. Jira answers 201 `{"id":…,"key":"DATA-24","self":…}`.
//! A follow-up's ticket is read back with `GET /rest/api/3/issue/{key}?fields=status`.

use super::http::{Links, Outgoing, Reply, cap, summary, ticket_facts};
use crate::app::integrations::Failure;
use crate::config::integrations::JiraConfig;
use crate::domain::incidents::TicketState;
use crate::store::deliveries::Delivery;
use base64::Engine;
use serde_json::{Value, json};

fn paragraph(text: &str) -> Value {
    json!({"type": "paragraph", "content": [{"type": "text", "text": text}]})
}

/// The description: the facts ([`ticket_facts`]), what happened, and the link back.
pub fn description(e: &Value, links: &Links) -> Value {
    let (facts, text) = ticket_facts(e);
    let mut content: Vec<Value> = facts
        .iter()
        .map(|(label, value)| paragraph(&format!("{label}: {value}")))
        .collect();
    if let Some(s) = text {
        content.push(paragraph(&s));
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
    Outgoing {
        url: format!("{}/rest/api/3/issue", jira.url.trim_end_matches('/')),
        headers: vec![("authorization", basic(email, token))],
        body: body.to_string().into_bytes(),
    }
}

fn basic(email: &str, token: &str) -> String {
    let b = base64::engine::general_purpose::STANDARD.encode(format!("{email}:{token}"));
    format!("Basic {b}")
}

/// Reading an issue's status back: `GET /rest/api/3/issue/{key}?fields=status`.
pub fn state_request(jira: &JiraConfig, email: &str, token: &str, key: &str) -> Outgoing {
    // A path segment: everything but RFC 3986's unreserved characters escaped.
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let key: String = percent_encoding::utf8_percent_encode(key, SEGMENT).collect();
    Outgoing {
        url: format!(
            "{}/rest/api/3/issue/{key}?fields=status",
            jira.url.trim_end_matches('/')
        ),
        headers: vec![("authorization", basic(email, token))],
        body: Vec::new(),
    }
}

/// The status's category (`fields.status.statusCategory.key`): `done` is done, `new` and
/// `indeterminate` (and anything else) open; its name as the tracker shows it.
pub fn state_response(reply: &Reply) -> Result<TicketState, Failure> {
    let status = &reply.body["fields"]["status"];
    let (Some(name), Some(category)) = (
        status["name"].as_str(),
        status["statusCategory"]["key"].as_str(),
    ) else {
        return Err(Failure {
            error: format!("Jira answered no status: {}", reply.text),
            retryable: false,
            retry_after: None,
        });
    };
    Ok(TicketState {
        state: if category == "done" { "done" } else { "open" },
        name: name.to_owned(),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_categories_map_to_followup_states() {
        for (category, state) in [("new", "open"), ("indeterminate", "open"), ("done", "done")] {
            let body = json!({"key": "DATA-1", "fields": {"status": {"name": "S",
                "statusCategory": {"key": category}}}});
            let r = Reply {
                status: 200,
                retry_after: None,
                text: body.to_string(),
                body,
            };
            assert_eq!(state_response(&r).unwrap().state, state, "{category}");
        }
        let jira = JiraConfig {
            url: "https://x.atlassian.net/".into(),
            email_env: "E".into(),
            token_env: "T".into(),
            project: "DATA".into(),
            issue_type: "Task".into(),
        };
        let out = state_request(&jira, "bot@example.com", "secret", "DATA-1");
        assert_eq!(
            out.url,
            "https://x.atlassian.net/rest/api/3/issue/DATA-1?fields=status"
        );
        assert!(out.body.is_empty());
    }
}
