//! The attribute policy as a table: per object class, which attributes exist, their value
//! kind, default, and how they may change. Every create, copy and set path consults it; the key
//! classes of later mechanisms add their rows here.

use crate::attrs::{Attributes, bool_bytes, ulong_bytes};
use crate::error::{Error, Result};
use crate::types::{AttrType, CKC_X_509, KeyType, ObjectClass, UNAVAILABLE};

/// How a value must look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One byte, `CK_TRUE` or `CK_FALSE`.
    Bool,
    /// A native `CK_ULONG`.
    Ulong,
    /// Any byte string (also UTF-8 text and DER, which the token stores as given).
    Bytes,
    /// `CK_DATE`: empty, or eight ASCII digits.
    Date,
    /// A template (see [`crate::templates`]), stored in the attribute encoding.
    Template,
}

/// What is filled in when the template leaves an attribute out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// Left absent.
    Absent,
    /// An empty byte string.
    Empty,
    /// A boolean.
    Bool(bool),
    /// A `CK_ULONG`.
    Ulong(u64),
}

/// Must be in the creation template.
pub const REQUIRED: u16 = 1;
/// Cannot be changed by C_SetAttributeValue once the object exists.
pub const FIXED: u16 = 1 << 1;
/// Set by the token only; a template naming it gets `CKR_ATTRIBUTE_READ_ONLY`.
pub const GENERATED: u16 = 1 << 2;
/// A C_CopyObject template may change it even though it is fixed.
pub const COPY_MAY_SET: u16 = 1 << 3;
/// May only ever change from true to false.
pub const ONLY_TO_FALSE: u16 = 1 << 4;
/// Only the SO may set it to true.
pub const SO_SETS_TRUE: u16 = 1 << 5;
/// May only ever change from false to true.
pub const ONLY_TO_TRUE: u16 = 1 << 6;
/// Key material: never revealed while the key is sensitive or unextractable, and never
/// named in a generate/unwrap/derive template (the token supplies it).
pub const MATERIAL: u16 = 1 << 7;
/// Secret key material (as opposed to public components such as a modulus).
pub const SECRET: u16 = 1 << 8;

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The attribute.
    pub ty: AttrType,
    /// Its value kind.
    pub kind: Kind,
    /// Its default.
    pub default: Fill,
    /// Flag bits above.
    pub flags: u16,
}

const fn rule(ty: AttrType, kind: Kind, default: Fill, flags: u16) -> Rule {
    Rule { ty, kind, default, flags }
}

use Fill as D;
use Kind as K;

/// Common to every storage object (`CKA_PRIVATE`'s default depends on the class).
const STORAGE: &[Rule] = &[
    rule(AttrType::CLASS, K::Ulong, D::Absent, REQUIRED | FIXED),
    rule(AttrType::TOKEN, K::Bool, D::Bool(false), FIXED | COPY_MAY_SET),
    rule(AttrType::MODIFIABLE, K::Bool, D::Bool(true), FIXED | COPY_MAY_SET | ONLY_TO_FALSE),
    rule(AttrType::COPYABLE, K::Bool, D::Bool(true), FIXED | COPY_MAY_SET | ONLY_TO_FALSE),
    rule(AttrType::DESTROYABLE, K::Bool, D::Bool(true), FIXED | COPY_MAY_SET | ONLY_TO_FALSE),
    rule(AttrType::LABEL, K::Bytes, D::Empty, 0),
    rule(AttrType::UNIQUE_ID, K::Bytes, D::Absent, GENERATED | FIXED),
];

const DATA: &[Rule] = &[
    rule(AttrType::PRIVATE, K::Bool, D::Bool(true), FIXED | COPY_MAY_SET),
    rule(AttrType::APPLICATION, K::Bytes, D::Empty, 0),
    rule(AttrType::OBJECT_ID, K::Bytes, D::Empty, 0),
    rule(AttrType::VALUE, K::Bytes, D::Empty, 0),
];

