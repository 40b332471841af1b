//! CKA_WRAP_TEMPLATE, CKA_UNWRAP_TEMPLATE and CKA_DERIVE_TEMPLATE through the real library:
//! the nested attribute array is copied in, read back with the array rules of
//! C_GetAttributeValue, and enforced by C_WrapKey, C_UnwrapKey and C_DeriveKey.
//! cryptoki has no template attributes, so objects are created through the raw function list.

use craton_blackbox::kat::aes_key;
use craton_blackbox::{TestToken, expect_rv};
use cryptoki::error::RvError;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use pkcs11_sys::*;
use std::ffi::c_void;

/// One attribute with its value kept alive by the owner.
struct Attr {
    kind: CK_ATTRIBUTE_TYPE,
    value: Vec<u8>,
}

fn ulong(kind: CK_ATTRIBUTE_TYPE, v: CK_ULONG) -> Attr {
    Attr { kind, value: v.to_ne_bytes().to_vec() }
}

fn flag(kind: CK_ATTRIBUTE_TYPE, v: bool) -> Attr {
    Attr { kind, value: vec![u8::from(v)] }
}

fn bytes(kind: CK_ATTRIBUTE_TYPE, v: &[u8]) -> Attr {
    Attr { kind, value: v.to_vec() }
}

fn raw_list(attrs: &[Attr]) -> Vec<CK_ATTRIBUTE> {
    attrs
        .iter()
        .map(|a| CK_ATTRIBUTE {
            type_: a.kind,
            pValue: a.value.as_ptr() as *mut c_void,
            ulValueLen: a.value.len() as CK_ULONG,
        })
        .collect()
}

/// C_CreateObject of a session AES key holding `value`, with `plain` attributes and a
/// template attribute `kind` whose nested list is `nested`.
fn create_with_template(
    t: &TestToken,
    s: &Session,
    value: &[u8],
    plain: &[Attr],
    kind: CK_ATTRIBUTE_TYPE,
    nested: &[Attr],
) -> Result<CK_OBJECT_HANDLE, CK_RV> {
    let mut outer = vec![
        ulong(CKA_CLASS, CKO_SECRET_KEY),
        ulong(CKA_KEY_TYPE, CKK_AES),
        bytes(CKA_VALUE, value),
        flag(CKA_TOKEN, false),
    ];
    outer.extend(plain.iter().map(|a| Attr { kind: a.kind, value: a.value.clone() }));
    let mut list = raw_list(&outer);
    let inner = raw_list(nested);
    list.push(CK_ATTRIBUTE {
        type_: kind,
        pValue: inner.as_ptr() as *mut c_void,
        ulValueLen: (inner.len() * size_of::<CK_ATTRIBUTE>()) as CK_ULONG,
    });
    let raw = t.raw();
    let mut h: CK_OBJECT_HANDLE = 0;
    // SAFETY: the session is open; `list` and everything it points to outlive the call.
    let rv = unsafe {
        raw.functions().C_CreateObject.unwrap()(
            s.handle(),
            list.as_mut_ptr(),
            list.len() as CK_ULONG,
            &mut h,
        )
    };
    if rv == CKR_OK { Ok(h) } else { Err(rv) }
}

fn handle(h: CK_OBJECT_HANDLE) -> ObjectHandle {
    // SAFETY: `h` came from this module's C_CreateObject in the same session.
    unsafe { ObjectHandle::new_from_raw(h) }
}

fn setup() -> (TestToken, Session) {
    let t = TestToken::new();
    let slot = t.init_token();
    let s = t.user_rw(slot);
    (t, s)
}

#[test]
fn wrap_template_limits_what_a_key_wraps() {
    let (t, s) = setup();
    let nested = [ulong(CKA_KEY_TYPE, CKK_AES), bytes(CKA_LABEL, b"wrappable")];
    let kek =
        create_with_template(&t, &s, &[7; 32], &[flag(CKA_WRAP, true)], CKA_WRAP_TEMPLATE, &nested)
            .expect("KEK with CKA_WRAP_TEMPLATE");
    let kek = handle(kek);
    let ok = aes_key(
        &s,
        &[1; 16],
        &[Attribute::Label(b"wrappable".to_vec()), Attribute::Extractable(true)],
    );
    let other = aes_key(
        &s,
        &[2; 16],
        &[Attribute::Label(b"something else".to_vec()), Attribute::Extractable(true)],
    );
    let generic = s
        .create_object(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::GENERIC_SECRET),
            Attribute::Value(vec![3; 16]),
            Attribute::Label(b"wrappable".to_vec()),
            Attribute::Extractable(true),
            Attribute::Token(false),
        ])
        .expect("generic secret");
    let wrapped = s.wrap_key(&Mechanism::AesKeyWrap, kek, ok).expect("matching key wraps");
    assert_eq!(wrapped.len(), 24);
    expect_rv(s.wrap_key(&Mechanism::AesKeyWrap, kek, other), RvError::KeyNotWrappable);
    expect_rv(s.wrap_key(&Mechanism::AesKeyWrap, kek, generic), RvError::KeyNotWrappable);
}

