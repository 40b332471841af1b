//! Template attributes (CKA_WRAP_TEMPLATE, CKA_UNWRAP_TEMPLATE, CKA_DERIVE_TEMPLATE): a key
//! carries a list of attributes that constrains what it may wrap, or that every key it
//! unwraps or derives must have.
//!
//! The C ABI deep-copies the caller's nested `CK_ATTRIBUTE` array once, and the token keeps
//! it in the store's attribute encoding ([`Attributes::encode`]). Nested templates are
//! refused, as are types given twice.

use std::borrow::Cow;

use crate::attrs::Attributes;
use crate::error::{Error, Result};
use crate::types::AttrType;

/// One attribute of a template as the C ABI hands it over.
type Entry = (AttrType, Vec<u8>);

/// The three attributes whose value is itself a template.
pub const TEMPLATE_TYPES: [AttrType; 3] =
    [AttrType::WRAP_TEMPLATE, AttrType::UNWRAP_TEMPLATE, AttrType::DERIVE_TEMPLATE];

/// Whether `t` holds a template (not every `CKF_ARRAY_ATTRIBUTE` type does:
/// CKA_ALLOWED_MECHANISMS is an array of mechanism types).
pub fn is_template(t: AttrType) -> bool {
    TEMPLATE_TYPES.contains(&t)
}

/// The stored value of a template given as a list of attributes.
pub fn encode(list: &[(AttrType, Vec<u8>)]) -> Result<Vec<u8>> {
    let mut a = Attributes::new();
    for (t, v) in list {
        if is_template(*t) || a.contains(*t) {
            return Err(Error::AttributeValueInvalid);
        }
        a.set(*t, v.clone());
    }
    Ok(a.encode())
}

/// A stored template value; `None` when it is not one (nested templates included).
pub fn decode(stored: &[u8]) -> Option<Attributes> {
    let a = Attributes::decode(stored)?;
    let flat = a.iter().all(|(t, _)| !is_template(t));
    flat.then_some(a)
}

/// Two values of one attribute are equal; one-byte values compare as booleans (any nonzero
/// byte is CK_TRUE), as a client may pass CK_TRUE as 1 or 0xff.
fn same(a: &[u8], b: &[u8]) -> bool {
    match (a, b) {
        ([x], [y]) => (*x != 0) == (*y != 0),
        _ => a == b,
    }
}

/// Whether `key` has every attribute of `template` with the same value (C_WrapKey under a
/// wrapping key with CKA_WRAP_TEMPLATE).
pub fn satisfied_by(template: &Attributes, key: &Attributes) -> bool {
    template.iter().all(|(t, v)| key.get(t).is_some_and(|kv| same(v, kv)))
}

/// The caller's template for a new key with the key's constraint folded in: an attribute
/// both give must agree (else CKR_TEMPLATE_INCONSISTENT); one only the constraint gives is
/// added.
pub fn merge(
    caller: &[(AttrType, Vec<u8>)],
    constraint: &Attributes,
) -> Result<Vec<(AttrType, Vec<u8>)>> {
    let mut out = caller.to_vec();
    for (t, v) in constraint.iter() {
        let given: Vec<&Vec<u8>> =
            caller.iter().filter(|(ct, _)| *ct == t).map(|(_, cv)| cv).collect();
        if given.is_empty() {
            out.push((t, v.to_vec()));
        } else if given.iter().any(|cv| !same(cv, v)) {
            return Err(Error::TemplateInconsistent);
        }
    }
    Ok(out)
}

/// The template for a key made by unwrapping or derivation: the caller's, with `key`'s
/// `attr` template (CKA_UNWRAP_TEMPLATE or CKA_DERIVE_TEMPLATE) folded in by [`merge`].
pub fn constrained<'a>(
    caller: &'a [Entry],
    key: &Attributes,
    attr: AttrType,
) -> Result<Cow<'a, [Entry]>> {
    Ok(match constraint(key, attr)? {
        Some(c) => Cow::Owned(merge(caller, &c)?),
        None => Cow::Borrowed(caller),
    })
}

/// The constraint a key's `attr` template imposes, if it has one.
pub fn constraint(key: &Attributes, attr: AttrType) -> Result<Option<Attributes>> {
    match key.get(attr) {
        None => Ok(None),
        Some(v) => decode(v).map(Some).ok_or(Error::GeneralError),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attrs::{bool_bytes, ulong_bytes};

    fn list() -> Vec<(AttrType, Vec<u8>)> {
        vec![(AttrType::SENSITIVE, bool_bytes(true)), (AttrType::KEY_TYPE, ulong_bytes(0x1f))]
    }

    #[test]
    fn round_trip_and_refusals() {
        let enc = encode(&list()).unwrap();
        let dec = decode(&enc).unwrap();
        assert_eq!(dec.get_ulong(AttrType::KEY_TYPE), Some(0x1f));
        let mut twice = list();
        twice.push((AttrType::SENSITIVE, bool_bytes(false)));
        assert_eq!(encode(&twice), Err(Error::AttributeValueInvalid));
        let nested = vec![(AttrType::WRAP_TEMPLATE, enc.clone())];
        assert_eq!(encode(&nested), Err(Error::AttributeValueInvalid));
        assert!(decode(&[1, 2, 3]).is_none());
    }

    #[test]
    fn satisfaction_and_merge() {
        let t = decode(&encode(&list()).unwrap()).unwrap();
        let mut key = Attributes::new();
        key.set(AttrType::SENSITIVE, vec![0xff]);
        assert!(!satisfied_by(&t, &key), "KEY_TYPE missing");
        key.set(AttrType::KEY_TYPE, ulong_bytes(0x1f));
        assert!(satisfied_by(&t, &key));
        key.set(AttrType::SENSITIVE, bool_bytes(false));
        assert!(!satisfied_by(&t, &key));

        let merged = merge(&[(AttrType::LABEL, b"x".to_vec())], &t).unwrap();
        assert_eq!(merged.len(), 3);
        let clash = [(AttrType::SENSITIVE, bool_bytes(false))];
        assert_eq!(merge(&clash, &t), Err(Error::TemplateInconsistent));
        let agree = [(AttrType::SENSITIVE, vec![1])];
        assert_eq!(merge(&agree, &t).unwrap().len(), 2);
    }
}
