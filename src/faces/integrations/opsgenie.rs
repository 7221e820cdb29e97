//! Opsgenie Alert API v2 (`Authorization: GenieKey …`): create (`POST /v2/alerts`),
//! acknowledge and close (`POST /v2/alerts/{alias}/acknowledge|close?identifierType=alias`), by
//! the delivery's dedup key as the alias. Opsgenie answers 202 `{"result":"Request will be
//! processed","took":…,"requestId":…}`. Atlassian ends Opsgenie support in April 2027, so this
//! stays small.

use super::http::{Links, Outgoing, Reply, cap, details, summary};
use crate::store::deliveries::Delivery;
use serde_json::{Value, json};

/// P1 … P5 from an incident's SEV or an issue's severity.
fn priority(event: &Value) -> &'static str {
    let sev = event
        .pointer("/incident/severity")
        .or_else(|| event.pointer("/issue/severity"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    match sev {
        "SEV1" => "P1",
        "SEV2" => "P2",
        "SEV3" | "error" => "P3",
        "SEV4" | "warn" => "P4",
        _ => "P5",
    }
}

pub fn request(d: &Delivery, base: &str, key: &str, links: &Links) -> Outgoing {
    let e = &d.payload;
    let base = base.trim_end_matches('/');
    let alias: String =
        percent_encoding::utf8_percent_encode(&d.dedup_key, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    let (url, body) = match d.action.as_str() {
        "trigger" => {
            // Opsgenie's details are a map of strings.
            let details: serde_json::Map<String, Value> = details(e)
                .into_iter()
                .map(|(k, v)| {
                    let s = match v {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, Value::String(cap(&s, 8000)))
                })
                .collect();
            let mut body = json!({
                "message": cap(&summary(e), 130),
                "alias": d.dedup_key,
                "description": cap(&summary(e), 15000),
                "details": details,
                "priority": priority(e),
                "source": "Steward",
            });
            if let Some(asset) = e.pointer("/issue/asset") {
                body["entity"] = asset.clone();
            }
            if let Some(l) = links.first() {
                body["details"]["link"] = json!(l);
            }
            (format!("{base}/v2/alerts"), body)
        }
        action => {
            let verb = if action == "resolve" {
                "close"
            } else {
                "acknowledge"
            };
            (
                format!("{base}/v2/alerts/{alias}/{verb}?identifierType=alias"),
                json!({"source": "Steward", "note": format!("{} in Steward", if verb == "close" { "Resolved" } else { "Acknowledged" })}),
            )
        }
    };
    Outgoing {
        url,
        headers: vec![("authorization", format!("GenieKey {key}"))],
        body: body.to_string().into_bytes(),
    }
}

pub fn response(reply: &Reply) -> Value {
    json!({"request_id": reply.body["requestId"]})
}