#[test]
fn template_attribute_reads_back_as_an_array() {
    let (t, s) = setup();
    let nested = [flag(CKA_SENSITIVE, true), bytes(CKA_LABEL, b"kid")];
    let kek = create_with_template(
        &t,
        &s,
        &[9; 16],
        &[flag(CKA_UNWRAP, true)],
        CKA_UNWRAP_TEMPLATE,
        &nested,
    )
    .expect("key with CKA_UNWRAP_TEMPLATE");
    let raw = t.raw();
    let get = raw.functions().C_GetAttributeValue.unwrap();
    let mut outer =
        CK_ATTRIBUTE { type_: CKA_UNWRAP_TEMPLATE, pValue: std::ptr::null_mut(), ulValueLen: 0 };
    // SAFETY: one valid attribute; NULL pValue asks for the length.
    assert_eq!(unsafe { get(s.handle(), kek, &mut outer, 1) }, CKR_OK);
    assert_eq!(outer.ulValueLen as usize, 2 * size_of::<CK_ATTRIBUTE>());

    // Second call: an array of two entries with NULL values gets types and lengths.
    let mut inner = [CK_ATTRIBUTE { type_: 0, pValue: std::ptr::null_mut(), ulValueLen: 0 }; 2];
    outer.pValue = inner.as_mut_ptr() as *mut c_void;
    // SAFETY: `inner` holds the two entries the length query asked for.
    assert_eq!(unsafe { get(s.handle(), kek, &mut outer, 1) }, CKR_OK);
    let mut types: Vec<(CK_ATTRIBUTE_TYPE, CK_ULONG)> =
        inner.iter().map(|a| (a.type_, a.ulValueLen)).collect();
    types.sort();
    assert_eq!(types, vec![(CKA_LABEL, 3), (CKA_SENSITIVE, 1)]);

    // Third call: buffers of those lengths get the values; a short one is reported.
    let mut bufs: Vec<Vec<u8>> = inner.iter().map(|a| vec![0u8; a.ulValueLen as usize]).collect();
    for (a, b) in inner.iter_mut().zip(bufs.iter_mut()) {
        a.pValue = b.as_mut_ptr() as *mut c_void;
    }
    // SAFETY: each entry points to a buffer of its ulValueLen bytes.
    assert_eq!(unsafe { get(s.handle(), kek, &mut outer, 1) }, CKR_OK);
    for a in &inner {
        let v = &bufs[inner.iter().position(|x| x.type_ == a.type_).unwrap()];
        match a.type_ {
            CKA_LABEL => assert_eq!(v, b"kid"),
            CKA_SENSITIVE => assert_eq!(v, &[1]),
            other => panic!("unexpected type {other:#x}"),
        }
    }
    let label = inner.iter().position(|a| a.type_ == CKA_LABEL).unwrap();
    inner[label].ulValueLen = 1;
    // SAFETY: as above, with one length understated (the module must not write past it).
    assert_eq!(unsafe { get(s.handle(), kek, &mut outer, 1) }, CKR_BUFFER_TOO_SMALL);
    assert_eq!(inner[label].ulValueLen, CK_UNAVAILABLE_INFORMATION);

    // An outer buffer too small for the array.
    outer.ulValueLen = size_of::<CK_ATTRIBUTE>() as CK_ULONG;
    // SAFETY: the module must only check the length here.
    assert_eq!(unsafe { get(s.handle(), kek, &mut outer, 1) }, CKR_BUFFER_TOO_SMALL);
}

