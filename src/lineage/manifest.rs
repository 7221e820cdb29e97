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

/// One entry of `nodes`, `sources`, `exposures`…: read by a hand-written visitor
/// ([`NodeKey`]) that matches keys as bytes and skips the ~30 keys lineage does not read.
#[derive(Default)]
pub struct RawNode<'a> {
    pub unique_id: Str<'a>,
    pub resource_type: Option<Str<'a>>,
    pub name: Option<Str<'a>>,
    pub package_name: Option<Str<'a>>,
    pub source_name: Option<Str<'a>>,
    pub database: Option<Str<'a>>,
    pub schema: Option<Str<'a>>,
    pub alias: Option<Str<'a>>,
    pub identifier: Option<Str<'a>>,
    pub relation_name: Option<Str<'a>>,
    pub original_file_path: Option<Str<'a>>,
    pub fqn: Vec<Str<'a>>,
    pub tags: Vec<Str<'a>>,
    pub group: Option<Str<'a>>,
    pub meta: Option<RawMeta<'a>>,
    pub config: Option<RawConfig<'a>>,
    pub depends_on: Option<RawDependsOn<'a>>,
    pub attached_node: Option<Str<'a>>,
    pub test_metadata: Option<RawTestMetadata<'a>>,
    pub checksum: Option<RawChecksum<'a>>,
    pub owner: Option<RawOwner<'a>>,
    /// `type`: a string for exposures and metrics.
    pub exposure_type: Option<TypeName<'a>>,
    pub url: Option<Str<'a>>,
    pub maturity: Option<Str<'a>>,
    pub label: Option<Str<'a>>,
}

/// A string borrowed from the input when it holds no escapes, copied otherwise. (serde's own
/// `Cow<str>` always copies, and `#[serde(borrow)]` does not reach inside `Option` or `Vec`.)
#[derive(Default, Debug, Clone, PartialEq, Eq)]
pub struct Str<'a>(pub Cow<'a, str>);

impl Str<'_> {
    pub fn into_owned(self) -> String {
        self.0.into_owned()
    }
}

impl std::ops::Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Str<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Str<'_> {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v))
            }
        }
        d.deserialize_str(V).map(Str)
    }
}

/// The keys of a manifest entry that lineage reads; anything else is `Other` and skipped.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum NodeKey {
    UniqueId,
    ResourceType,
    Name,
    PackageName,
    SourceName,
    Database,
    Schema,
    Alias,
    Identifier,
    RelationName,
    OriginalFilePath,
    Fqn,
    Tags,
    Group,
    Meta,
    Config,
    DependsOn,
    AttachedNode,
    TestMetadata,
    Checksum,
    Owner,
    Type,
    Url,
    Maturity,
    Label,
    Other,
}

impl NodeKey {
    /// Matches on the length first, so most keys are told apart by one comparison of a few
    /// bytes (dbt writes ~40 keys per node, most of which lineage skips).
    pub fn from_bytes(k: &[u8]) -> NodeKey {
        use NodeKey::*;
        match k.len() {
            3 => match k {
                b"fqn" => Fqn,
                b"url" => Url,
                _ => Other,
            },
            4 => match k {
                b"name" => Name,
                b"tags" => Tags,
                b"meta" => Meta,
                b"type" => Type,
                _ => Other,
            },
            5 => match k {
                b"alias" => Alias,
                b"group" => Group,
                b"owner" => Owner,
                b"label" => Label,
                _ => Other,
            },
            6 => match k {
                b"schema" => Schema,
                b"config" => Config,
                _ => Other,
            },
            8 => match k {
                b"database" => Database,
                b"checksum" => Checksum,
                b"maturity" => Maturity,
                _ => Other,
            },
            9 if k == b"unique_id" => UniqueId,
            10 => match k {
                b"identifier" => Identifier,
                b"depends_on" => DependsOn,
                _ => Other,
            },
            11 if k == b"source_name" => SourceName,
            12 if k == b"package_name" => PackageName,
            13 => match k {
                b"resource_type" => ResourceType,
                b"relation_name" => RelationName,
                b"attached_node" => AttachedNode,
                b"test_metadata" => TestMetadata,
                _ => Other,
            },
            18 if k == b"original_file_path" => OriginalFilePath,
            _ => Other,
        }
    }

