//! An object's attributes, and their compact binary encoding for the store.
//!
//! Encoding: a sequence of `type (u64 LE) || length (u32 LE) || value`. Decoding rejects
//! truncation, trailing bytes and duplicate types, so a damaged record never half-loads.

use std::collections::BTreeMap;

use zeroize::Zeroize;

use crate::types::AttrType;

/// Attribute values keyed by type, in a stable order. Values are zeroized when dropped or
/// replaced: private objects' values (and later, key material) live here in clear.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Attributes(BTreeMap<AttrType, Vec<u8>>);

impl std::fmt::Debug for Attributes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Types and lengths only: values may be secret.
        f.debug_map().entries(self.0.iter().map(|(t, v)| (t.0, v.len()))).finish()
    }
}

impl Drop for Attributes {
    fn drop(&mut self) {
        for v in self.0.values_mut() {
            v.zeroize();
        }
    }
}

/// `CK_TRUE` / `CK_FALSE` as stored.
pub fn bool_bytes(v: bool) -> Vec<u8> {
    vec![u8::from(v)]
}

/// A `CK_ULONG` as stored (native width and order, as the C ABI hands it over).
pub fn ulong_bytes(v: u64) -> Vec<u8> {
    v.to_ne_bytes().to_vec()
}

impl Attributes {
    /// No attributes.
    pub fn new() -> Self {
        Self::default()
    }

    /// The raw value.
    pub fn get(&self, t: AttrType) -> Option<&[u8]> {
        self.0.get(&t).map(Vec::as_slice)
    }

    /// Whether `t` is present.
    pub fn contains(&self, t: AttrType) -> bool {
        self.0.contains_key(&t)
    }

    /// Set a value (a replaced value is zeroized).
    pub fn set(&mut self, t: AttrType, v: Vec<u8>) {
        if let Some(mut old) = self.0.insert(t, v) {
            old.zeroize();
        }
    }

    /// Remove a value.
    pub fn remove(&mut self, t: AttrType) -> Option<Vec<u8>> {
        self.0.remove(&t)
    }

    /// A boolean attribute; `None` when absent or not one byte.
    pub fn get_bool(&self, t: AttrType) -> Option<bool> {
        match self.get(t) {
            Some([b]) => Some(*b != 0),
            _ => None,
        }
    }

    /// A `CK_ULONG` attribute; `None` when absent or of the wrong width.
    pub fn get_ulong(&self, t: AttrType) -> Option<u64> {
        let v = self.get(t)?;
        Some(u64::from_ne_bytes(v.try_into().ok()?))
    }

    /// Iterate in type order.
    pub fn iter(&self) -> impl Iterator<Item = (AttrType, &[u8])> {
        self.0.iter().map(|(t, v)| (*t, v.as_slice()))
    }

    /// Number of attributes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Split into (kept, taken): `take` says which go to the second set.
    pub fn partition(&self, take: impl Fn(AttrType) -> bool) -> (Attributes, Attributes) {
        let mut a = Attributes::new();
        let mut b = Attributes::new();
        for (t, v) in &self.0 {
            if take(*t) { &mut b } else { &mut a }.set(*t, v.clone());
        }
        (a, b)
    }

    /// Merge `other` in, replacing values of the same type.
    pub fn extend(&mut self, mut other: Attributes) {
        for (t, v) in std::mem::take(&mut other.0) {
            self.set(t, v);
        }
    }

    /// The store encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.0.values().map(|v| v.len() + 12).sum());
        for (t, v) in &self.0 {
            out.extend_from_slice(&t.0.to_le_bytes());
            // Values come from the C ABI, whose lengths are bounded well below 4 GiB by the
            // template reader; saturating keeps the encoding total anyway.
            let len = u32::try_from(v.len()).unwrap_or(u32::MAX);
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&v[..len as usize]);
        }
        out
    }

    /// Decode [`Attributes::encode`] output; `None` on any malformation.
    pub fn decode(mut bytes: &[u8]) -> Option<Self> {
        let mut out = BTreeMap::new();
        while !bytes.is_empty() {
            let (t, rest) = bytes.split_first_chunk::<8>()?;
            let (len, rest) = rest.split_first_chunk::<4>()?;
            let len = u32::from_le_bytes(*len) as usize;
            if rest.len() < len {
                return None;
            }
            let (value, rest) = rest.split_at(len);
            if out.insert(AttrType(u64::from_le_bytes(*t)), value.to_vec()).is_some() {
                return None;
            }
            bytes = rest;
        }
        Some(Self(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut a = Attributes::new();
        a.set(AttrType::LABEL, b"hello".to_vec());
        a.set(AttrType::TOKEN, bool_bytes(true));
        a.set(AttrType::CLASS, ulong_bytes(1));
        a.set(AttrType::VALUE, Vec::new());
        let enc = a.encode();
        assert_eq!(Attributes::decode(&enc), Some(a.clone()));
        assert_eq!(a.get_bool(AttrType::TOKEN), Some(true));
        assert_eq!(a.get_ulong(AttrType::CLASS), Some(1));
    }

    #[test]
    fn rejects_malformed() {
        let mut a = Attributes::new();
        a.set(AttrType::LABEL, b"hello".to_vec());
        let enc = a.encode();
        for cut in 1..enc.len() {
            assert_eq!(Attributes::decode(&enc[..cut]), None, "cut at {cut}");
        }
        let mut dup = enc.clone();
        dup.extend_from_slice(&enc);
        assert_eq!(Attributes::decode(&dup), None);
    }
}
