//! incident.io HTTP alert sources (`POST /v2/alert_events/http/{alert_source_config_id}`, a
//! bearer token): `firing` on a trigger, `resolved` on a resolve, with a deduplication key,
//! title, description and metadata (impact, owners). incident.io answers 202
//! `{"status":"success","message":"Event accepted for processing","deduplication_key":…}`.

use super::http::{Links, Outgoing, Reply, cap, details, summary};
use crate::store::deliveries::Delivery;
use serde_json::{Value, json};

pub fn request(d: &Delivery, base: &str, source_id: &str, token: &str, links: &Links) -> Outgoing {
    let e = &d.payload;
    let status = if d.action == "resolve" {
        "resolved"
    } else {
        "firing"
    };
    let description = e
        .pointer("/incident/summary")
        .or_else(|| e.pointer("/issue/message"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut body = json!({
        "title": cap(&summary(e), 255),
        "description": description,
        "deduplication_key": d.dedup_key,
        "status": status,
        "metadata": details(e),
    });
    if let Some(l) = links.first() {
        body["source_url"] = json!(l);
    }
    Outgoing {
        url: format!(
            "{}/v2/alert_events/http/{source_id}",
            base.trim_end_matches('/')
        ),
        headers: vec![("authorization", format!("Bearer {token}"))],
        body: body.to_string().into_bytes(),
    }
}

pub fn response(reply: &Reply) -> Value {
    json!({"deduplication_key": reply.body["deduplication_key"]})
}