#[test]
fn unwrap_template_is_merged_into_the_new_key() {
    let (t, s) = setup();
    let nested = [flag(CKA_SENSITIVE, true), bytes(CKA_LABEL, b"from-unwrap")];
    let kek = handle(
        create_with_template(
            &t,
            &s,
            &[5; 32],
            &[flag(CKA_WRAP, true), flag(CKA_UNWRAP, true)],
            CKA_UNWRAP_TEMPLATE,
            &nested,
        )
        .expect("KEK"),
    );
    let payload = aes_key(&s, &[6; 32], &[Attribute::Extractable(true)]);
    let wrapped = s.wrap_key(&Mechanism::AesKeyWrap, kek, payload).expect("wrap");
    let base = [
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Token(false),
    ];
    let k = s.unwrap_key(&Mechanism::AesKeyWrap, kek, &wrapped, &base).expect("unwrap");
    let got = s
        .get_attributes(k, &[AttributeType::Label, AttributeType::Sensitive])
        .expect("attributes of the unwrapped key");
    assert!(got.contains(&Attribute::Label(b"from-unwrap".to_vec())), "{got:?}");
    assert!(got.contains(&Attribute::Sensitive(true)), "{got:?}");

    let mut clash = base.to_vec();
    clash.push(Attribute::Sensitive(false));
    expect_rv(
        s.unwrap_key(&Mechanism::AesKeyWrap, kek, &wrapped, &clash),
        RvError::TemplateInconsistent,
    );
    let mut agree = base.to_vec();
    agree.push(Attribute::Label(b"from-unwrap".to_vec()));
    s.unwrap_key(&Mechanism::AesKeyWrap, kek, &wrapped, &agree).expect("agreeing template");
}

#[test]
fn derive_template_is_merged_into_the_derived_key() {
    let (t, s) = setup();
    let nested = [flag(CKA_ENCRYPT, false), flag(CKA_EXTRACTABLE, false)];
    let base = handle(
        create_with_template(
            &t,
            &s,
            &[4; 16],
            &[flag(CKA_DERIVE, true)],
            CKA_DERIVE_TEMPLATE,
            &nested,
        )
        .expect("base key"),
    );
    let data = [0x11u8; 16];
    let mech = Mechanism::AesCbcEncryptData(cryptoki::mechanism::ekdf::AesCbcDeriveParams::new(
        [0; 16], &data,
    ));
    let template = [
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Token(false),
    ];
    let k = s.derive_key(&mech, base, &template).expect("derive");
    let got = s
        .get_attributes(k, &[AttributeType::Encrypt, AttributeType::Extractable])
        .expect("attributes of the derived key");
    assert!(got.contains(&Attribute::Encrypt(false)), "{got:?}");
    assert!(got.contains(&Attribute::Extractable(false)), "{got:?}");
    let mut clash = template.to_vec();
    clash.push(Attribute::Encrypt(true));
    expect_rv(s.derive_key(&mech, base, &clash), RvError::TemplateInconsistent);
}

#[test]
fn malformed_templates_are_refused() {
    let (t, s) = setup();
    // A template inside a template.
    let inner = [flag(CKA_SENSITIVE, true)];
    let inner_raw = raw_list(&inner);
    let nested_bytes: Vec<u8> = {
        // The nested CK_ATTRIBUTE array itself, as the value of an inner CKA_WRAP_TEMPLATE.
        let p = inner_raw.as_ptr() as *const u8;
        // SAFETY: reading the bytes of a live, initialized array.
        unsafe { std::slice::from_raw_parts(p, size_of::<CK_ATTRIBUTE>()) }.to_vec()
    };
    let doubly = [bytes(CKA_WRAP_TEMPLATE, &nested_bytes)];
    assert_eq!(
        create_with_template(&t, &s, &[1; 16], &[], CKA_WRAP_TEMPLATE, &doubly),
        Err(CKR_ATTRIBUTE_VALUE_INVALID)
    );
    // A type given twice inside the template.
    let twice = [flag(CKA_SENSITIVE, true), flag(CKA_SENSITIVE, false)];
    assert_eq!(
        create_with_template(&t, &s, &[1; 16], &[], CKA_DERIVE_TEMPLATE, &twice),
        Err(CKR_ATTRIBUTE_VALUE_INVALID)
    );
    // A length that is not a whole number of CK_ATTRIBUTEs.
    let mut list = raw_list(&[
        ulong(CKA_CLASS, CKO_SECRET_KEY),
        ulong(CKA_KEY_TYPE, CKK_AES),
        bytes(CKA_VALUE, &[1; 16]),
    ]);
    let one = raw_list(&inner);
    list.push(CK_ATTRIBUTE {
        type_: CKA_WRAP_TEMPLATE,
        pValue: one.as_ptr() as *mut c_void,
        ulValueLen: (size_of::<CK_ATTRIBUTE>() - 1) as CK_ULONG,
    });
    let raw = t.raw();
    let mut h: CK_OBJECT_HANDLE = 0;
    // SAFETY: the session is open; the lists outlive the call.
    let rv = unsafe {
        raw.functions().C_CreateObject.unwrap()(
            s.handle(),
            list.as_mut_ptr(),
            list.len() as CK_ULONG,
            &mut h,
        )
    };
    assert_eq!(rv, CKR_ATTRIBUTE_VALUE_INVALID);
    drop(inner);
}