const X509: &[Rule] = &[
    rule(AttrType::PRIVATE, K::Bool, D::Bool(false), FIXED | COPY_MAY_SET),
    rule(AttrType::CERTIFICATE_TYPE, K::Ulong, D::Absent, REQUIRED | FIXED),
    rule(AttrType::TRUSTED, K::Bool, D::Bool(false), SO_SETS_TRUE),
    rule(AttrType::CERTIFICATE_CATEGORY, K::Ulong, D::Ulong(0), 0),
    rule(AttrType::CHECK_VALUE, K::Bytes, D::Absent, FIXED),
    rule(AttrType::START_DATE, K::Date, D::Empty, 0),
    rule(AttrType::END_DATE, K::Date, D::Empty, 0),
    rule(AttrType::PUBLIC_KEY_INFO, K::Bytes, D::Empty, FIXED),
    rule(AttrType::SUBJECT, K::Bytes, D::Absent, REQUIRED | FIXED),
    rule(AttrType::ID, K::Bytes, D::Empty, 0),
    rule(AttrType::ISSUER, K::Bytes, D::Empty, 0),
    rule(AttrType::SERIAL_NUMBER, K::Bytes, D::Empty, 0),
    rule(AttrType::VALUE, K::Bytes, D::Empty, FIXED),
    rule(AttrType::URL, K::Bytes, D::Empty, FIXED),
    rule(AttrType::HASH_OF_SUBJECT_PUBLIC_KEY, K::Bytes, D::Empty, FIXED),
    rule(AttrType::HASH_OF_ISSUER_PUBLIC_KEY, K::Bytes, D::Empty, FIXED),
    rule(AttrType::JAVA_MIDP_SECURITY_DOMAIN, K::Ulong, D::Ulong(0), 0),
    rule(AttrType::NAME_HASH_ALGORITHM, K::Ulong, D::Absent, FIXED),
];

/// Common to every key.
const KEY: &[Rule] = &[
    rule(AttrType::KEY_TYPE, K::Ulong, D::Absent, REQUIRED | FIXED),
    rule(AttrType::ID, K::Bytes, D::Empty, 0),
    rule(AttrType::START_DATE, K::Date, D::Empty, 0),
    rule(AttrType::END_DATE, K::Date, D::Empty, 0),
    rule(AttrType::DERIVE, K::Bool, D::Bool(false), 0),
    rule(AttrType::LOCAL, K::Bool, D::Bool(false), GENERATED | FIXED),
    rule(AttrType::KEY_GEN_MECHANISM, K::Ulong, D::Ulong(UNAVAILABLE), GENERATED | FIXED),
    rule(AttrType::ALLOWED_MECHANISMS, K::Bytes, D::Absent, FIXED),
];

const PUBLIC_KEY: &[Rule] = &[
    rule(AttrType::PRIVATE, K::Bool, D::Bool(false), FIXED | COPY_MAY_SET),
    rule(AttrType::SUBJECT, K::Bytes, D::Empty, 0),
    rule(AttrType::ENCRYPT, K::Bool, D::Bool(true), 0),
    rule(AttrType::VERIFY, K::Bool, D::Bool(true), 0),
    rule(AttrType::VERIFY_RECOVER, K::Bool, D::Bool(true), 0),
    rule(AttrType::WRAP, K::Bool, D::Bool(true), 0),
    rule(AttrType::TRUSTED, K::Bool, D::Bool(false), SO_SETS_TRUE),
    rule(AttrType::WRAP_TEMPLATE, K::Template, D::Absent, FIXED),
    rule(AttrType::PUBLIC_KEY_INFO, K::Bytes, D::Absent, FIXED),
];

const PRIVATE_KEY: &[Rule] = &[
    rule(AttrType::PRIVATE, K::Bool, D::Bool(true), FIXED | COPY_MAY_SET),
    rule(AttrType::SUBJECT, K::Bytes, D::Empty, 0),
    rule(AttrType::SENSITIVE, K::Bool, D::Bool(true), ONLY_TO_TRUE),
    rule(AttrType::DECRYPT, K::Bool, D::Bool(true), 0),
    rule(AttrType::SIGN, K::Bool, D::Bool(true), 0),
    rule(AttrType::SIGN_RECOVER, K::Bool, D::Bool(true), 0),
    rule(AttrType::UNWRAP, K::Bool, D::Bool(true), 0),
    rule(AttrType::EXTRACTABLE, K::Bool, D::Bool(false), ONLY_TO_FALSE),
    rule(AttrType::ALWAYS_SENSITIVE, K::Bool, D::Bool(false), GENERATED | FIXED),
    rule(AttrType::NEVER_EXTRACTABLE, K::Bool, D::Bool(false), GENERATED | FIXED),
    rule(AttrType::WRAP_WITH_TRUSTED, K::Bool, D::Bool(false), ONLY_TO_TRUE),
    rule(AttrType::UNWRAP_TEMPLATE, K::Template, D::Absent, FIXED),
    rule(AttrType::DERIVE_TEMPLATE, K::Template, D::Absent, FIXED),
    rule(AttrType::ALWAYS_AUTHENTICATE, K::Bool, D::Bool(false), 0),
    rule(AttrType::PUBLIC_KEY_INFO, K::Bytes, D::Absent, FIXED),
];