    /// The key as written in the file, for "duplicate field" errors.
    fn name(self) -> &'static str {
        use NodeKey::*;
        match self {
            UniqueId => "unique_id",
            ResourceType => "resource_type",
            Name => "name",
            PackageName => "package_name",
            SourceName => "source_name",
            Database => "database",
            Schema => "schema",
            Alias => "alias",
            Identifier => "identifier",
            RelationName => "relation_name",
            OriginalFilePath => "original_file_path",
            Fqn => "fqn",
            Tags => "tags",
            Group => "group",
            Meta => "meta",
            Config => "config",
            DependsOn => "depends_on",
            AttachedNode => "attached_node",
            TestMetadata => "test_metadata",
            Checksum => "checksum",
            Owner => "owner",
            Type => "type",
            Url => "url",
            Maturity => "maturity",
            Label => "label",
            Other => "",
        }
    }
}

impl<'de> Deserialize<'de> for NodeKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NodeKey;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("field identifier")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NodeKey, E> {
                Ok(NodeKey::from_bytes(v.as_bytes()))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<NodeKey, E> {
                Ok(NodeKey::from_bytes(v))
            }
        }
        d.deserialize_identifier(V)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for RawNode<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_struct("RawNode", &[], NodeVisitor(std::marker::PhantomData))
    }
}

struct NodeVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for NodeVisitor<'a> {
    type Value = RawNode<'a>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("struct RawNode")
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<RawNode<'a>, A::Error> {
        use NodeKey::*;
        let mut n = RawNode::default();
        let mut unique_id = None;
        let mut seen = 0u32;
        while let Some(key) = map.next_key::<NodeKey>()? {
            if key != Other {
                let bit = 1u32 << key as u32;
                if seen & bit != 0 {
                    return Err(de::Error::duplicate_field(key.name()));
                }
                seen |= bit;
            }
            match key {
                UniqueId => unique_id = Some(map.next_value()?),
                ResourceType => n.resource_type = map.next_value()?,
                Name => n.name = map.next_value()?,
                PackageName => n.package_name = map.next_value()?,
                SourceName => n.source_name = map.next_value()?,
                Database => n.database = map.next_value()?,
                Schema => n.schema = map.next_value()?,
                Alias => n.alias = map.next_value()?,
                Identifier => n.identifier = map.next_value()?,
                RelationName => n.relation_name = map.next_value()?,
                OriginalFilePath => n.original_file_path = map.next_value()?,
                Fqn => n.fqn = map.next_value::<Option<_>>()?.unwrap_or_default(),
                Tags => n.tags = map.next_value::<Option<_>>()?.unwrap_or_default(),
                Group => n.group = map.next_value()?,
                Meta => n.meta = map.next_value()?,
                Config => n.config = map.next_value()?,
                DependsOn => n.depends_on = map.next_value()?,
                AttachedNode => n.attached_node = map.next_value()?,
                TestMetadata => n.test_metadata = map.next_value()?,
                Checksum => n.checksum = map.next_value()?,
                Owner => n.owner = map.next_value()?,
                Type => n.exposure_type = map.next_value()?,
                Url => n.url = map.next_value()?,
                Maturity => n.maturity = map.next_value()?,
                Label => n.label = map.next_value()?,
                Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        n.unique_id = unique_id.ok_or_else(|| de::Error::missing_field("unique_id"))?;
        Ok(n)
    }
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
pub struct RawChecksum<'a>(pub Option<Cow<'a, str>>);

impl RawChecksum<'_> {
    pub fn value(self) -> Option<String> {
        self.0.map(Cow::into_owned)
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

#[cfg(test)]
mod tests;
