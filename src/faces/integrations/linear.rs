//! Linear (GraphQL `issueCreate` on `https://api.linear.app/graphql`, the API key in
//! `Authorization`): a title, a Markdown description (impact, root cause, owners, link back) and
//! the team. Linear answers 200 with `data.issueCreate.issue` (`identifier`, `url`), or
//! `errors` (a refusal, even with 200).

use super::http::{Links, Outgoing, Reply, cap, summary, ticket_list as list, ticket_subject};
use crate::app::integrations::Failure;
use crate::config::integrations::LinearConfig;
use crate::store::deliveries::Delivery;
use serde_json::{Value, json};

const MUTATION: &str = "mutation IssueCreate($input: IssueCreateInput!) { issueCreate(input: $input) { success issue { id identifier url } } }";

pub fn request(d: &Delivery, linear: &LinearConfig, key: &str, links: &Links) -> Outgoing {
    let e = &d.payload;
    let (part, root) = ticket_subject(e);
    let mut description = format!(
        "**Impact:** data products {}\n\n**Root cause:** {root}\n\n**Owners:** {}\n",
        list(&part["products"]),
        list(&part["owners"])
    );
    if let Some(s) = part["summary"].as_str().or(part["message"].as_str()) {
        description.push_str(&format!("\n{}\n", cap(s, 2000)));
    }
    if let Some(l) = links.first() {
        description.push_str(&format!("\n[Open in Steward]({l})\n"));
    }
    let body = json!({
        "query": MUTATION,
        "variables": {"input": {
            "teamId": linear.team_id,
            "title": cap(&summary(e), 255),
            "description": description,
        }},
    });
    Outgoing {
        url: linear.url.clone(),
        headers: vec![("authorization", key.to_owned())],
        body: body.to_string().into_bytes(),
    }
}

/// The identifier and address, or the GraphQL errors as a refusal.
pub fn response(reply: &Reply) -> Result<Value, Failure> {
    let issue = &reply.body["data"]["issueCreate"]["issue"];
    match (reply.body.get("errors"), issue["identifier"].as_str()) {
        (None, Some(key)) => Ok(json!({"key": key, "id": issue["id"], "url": issue["url"]})),
        (errors, _) => Err(Failure {
            error: format!(
                "Linear refused it: {}",
                errors
                    .map(Value::to_string)
                    .unwrap_or_else(|| reply.text.clone())
            ),
            retryable: false,
            retry_after: None,
        }),
    }
}
