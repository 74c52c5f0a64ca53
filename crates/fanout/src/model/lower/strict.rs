//! A typed reading of a manifest in one pass, no stricter or looser than the forgiving one.
//!
//! The forgiving reading builds a `serde_yaml::Value` tree and reads each entry from it, so that
//! every mistake gets its own diagnostic; for a valid manifest that tree is a quarter of the time
//! of loading. This reading goes from the YAML events straight to the typed manifest and gives up
//! at the first problem, after which the forgiving reading runs and reports. So that it accepts
//! exactly what the forgiving reading accepts without a diagnostic, it reads every scalar the way
//! a `Value` does (`4711` is a number, not the string a typed field would take it for) and refuses
//! a mapping with a duplicate key (which a `Value` refuses, and a typed map would silently keep).

use std::borrow::Cow;
use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, Error as _, MapAccess, SeqAccess, VariantAccess, Visitor,
};

/// Reads `text` as a `T` in one pass; `None` on any problem, which the caller then reports with
/// the forgiving reading.
pub(super) fn read<T: de::DeserializeOwned>(text: &str) -> Option<T> {
    T::deserialize(Strict { inner: serde_yaml::Deserializer::from_str(text), key: None }).ok()
}

/// A deserializer that reads scalars as a `Value` would, and records the mapping key it reads
/// when it reads one.
struct Strict<'k, 'de, D> {
    inner: D,
    key: Option<&'k mut Vec<Cow<'de, str>>>,
}

/// A visitor that records the string it is given as a mapping key, and wraps what it hands on.
struct Visit<'k, 'de, V> {
    inner: V,
    key: Option<&'k mut Vec<Cow<'de, str>>>,
}

struct Seed<'k, 'de, S> {
    inner: S,
    key: Option<&'k mut Vec<Cow<'de, str>>>,
}

struct Map<'de, A> {
    inner: A,
    keys: Vec<Cow<'de, str>>,
}

struct Seq<A> {
    inner: A,
}

struct Enum<A> {
    inner: A,
}

impl<'k, 'de, V> Visit<'k, 'de, V> {
    fn new(inner: V, key: Option<&'k mut Vec<Cow<'de, str>>>) -> Self {
        Self { inner, key }
    }
}

/// Deserializer methods whose scalars are read with `deserialize_any`, as a `Value` reads them.
macro_rules! as_any {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.inner.deserialize_any(Visit::new(visitor, self.key))
        }
    )*};
}

impl<'k, 'de, D: Deserializer<'de>> Deserializer<'de> for Strict<'k, 'de, D> {
    type Error = D::Error;

    as_any!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_unit,
        deserialize_identifier,
        deserialize_ignored_any
    );

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_option(Visit::new(visitor, self.key))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_unit_struct(name, Visit::new(visitor, self.key))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_newtype_struct(name, Visit::new(visitor, self.key))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_seq(Visit::new(visitor, self.key))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_tuple(len, Visit::new(visitor, self.key))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_tuple_struct(name, len, Visit::new(visitor, self.key))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_map(Visit::new(visitor, self.key))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_struct(name, fields, Visit::new(visitor, self.key))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_enum(name, variants, Visit::new(visitor, self.key))
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// Visitor methods passed through as they are.
macro_rules! forward {
    ($($method:ident($ty:ty)),*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            self.inner.$method(v)
        }
    )*};
}

