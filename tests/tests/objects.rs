//! Data objects and X.509 certificates: object management functions,
//! visibility, lifetime, and attribute/template rules.

use craton_blackbox::{RawAttr, TEST_CERT_DER, TEST_CERT_SUBJECT, TestToken, expect_rv, rv_of};
use cryptoki::error::RvError;
use cryptoki::object::{Attribute, AttributeType, CertificateType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use pkcs11_sys::*;

fn data(label: &str) -> Vec<Attribute> {
    vec![Attribute::Class(ObjectClass::DATA), Attribute::Label(label.into())]
}

fn cert(label: &str) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::CERTIFICATE),
        Attribute::CertificateType(CertificateType::X_509),
        Attribute::Subject(TEST_CERT_SUBJECT.to_vec()),
        Attribute::Value(TEST_CERT_DER.to_vec()),
        Attribute::Label(label.into()),
    ]
}

fn with(mut template: Vec<Attribute>, extra: &[Attribute]) -> Vec<Attribute> {
    template.extend_from_slice(extra);
    template
}

/// One attribute's value; panics if it is unavailable.
#[track_caller]
fn get(s: &Session, obj: ObjectHandle, ty: AttributeType) -> Attribute {
    let mut got = s.get_attributes(obj, &[ty]).expect("C_GetAttributeValue");
    assert_eq!(got.len(), 1, "{ty:?} unavailable");
    got.remove(0)
}

fn find_label(s: &Session, label: &str) -> Vec<ObjectHandle> {
    s.find_objects(&[Attribute::Label(label.into())]).expect("find by label")
}

#[test]
fn data_object_lifecycle() {
    let t = TestToken::new();
    let slot = t.init_token();
    let s = t.user_rw(slot);
    let template = with(
        data("d1"),
        &[Attribute::Application(b"app".to_vec()), Attribute::Value(vec![1, 2, 3])],
    );
    let obj = s.create_object(&template).unwrap();

    // Contract defaults for data objects.
    use AttributeType as A;
    let got = s
        .get_attributes(obj, &[A::Token, A::Private, A::Modifiable, A::Copyable, A::Destroyable])
        .unwrap();
    let want = [
        Attribute::Token(false),
        Attribute::Private(true),
        Attribute::Modifiable(true),
        Attribute::Copyable(true),
        Attribute::Destroyable(true),
    ];
    assert_eq!(got, want);
    assert_eq!(get(&s, obj, A::Application), Attribute::Application(b"app".to_vec()));
    assert_eq!(get(&s, obj, A::Value), Attribute::Value(vec![1, 2, 3]));
    let Attribute::UniqueId(uid) = get(&s, obj, A::UniqueId) else { unreachable!() };
    assert!(!uid.is_empty(), "CKA_UNIQUE_ID is set on creation");

    s.update_attributes(obj, &[Attribute::Label(b"d1-renamed".to_vec())]).unwrap();
    assert_eq!(find_label(&s, "d1-renamed"), [obj]);
    assert!(find_label(&s, "d1").is_empty());

    let copy = s.copy_object(obj, &[Attribute::Label(b"d1-copy".to_vec())]).unwrap();
    assert_ne!(copy, obj);
    assert_eq!(get(&s, copy, A::Value), Attribute::Value(vec![1, 2, 3]));
    assert_eq!(get(&s, obj, A::Label), Attribute::Label(b"d1-renamed".to_vec()));
    assert_ne!(get(&s, copy, A::UniqueId), Attribute::UniqueId(uid), "copies get a new id");

    let raw = t.raw();
    let (rv, size) = raw.get_object_size(s.handle(), obj.handle());
    assert_eq!(rv, CKR_OK);
    assert!(size > 0 && size != CK_UNAVAILABLE_INFORMATION, "object size {size}");

    s.destroy_object(obj).unwrap();
    expect_rv(s.get_attributes(obj, &[A::Label]), RvError::ObjectHandleInvalid);
    assert_eq!(raw.get_object_size(s.handle(), obj.handle()).0, CKR_OBJECT_HANDLE_INVALID);
    assert_eq!(find_label(&s, "d1-copy"), [copy], "the copy outlives the original");
}

