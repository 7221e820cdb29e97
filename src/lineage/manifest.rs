//! Typed, borrowing serde view of a dbt `manifest.json` (schemas v1–v12): only what lineage needs.
//!
//! Everything else in the file is skipped without being materialised, and unknown fields are
//! ignored, because dbt adds fields in every release.

use serde::Deserialize;
use serde::de::IgnoredAny;
use std::borrow::Cow;
use std::collections::HashMap;

type Str<'a> = Cow<'a, str>;

#[derive(Deserialize, Default)]
pub struct RawManifest<'a> {
    #[serde(borrow, default)]
    pub metadata: RawMetadata<'a>,
    #[serde(borrow, default, deserialize_with = "map_values")]
    pub nodes: Vec<RawNode<'a>>,
    #[serde(borrow, default, deserialize_with = "map_values")]
    pub sources: Vec<RawNode<'a>>,
    #[serde(borrow, default, deserialize_with = "map_values")]
    pub exposures: Vec<RawNode<'a>>,
    #[serde(borrow, default, deserialize_with = "map_values")]
    pub metrics: Vec<RawNode<'a>>,
    #[serde(borrow, default, deserialize_with = "map_values")]
    pub semantic_models: Vec<RawNode<'a>>,
    #[serde(borrow, default, deserialize_with = "map_values")]
    pub saved_queries: Vec<RawNode<'a>>,
    #[serde(borrow, default, deserialize_with = "map_values")]
    pub unit_tests: Vec<RawNode<'a>>,
    #[serde(borrow, default, deserialize_with = "map_values")]
    pub groups: Vec<RawGroup<'a>>,
    #[serde(borrow, default, deserialize_with = "null_as_default")]
    pub parent_map: Option<HashMap<Str<'a>, Vec<Str<'a>>>>,
}

#[derive(Deserialize, Default)]
pub struct RawMetadata<'a> {
    #[serde(borrow, default)]
    pub dbt_schema_version: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub dbt_version: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub project_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub invocation_id: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub generated_at: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
pub struct RawNode<'a> {
    #[serde(borrow)]
    pub unique_id: Str<'a>,
    #[serde(borrow, default)]
    pub resource_type: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub package_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub source_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub database: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub schema: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub alias: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub identifier: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub relation_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub original_file_path: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "null_as_default")]
    pub fqn: Vec<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "null_as_default")]
    pub tags: Vec<Str<'a>>,
    #[serde(borrow, default)]
    pub group: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub meta: Option<RawMeta<'a>>,
    #[serde(borrow, default)]
    pub config: Option<RawConfig<'a>>,
    #[serde(borrow, default)]
    pub depends_on: Option<RawDependsOn<'a>>,
    #[serde(borrow, default)]
    pub attached_node: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub test_metadata: Option<RawTestMetadata<'a>>,
    #[serde(borrow, default)]
    pub checksum: Option<RawChecksum<'a>>,
    #[serde(borrow, default)]
    pub owner: Option<RawOwner<'a>>,
    #[serde(borrow, default, rename = "type")]
    pub exposure_type: Option<TypeName<'a>>,
    #[serde(borrow, default)]
    pub url: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub maturity: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub label: Option<Str<'a>>,
    #[serde(default)]
    pub freshness: Option<IgnoredAny>,
    #[serde(borrow, default)]
    pub loaded_at_field: Option<Str<'a>>,
}

/// `type` is a string for exposures and metrics but an object in a few old shapes: keep strings only.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum TypeName<'a> {
    Name(#[serde(borrow)] Str<'a>),
    Other(IgnoredAny),
}

#[derive(Deserialize, Default)]
pub struct RawTestMetadata<'a> {
    #[serde(borrow, default)]
    pub kwargs: Option<RawTestKwargs<'a>>,
}

#[derive(Deserialize, Default)]
pub struct RawTestKwargs<'a> {
    #[serde(borrow, default)]
    pub model: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
pub struct RawConfig<'a> {
    #[serde(borrow, default)]
    pub meta: Option<RawMeta<'a>>,
    #[serde(borrow, default)]
    pub severity: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub group: Option<Str<'a>>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

#[derive(Deserialize, Default)]
pub struct RawDependsOn<'a> {
    #[serde(borrow, default, deserialize_with = "null_as_default")]
    pub nodes: Vec<Str<'a>>,
}

/// `{"name": "sha256", "checksum": "…"}` on most nodes; a bare string on unit tests.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum RawChecksum<'a> {
    Object {
        #[serde(borrow, default)]
        checksum: Option<Str<'a>>,
    },
    Bare(#[serde(borrow)] Str<'a>),
    Other(IgnoredAny),
}

impl RawChecksum<'_> {
    pub fn value(self) -> Option<String> {
        match self {
            RawChecksum::Object { checksum } => checksum.map(|c| c.into_owned()),
            RawChecksum::Bare(s) => Some(s.into_owned()),
            RawChecksum::Other(_) => None,
        }
    }
}

#[derive(Deserialize, Default)]
pub struct RawOwner<'a> {
    #[serde(borrow, default)]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub email: Option<StringOrList<'a>>,
}

#[derive(Deserialize, Default)]
pub struct RawGroup<'a> {
    #[serde(borrow, default)]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub owner: Option<RawOwner<'a>>,
}

/// The parts of a node's `meta` that Steward reads. Anything else, or anything of an unexpected
/// shape, is ignored: `meta` is free-form user data and must never fail a load.
#[derive(Deserialize, Default)]
pub struct RawMeta<'a> {
    #[serde(borrow, default)]
    pub owner: Option<StringOrList<'a>>,
    #[serde(borrow, default)]
    pub data_product: Option<StringOrList<'a>>,
    #[serde(borrow, default)]
    pub steward: Option<RawStewardMeta<'a>>,
}

#[derive(Deserialize, Default)]
pub struct RawStewardMeta<'a> {
    #[serde(borrow, default)]
    pub channel: Option<StringOrList<'a>>,
    #[serde(default)]
    pub mute: Option<BoolLike>,
    #[serde(borrow, default)]
    pub owners: Option<StringOrList<'a>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub enum BoolLike {
    Bool(bool),
    Other(IgnoredAny),
}

/// A value that users write either as `"a"`, `"a, b"` or `["a", "b"]`; other shapes count as absent.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum StringOrList<'a> {
    One(#[serde(borrow)] Str<'a>),
    Many(#[serde(borrow)] Vec<Str<'a>>),
    Other(IgnoredAny),
}

impl StringOrList<'_> {
    pub fn values(&self) -> Vec<String> {
        let split = |s: &str| -> Vec<String> {
            s.split([',', ';'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect()
        };
        match self {
            StringOrList::One(s) => split(s),
            StringOrList::Many(v) => v.iter().flat_map(|s| split(s)).collect(),
            StringOrList::Other(_) => Vec::new(),
        }
    }
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Reads a JSON object (or null) as the list of its values, skipping the keys: dbt keys every map
/// by the entry's own `unique_id`, so hashing them here would be wasted work.
fn map_values<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Values<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Values<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object keyed by unique_id")
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
            while let Some((_, v)) = map.next_entry::<IgnoredAny, T>()? {
                out.push(v);
            }
            Ok(out)
        }
    }
    d.deserialize_option(OptionOrMap(Values(std::marker::PhantomData)))
}

/// Lets `map_values` accept `null` as well as an object.
struct OptionOrMap<V>(V);
impl<'de, V: serde::de::Visitor<'de>> serde::de::Visitor<'de> for OptionOrMap<V> {
    type Value = V::Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        self.0.expecting(f)
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_none()
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_unit()
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self.0)
    }
}