const SECRET_KEY: &[Rule] = &[
    rule(AttrType::PRIVATE, K::Bool, D::Bool(true), FIXED | COPY_MAY_SET),
    rule(AttrType::SENSITIVE, K::Bool, D::Bool(true), ONLY_TO_TRUE),
    rule(AttrType::ENCRYPT, K::Bool, D::Bool(true), 0),
    rule(AttrType::DECRYPT, K::Bool, D::Bool(true), 0),
    rule(AttrType::SIGN, K::Bool, D::Bool(true), 0),
    rule(AttrType::VERIFY, K::Bool, D::Bool(true), 0),
    rule(AttrType::WRAP, K::Bool, D::Bool(true), 0),
    rule(AttrType::UNWRAP, K::Bool, D::Bool(true), 0),
    rule(AttrType::EXTRACTABLE, K::Bool, D::Bool(false), ONLY_TO_FALSE),
    rule(AttrType::ALWAYS_SENSITIVE, K::Bool, D::Bool(false), GENERATED | FIXED),
    rule(AttrType::NEVER_EXTRACTABLE, K::Bool, D::Bool(false), GENERATED | FIXED),
    rule(AttrType::CHECK_VALUE, K::Bytes, D::Absent, FIXED),
    rule(AttrType::WRAP_WITH_TRUSTED, K::Bool, D::Bool(false), ONLY_TO_TRUE),
    rule(AttrType::TRUSTED, K::Bool, D::Bool(false), SO_SETS_TRUE),
    rule(AttrType::WRAP_TEMPLATE, K::Template, D::Absent, FIXED),
    rule(AttrType::UNWRAP_TEMPLATE, K::Template, D::Absent, FIXED),
    rule(AttrType::DERIVE_TEMPLATE, K::Template, D::Absent, FIXED),
    rule(AttrType::VALUE, K::Bytes, D::Absent, REQUIRED | FIXED | MATERIAL | SECRET),
    rule(AttrType::VALUE_LEN, K::Ulong, D::Absent, FIXED),
];

const RSA_PUBLIC: &[Rule] = &[
    rule(AttrType::MODULUS, K::Bytes, D::Absent, REQUIRED | FIXED | MATERIAL),
    rule(AttrType::MODULUS_BITS, K::Ulong, D::Absent, FIXED),
    rule(AttrType::PUBLIC_EXPONENT, K::Bytes, D::Absent, REQUIRED | FIXED),
];

/// CRT components are required: the module always computes with them.
const RSA_PRIVATE: &[Rule] = &[
    rule(AttrType::MODULUS, K::Bytes, D::Absent, REQUIRED | FIXED | MATERIAL),
    rule(AttrType::PUBLIC_EXPONENT, K::Bytes, D::Absent, REQUIRED | FIXED | MATERIAL),
    rule(AttrType::PRIVATE_EXPONENT, K::Bytes, D::Absent, REQUIRED | FIXED | MATERIAL | SECRET),
    rule(AttrType::PRIME_1, K::Bytes, D::Absent, REQUIRED | FIXED | MATERIAL | SECRET),
    rule(AttrType::PRIME_2, K::Bytes, D::Absent, REQUIRED | FIXED | MATERIAL | SECRET),
    rule(AttrType::EXPONENT_1, K::Bytes, D::Absent, REQUIRED | FIXED | MATERIAL | SECRET),
    rule(AttrType::EXPONENT_2, K::Bytes, D::Absent, REQUIRED | FIXED | MATERIAL | SECRET),
    rule(AttrType::COEFFICIENT, K::Bytes, D::Absent, REQUIRED | FIXED | MATERIAL | SECRET),
];

/// EC, Edwards and Montgomery public keys.
const EC_PUBLIC: &[Rule] = &[
    rule(AttrType::EC_PARAMS, K::Bytes, D::Absent, REQUIRED | FIXED),
    rule(AttrType::EC_POINT, K::Bytes, D::Absent, REQUIRED | FIXED | MATERIAL),
];

/// EC, Edwards and Montgomery private keys.
const EC_PRIVATE: &[Rule] = &[
    rule(AttrType::EC_PARAMS, K::Bytes, D::Absent, REQUIRED | FIXED),
    rule(AttrType::VALUE, K::Bytes, D::Absent, REQUIRED | FIXED | MATERIAL | SECRET),
];