#[test]
fn certificate_lifecycle() {
    let t = TestToken::new();
    let slot = t.init_token();
    let s = t.user_rw(slot);
    let obj = s.create_object(&with(cert("c1"), &[Attribute::Id(vec![7])])).unwrap();
    use AttributeType as A;
    assert_eq!(get(&s, obj, A::Private), Attribute::Private(false), "certs default public");
    assert_eq!(
        get(&s, obj, A::CertificateType),
        Attribute::CertificateType(CertificateType::X_509)
    );
    assert_eq!(get(&s, obj, A::Subject), Attribute::Subject(TEST_CERT_SUBJECT.to_vec()));
    assert_eq!(get(&s, obj, A::Value), Attribute::Value(TEST_CERT_DER.to_vec()));

    s.update_attributes(obj, &[Attribute::Label(b"c1-renamed".to_vec())]).unwrap();
    s.update_attributes(obj, &[Attribute::Id(vec![8])]).unwrap();
    let read_only = [
        Attribute::Value(vec![0x30, 0x00]),
        Attribute::CertificateType(CertificateType::X_509_ATTR),
    ];
    for attr in read_only {
        expect_rv(s.update_attributes(obj, &[attr]), RvError::AttributeReadOnly);
    }
    let copy = s.copy_object(obj, &[Attribute::Label(b"c1-copy".to_vec())]).unwrap();
    assert_eq!(get(&s, copy, A::Id), Attribute::Id(vec![8]));
    s.destroy_object(obj).unwrap();
    s.destroy_object(copy).unwrap();
    assert!(s.find_objects(&[]).unwrap().is_empty());
}

#[test]
fn certificate_requires_type_subject_and_value() {
    let t = TestToken::new();
    let slot = t.init_token();
    let s = t.user_rw(slot);
    for missing in [AttributeType::CertificateType, AttributeType::Subject, AttributeType::Value] {
        let template: Vec<_> =
            cert("c").into_iter().filter(|a| a.attribute_type() != missing).collect();
        let rv = rv_of(s.create_object(&template));
        assert_eq!(rv, RvError::TemplateIncomplete, "without {missing:?}");
    }
}

#[test]
fn private_objects_are_invisible_before_login() {
    let t = TestToken::new();
    let slot = t.init_token();
    let s = t.user_rw(slot);
    s.create_object(&with(data("priv"), &[Attribute::Token(true)])).unwrap();
    let public = [Attribute::Token(true), Attribute::Private(false)];
    s.create_object(&with(data("pub"), &public)).unwrap();
    s.create_object(&with(cert("cert"), &[Attribute::Token(true)])).unwrap();
    s.logout().unwrap();

    let ro = t.ro(slot);
    let mut seen: Vec<Attribute> = ro
        .find_objects(&[])
        .unwrap()
        .into_iter()
        .map(|o| get(&ro, o, AttributeType::Label))
        .collect();
    seen.sort_by_key(|a| match a {
        Attribute::Label(l) => l.clone(),
        _ => unreachable!(),
    });
    assert_eq!(seen, [Attribute::Label(b"cert".to_vec()), Attribute::Label(b"pub".to_vec())]);

    // Not logged in: private objects cannot be created, public ones can.
    expect_rv(s.create_object(&data("private-default")), RvError::UserNotLoggedIn);
    s.create_object(&with(data("public-token"), &public)).expect("public object, no login");

    ro.login(UserType::User, Some(&craton_blackbox::pin(craton_blackbox::USER_PIN))).unwrap();
    assert_eq!(find_label(&ro, "priv").len(), 1, "visible after login");
}

#[test]
fn read_only_session_cannot_touch_token_objects() {
    let t = TestToken::new();
    let slot = t.init_token();
    let rw = t.user_rw(slot);
    let token_obj = rw.create_object(&with(data("tok"), &[Attribute::Token(true)])).unwrap();
    let ro = t.ro(slot);

    let token_template = with(data("ro-tok"), &[Attribute::Token(true)]);
    expect_rv(ro.create_object(&token_template), RvError::SessionReadOnly);
    let label = [Attribute::Label(b"x".to_vec())];
    expect_rv(ro.update_attributes(token_obj, &label), RvError::SessionReadOnly);
    expect_rv(ro.copy_object(token_obj, &label), RvError::SessionReadOnly);
    expect_rv(ro.destroy_object(token_obj), RvError::SessionReadOnly);

    // Session objects are fine in a read-only session.
    let session_obj = ro.create_object(&data("ro-session")).expect("session object, R/O");
    ro.update_attributes(session_obj, &label).unwrap();
    ro.destroy_object(session_obj).unwrap();
}

#[test]
fn session_objects_vanish_with_their_session() {
    let mut t = TestToken::new();
    let slot = t.init_token();
    let a = t.user_rw(slot);
    let b = t.ro(slot);
    let eph = a.create_object(&data("ephemeral")).unwrap();
    a.create_object(&with(data("durable"), &[Attribute::Token(true)])).unwrap();
    assert_eq!(find_label(&b, "ephemeral"), [eph], "session objects are shared by sessions");
    b.create_object(&data("b-session")).unwrap();

    a.close().unwrap();
    assert!(find_label(&b, "ephemeral").is_empty(), "gone with its session");
    expect_rv(b.get_attributes(eph, &[AttributeType::Label]), RvError::ObjectHandleInvalid);
    drop(b);

    // Session objects are never persisted; token objects are.
    t.reload();
    let s = t.user_rw(slot);
    assert!(find_label(&s, "b-session").is_empty());
    assert!(find_label(&s, "ephemeral").is_empty());
    assert_eq!(find_label(&s, "durable").len(), 1);
}

