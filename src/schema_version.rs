//! Which dbt artifact a JSON file is, and its schema version, checked as the parser meets
//! `metadata.dbt_schema_version`, wherever `metadata` sits in the file.
//!
//! dbt writes `metadata.dbt_schema_version` as a URL such as
//! `https://schemas.getdbt.com/dbt/manifest/v12.json`. The artifact structs read it as a
//! [`CheckedVersion`], which refuses another kind of artifact, a version this build does not read
//! or a value that is no schema URL, with a message naming the value; the parse stops there, so
//! nothing is built from a wrong file, at no cost to a right one.

use crate::error::{InputError, quoted};
use serde::de::{self, Deserialize, Visitor};
use std::marker::PhantomData;

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
    /// `a dbt manifest`.
    pub fn describe(self) -> &'static str {
        match self {
            ArtifactKind::Manifest => "a dbt manifest",
            ArtifactKind::RunResults => "a dbt run_results file",
            ArtifactKind::Sources => "a dbt sources (freshness) file",
            ArtifactKind::Catalog => "a dbt catalog",
            ArtifactKind::Other => "an unknown dbt artifact",
        }
    }

    /// `dbt manifest`.
    pub fn name(self) -> &'static str {
        let d = self.describe();
        d.strip_prefix("a ")
            .or_else(|| d.strip_prefix("an "))
            .unwrap_or(d)
    }
}

/// A schema version as a URL names it: a number, or digits too large for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    Number(u32),
    /// `v4294967296`, or a version of 200,000 digits: newer than anything this build reads.
    Overflow,
}

/// `https://schemas.getdbt.com/dbt/run-results/v6.json` → `(RunResults, Number(6))`; `None` when
/// the text is no `…/<artifact>/v<digits>[.json]` URL.
pub fn parse_schema_url(url: &str) -> Option<(ArtifactKind, Version)> {
    let trimmed = url.strip_suffix(".json").unwrap_or(url);
    let (path, version) = trimmed.rsplit_once('/')?;
    let digits = version.strip_prefix('v')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let version = digits
        .parse::<u32>()
        .map_or(Version::Overflow, Version::Number);
    let kind = match path.rsplit('/').next()? {
        "manifest" => ArtifactKind::Manifest,
        "run-results" => ArtifactKind::RunResults,
        "sources" => ArtifactKind::Sources,
        "catalog" => ArtifactKind::Catalog,
        _ => ArtifactKind::Other,
    };
    Some((kind, version))
}

/// The version `url` names when it is `expected`'s schema at a version from 1 to `max`; else
/// the one-line reason it is refused.
pub fn check_url(url: &str, expected: ArtifactKind, max: u32) -> Result<u32, String> {
    let Some((kind, version)) = parse_schema_url(url) else {
        return Err(format!(
            "{} is not a dbt schema URL (like https://schemas.getdbt.com/dbt/manifest/v12.json)",
            quoted(url)
        ));
    };
    if kind != expected {
        return Err(format!(
            "this is {}, not {} ({})",
            kind.describe(),
            expected.describe(),
            quoted(url)
        ));
    }
    match version {
        Version::Number(v) if (1..=max).contains(&v) => Ok(v),
        _ => {
            let digits = url.rsplit_once("/v").map_or(url, |(_, v)| v);
            let digits = digits.strip_suffix(".json").unwrap_or(digits);
            Err(format!(
                "{} schema {} is not supported (supported: v1–v{max}); upgrade Steward",
                expected.name(),
                quoted(&format!("v{digits}"))
            ))
        }
    }
}

/// `manifest.json` schema versions this build reads.
pub const SUPPORTED_MANIFEST_VERSIONS: std::ops::RangeInclusive<u32> = 1..=12;
/// The newest `run_results.json` schema this build reads.
pub const MAX_RUN_RESULTS_VERSION: u32 = 6;
/// The newest `sources.json` schema this build reads.
pub const MAX_SOURCES_VERSION: u32 = 3;

/// The artifact a struct reads, and the newest schema version this build reads of it.
pub trait Expected {
    const KIND: ArtifactKind;
    const MAX: u32;
}