const NONE: &[Rule] = &[];

type Rows = [&'static [Rule]; 4];

/// The rows that apply to an object of this class (and certificate or key type).
fn rows_for(class: ObjectClass, cert_type: Option<u64>, key_type: Option<u64>) -> Result<Rows> {
    let key = |by_type: fn(KeyType) -> Option<&'static [Rule]>, class_rows| match key_type {
        None => Err(Error::TemplateIncomplete),
        Some(k) => match by_type(KeyType(k)) {
            Some(r) => Ok([STORAGE, KEY, class_rows, r]),
            None => Err(Error::AttributeValueInvalid),
        },
    };
    match class {
        ObjectClass::DATA => Ok([STORAGE, DATA, NONE, NONE]),
        ObjectClass::CERTIFICATE => match cert_type {
            Some(CKC_X_509) => Ok([STORAGE, X509, NONE, NONE]),
            Some(_) => Err(Error::AttributeValueInvalid),
            None => Err(Error::TemplateIncomplete),
        },
        ObjectClass::PUBLIC_KEY => key(
            |t| match t {
                KeyType::RSA => Some(RSA_PUBLIC),
                KeyType::EC | KeyType::EC_EDWARDS | KeyType::EC_MONTGOMERY => Some(EC_PUBLIC),
                _ => None,
            },
            PUBLIC_KEY,
        ),
        ObjectClass::PRIVATE_KEY => key(
            |t| match t {
                KeyType::RSA => Some(RSA_PRIVATE),
                KeyType::EC | KeyType::EC_EDWARDS | KeyType::EC_MONTGOMERY => Some(EC_PRIVATE),
                _ => None,
            },
            PRIVATE_KEY,
        ),
        ObjectClass::SECRET_KEY => key(
            |t| (t == KeyType::AES || t == KeyType::CHACHA20 || t.is_hmac()).then_some(NONE),
            SECRET_KEY,
        ),
        _ => Err(Error::AttributeValueInvalid),
    }
}

/// The policy for one object class.
#[derive(Debug, Clone, Copy)]
pub struct ClassPolicy {
    rows: Rows,
}

impl ClassPolicy {
    /// The policy for an existing object's attributes.
    pub fn of(attrs: &Attributes) -> Result<Self> {
        let class = attrs.get_ulong(AttrType::CLASS).ok_or(Error::GeneralError)?;
        let ct = attrs.get_ulong(AttrType::CERTIFICATE_TYPE);
        let kt = attrs.get_ulong(AttrType::KEY_TYPE);
        Ok(Self { rows: rows_for(ObjectClass(class), ct, kt)? })
    }

    /// Whether the value of `ty` may be revealed for an object with these attributes.
    pub fn readable(&self, attrs: &Attributes, ty: AttrType) -> bool {
        match self.rule(ty) {
            Some(r) if r.flags & SECRET != 0 => {
                attrs.get_bool(AttrType::SENSITIVE) == Some(false)
                    && attrs.get_bool(AttrType::EXTRACTABLE) == Some(true)
            }
            _ => true,
        }
    }

    /// Whether the template names key material the token must supply itself.
    pub fn names_material(&self, template: &[(AttrType, Vec<u8>)]) -> bool {
        template.iter().any(|(t, _)| self.rule(*t).is_some_and(|r| r.flags & MATERIAL != 0))
    }

    /// The policy for a new object's class, from its template.
    pub fn for_template(template: &[(AttrType, Vec<u8>)]) -> Result<Self> {
        let given = fold(template)?;
        Self::for_attrs(&given)
    }

    fn for_attrs(given: &Attributes) -> Result<Self> {
        let ulong = |t| match given.contains(t) {
            true => given.get_ulong(t).map(Some).ok_or(Error::AttributeValueInvalid),
            false => Ok(None),
        };
        let class = ulong(AttrType::CLASS)?.ok_or(Error::TemplateIncomplete)?;
        let rows = rows_for(
            ObjectClass(class),
            ulong(AttrType::CERTIFICATE_TYPE)?,
            ulong(AttrType::KEY_TYPE)?,
        )?;
        Ok(Self { rows })
    }

    /// The rule for `ty`, if the class has that attribute.
    pub fn rule(&self, ty: AttrType) -> Option<&'static Rule> {
        self.rows.iter().flat_map(|r| r.iter()).find(|r| r.ty == ty)
    }

    fn rules(&self) -> impl Iterator<Item = &'static Rule> {
        self.rows.into_iter().flatten()
    }
}