impl<'k, 'de, V: Visitor<'de>> Visitor<'de> for Visit<'k, 'de, V> {
    type Value = V::Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        self.inner.expecting(formatter)
    }

    forward!(
        visit_bool(bool),
        visit_i8(i8),
        visit_i16(i16),
        visit_i32(i32),
        visit_i64(i64),
        visit_i128(i128),
        visit_u8(u8),
        visit_u16(u16),
        visit_u32(u32),
        visit_u64(u64),
        visit_u128(u128),
        visit_f32(f32),
        visit_f64(f64),
        visit_char(char),
        visit_bytes(&[u8]),
        visit_byte_buf(Vec<u8>)
    );

    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        if let Some(keys) = self.key {
            keys.push(Cow::Owned(v.to_string()));
        }
        self.inner.visit_str(v)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        if let Some(keys) = self.key {
            keys.push(Cow::Borrowed(v));
        }
        self.inner.visit_borrowed_str(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        if let Some(keys) = self.key {
            keys.push(Cow::Owned(v.clone()));
        }
        self.inner.visit_string(v)
    }

    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<V::Value, E> {
        self.inner.visit_borrowed_bytes(v)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(Strict { inner: deserializer, key: self.key })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(Strict { inner: deserializer, key: self.key })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        // A mapping key that is a sequence or a mapping is never a valid one.
        if self.key.is_some() {
            return Err(A::Error::custom("a mapping key that is not a scalar"));
        }
        self.inner.visit_seq(Seq { inner: seq })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        if self.key.is_some() {
            return Err(A::Error::custom("a mapping key that is not a scalar"));
        }
        self.inner.visit_map(Map { inner: map, keys: Vec::new() })
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        if self.key.is_some() {
            return Err(A::Error::custom("a mapping key that is not a scalar"));
        }
        self.inner.visit_enum(Enum { inner: data })
    }
}

