//! Reads which dbt artifact a JSON file is, and its schema version, from its first bytes.
//!
//! dbt writes `metadata.dbt_schema_version` first, as a URL such as
//! `https://schemas.getdbt.com/dbt/manifest/v12.json`. Sniffing it before the full parse lets a
//! wrong or too-new file be refused with a useful message instead of a type error deep inside.

/// Which artifact a schema URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactKind {
    Manifest,
    RunResults,
    Sources,
    Catalog,
    Other,
}

impl ArtifactKind {
    pub fn describe(self) -> &'static str {
        match self {
            ArtifactKind::Manifest => "a dbt manifest",
            ArtifactKind::RunResults => "a dbt run_results file",
            ArtifactKind::Sources => "a dbt sources (freshness) file",
            ArtifactKind::Catalog => "a dbt catalog",
            ArtifactKind::Other => "an unknown dbt artifact",
        }
    }
}

/// The artifact kind and schema version named in the first 64 KiB, if any.
pub fn sniff(bytes: &[u8]) -> Option<(ArtifactKind, u32)> {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let key = b"\"dbt_schema_version\"";
    let pos = head.windows(key.len()).position(|w| w == key)?;
    let rest = &head[pos + key.len()..];
    let open = rest.iter().position(|b| *b == b'"')?;
    let rest = &rest[open + 1..];
    let close = rest.iter().position(|b| *b == b'"')?;
    let url = std::str::from_utf8(&rest[..close]).ok()?;
    parse_schema_url(url)
}

/// `https://schemas.getdbt.com/dbt/run-results/v6.json` → `(RunResults, 6)`.
pub fn parse_schema_url(url: &str) -> Option<(ArtifactKind, u32)> {
    let trimmed = url.trim_end_matches(".json");
    let (path, version) = trimmed.rsplit_once('/')?;
    let version: u32 = version.strip_prefix('v')?.parse().ok()?;
    let kind = match path.rsplit('/').next()? {
        "manifest" => ArtifactKind::Manifest,
        "run-results" => ArtifactKind::RunResults,
        "sources" => ArtifactKind::Sources,
        "catalog" => ArtifactKind::Catalog,
        _ => ArtifactKind::Other,
    };
    Some((kind, version))
}

/// Refuses a file that is empty, is another kind of artifact, or is newer than `max_version`.
pub fn check(
    origin: &str,
    bytes: &[u8],
    expected: ArtifactKind,
    max_version: u32,
) -> Result<Option<u32>, crate::error::InputError> {
    use crate::error::InputError;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(InputError::new(origin, "the file is empty"));
    }
    match sniff(bytes) {
        Some((kind, _)) if kind != expected => Err(InputError::new(
            origin,
            format!(
                "this is {}, not {} (metadata.dbt_schema_version)",
                kind.describe(),
                expected.describe()
            ),
        )
        .at("at `metadata.dbt_schema_version`")),
        Some((_, v)) if v > max_version => Err(InputError::new(
            origin,
            format!(
                "{} schema v{v} is not supported (supported: v1–v{max_version}); upgrade Steward",
                expected.describe()
            ),
        )
        .at("at `metadata.dbt_schema_version`")),
        Some((_, v)) => Ok(Some(v)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kind_and_version_from_the_schema_url() {
        let doc = br#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json"}}"#;
        assert_eq!(sniff(doc), Some((ArtifactKind::RunResults, 6)));
        assert_eq!(
            parse_schema_url("https://schemas.getdbt.com/dbt/manifest/v12.json"),
            Some((ArtifactKind::Manifest, 12))
        );
        assert_eq!(sniff(b"{}"), None);
    }

    #[test]
    fn refuses_wrong_kind_newer_version_and_empty() {
        let rr = br#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json"}}"#;
        let e = check("rr.json", rr, ArtifactKind::Manifest, 12).unwrap_err();
        assert!(e.to_string().contains("run_results"), "{e}");
        let m13 = br#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v13.json"}}"#;
        let e = check("m.json", m13, ArtifactKind::Manifest, 12).unwrap_err();
        assert!(e.to_string().contains("v1–v12"), "{e}");
        assert!(check("e.json", b"  \n", ArtifactKind::Manifest, 12).is_err());
    }
}
