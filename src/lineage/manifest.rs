//! Typed, borrowing serde view of a dbt `manifest.json` (schemas v1–v12): only what lineage needs.
//!
//! Everything else in the file is skipped without being materialised, and unknown fields are
//! ignored, because dbt adds fields in every release.

use crate::schema_version::{CheckedVersion, ManifestSchema};
use serde::Deserialize;
use serde::de::{self, IgnoredAny, Visitor};
use std::borrow::Cow;

#[derive(Deserialize, Default)]
pub struct RawMetadata<'a> {
    /// Refuses another artifact or an unsupported version as soon as the parser meets it.
    #[serde(default)]
    pub dbt_schema_version: Option<CheckedVersion<ManifestSchema>>,
    #[serde(borrow, default)]
    pub dbt_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub project_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub project_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub invocation_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub generated_at: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
pub struct RawNode<'a> {
    #[serde(borrow)]
    pub unique_id: Cow<'a, str>,
    #[serde(borrow, default)]
    pub resource_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub package_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub source_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub database: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub schema: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub alias: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub identifier: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub relation_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub original_file_path: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "null_as_default")]
    pub fqn: Vec<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "null_as_default")]
    pub tags: Vec<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub group: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub meta: Option<RawMeta<'a>>,
    #[serde(borrow, default)]
    pub config: Option<RawConfig<'a>>,
    #[serde(borrow, default)]
    pub depends_on: Option<RawDependsOn<'a>>,
    #[serde(borrow, default)]
    pub attached_node: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub test_metadata: Option<RawTestMetadata<'a>>,
    #[serde(borrow, default)]
    pub checksum: Option<RawChecksum<'a>>,
    #[serde(borrow, default)]
    pub owner: Option<RawOwner<'a>>,
    #[serde(borrow, default, rename = "type")]
    pub exposure_type: Option<TypeName<'a>>,
    #[serde(borrow, default)]
    pub url: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub maturity: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub label: Option<Cow<'a, str>>,
}

/// `type` is a string for exposures and metrics; any other shape reads as absent.
pub struct TypeName<'a>(pub Option<Cow<'a, str>>);

#[derive(Deserialize, Default)]
pub struct RawTestMetadata<'a> {
    #[serde(borrow, default)]
    pub kwargs: Option<RawTestKwargs<'a>>,
}

#[derive(Deserialize, Default)]
pub struct RawTestKwargs<'a> {
    #[serde(borrow, default)]
    pub model: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
pub struct RawConfig<'a> {
    #[serde(borrow, default)]
    pub meta: Option<RawMeta<'a>>,
    #[serde(borrow, default)]
    pub severity: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub group: Option<Cow<'a, str>>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

#[derive(Deserialize, Default)]
pub struct RawDependsOn<'a> {
    #[serde(borrow, default, deserialize_with = "null_as_default")]
    pub nodes: Vec<Cow<'a, str>>,
}

/// `{"name": "sha256", "checksum": "…"}` on most nodes; a bare string on unit tests.
pub struct RawChecksum<'a>(pub Option<Cow<'a, str>>);

impl RawChecksum<'_> {
    pub fn value(self) -> Option<String> {
        self.0.map(Cow::into_owned)
    }
}

#[derive(Deserialize, Default)]
pub struct RawOwner<'a> {
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub email: Option<StringOrList<'a>>,
}

#[derive(Deserialize, Default)]
pub struct RawGroup<'a> {
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
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

/// `true` only when the value is the JSON boolean `true`; other shapes read as `false`.
pub struct BoolLike(pub bool);

/// A value that users write either as `"a"`, `"a, b"` or `["a", "b"]`; other shapes count as absent.
pub struct StringOrList<'a>(pub Vec<Cow<'a, str>>);

impl StringOrList<'_> {
    pub fn values(&self) -> Vec<String> {
        self.0
            .iter()
            .flat_map(|s| s.split([',', ';']))
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

// The lenient types above read any JSON value without buffering it (serde's untagged enums
// would copy every value into an intermediate tree first, which dominated load time).

fn skip_seq<'de, A: de::SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn skip_map<'de, A: de::MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// A string inside a list; other shapes read as `None`.
pub(super) struct MaybeStr<'a>(pub(super) Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for MaybeStr<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MaybeStrVisitor).map(MaybeStr)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for StringOrList<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Vec<Cow<'de, str>>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(vec![Cow::Borrowed(v)])
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(vec![Cow::Owned(v.to_owned())])
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(MaybeStr(item)) = seq.next_element()? {
                    out.extend(item);
                }
                Ok(out)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                skip_map(map).map(|_| Vec::new())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Vec::new())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Vec::new())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Vec::new())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Vec::new())
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Vec::new())
            }
        }
        d.deserialize_any(V).map(StringOrList)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for TypeName<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MaybeStrVisitor).map(TypeName)
    }
}

struct MaybeStrVisitor;
impl<'de> Visitor<'de> for MaybeStrVisitor {
    type Value = Option<Cow<'de, str>>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_owned())))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        skip_seq(seq).map(|_| None)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        skip_map(map).map(|_| None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for RawChecksum<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<Cow<'de, str>>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a checksum object or string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Some(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Some(Cow::Owned(v.to_owned())))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = None;
                while let Some(MaybeStr(key)) = map.next_key()? {
                    if key.as_deref() == Some("checksum") {
                        out = map.next_value::<MaybeStr>()?.0;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(out)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                skip_seq(seq).map(|_| None)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
        }
        d.deserialize_any(V).map(RawChecksum)
    }
}

impl<'de> Deserialize<'de> for BoolLike {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = bool;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a boolean")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
                Ok(v)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<bool, E> {
                Ok(false)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<bool, A::Error> {
                skip_seq(seq).map(|_| false)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
                skip_map(map).map(|_| false)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<bool, E> {
                Ok(false)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<bool, E> {
                Ok(false)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
                Ok(false)
            }
            fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
                Ok(false)
            }
        }
        d.deserialize_any(V).map(BoolLike)
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
pub(super) fn map_values<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
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
pub(super) struct OptionOrMap<V>(pub(super) V);
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

/// Reads a JSON object (or null) as its list of entries, in file order, without hashing.
pub(super) fn map_entries<'de, D, K, V>(d: D) -> Result<Vec<(K, V)>, D::Error>
where
    D: serde::Deserializer<'de>,
    K: Deserialize<'de>,
    V: Deserialize<'de>,
{
    struct Entries<K, V>(std::marker::PhantomData<(K, V)>);
    impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for Entries<K, V> {
        type Value = Vec<(K, V)>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
            while let Some(entry) = map.next_entry::<K, V>()? {
                out.push(entry);
            }
            Ok(out)
        }
    }
    d.deserialize_option(OptionOrMap(Entries(std::marker::PhantomData)))
}

/// `map_values` as a type, for use with `next_value`.
pub(super) struct MapValues<T>(pub(super) Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for MapValues<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        map_values(d).map(MapValues)
    }
}

/// `map_entries` as a type, for use with `next_value`.
pub(super) struct MapEntries<K, V>(pub(super) Vec<(K, V)>);

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for MapEntries<K, V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        map_entries(d).map(MapEntries)
    }
}