/// `manifest.json`: schemas v1–v12.
pub struct ManifestSchema;
impl Expected for ManifestSchema {
    const KIND: ArtifactKind = ArtifactKind::Manifest;
    const MAX: u32 = *SUPPORTED_MANIFEST_VERSIONS.end();
}

/// `run_results.json`.
pub struct RunResultsSchema;
impl Expected for RunResultsSchema {
    const KIND: ArtifactKind = ArtifactKind::RunResults;
    const MAX: u32 = MAX_RUN_RESULTS_VERSION;
}

/// `sources.json` (`dbt source freshness`).
pub struct SourcesSchema;
impl Expected for SourcesSchema {
    const KIND: ArtifactKind = ArtifactKind::Sources;
    const MAX: u32 = MAX_SOURCES_VERSION;
}

/// `metadata.dbt_schema_version`, checked against `K` as it is read: any other artifact, version
/// or shape fails the parse at that spot, so its error names `metadata.dbt_schema_version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedVersion<K>(pub u32, PhantomData<K>);

impl<'de, K: Expected> Deserialize<'de> for CheckedVersion<K> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<K>(PhantomData<K>);
        impl<K: Expected> Visitor<'_> for V<K> {
            type Value = u32;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a dbt schema URL string")
            }
            fn visit_str<E: de::Error>(self, url: &str) -> Result<u32, E> {
                check_url(url, K::KIND, K::MAX).map_err(E::custom)
            }
        }
        d.deserialize_str(V::<K>(PhantomData))
            .map(|v| CheckedVersion(v, PhantomData))
    }
}

/// A struct read only from a JSON object. serde also reads a struct from an array of its fields,
/// which would let `"metadata": []` pass as empty metadata; `metadata` is read through this.
#[derive(Debug, Default)]
pub struct ObjectOnly<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(V(PhantomData)).map(ObjectOnly)
    }
}

/// Refuses a file that is empty or only whitespace.
pub fn refuse_empty(origin: &str, bytes: &[u8]) -> Result<(), InputError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(InputError::new(origin, "the file is empty"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kind_and_version_from_the_schema_url() {
        assert_eq!(
            parse_schema_url("https://schemas.getdbt.com/dbt/manifest/v12.json"),
            Some((ArtifactKind::Manifest, Version::Number(12)))
        );
        assert_eq!(
            parse_schema_url("https://schemas.getdbt.com/dbt/run-results/v4294967296.json"),
            Some((ArtifactKind::RunResults, Version::Overflow))
        );
        assert_eq!(
            parse_schema_url("https://schemas.getdbt.com/dbt/manifest/v.json"),
            None
        );
        assert_eq!(
            parse_schema_url("https://schemas.getdbt.com/dbt/manifest/v-1.json"),
            None
        );
        assert_eq!(parse_schema_url("manifest"), None);
    }

    #[test]
    fn refuses_wrong_kind_unsupported_and_overflowing_versions() {
        let check = |url: &str| check_url(url, ArtifactKind::Manifest, 12);
        assert_eq!(
            check("https://schemas.getdbt.com/dbt/manifest/v12.json"),
            Ok(12)
        );
        let e = check("https://schemas.getdbt.com/dbt/run-results/v6.json").unwrap_err();
        assert!(
            e.starts_with("this is a dbt run_results file, not a dbt manifest"),
            "{e}"
        );
        let e = check("https://schemas.getdbt.com/dbt/manifest/v13.json").unwrap_err();
        assert!(
            e.contains("\"v13\" is not supported (supported: v1–v12)"),
            "{e}"
        );
        for v in ["0", "4294967296", &"9".repeat(200_000)] {
            let e = check(&format!(
                "https://schemas.getdbt.com/dbt/manifest/v{v}.json"
            ))
            .unwrap_err();
            assert!(e.contains("is not supported"), "{e}");
            assert!(e.len() < 200, "{} bytes", e.len());
        }
        let e = check("hello").unwrap_err();
        assert!(e.starts_with("\"hello\" is not a dbt schema URL"), "{e}");
        assert!(refuse_empty("e.json", b"  \n").is_err());
        assert!(refuse_empty("e.json", b"{}").is_ok());
    }
}
