//! Linear (GraphQL `issueCreate` on `https://api.linear.app/graphql`, the API key in
//! `Authorization`): a title, a Markdown description (impact, root cause, owners, link back) and
//! the team. Linear answers 200 with `data.issueCreate.issue` (`identifier`, `url`), or
//! `errors` (a refusal, even with 200). A follow-up's ticket is read back with the `issue` query.

use super::http::{Links, Outgoing, Reply, cap, summary, ticket_facts};
use crate::app::integrations::Failure;
use crate::config::integrations::LinearConfig;
use crate::domain::incidents::TicketState;
use crate::store::deliveries::Delivery;
use serde_json::{Value, json};

const MUTATION: &str = "mutation IssueCreate($input: IssueCreateInput!) { issueCreate(input: $input) { success issue { id identifier url } } }";

pub fn request(d: &Delivery, linear: &LinearConfig, key: &str, links: &Links) -> Outgoing {
    let e = &d.payload;
    let (facts, text) = ticket_facts(e);
    let mut description: String = facts
        .iter()
        .map(|(label, value)| format!("**{label}:** {value}\n"))
        .collect::<Vec<_>>()
        .join("\n");
    if let Some(s) = text {
        description.push_str(&format!("\n{s}\n"));
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

const STATE_QUERY: &str =
    "query IssueState($id: String!) { issue(id: $id) { identifier state { name type } } }";

/// Reading an issue's workflow state back (`issue(id:)` takes the identifier, e.g. `ENG-12`).
pub fn state_request(linear: &LinearConfig, key: &str, id: &str) -> Outgoing {
    let body = json!({"query": STATE_QUERY, "variables": {"id": id}});
    Outgoing {
        url: linear.url.clone(),
        headers: vec![("authorization", key.to_owned())],
        body: body.to_string().into_bytes(),
    }
}

/// `state.type`: `completed` is done, `canceled` dropped, anything else (`triage`, `backlog`,
/// `unstarted`, `started`) open; the state's name as the team calls it. GraphQL errors (an
/// unknown issue: `Entity not found`) are a refusal.
pub fn state_response(reply: &Reply) -> Result<TicketState, Failure> {
    let state = &reply.body["data"]["issue"]["state"];
    match (
        reply.body.get("errors"),
        state["type"].as_str(),
        state["name"].as_str(),
    ) {
        (None, Some(kind), Some(name)) => Ok(TicketState {
            state: match kind {
                "completed" => "done",
                "canceled" => "dropped",
                _ => "open",
            },
            name: name.to_owned(),
        }),
        (errors, ..) => Err(refusal(errors, reply)),
    }
}

fn refusal(errors: Option<&Value>, reply: &Reply) -> Failure {
    Failure {
        error: format!(
            "Linear refused it: {}",
            errors
                .map(Value::to_string)
                .unwrap_or_else(|| reply.text.clone())
        ),
        retryable: false,
        retry_after: None,
    }
}

/// The identifier and address, or the GraphQL errors as a refusal.
pub fn response(reply: &Reply) -> Result<Value, Failure> {
    let issue = &reply.body["data"]["issueCreate"]["issue"];
    match (reply.body.get("errors"), issue["identifier"].as_str()) {
        (None, Some(key)) => Ok(json!({"key": key, "id": issue["id"], "url": issue["url"]})),
        (errors, _) => Err(refusal(errors, reply)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(body: Value) -> Reply {
        Reply {
            status: 200,
            retry_after: None,
            text: body.to_string(),
            body,
        }
    }

    #[test]
    fn state_types_map_to_followup_states() {
        for (kind, state) in [
            ("completed", "done"),
            ("canceled", "dropped"),
            ("started", "open"),
            ("unstarted", "open"),
            ("backlog", "open"),
            ("triage", "open"),
        ] {
            let r = reply(json!({"data": {"issue": {"state": {"name": "N", "type": kind}}}}));
            assert_eq!(state_response(&r).unwrap().state, state, "{kind}");
        }
        let missing =
            reply(json!({"data": null, "errors": [{"message": "Entity not found: Issue"}]}));
        let e = state_response(&missing).unwrap_err();
        assert!(
            !e.retryable && e.error.contains("Entity not found"),
            "{e:?}"
        );
    }
}