#[test]
fn token_objects_persist_across_reload() {
    let mut t = TestToken::new();
    let slot = t.init_token();
    let s = t.user_rw(slot);
    let value = Attribute::Value(b"persisted value".to_vec());
    s.create_object(&with(data("kept"), &[Attribute::Token(true), value.clone()])).unwrap();
    s.create_object(&with(cert("kept-cert"), &[Attribute::Token(true)])).unwrap();
    drop(s);

    t.reload();
    let s = t.user_rw(slot);
    let [obj] = find_label(&s, "kept")[..] else { panic!("data object lost") };
    assert_eq!(get(&s, obj, AttributeType::Value), value);
    assert_eq!(get(&s, obj, AttributeType::Private), Attribute::Private(true));
    let [c] = find_label(&s, "kept-cert")[..] else { panic!("certificate lost") };
    assert_eq!(get(&s, c, AttributeType::Value), Attribute::Value(TEST_CERT_DER.to_vec()));
}

#[test]
fn modifiable_destroyable_copyable_false() {
    let t = TestToken::new();
    let slot = t.init_token();
    let s = t.user_rw(slot);
    let label = [Attribute::Label(b"new".to_vec())];

    let fixed = s.create_object(&with(data("fixed"), &[Attribute::Modifiable(false)])).unwrap();
    expect_rv(s.update_attributes(fixed, &label), RvError::ActionProhibited);

    let kept = s.create_object(&with(data("kept"), &[Attribute::Destroyable(false)])).unwrap();
    expect_rv(s.destroy_object(kept), RvError::ActionProhibited);
    assert_eq!(find_label(&s, "kept"), [kept]);

    let single = s.create_object(&with(data("single"), &[Attribute::Copyable(false)])).unwrap();
    expect_rv(s.copy_object(single, &label), RvError::ActionProhibited);
    assert!(find_label(&s, "new").is_empty());
}

#[test]
fn template_errors() {
    let t = TestToken::new();
    let slot = t.init_token();
    let s = t.user_rw(slot);
    let create = |template: Vec<Attribute>| rv_of(s.create_object(&template));
    let bogus = |ty: AttributeType, bytes: &[u8]| Attribute::VendorDefined((ty, bytes.to_vec()));

    let no_class = vec![Attribute::Label(b"x".to_vec())];
    assert_eq!(create(no_class), RvError::TemplateIncomplete, "no CKA_CLASS");
    let twice = with(data("a"), &[Attribute::Label(b"b".to_vec())]);
    assert_eq!(create(twice), RvError::TemplateInconsistent, "label twice");
    let twice = with(data("a"), &[Attribute::Token(false), Attribute::Token(true)]);
    assert_eq!(create(twice), RvError::TemplateInconsistent, "token twice");

    let modulus = with(data("a"), &[Attribute::Modulus(vec![1, 2, 3])]);
    assert_eq!(create(modulus), RvError::AttributeTypeInvalid, "CKA_MODULUS on data");
    let vendor = bogus(AttributeType::VendorDefined(CKA_VENDOR_DEFINED | 0x1234), &[1]);
    assert_eq!(create(with(data("a"), &[vendor])), RvError::AttributeTypeInvalid);

    let long_bool = bogus(AttributeType::Token, &[1, 1]);
    assert_eq!(create(with(data("a"), &[long_bool])), RvError::AttributeValueInvalid);
    let short_ulong = vec![bogus(AttributeType::Class, &[0]), Attribute::Label(b"a".to_vec())];
    assert_eq!(create(short_ulong), RvError::AttributeValueInvalid);

    let uid = with(data("a"), &[Attribute::UniqueId(b"mine".to_vec())]);
    assert_eq!(create(uid), RvError::AttributeReadOnly, "CKA_UNIQUE_ID on create");

    let obj = s.create_object(&data("ok")).unwrap();
    for attr in [
        Attribute::Class(ObjectClass::CERTIFICATE),
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::UniqueId(b"other".to_vec()),
    ] {
        let ty = attr.attribute_type();
        let rv = rv_of(s.update_attributes(obj, &[attr]));
        assert_eq!(rv, RvError::AttributeReadOnly, "setting {ty:?}");
    }
}