impl<'k, 'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<'k, 'de, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.inner.deserialize(Strict { inner: deserializer, key: self.key })
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Map<'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        // Only string keys are recorded: a number or `null` key is refused by every map key type
        // of the manifest, and a struct's field read twice is refused by serde itself.
        let key = self.inner.next_key_seed(Seed { inner: seed, key: Some(&mut self.keys) })?;
        match key {
            Some(key) => Ok(Some(key)),
            None => {
                // Sorting, not a pairwise search, keeps a map of many entries linear-logarithmic.
                self.keys.sort_unstable();
                if self.keys.windows(2).any(|pair| pair[0] == pair[1]) {
                    return Err(A::Error::custom("a duplicate mapping key"));
                }
                Ok(None)
            }
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.inner.next_value_seed(Seed { inner: seed, key: None })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Seq<A> {
    type Error = A::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, A::Error> {
        self.inner.next_element_seed(Seed { inner: seed, key: None })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Enum<A> {
    type Error = A::Error;
    type Variant = Enum<A::Variant>;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self::Variant), A::Error> {
        let (value, variant) = self.inner.variant_seed(Seed { inner: seed, key: None })?;
        Ok((value, Enum { inner: variant }))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Enum<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        self.inner.newtype_variant_seed(Seed { inner: seed, key: None })
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.inner.tuple_variant(len, Visit::new(visitor, None))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.inner.struct_variant(fields, Visit::new(visitor, None))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::diagnostic::Diagnostics;
    use crate::manifest::DomainManifest;

    /// The one-pass reading gives a manifest exactly when the forgiving one gives it without a
    /// diagnostic, and the same manifest.
    fn assert_agrees(text: &str, what: &str) {
        assert_no_looser(text, what, true);
    }

    /// With `exact` false, the one-pass reading may refuse a valid manifest (the forgiving one
    /// then reads it), but what it accepts is valid and the same.
    fn assert_no_looser(text: &str, what: &str, exact: bool) {
        let mut diagnostics = Diagnostics::default();
        let forgiving = super::super::read_forgivingly(text, &mut diagnostics);
        let strict = super::read::<DomainManifest>(text);
        if !exact && strict.is_none() {
            return;
        }
        if diagnostics.is_empty() {
            assert!(strict.is_some(), "{what}: a valid manifest the one-pass reading refuses");
            assert_eq!(strict, forgiving, "{what}");
        } else {
            assert_eq!(
                strict, None,
                "{what}: accepted by the one-pass reading, but the forgiving one reports {diagnostics:?}"
            );
        }
    }

    #[test]
    fn agrees_with_the_forgiving_reading_on_every_manifest() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut folders = vec![repo.join("domains"), repo.join("tests/fixtures/good"), repo.join("tests/fixtures/bad")];
        let mut count = 0;
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|ext| ext == "yaml")
                    && path.file_name() != Some("fanout.yaml".as_ref())
                {
                    assert_agrees(&std::fs::read_to_string(&path).unwrap(), &path.display().to_string());
                    count += 1;
                }
            }
        }
        assert!(count > 40, "{count} manifests");
    }

    #[test]
    fn refuses_what_a_value_refuses() {
        let cases = [
            // Scalars that a typed string field would take as text.
            "domain: 42\n",
            "domain: a\ndescription: 12\n",
            "domain: a\nowner: true\n",
            "domain: a\ntags:\n  cost-center: 4711\n",
            "domain: a\ntags:\n  cost-center: null\n",
            "domain: a\nqueues:\n  q:\n    subscriptions:\n      - topic: 1.5\n",
            "domain: a\nqueues:\n  q:\n    visibility_timeout: 30\n",
            "domain: a\nencryption:\n  kms_key: 7\n",
            // Duplicate keys, which typed maps would silently keep the last of.
            "domain: a\ntopics:\n  t:\n  t:\n    fifo: true\n",
            "domain: a\ntopics:\n  t:\n  \"t\":\n",
            "domain: a\ntags:\n  x: a\n  x: b\n",
            "domain: a\nqueues:\n  q:\n    subscriptions:\n      - topic: t\n        filter:\n          attributes:\n            k: [a]\n            k: [b]\n",
            "domain: a\ndomain: b\n",
            "domain: a\nencryption:\n  kms_key: alias/x\n  kms_key: alias/y\n",
            // Keys that are not strings.
            "domain: a\ntopics:\n  1:\n",
            "domain: a\ntopics:\n  [x]: {}\n",
            "domain: a\ntopics:\n  ~:\n",
            // Types.
            "domain: a\nqueues:\n  q:\n    fifo: \"true\"\n",
            "domain: a\nqueues:\n  q:\n    dead_letter:\n      max_receive_count: \"5\"\n",
            "domain: a\nqueues:\n  q:\n    dead_letter: yes\n",
            "domain: a\nencryption: 1\n",
            "domain: a\ntopics: [t]\n",
            // Documents.
            "",
            "# nothing\n",
            "~\n",
            "[a]\n",
            "domain: a\n---\ndomain: b\n",
            "domain: [\n",
        ];
        for text in cases {
            assert_agrees(text, text);
        }
    }

    /// A `Value` drops a tag that is not YAML's own; the one-pass reading refuses it, so such a
    /// manifest is read the forgiving way.
    #[test]
    fn tagged_values_are_read_the_forgiving_way() {
        for text in [
            "domain: a\ntopics:\n  t: !custom {}\n",
            "domain: !custom a\n",
            "domain: a\ntags:\n  x: !t 1\n",
            "domain: a\ntags: !t\n  x: y\n",
        ] {
            assert_no_looser(text, text, false);
        }
    }

    #[test]
    fn reads_what_a_value_reads() {
        let cases = [
            "domain: a\ntopics:\n  t:\n  u: {}\n  v:\n    fifo: true\n",
            "domain: a\ntags:\n  cost-center: \"4711\"\n  'x': '1'\n",
            "domain: a\nencryption: service-managed\n",
            "domain: a\nencryption:\n  kms_key: alias/x\n",
            "domain: a\nqueues:\n  q:\n    dead_letter: false\n  r:\n    dead_letter:\n      max_receive_count: 0x10\n",
            "domain: a\nqueues:\n  q:\n    subscriptions:\n      - topic: b/t\n        filter:\n          body:\n            k: [1, 2.5, null, true, {prefix: x}]\n            n: {m: [a]}\n",
            "domain: a\ntopics:\n  t: &t\n    fifo: true\n  u: *t\n",
            "domain: &d a\ndescription: *d\n",
            "domain: a\nowner: ~\n",
            "domain: a\nowner: !!str 42\n",
        ];
        for text in cases {
            let mut diagnostics = Diagnostics::default();
            assert!(
                super::super::read_forgivingly(text, &mut diagnostics).is_some() && diagnostics.is_empty(),
                "{text}: {diagnostics:?}"
            );
            assert_agrees(text, text);
        }
    }
}
