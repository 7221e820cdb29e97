//! PagerDuty Events API v2 (`POST https://events.pagerduty.com/v2/enqueue`): `trigger`,
//! `acknowledge` and `resolve` on the delivery's dedup key. A trigger carries the summary
//! (at most 1024 characters), source, mapped severity, component (the asset), group (the
//! project), class (the check), `custom_details` and `links` back to Slack. PagerDuty answers
//! 202 `{"status":"success","message":"Event processed","dedup_key":…}`.

use super::http::{Links, Outgoing, Reply, cap, details, summary};
use crate::store::deliveries::Delivery;
use serde_json::{Value, json};

/// critical, error, warning or info, from an incident's SEV or an issue's severity.
pub fn severity(event: &Value) -> &'static str {
    let sev = event
        .pointer("/incident/severity")
        .or_else(|| event.pointer("/issue/severity"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    match sev {
        "SEV1" => "critical",
        "SEV2" | "error" => "error",
        "SEV3" | "warn" => "warning",
        _ => "info",
    }
}

pub fn request(d: &Delivery, url: &str, routing_key: &str, links: &Links) -> Outgoing {
    let e = &d.payload;
    let body = if d.action == "trigger" {
        let issue = e.get("issue");
        let source = match issue {
            Some(i) => format!(
                "{}:{}",
                i["env"].as_str().unwrap_or_default(),
                i["asset"].as_str().unwrap_or_default()
            ),
            None => "steward".to_owned(),
        };
        let mut payload = json!({
            "summary": cap(&summary(e), 1024),
            "source": source,
            "severity": severity(e),
            "timestamp": e["created_at"],
            "custom_details": details(e),
        });
        if let Some(i) = issue {
            payload["component"] = i["asset"].clone();
            if !i["project"].is_null() {
                payload["group"] = i["project"].clone();
            }
            payload["class"] = i["check"].clone();
        }
        let mut body = json!({
            "routing_key": routing_key,
            "event_action": "trigger",
            "dedup_key": d.dedup_key,
            "payload": payload,
            "client": "Steward",
        });
        if let Some(first) = links.first() {
            body["client_url"] = json!(first);
            body["links"] = json!(links.list());
        }
        body
    } else {
        json!({
            "routing_key": routing_key,
            "event_action": d.action,
            "dedup_key": d.dedup_key,
        })
    };
    Outgoing {
        url: url.to_owned(),
        headers: Vec::new(),
        body: body.to_string().into_bytes(),
    }
}

/// What PagerDuty gave back: its dedup key.
pub fn response(reply: &Reply) -> Value {
    json!({"dedup_key": reply.body["dedup_key"]})
}