#[test]
fn get_attribute_value_reports_invalid_types_and_fills_the_rest() {
    let t = TestToken::new();
    let slot = t.init_token();
    let s = t.user_rw(slot);
    let template = with(data("label"), &[Attribute::Application(b"app".to_vec())]);
    let obj = s.create_object(&template).unwrap();
    let raw = t.raw();

    let mut attrs = [
        RawAttr::with_buffer(CKA_LABEL, 64),
        RawAttr::with_buffer(CKA_MODULUS, 64),
        RawAttr::with_buffer(CKA_APPLICATION, 64),
    ];
    let rv = raw.get_attribute_value(s.handle(), obj.handle(), &mut attrs);
    assert_eq!(rv, CKR_ATTRIBUTE_TYPE_INVALID);
    assert_eq!(attrs[0].value(), Some(&b"label"[..]));
    assert_eq!(attrs[1].len, CK_UNAVAILABLE_INFORMATION, "invalid type reported unavailable");
    assert_eq!(attrs[2].value(), Some(&b"app"[..]));

    // NULL pValue asks for the length.
    let mut attrs = [RawAttr::length_only(CKA_LABEL)];
    assert_eq!(raw.get_attribute_value(s.handle(), obj.handle(), &mut attrs), CKR_OK);
    assert_eq!(attrs[0].len, 5);

    // Too small a buffer: that one unavailable, the others still filled.
    let mut attrs = [RawAttr::with_buffer(CKA_LABEL, 2), RawAttr::with_buffer(CKA_APPLICATION, 8)];
    let rv = raw.get_attribute_value(s.handle(), obj.handle(), &mut attrs);
    assert_eq!(rv, CKR_BUFFER_TOO_SMALL);
    assert_eq!(attrs[0].len, CK_UNAVAILABLE_INFORMATION);
    assert_eq!(attrs[1].value(), Some(&b"app"[..]));
}

#[test]
fn find_by_label_class_and_id_among_many() {
    let t = TestToken::new();
    let slot = t.init_token();
    let s = t.user_rw(slot);
    for i in 0..60 {
        let extra = [Attribute::Token(true), Attribute::Private(i % 2 == 0)];
        s.create_object(&with(data(&format!("obj-{i}")), &extra)).unwrap();
    }
    for i in 0..10u8 {
        let extra = [Attribute::Token(true), Attribute::Id(vec![i])];
        s.create_object(&with(cert(&format!("cert-{i}")), &extra)).unwrap();
    }
    let count = |s: &Session, template: &[Attribute]| s.find_objects(template).unwrap().len();

    assert_eq!(count(&s, &[]), 70);
    assert_eq!(count(&s, &[Attribute::Class(ObjectClass::DATA)]), 60);
    assert_eq!(count(&s, &[Attribute::Class(ObjectClass::CERTIFICATE)]), 10);
    let [o] = find_label(&s, "obj-37")[..] else { panic!("obj-37 not found once") };
    assert_eq!(get(&s, o, AttributeType::Label), Attribute::Label(b"obj-37".to_vec()));
    let [c] = s.find_objects(&[Attribute::Id(vec![7])]).unwrap()[..] else { panic!("id 7") };
    assert_eq!(get(&s, c, AttributeType::Label), Attribute::Label(b"cert-7".to_vec()));
    let mismatch = [Attribute::Class(ObjectClass::DATA), Attribute::Label(b"cert-3".to_vec())];
    assert_eq!(count(&s, &mismatch), 0);
    assert_eq!(count(&s, &[Attribute::Private(true)]), 30);

    // One find operation per session at a time.
    let active = s.iter_objects(&[]).unwrap();
    expect_rv(s.iter_objects(&[]), RvError::OperationActive);
    drop(active);

    s.logout().unwrap();
    assert_eq!(count(&s, &[]), 40, "30 public data objects and 10 certificates");
}

#[test]
fn trusted_certificates_only_by_the_so() {
    let t = TestToken::new();
    let slot = t.init_token();
    let trusted = with(cert("trusted"), &[Attribute::Token(true), Attribute::Trusted(true)]);
    let user = t.user_rw(slot);
    let err = user.create_object(&trusted);
    assert!(err.is_err(), "the user must not create a trusted certificate");
    let plain = user.create_object(&with(cert("plain"), &[Attribute::Token(true)])).unwrap();
    let set_trusted = user.update_attributes(plain, &[Attribute::Trusted(true)]);
    assert!(set_trusted.is_err(), "the user must not set CKA_TRUSTED");
    drop(user);

    let so = t.so_rw(slot);
    let obj = so.create_object(&trusted).expect("the SO creates a trusted certificate");
    assert_eq!(get(&so, obj, AttributeType::Trusted), Attribute::Trusted(true));
}
