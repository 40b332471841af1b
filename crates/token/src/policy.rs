//! The attribute policy as a table: per object class, which attributes exist, their value
//! kind, default, and how they may change. Every create, copy and set path consults it; the key
//! classes of later mechanisms add their rows here.

use crate::attrs::{Attributes, bool_bytes, ulong_bytes};
use crate::error::{Error, Result};
use crate::types::{AttrType, CKC_X_509, ObjectClass};

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
pub const REQUIRED: u8 = 1;
/// Cannot be changed by C_SetAttributeValue once the object exists.
pub const FIXED: u8 = 1 << 1;
/// Set by the token only; a template naming it gets `CKR_ATTRIBUTE_READ_ONLY`.
pub const GENERATED: u8 = 1 << 2;
/// A C_CopyObject template may change it even though it is fixed.
pub const COPY_MAY_SET: u8 = 1 << 3;
/// May only ever change from true to false.
pub const ONLY_TO_FALSE: u8 = 1 << 4;
/// Only the SO may set it to true.
pub const SO_SETS_TRUE: u8 = 1 << 5;

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
    pub flags: u8,
}

const fn rule(ty: AttrType, kind: Kind, default: Fill, flags: u8) -> Rule {
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

/// The rows that apply to an object of these attributes (`None`: a class we do not hold).
fn rows_for(class: ObjectClass, attrs_cert_type: Option<u64>) -> Result<[&'static [Rule]; 2]> {
    match class {
        ObjectClass::DATA => Ok([STORAGE, DATA]),
        ObjectClass::CERTIFICATE => match attrs_cert_type {
            Some(CKC_X_509) => Ok([STORAGE, X509]),
            Some(_) => Err(Error::AttributeValueInvalid),
            None => Err(Error::TemplateIncomplete),
        },
        _ => Err(Error::AttributeValueInvalid),
    }
}

/// The policy for one object class.
#[derive(Debug, Clone, Copy)]
pub struct ClassPolicy {
    rows: [&'static [Rule]; 2],
}

impl ClassPolicy {
    /// The policy for an existing object's attributes.
    pub fn of(attrs: &Attributes) -> Result<Self> {
        let class = attrs.get_ulong(AttrType::CLASS).ok_or(Error::GeneralError)?;
        let ct = attrs.get_ulong(AttrType::CERTIFICATE_TYPE);
        Ok(Self { rows: rows_for(ObjectClass(class), ct)? })
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
    if !given.contains(AttrType::CLASS) {
        return Err(Error::TemplateIncomplete);
    }
    let class = ObjectClass(given.get_ulong(AttrType::CLASS).ok_or(Error::AttributeValueInvalid)?);
    let ct = match given.contains(AttrType::CERTIFICATE_TYPE) {
        true => {
            Some(given.get_ulong(AttrType::CERTIFICATE_TYPE).ok_or(Error::AttributeValueInvalid)?)
        }
        false => None,
    };
    let policy = ClassPolicy { rows: rows_for(class, ct)? };
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
        out.set(t, check_value(rule, v, actor)?);
    }
    Ok(out)
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
        if rule.flags & ONLY_TO_FALSE != 0 && v == [1] && source.get(t) == Some(&[0][..]) {
            return Err(Error::AttributeReadOnly);
        }
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
