//! Signed webhooks: the event body (`docs/webhooks.md`, version 1) with `links` added at
//! sending time, `Steward-Event-Id` (one per event, for idempotent receivers) and
//! `Steward-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.

use super::http::{Links, Outgoing};
use crate::store::deliveries::Delivery;
use hmac::{KeyInit, Mac};
use serde_json::json;

/// The `Steward-Signature` value for `body` sent at unix time `t`.
pub fn signature(secret: &[u8], t: i64, body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={t},v1={hex}")
}

pub fn request(d: &Delivery, url: &str, secret: &str, links: &Links, now_unix: i64) -> Outgoing {
    let mut body = d.payload.clone();
    body["links"] = json!({"slack": links.slack, "page": links.page});
    let body = body.to_string().into_bytes();
    Outgoing {
        url: url.to_owned(),
        headers: vec![
            ("steward-event-id", d.event_id.clone()),
            (
                "steward-signature",
                signature(secret.as_bytes(), now_unix, &body),
            ),
            (
                "user-agent",
                format!("Steward/{}", env!("CARGO_PKG_VERSION")),
            ),
        ],
        body,
    }
}