/// Who is asking: the SO may do a few things a user may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    /// The SO is logged in.
    pub is_so: bool,
}

fn check_value(rule: &Rule, value: &[u8], actor: Actor) -> Result<Vec<u8>> {
    let v = match rule.kind {
        K::Bool => match value {
            [0] => bool_bytes(false),
            [1] => bool_bytes(true),
            _ => return Err(Error::AttributeValueInvalid),
        },
        K::Ulong if value.len() == 8 => value.to_vec(),
        K::Ulong => return Err(Error::AttributeValueInvalid),
        K::Date if value.is_empty() => Vec::new(),
        K::Date if value.len() == 8 && value.iter().all(u8::is_ascii_digit) => value.to_vec(),
        K::Date => return Err(Error::AttributeValueInvalid),
        K::Bytes => value.to_vec(),
        K::Template if crate::templates::decode(value).is_some() => value.to_vec(),
        K::Template => return Err(Error::AttributeValueInvalid),
    };
    if rule.flags & SO_SETS_TRUE != 0 && v == [1] && !actor.is_so {
        return Err(Error::AttributeReadOnly);
    }
    Ok(v)
}

/// Fold a template into attributes: a type given twice must carry the same value.
fn fold(template: &[(AttrType, Vec<u8>)]) -> Result<Attributes> {
    let mut out = Attributes::new();
    for (t, v) in template {
        match out.get(*t) {
            Some(prev) if prev != v.as_slice() => return Err(Error::TemplateInconsistent),
            _ => out.set(*t, v.clone()),
        }
    }
    Ok(out)
}

/// Build a new object's attributes from a C_CreateObject template (defaults filled in).
pub fn create(template: &[(AttrType, Vec<u8>)], actor: Actor) -> Result<Attributes> {
    let given = fold(template)?;
    let policy = ClassPolicy::for_attrs(&given)?;
    let class = ObjectClass(given.get_ulong(AttrType::CLASS).ok_or(Error::AttributeValueInvalid)?);
    let mut out = Attributes::new();
    for (t, v) in given.iter() {
        let rule = policy.rule(t).ok_or(Error::AttributeTypeInvalid)?;
        if rule.flags & GENERATED != 0 {
            return Err(Error::AttributeReadOnly);
        }
        out.set(t, check_value(rule, v, actor)?);
    }
    for rule in policy.rules() {
        if out.contains(rule.ty) {
            continue;
        }
        if rule.flags & REQUIRED != 0 {
            return Err(Error::TemplateIncomplete);
        }
        match rule.default {
            D::Absent => {}
            D::Empty => out.set(rule.ty, Vec::new()),
            D::Bool(b) => out.set(rule.ty, bool_bytes(b)),
            D::Ulong(u) => out.set(rule.ty, ulong_bytes(u)),
        }
    }
    if class == ObjectClass::CERTIFICATE
        && out.get(AttrType::VALUE).is_none_or(<[u8]>::is_empty)
        && out.get(AttrType::URL).is_none_or(<[u8]>::is_empty)
    {
        // An X.509 certificate object needs its value, or a URL to it.
        return Err(Error::TemplateIncomplete);
    }
    Ok(out)
}

/// Apply a C_SetAttributeValue template to `current`, returning the new attributes.
pub fn set(
    current: &Attributes,
    template: &[(AttrType, Vec<u8>)],
    actor: Actor,
) -> Result<Attributes> {
    let policy = ClassPolicy::of(current)?;
    let given = fold(template)?;
    let mut out = current.clone();
    for (t, v) in given.iter() {
        let rule = policy.rule(t).ok_or(Error::AttributeTypeInvalid)?;
        if rule.flags & (FIXED | GENERATED) != 0 {
            return Err(Error::AttributeReadOnly);
        }
        let v = check_value(rule, v, actor)?;
        check_one_way(rule, current.get(t), &v)?;
        out.set(t, v);
    }
    Ok(out)
}

/// ONLY_TO_FALSE / ONLY_TO_TRUE: a change the other way is refused.
fn check_one_way(rule: &Rule, old: Option<&[u8]>, new: &[u8]) -> Result<()> {
    let back_to_true = rule.flags & ONLY_TO_FALSE != 0 && new == [1] && old == Some(&[0][..]);
    let back_to_false = rule.flags & ONLY_TO_TRUE != 0 && new == [0] && old == Some(&[1][..]);
    if back_to_true || back_to_false { Err(Error::AttributeReadOnly) } else { Ok(()) }
}

