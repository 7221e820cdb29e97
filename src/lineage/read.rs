//! Turns the bytes of a dbt `manifest.json` into a [`Lineage`]: the fast path (`fast`) first,
//! the serde path (`load`) when it refuses the file, to say where and why.

use super::Lineage;
use super::load::{NodesSection, RawManifest, serde_parse, snapshot_from_raw};
use crate::error::InputError;
use crate::schema_version;

pub use crate::schema_version::SUPPORTED_MANIFEST_VERSIONS;

/// How a manifest load treats a file that parses but would empty the lineage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Accept a manifest whose `nodes` is null, missing or empty (`--allow-empty`): by default
    /// it is refused, so that a broken dbt run never replaces the graph with an empty one.
    pub allow_empty: bool,
}

/// Parses and builds the lineage of a manifest. `origin` names the file or request in errors.
/// A manifest without nodes is refused (see [`LoadOptions::allow_empty`]).
pub fn load_manifest(origin: &str, bytes: &[u8]) -> Result<Lineage, InputError> {
    parse_and_build(origin, bytes, LoadOptions::default(), false)
}

/// [`load_manifest`] with options.
pub fn load_manifest_with(
    origin: &str,
    bytes: &[u8],
    options: LoadOptions,
) -> Result<Lineage, InputError> {
    parse_and_build(origin, bytes, options, false)
}

/// Like [`load_manifest_with`] for a manifest that is a private read-only file mapping: the
/// pages the parser has passed are handed back to the OS as it goes, which keeps peak memory
/// far below the file's size.
///
/// # Safety
/// `bytes` must be a private, read-only file mapping that nothing writes to.
pub unsafe fn load_mapped_manifest(
    origin: &str,
    bytes: &[u8],
    options: LoadOptions,
) -> Result<Lineage, InputError> {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        super::release::while_parsing(bytes, || parse_and_build(origin, bytes, options, true))
    }
}

/// `mapped`: `bytes` is a private read-only file mapping (see [`load_mapped_manifest`]).
fn parse_and_build(
    origin: &str,
    bytes: &[u8],
    options: LoadOptions,
    mapped: bool,
) -> Result<Lineage, InputError> {
    schema_version::refuse_empty(origin, bytes)?;
    // The fast path reads what lineage needs and skips the rest, checking only its structure
    // and UTF-8 (`fast`); when it refuses the file, serde_json reads it again to say where and
    // why (or reads it, when the fast path met a shape it does not handle). Either way the kind
    // and version are checked as the parser meets `metadata.dbt_schema_version`
    // (`CheckedVersion`), wherever `metadata` sits: a wrong file stops the parse there.
    let raw = match super::fast::parse(bytes, mapped) {
        Ok(raw) => raw,
        Err(_) => {
            // Validating UTF-8 once up front (GB/s) lets serde_json skip it for every string.
            let text = super::release::validate_utf8(bytes).map_err(|e| {
                InputError::new(origin, "the file is not valid UTF-8")
                    .at(format!("byte {}", e.valid_up_to()))
            })?;
            serde_parse(text).map_err(|e| InputError::from_json::<RawManifest>(origin, bytes, e))?
        }
    };
    let version = raw.metadata.dbt_schema_version.as_ref().map_or(0, |v| v.0);
    if !options.allow_empty {
        let why = match raw.nodes_section {
            NodesSection::Missing => Some("is missing"),
            NodesSection::Null => Some("is null"),
            NodesSection::Entries(0) => Some("is empty"),
            NodesSection::Entries(_) => None,
        };
        if let Some(why) = why {
            return Err(InputError::new(
                origin,
                format!(
                    "`nodes` {why}, so this manifest would empty the lineage graph; refused \
                     (pass --allow-empty, or allow_empty over HTTP, to accept it)"
                ),
            )
            .at("at `nodes`"));
        }
    }
    if raw.nodes.is_empty() && raw.metadata.dbt_schema_version.is_none() {
        return Err(InputError::new(
            origin,
            "no `metadata.dbt_schema_version` and no `nodes`: this is not a dbt manifest",
        ));
    }
    let project_id = raw.metadata.project_id.as_deref().map(str::to_owned);
    let mut lineage = Lineage::build(snapshot_from_raw(raw, version));
    lineage.project_id = project_id;
    Ok(lineage)
}
