//! Who a request is: the HTTP API's bearer tokens, each with the name its pushes are recorded
//! under (`STEWARD_TOKEN` as `[http] token_name`, and each `[[http.tokens]]`).

use super::Secret;
use crate::config::Config;
use crate::error::InputError;
use hyper::HeaderMap;
use hyper::header::AUTHORIZATION;
use subtle::ConstantTimeEq;

/// The accepted bearer tokens and their names. Empty means the API is open (loopback only).
#[derive(Clone, Default)]
pub struct Tokens(Vec<(String, Secret)>);

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_tuple("Tokens").field(&names).finish()
    }
}

/// A request without one of the accepted tokens.
#[derive(Debug)]
pub struct Unauthorized;

impl Tokens {
    /// Only `STEWARD_TOKEN` (when given), named `name`.
    pub fn single(name: &str, token: Option<Secret>) -> Tokens {
        Tokens(token.map(|t| (name.to_owned(), t)).into_iter().collect())
    }

    /// `STEWARD_TOKEN` (when set) and every `[[http.tokens]]` entry, read from the environment.
    /// An entry whose variable is unset or empty, or two names with one value, is an error that
    /// names the entry: a token that silently does not work is worse than a server that does
    /// not start.
    pub fn from_env(config: &Config) -> Result<Tokens, InputError> {
        let read = |var: &str| std::env::var(var).ok().filter(|v| !v.trim().is_empty());
        let mut tokens = Tokens::single(
            &config.http.token_name,
            read("STEWARD_TOKEN").map(Secret::new),
        );
        for (i, t) in config.http.tokens.iter().enumerate() {
            let value = read(&t.token_env).ok_or_else(|| {
                InputError::new(
                    format!("[http] tokens[{i}] ({})", t.name),
                    format!("{} is not set", t.token_env),
                )
            })?;
            tokens.add(&t.name, Secret::new(value))?;
        }
        Ok(tokens)
    }

    /// Adds a named token; refuses a value another name already has.
    pub fn add(&mut self, name: &str, token: Secret) -> Result<(), InputError> {
        if let Some((other, _)) = self.0.iter().find(|(_, s)| s.expose() == token.expose()) {
            return Err(InputError::new(
                format!("[http] token {name:?}"),
                format!("has the same value as {other:?}; give each name its own token"),
            ));
        }
        self.0.push((name.to_owned(), token));
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The name of the token the request carries; `Ok(None)` when no token is configured.
    /// Every token is compared, each in constant time, so how long this takes says nothing of
    /// which token came close.
    pub fn check(&self, headers: &HeaderMap) -> Result<Option<&str>, Unauthorized> {
        if self.0.is_empty() {
            return Ok(None);
        }
        let given = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.trim().split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then_some(token.trim())
            })
            .unwrap_or("");
        let mut found = None;
        for (name, secret) in &self.0 {
            if bool::from(given.as_bytes().ct_eq(secret.expose().as_bytes())) {
                found = Some(name.as_str());
            }
        }
        found.map(Some).ok_or(Unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, v.parse().unwrap());
        h
    }

    #[test]
    fn each_token_is_known_by_its_name() {
        let mut tokens = Tokens::single("api", Some(Secret::new("s3cret-api".into())));
        tokens
            .add("airflow", Secret::new("s3cret-airflow".into()))
            .unwrap();
        assert_eq!(
            tokens.check(&bearer("Bearer s3cret-airflow")).unwrap(),
            Some("airflow")
        );
        assert_eq!(
            tokens.check(&bearer("bearer  s3cret-api ")).unwrap(),
            Some("api")
        );
        assert!(tokens.check(&bearer("Bearer s3cret")).is_err());
        assert!(tokens.check(&bearer("Basic s3cret-api")).is_err());
        assert!(tokens.check(&HeaderMap::new()).is_err());
    }

    #[test]
    fn no_token_means_open_and_one_value_has_one_name() {
        assert_eq!(Tokens::default().check(&HeaderMap::new()).unwrap(), None);
        let mut tokens = Tokens::single("api", Some(Secret::new("same".into())));
        let err = tokens.add("ci", Secret::new("same".into())).unwrap_err();
        assert!(err.to_string().contains("same value as \"api\""), "{err}");
        assert!(!format!("{tokens:?}").contains("same"), "{tokens:?}");
    }
}