/// Apply a C_CopyObject template to the source's attributes.
pub fn copy(
    source: &Attributes,
    template: &[(AttrType, Vec<u8>)],
    actor: Actor,
) -> Result<Attributes> {
    let policy = ClassPolicy::of(source)?;
    let given = fold(template)?;
    let mut out = source.clone();
    for (t, v) in given.iter() {
        let rule = policy.rule(t).ok_or(Error::AttributeTypeInvalid)?;
        let fixed = rule.flags & (FIXED | GENERATED) != 0;
        if fixed && rule.flags & COPY_MAY_SET == 0 {
            return Err(Error::AttributeReadOnly);
        }
        let v = check_value(rule, v, actor)?;
        check_one_way(rule, source.get(t), &v)?;
        out.set(t, v);
    }
    out.remove(AttrType::UNIQUE_ID);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: Actor = Actor { is_so: false };

    fn data_template() -> Vec<(AttrType, Vec<u8>)> {
        vec![(AttrType::CLASS, ulong_bytes(ObjectClass::DATA.0)), (AttrType::LABEL, b"l".to_vec())]
    }

    #[test]
    fn create_fills_defaults() {
        let a = create(&data_template(), USER).unwrap();
        assert_eq!(a.get_bool(AttrType::TOKEN), Some(false));
        assert_eq!(a.get_bool(AttrType::PRIVATE), Some(true));
        assert_eq!(a.get_bool(AttrType::MODIFIABLE), Some(true));
        assert_eq!(a.get(AttrType::VALUE), Some(&[][..]));
    }

    #[test]
    fn create_errors() {
        assert_eq!(create(&[], USER), Err(Error::TemplateIncomplete));
        let mut t = data_template();
        t.push((AttrType::SUBJECT, b"x".to_vec()));
        assert_eq!(create(&t, USER), Err(Error::AttributeTypeInvalid));
        let mut t = data_template();
        t.push((AttrType::TOKEN, vec![1, 2]));
        assert_eq!(create(&t, USER), Err(Error::AttributeValueInvalid));
        let mut t = data_template();
        t.push((AttrType::LABEL, b"other".to_vec()));
        assert_eq!(create(&t, USER), Err(Error::TemplateInconsistent));
        let mut t = data_template();
        t.push((AttrType::UNIQUE_ID, b"1".to_vec()));
        assert_eq!(create(&t, USER), Err(Error::AttributeReadOnly));
        let cert = vec![
            (AttrType::CLASS, ulong_bytes(ObjectClass::CERTIFICATE.0)),
            (AttrType::CERTIFICATE_TYPE, ulong_bytes(CKC_X_509)),
        ];
        assert_eq!(create(&cert, USER), Err(Error::TemplateIncomplete));
    }

    #[test]
    fn trusted_only_by_so() {
        let t = vec![
            (AttrType::CLASS, ulong_bytes(ObjectClass::CERTIFICATE.0)),
            (AttrType::CERTIFICATE_TYPE, ulong_bytes(CKC_X_509)),
            (AttrType::SUBJECT, b"s".to_vec()),
            (AttrType::VALUE, b"v".to_vec()),
            (AttrType::TRUSTED, bool_bytes(true)),
        ];
        assert_eq!(create(&t, USER), Err(Error::AttributeReadOnly));
        assert!(create(&t, Actor { is_so: true }).is_ok());
    }

    #[test]
    fn set_and_copy_rules() {
        let a = create(&data_template(), USER).unwrap();
        let b = set(&a, &[(AttrType::LABEL, b"new".to_vec())], USER).unwrap();
        assert_eq!(b.get(AttrType::LABEL), Some(&b"new"[..]));
        assert_eq!(
            set(&a, &[(AttrType::TOKEN, bool_bytes(true))], USER),
            Err(Error::AttributeReadOnly)
        );
        let c = copy(&a, &[(AttrType::TOKEN, bool_bytes(true))], USER).unwrap();
        assert_eq!(c.get_bool(AttrType::TOKEN), Some(true));
        let locked = copy(&a, &[(AttrType::MODIFIABLE, bool_bytes(false))], USER).unwrap();
        assert_eq!(
            copy(&locked, &[(AttrType::MODIFIABLE, bool_bytes(true))], USER),
            Err(Error::AttributeReadOnly)
        );
    }
}
