//! Signed page links: an HMAC-SHA256 over the path and an expiry, made with a secret read
//! from the environment variable `[http] pages_secret_env` names. Incident, issue and product
//! pages need one unless `[http] public_pages = true`; `/status` is always public.

use crate::config::Config;
use crate::faces::http::Secret;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::collections::HashMap;

type HmacSha256 = Hmac<Sha256>;

/// The signing secret from the environment, if set and not empty. Never logged.
pub fn secret(config: &Config) -> Option<Secret> {
    std::env::var(&config.http.pages_secret_env)
        .ok()
        .filter(|s| !s.trim().is_empty())
        .map(Secret::new)
}

fn mac(secret: &Secret, path: &str, expires: i64) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(path.as_bytes());
    mac.update(b"\n");
    mac.update(expires.to_string().as_bytes());
    mac
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// `exp=…&sig=…` for `path`, valid until `expires` (Unix seconds).
pub fn query(secret: &Secret, path: &str, expires: i64) -> String {
    let sig = hex(&mac(secret, path, expires).finalize().into_bytes());
    format!("exp={expires}&sig={sig}")
}

/// Why a page request is refused (401).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No signing secret is set and pages are not public.
    NoSecret,
    Unsigned,
    Expired,
    BadSignature,
}

impl Refusal {
    pub fn message(self, env: &str) -> String {
        match self {
            Refusal::NoSecret => format!(
                "pages need a signed link: set {env} (or [http] public_pages = true behind a VPN)"
            ),
            Refusal::Unsigned => "this page needs a signed link (open it from Slack)".into(),
            Refusal::Expired => "this link has expired: open the page again from Slack".into(),
            Refusal::BadSignature => "this link's signature does not match".into(),
        }
    }
}

/// Whether a request for `path` with `query` may see the page at `now`: `Ok(Some(exp))` for a
/// good signed link (pages link onwards with the same expiry), `Ok(None)` when pages are public.
pub fn check(
    config: &Config,
    secret: Option<&Secret>,
    path: &str,
    query: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, Refusal> {
    if config.http.public_pages {
        return Ok(None);
    }
    let secret = secret.ok_or(Refusal::NoSecret)?;
    let (Some(exp), Some(sig)) = (query.get("exp"), query.get("sig")) else {
        return Err(Refusal::Unsigned);
    };
    let exp: i64 = exp.parse().map_err(|_| Refusal::BadSignature)?;
    let sig = unhex(sig).ok_or(Refusal::BadSignature)?;
    mac(secret, path, exp)
        .verify_slice(&sig)
        .map_err(|_| Refusal::BadSignature)?;
    if exp < now.timestamp() {
        return Err(Refusal::Expired);
    }
    Ok(Some(exp))
}

/// How a page links to other pages: plainly when pages are public, else signed with the
/// expiry of the link that opened it.
#[derive(Clone)]
pub struct Linker {
    secret: Option<Secret>,
    expires: Option<i64>,
}

impl Linker {
    pub fn new(secret: Option<Secret>, expires: Option<i64>) -> Linker {
        Linker { secret, expires }
    }

    /// Unsigned links only (public pages, and `/status`).
    pub fn plain() -> Linker {
        Linker {
            secret: None,
            expires: None,
        }
    }

    pub fn href(&self, path: &str) -> String {
        match (&self.secret, self.expires) {
            (Some(s), Some(exp)) => format!("{path}?{}", query(s, path, exp)),
            _ => path.to_owned(),
        }
    }
}

/// The full URL of page `path` for a Slack message at `now`: under `[http] public_url`,
/// signed for `[http] link_ttl` unless pages are public. None when there is no public URL, or
/// no secret to sign with.
pub fn page_url(config: &Config, path: &str, now: DateTime<Utc>) -> Option<String> {
    let base = config.http.public_url.as_deref()?.trim_end_matches('/');
    if config.http.public_pages {
        return Some(format!("{base}{path}"));
    }
    let secret = secret(config)?;
    let ttl = i64::try_from(config.http.link_ttl.as_secs()).unwrap_or(i64::MAX / 2);
    let expires = now.timestamp().saturating_add(ttl);
    Some(format!("{base}{path}?{}", query(&secret, path, expires)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_tampered_expired_and_public() {
        let mut config = Config::default();
        let secret = Secret::new("s3cret".into());
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let q = |s: &str| crate::faces::http::parse_query(s);
        let good = query(&secret, "/incidents/INC-1", now.timestamp() + 60);
        let ok = check(&config, Some(&secret), "/incidents/INC-1", &q(&good), now);
        assert_eq!(ok, Ok(Some(now.timestamp() + 60)));
        let other_path = check(&config, Some(&secret), "/incidents/INC-2", &q(&good), now);
        assert_eq!(other_path, Err(Refusal::BadSignature));
        let later = now + chrono::Duration::seconds(61);
        let expired = check(&config, Some(&secret), "/incidents/INC-1", &q(&good), later);
        assert_eq!(expired, Err(Refusal::Expired));
        let stretched = good.replace(&format!("exp={}", now.timestamp() + 60), "exp=9999999999");
        let stretched = check(
            &config,
            Some(&secret),
            "/incidents/INC-1",
            &q(&stretched),
            now,
        );
        assert_eq!(stretched, Err(Refusal::BadSignature));
        let none = check(&config, Some(&secret), "/incidents/INC-1", &q(""), now);
        assert_eq!(none, Err(Refusal::Unsigned));
        assert_eq!(
            check(&config, None, "/incidents/INC-1", &q(&good), now),
            Err(Refusal::NoSecret)
        );
        config.http.public_pages = true;
        assert_eq!(
            check(&config, None, "/incidents/INC-1", &q(""), now),
            Ok(None)
        );
    }
}
