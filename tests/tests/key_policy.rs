//! Key objects and their policy: defaults of generated and imported keys, one-way
//! attributes, usage flags, CKA_ALLOWED_MECHANISMS, lifecycle dates, wrapping rules,
//! operation state, key pair generation and encryption of stored private keys.

use craton_blackbox::kat::{P256_PARAMS, RsaKey, Vectors, plain_mechanism, to_hex};
use craton_blackbox::{RawAttr, TestToken, expect_rv, rv_of};
use cryptoki::error::RvError;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsOaepParams, PkcsOaepSource};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use cryptoki::slot::Slot;
use cryptoki::types::Date;
use pkcs11_sys::*;
use std::ffi::CString;
use std::path::Path;
use std::ptr;

const AES_KEY: [u8; 32] = [
    0x60, 0x3d, 0xeb, 0x10, 0x15, 0xca, 0x71, 0xbe, 0x2b, 0x73, 0xae, 0xf0, 0x85, 0x7d, 0x77, 0x81,
    0x1f, 0x35, 0x2c, 0x07, 0x3b, 0x61, 0x08, 0xd7, 0x2d, 0x98, 0x10, 0xa3, 0x09, 0x14, 0xdf, 0xf4,
];
const BLOCK: [u8; 16] = *b"sixteen byte blk";
const DATA: &[u8] = b"data to be signed by the key under test";
const F4: [u8; 3] = [0x01, 0x00, 0x01];

// ---------------------------------------------------------------------------------------
// Helpers

/// A fresh token with a R/W user session.
fn setup(t: &TestToken) -> (Slot, Session) {
    let slot = t.init_token();
    let s = t.user_rw(slot);
    (slot, s)
}

/// A session AES key generated with CKA_VALUE_LEN 32 plus `extra`.
fn gen_aes(s: &Session, extra: &[Attribute]) -> ObjectHandle {
    let mut template = vec![Attribute::ValueLen(32u64.into())];
    template.extend_from_slice(extra);
    s.generate_key(&Mechanism::AesKeyGen, &template).expect("C_GenerateKey AES")
}

/// The template of a session AES key with CKA_VALUE = `value` plus `extra`.
fn aes_template(value: &[u8], extra: &[Attribute]) -> Vec<Attribute> {
    let mut template = vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Value(value.to_vec()),
        Attribute::Token(false),
    ];
    template.extend_from_slice(extra);
    template
}

/// A session AES key imported with C_CreateObject.
fn import_aes(s: &Session, value: &[u8], extra: &[Attribute]) -> ObjectHandle {
    s.create_object(&aes_template(value, extra)).expect("C_CreateObject AES key")
}

/// RSA key pair generation with CKA_PUBLIC_EXPONENT 65537.
fn try_rsa_pair(
    s: &Session,
    bits: u64,
    public_extra: &[Attribute],
    private_extra: &[Attribute],
) -> cryptoki::error::Result<(ObjectHandle, ObjectHandle)> {
    let mut public =
        vec![Attribute::ModulusBits(bits.into()), Attribute::PublicExponent(F4.into())];
    public.extend_from_slice(public_extra);
    s.generate_key_pair(&Mechanism::RsaPkcsKeyPairGen, &public, private_extra)
}

/// A 2048-bit session RSA key pair.
fn rsa_pair(s: &Session, private_extra: &[Attribute]) -> (ObjectHandle, ObjectHandle) {
    let mut private = vec![Attribute::Token(false)];
    private.extend_from_slice(private_extra);
    try_rsa_pair(s, 2048, &[Attribute::Token(false)], &private).expect("C_GenerateKeyPair RSA")
}

/// A fixed 2048-bit RSA key: the private key of the Wycheproof OAEP group in
/// tests/vectors/rsa_oaep_sha256.txt.
fn fixed_rsa() -> RsaKey {
    let vectors = Vectors::load("rsa_oaep_sha256.txt");
    let c = &vectors.cases[0];
    RsaKey {
        n: c.bytes("n"),
        e: c.bytes("e"),
        d: c.bytes("d"),
        p: c.bytes("p"),
        q: c.bytes("q"),
        dp: c.bytes("dP"),
        dq: c.bytes("dQ"),
        qinv: c.bytes("qInv"),
    }
}

/// A CKO_PRIVATE_KEY/CKK_RSA template with all eight components plus `extra`.
fn rsa_private_template(k: &RsaKey, extra: &[Attribute]) -> Vec<Attribute> {
    let mut template = vec![
        Attribute::Class(ObjectClass::PRIVATE_KEY),
        Attribute::KeyType(KeyType::RSA),
        Attribute::Modulus(k.n.clone()),
        Attribute::PublicExponent(k.e.clone()),
        Attribute::PrivateExponent(k.d.clone()),
        Attribute::Prime1(k.p.clone()),
        Attribute::Prime2(k.q.clone()),
        Attribute::Exponent1(k.dp.clone()),
        Attribute::Exponent2(k.dq.clone()),
        Attribute::Coefficient(k.qinv.clone()),
    ];
    template.extend_from_slice(extra);
    template
}

/// The fixed RSA key imported as a session key pair (public, private); `private_extra`
/// is added to the private key's template.
fn import_rsa(s: &Session, private_extra: &[Attribute]) -> (ObjectHandle, ObjectHandle) {
    let k = fixed_rsa();
    let mut private = rsa_private_template(&k, &[Attribute::Token(false)]);
    private.extend_from_slice(private_extra);
    let private = s.create_object(&private).expect("C_CreateObject RSA private key");
    let public = [
        Attribute::Class(ObjectClass::PUBLIC_KEY),
        Attribute::KeyType(KeyType::RSA),
        Attribute::Modulus(k.n.clone()),
        Attribute::PublicExponent(k.e.clone()),
        Attribute::Token(false),
    ];
    let public = s.create_object(&public).expect("C_CreateObject RSA public key");
    (public, private)
}

fn ec_pair(
    s: &Session,
    params: &[u8],
    private: &[Attribute],
) -> cryptoki::error::Result<(ObjectHandle, ObjectHandle)> {
    let public = [Attribute::Token(false), Attribute::EcParams(params.to_vec())];
    s.generate_key_pair(&Mechanism::EccKeyPairGen, &public, private)
}

/// One attribute; panics if it is unavailable.
#[track_caller]
fn get(s: &Session, obj: ObjectHandle, ty: AttributeType) -> Attribute {
    let mut got = s.get_attributes(obj, &[ty]).expect("C_GetAttributeValue");
    assert_eq!(got.len(), 1, "{ty:?} unavailable");
    got.remove(0)
}

/// A byte-string attribute's value.
#[track_caller]
fn bytes(s: &Session, obj: ObjectHandle, ty: AttributeType) -> Vec<u8> {
    match get(s, obj, ty) {
        Attribute::Value(v)
        | Attribute::Modulus(v)
        | Attribute::PrivateExponent(v)
        | Attribute::Prime1(v)
        | Attribute::Prime2(v)
        | Attribute::PublicExponent(v)
        | Attribute::Exponent1(v)
        | Attribute::Exponent2(v)
        | Attribute::Coefficient(v)
        | Attribute::EcPoint(v)
        | Attribute::CheckValue(v)
        | Attribute::PublicKeyInfo(v) => v,
        other => panic!("{other:?} is not a byte string"),
    }
}

/// Assert each attribute of `want` has that value on `obj`.
#[track_caller]
fn assert_attrs(s: &Session, obj: ObjectHandle, want: &[Attribute], what: &str) {
    for w in want {
        let got = get(s, obj, w.attribute_type());
        assert_eq!(&got, w, "{what}: {:?}", w.attribute_type());
    }
}

/// A `CK_ULONG` attribute read through the raw interface, so values cryptoki cannot
/// represent (CK_UNAVAILABLE_INFORMATION as a mechanism) come back as they are.
#[track_caller]
fn raw_ulong(t: &TestToken, s: &Session, obj: ObjectHandle, kind: CK_ATTRIBUTE_TYPE) -> CK_ULONG {
    let mut attrs = [RawAttr::with_buffer(kind, size_of::<CK_ULONG>())];
    let rv = t.raw().get_attribute_value(s.handle(), obj.handle(), &mut attrs);
    assert_eq!(rv, CKR_OK, "C_GetAttributeValue(0x{kind:x})");
    let v = attrs[0].value().expect("a value");
    CK_ULONG::from_ne_bytes(v.try_into().expect("CK_ULONG-sized value"))
}

fn ecb(s: &Session, key: ObjectHandle, data: &[u8]) -> Vec<u8> {
    s.encrypt(&Mechanism::AesEcb, key, data).expect("C_Encrypt AES-ECB")
}

fn gcm<'a>(iv: &'a mut [u8; 12], aad: &'a [u8]) -> Mechanism<'a> {
    Mechanism::AesGcm(GcmParams::new(iv, aad, 128u64.into()).expect("GcmParams"))
}

fn kwp() -> Mechanism<'static> {
    plain_mechanism(CKM_AES_KEY_WRAP_KWP)
}

fn oaep() -> Mechanism<'static> {
    let params = PkcsOaepParams::new(
        MechanismType::SHA256,
        PkcsMgfType::MGF1_SHA256,
        PkcsOaepSource::empty(),
    );
    Mechanism::RsaPkcsOaep(params)
}

fn date(y: &str, m: &str, d: &str) -> Date {
    Date::new_from_str_slice(y, m, d).expect("date")
}

/// Today in UTC, as the module's clock sees it.
fn today_utc() -> Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    // Days to civil date (Howard Hinnant's algorithm).
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    date(&format!("{y:04}"), &format!("{m:02}"), &format!("{d:02}"))
}

/// The session-level functions that take (input, output, output length).
#[derive(Clone, Copy)]
enum Call {
    Encrypt,
    Decrypt,
    Sign,
}

/// Raw access to the module's function list for the two-call convention and operation
/// state, which cryptoki hides.
struct Raw {
    list: &'static CK_FUNCTION_LIST,
}

impl Raw {
    /// The function list of the instance `t` currently has loaded.
    fn new(t: &TestToken) -> Self {
        Self::open(t.lib_path())
    }

    fn open(lib: &Path) -> Self {
        let c = CString::new(lib.as_os_str().as_encoded_bytes()).expect("NUL in path");
        // SAFETY: c is NUL-terminated; RTLD_NOLOAD only finds the copy the TestToken loaded
        // (kept mapped with RTLD_NODELETE). The handle is leaked on purpose.
        let handle = unsafe { libc::dlopen(c.as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD) };
        assert!(!handle.is_null(), "{} is not loaded", lib.display());
        // SAFETY: handle is live and the name is NUL-terminated.
        let sym = unsafe { libc::dlsym(handle, c"C_GetFunctionList".as_ptr()) };
        assert!(!sym.is_null(), "C_GetFunctionList is not exported");
        // SAFETY: CK_C_GetFunctionList is a pointer-sized Option<extern fn> and the symbol
        // has that prototype.
        let get: CK_C_GetFunctionList = unsafe { std::mem::transmute_copy(&sym) };
        let mut list: *mut CK_FUNCTION_LIST = ptr::null_mut();
        // SAFETY: C_GetFunctionList writes one pointer into `list`.
        let rv = unsafe { get.expect("non-NULL")(&mut list) };
        assert_eq!(rv, CKR_OK, "C_GetFunctionList");
        assert!(!list.is_null());
        // SAFETY: the list is static data of a library that is never unmapped.
        Self { list: unsafe { &*list } }
    }

    /// One call of `which` with `input`; `cap` None passes a NULL output buffer, else a
    /// buffer of `cap` bytes. Returns the result, `*pulLen` and the output.
    fn call(
        &self,
        which: Call,
        session: CK_SESSION_HANDLE,
        input: &[u8],
        cap: Option<usize>,
    ) -> (CK_RV, CK_ULONG, Vec<u8>) {
        let f = match which {
            Call::Encrypt => self.list.C_Encrypt,
            Call::Decrypt => self.list.C_Decrypt,
            Call::Sign => self.list.C_Sign,
        }
        .expect("function present");
        let mut out = vec![0u8; cap.unwrap_or(0)];
        let out_ptr = if cap.is_some() { out.as_mut_ptr() } else { ptr::null_mut() };
        let mut len = cap.unwrap_or(0) as CK_ULONG;
        let in_len = input.len() as CK_ULONG;
        // SAFETY: input is read-only for the module despite the mutable pointer type;
        // out_ptr is NULL or points to `len` writable bytes; len is a live CK_ULONG.
        let rv = unsafe { f(session, input.as_ptr() as *mut u8, in_len, out_ptr, &mut len) };
        if rv == CKR_OK && cap.is_some() {
            out.truncate(len as usize);
        }
        (rv, len, out)
    }
}

/// All bytes of every file under `dir` (recursively), with their paths.
fn read_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            out.extend(read_tree(&path));
        } else if let Ok(b) = std::fs::read(&path) {
            out.push((path.display().to_string(), b));
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// ---------------------------------------------------------------------------------------
// 1. Defaults

#[test]
fn generated_aes_key_defaults() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let key = gen_aes(&s, &[]);
    let want = [
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Local(true),
        Attribute::AlwaysSensitive(true),
        Attribute::NeverExtractable(true),
        Attribute::Encrypt(true),
        Attribute::Decrypt(true),
        Attribute::Sign(true),
        Attribute::Verify(true),
        Attribute::Wrap(true),
        Attribute::Unwrap(true),
        Attribute::Derive(false),
        Attribute::ValueLen(32u64.into()),
    ];
    assert_attrs(&s, key, &want, "generated AES key");
    assert_eq!(raw_ulong(&t, &s, key, CKA_KEY_GEN_MECHANISM), CKM_AES_KEY_GEN);
    assert_eq!(
        get(&s, key, AttributeType::KeyGenMechanism),
        Attribute::KeyGenMechanism(MechanismType::AES_KEY_GEN)
    );

    // CKA_CHECK_VALUE: the first 3 bytes of AES-ECB of a zero block.
    let check = bytes(&s, key, AttributeType::CheckValue);
    assert_eq!(check.len(), 3, "CKA_CHECK_VALUE length");
    let zero_block = ecb(&s, key, &[0u8; 16]);
    assert_eq!(to_hex(&check), to_hex(&zero_block[..3]), "CKA_CHECK_VALUE");

    // cryptoki leaves out the sensitive CKA_VALUE and returns the rest.
    let got = s
        .get_attributes(key, &[AttributeType::Value, AttributeType::ValueLen])
        .expect("C_GetAttributeValue with a sensitive attribute");
    assert_eq!(got, [Attribute::ValueLen(32u64.into())]);

    // Raw: CKR_ATTRIBUTE_SENSITIVE, that entry unavailable, the others filled.
    let mut attrs = [
        RawAttr::with_buffer(CKA_LABEL, 16),
        RawAttr::with_buffer(CKA_VALUE, 64),
        RawAttr::with_buffer(CKA_VALUE_LEN, size_of::<CK_ULONG>()),
    ];
    let rv = t.raw().get_attribute_value(s.handle(), key.handle(), &mut attrs);
    assert_eq!(rv, CKR_ATTRIBUTE_SENSITIVE, "C_GetAttributeValue(CKA_VALUE) of a sensitive key");
    assert_eq!(attrs[0].len, 0, "empty CKA_LABEL filled in");
    assert_eq!(attrs[1].len, CK_UNAVAILABLE_INFORMATION, "sensitive CKA_VALUE");
    assert_eq!(attrs[2].value(), Some(&32u64.to_ne_bytes()[..]), "CKA_VALUE_LEN filled in");
    // Alone, too.
    let mut attrs = [RawAttr::length_only(CKA_VALUE)];
    let rv = t.raw().get_attribute_value(s.handle(), key.handle(), &mut attrs);
    assert_eq!(rv, CKR_ATTRIBUTE_SENSITIVE, "length query of a sensitive CKA_VALUE");
    assert_eq!(attrs[0].len, CK_UNAVAILABLE_INFORMATION);
}

#[test]
fn imported_aes_key_is_not_local() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let key = import_aes(&s, &AES_KEY, &[]);
    let want = [
        Attribute::Local(false),
        Attribute::AlwaysSensitive(false),
        Attribute::NeverExtractable(false),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
    ];
    assert_attrs(&s, key, &want, "imported AES key");
    assert_eq!(
        raw_ulong(&t, &s, key, CKA_KEY_GEN_MECHANISM),
        CK_UNAVAILABLE_INFORMATION,
        "CKA_KEY_GEN_MECHANISM of an imported key"
    );
    // The check value of an imported key is computed too.
    let check = bytes(&s, key, AttributeType::CheckValue);
    let zero_block = ecb(&s, key, &[0u8; 16]);
    assert_eq!(to_hex(&check), to_hex(&zero_block[..3]), "CKA_CHECK_VALUE");
}

// ---------------------------------------------------------------------------------------
// 2. One-way and read-only attributes

#[test]
fn set_attribute_sensitive_and_extractable_are_one_way() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let key =
        import_aes(&s, &AES_KEY, &[Attribute::Sensitive(false), Attribute::Extractable(true)]);

    s.update_attributes(key, &[Attribute::Sensitive(true)]).expect("SENSITIVE false -> true");
    assert_eq!(get(&s, key, AttributeType::Sensitive), Attribute::Sensitive(true));
    expect_rv(s.update_attributes(key, &[Attribute::Sensitive(false)]), RvError::AttributeReadOnly);
    assert_eq!(get(&s, key, AttributeType::Sensitive), Attribute::Sensitive(true));

    s.update_attributes(key, &[Attribute::Extractable(false)]).expect("EXTRACTABLE true -> false");
    assert_eq!(get(&s, key, AttributeType::Extractable), Attribute::Extractable(false));
    expect_rv(
        s.update_attributes(key, &[Attribute::Extractable(true)]),
        RvError::AttributeReadOnly,
    );
    assert_eq!(get(&s, key, AttributeType::Extractable), Attribute::Extractable(false));

    // Setting the value a one-way attribute already has is no change.
    s.update_attributes(key, &[Attribute::Sensitive(true)]).expect("SENSITIVE true -> true");
}

#[test]
fn copy_object_sensitive_and_extractable_are_one_way() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let open =
        import_aes(&s, &AES_KEY, &[Attribute::Sensitive(false), Attribute::Extractable(true)]);
    let closed =
        import_aes(&s, &AES_KEY, &[Attribute::Sensitive(true), Attribute::Extractable(false)]);

    let c = s.copy_object(open, &[Attribute::Sensitive(true)]).expect("copy, SENSITIVE -> true");
    assert_eq!(get(&s, c, AttributeType::Sensitive), Attribute::Sensitive(true));
    let c = s.copy_object(open, &[Attribute::Extractable(false)]).expect("copy, EXTRACTABLE off");
    assert_eq!(get(&s, c, AttributeType::Extractable), Attribute::Extractable(false));
    assert_eq!(get(&s, open, AttributeType::Sensitive), Attribute::Sensitive(false), "original");
    assert_eq!(get(&s, open, AttributeType::Extractable), Attribute::Extractable(true));

    let before = s.find_objects(&[]).unwrap().len();
    expect_rv(s.copy_object(closed, &[Attribute::Sensitive(false)]), RvError::AttributeReadOnly);
    expect_rv(s.copy_object(closed, &[Attribute::Extractable(true)]), RvError::AttributeReadOnly);
    assert_eq!(s.find_objects(&[]).unwrap().len(), before, "failed copies create nothing");
}

#[test]
fn value_key_type_and_class_are_read_only() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let key =
        import_aes(&s, &AES_KEY, &[Attribute::Sensitive(false), Attribute::Extractable(true)]);
    let attempts = [
        Attribute::Value(vec![0x11; 32]),
        Attribute::KeyType(KeyType::GENERIC_SECRET),
        Attribute::Class(ObjectClass::DATA),
    ];
    for a in &attempts {
        let ty = a.attribute_type();
        let rv = rv_of(s.update_attributes(key, std::slice::from_ref(a)));
        assert_eq!(rv, RvError::AttributeReadOnly, "C_SetAttributeValue({ty:?})");
        let rv = rv_of(s.copy_object(key, std::slice::from_ref(a)));
        assert_eq!(rv, RvError::AttributeReadOnly, "C_CopyObject with {ty:?}");
    }
    assert_eq!(bytes(&s, key, AttributeType::Value), AES_KEY, "value unchanged");
    assert_attrs(
        &s,
        key,
        &[Attribute::KeyType(KeyType::AES), Attribute::Class(ObjectClass::SECRET_KEY)],
        "after the refused changes",
    );
}

#[test]
fn token_set_attributes_in_create_template_are_read_only() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let before = s.find_objects(&[]).unwrap().len();
    for a in [
        Attribute::Local(true),
        Attribute::Local(false),
        Attribute::AlwaysSensitive(true),
        Attribute::NeverExtractable(true),
        Attribute::KeyGenMechanism(MechanismType::AES_KEY_GEN),
    ] {
        let ty = a.attribute_type();
        let rv = rv_of(s.create_object(&aes_template(&AES_KEY, &[a])));
        assert_eq!(rv, RvError::AttributeReadOnly, "C_CreateObject with {ty:?}");
    }
    assert_eq!(s.find_objects(&[]).unwrap().len(), before);
}

#[test]
fn copy_object_with_new_label() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let key = gen_aes(&s, &[Attribute::Label(b"orig".to_vec())]);
    let copy = s.copy_object(key, &[Attribute::Label(b"copy".to_vec())]).expect("C_CopyObject");
    assert_ne!(copy, key);
    assert_eq!(get(&s, copy, AttributeType::Label), Attribute::Label(b"copy".to_vec()));
    assert_eq!(get(&s, key, AttributeType::Label), Attribute::Label(b"orig".to_vec()));
    let same = [
        Attribute::KeyType(KeyType::AES),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
    ];
    assert_attrs(&s, copy, &same, "copy");
    assert_eq!(ecb(&s, copy, &BLOCK), ecb(&s, key, &BLOCK), "the copy holds the same key");
}

// ---------------------------------------------------------------------------------------
// 3. Readable key material

#[test]
fn non_sensitive_extractable_value_is_readable() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let key =
        import_aes(&s, &AES_KEY, &[Attribute::Sensitive(false), Attribute::Extractable(true)]);
    assert_eq!(to_hex(&bytes(&s, key, AttributeType::Value)), to_hex(&AES_KEY));

    // Not sensitive but unextractable: the value stays hidden.
    let key =
        import_aes(&s, &AES_KEY, &[Attribute::Sensitive(false), Attribute::Extractable(false)]);
    let mut attrs = [RawAttr::with_buffer(CKA_VALUE, 64)];
    let rv = t.raw().get_attribute_value(s.handle(), key.handle(), &mut attrs);
    assert_eq!(rv, CKR_ATTRIBUTE_SENSITIVE, "CKA_VALUE of an unextractable key");
    assert_eq!(attrs[0].len, CK_UNAVAILABLE_INFORMATION);
}

// ---------------------------------------------------------------------------------------
// 4. Usage flags, key types, handles

#[test]
fn encrypt_false_refuses_encrypt_init() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let key = import_aes(&s, &AES_KEY, &[Attribute::Encrypt(false), Attribute::Decrypt(true)]);
    expect_rv(s.encrypt_init(&Mechanism::AesEcb, key), RvError::KeyFunctionNotPermitted);
    // Decryption is still allowed.
    s.decrypt(&Mechanism::AesEcb, key, &BLOCK).expect("C_Decrypt with CKA_DECRYPT=true");
}

#[test]
fn sign_false_refuses_sign_init() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let (public, private) = import_rsa(&s, &[Attribute::Sign(false)]);
    assert_eq!(get(&s, private, AttributeType::Sign), Attribute::Sign(false));
    expect_rv(s.sign_init(&Mechanism::Sha256RsaPkcs, private), RvError::KeyFunctionNotPermitted);
    // The same key material with CKA_SIGN=true signs.
    let (_, signer) = import_rsa(&s, &[Attribute::Sign(true)]);
    let sig = s.sign(&Mechanism::Sha256RsaPkcs, signer, DATA).expect("C_Sign, CKA_SIGN=true");
    s.verify(&Mechanism::Sha256RsaPkcs, public, DATA, &sig).expect("C_Verify");
}

#[test]
fn wrong_key_type_for_mechanism() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let aes = import_aes(&s, &AES_KEY, &[]);
    expect_rv(s.sign_init(&Mechanism::Sha256RsaPkcs, aes), RvError::KeyTypeInconsistent);
    let (public, private) = import_rsa(&s, &[]);
    let (mut iv, aad) = ([0u8; 12], [0u8; 0]);
    expect_rv(s.encrypt_init(&gcm(&mut iv, &aad), public), RvError::KeyTypeInconsistent);
    expect_rv(s.decrypt_init(&gcm(&mut iv, &aad), private), RvError::KeyTypeInconsistent);
}

#[test]
fn bogus_key_handle() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let key = import_aes(&s, &AES_KEY, &[]);
    s.destroy_object(key).unwrap();
    expect_rv(s.encrypt_init(&Mechanism::AesEcb, key), RvError::KeyHandleInvalid);
    // SAFETY: a handle the module never issued, which is what the test is about.
    let bogus = unsafe { ObjectHandle::new_from_raw(0x7fff_0bad) };
    expect_rv(s.encrypt_init(&Mechanism::AesEcb, bogus), RvError::KeyHandleInvalid);
    expect_rv(s.sign_init(&Mechanism::Sha256RsaPkcs, bogus), RvError::KeyHandleInvalid);
}

// ---------------------------------------------------------------------------------------
// 5. CKA_ALLOWED_MECHANISMS

#[test]
fn allowed_mechanisms_restrict_the_key() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let key =
        import_aes(&s, &AES_KEY, &[Attribute::AllowedMechanisms(vec![MechanismType::AES_GCM])]);
    assert_eq!(
        get(&s, key, AttributeType::AllowedMechanisms),
        Attribute::AllowedMechanisms(vec![MechanismType::AES_GCM])
    );
    expect_rv(s.encrypt_init(&Mechanism::AesCbcPad([7; 16]), key), RvError::MechanismInvalid);
    expect_rv(s.encrypt_init(&Mechanism::AesEcb, key), RvError::MechanismInvalid);
    let (mut iv, aad) = ([3u8; 12], *b"aad");
    let ct = s.encrypt(&gcm(&mut iv, &aad), key, &BLOCK).expect("AES-GCM is allowed");
    assert_eq!(ct.len(), BLOCK.len() + 16);
    let pt = s.decrypt(&gcm(&mut iv, &aad), key, &ct).expect("AES-GCM decrypt is allowed");
    assert_eq!(pt, BLOCK);
}

#[test]
fn key_without_allowed_mechanisms_is_unrestricted() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let key = import_aes(&s, &AES_KEY, &[]);
    let got = s.get_attributes(key, &[AttributeType::AllowedMechanisms]).unwrap();
    assert!(
        matches!(&got[..], [] | [Attribute::AllowedMechanisms(_)]),
        "CKA_ALLOWED_MECHANISMS: {got:?}"
    );
    if let [Attribute::AllowedMechanisms(list)] = &got[..] {
        assert!(list.is_empty(), "no restriction is an empty list, got {list:?}");
    }
    s.encrypt(&Mechanism::AesCbcPad([7; 16]), key, &BLOCK).expect("AES-CBC-PAD");
    s.encrypt(&Mechanism::AesEcb, key, &BLOCK).expect("AES-ECB");
    let (mut iv, aad) = ([3u8; 12], [0u8; 0]);
    s.encrypt(&gcm(&mut iv, &aad), key, &BLOCK).expect("AES-GCM");
}

// ---------------------------------------------------------------------------------------
// 6. Lifecycle dates

#[test]
fn end_date_in_the_past_refuses_use() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let key = import_aes(&s, &AES_KEY, &[Attribute::EndDate(date("2001", "01", "01"))]);
    expect_rv(s.encrypt_init(&Mechanism::AesEcb, key), RvError::KeyFunctionNotPermitted);
}

#[test]
fn start_date_in_the_future_refuses_use() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let key = import_aes(&s, &AES_KEY, &[Attribute::StartDate(date("2999", "01", "01"))]);
    expect_rv(s.encrypt_init(&Mechanism::AesEcb, key), RvError::KeyFunctionNotPermitted);
}

#[test]
fn dates_covering_today_allow_use() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let today = today_utc();
    // Both bounds are inclusive: a key valid only today works.
    let key = import_aes(&s, &AES_KEY, &[Attribute::StartDate(today), Attribute::EndDate(today)]);
    s.encrypt(&Mechanism::AesEcb, key, &BLOCK).expect("C_Encrypt with today's range");
    let wide = [
        Attribute::StartDate(date("2001", "01", "01")),
        Attribute::EndDate(date("2999", "01", "01")),
    ];
    let key = import_aes(&s, &AES_KEY, &wide);
    s.encrypt(&Mechanism::AesEcb, key, &BLOCK).expect("C_Encrypt, 2001..2999");
}

// ---------------------------------------------------------------------------------------
// 7. Wrapping

#[test]
fn wrap_of_unextractable_key_is_refused() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let kek = import_aes(&s, &AES_KEY, &[Attribute::Wrap(true)]);
    let target = gen_aes(&s, &[]);
    assert_eq!(get(&s, target, AttributeType::Extractable), Attribute::Extractable(false));
    expect_rv(s.wrap_key(&kwp(), kek, target), RvError::KeyUnextractable);
    // Turned unextractable after creation: refused too.
    let target = gen_aes(&s, &[Attribute::Extractable(true)]);
    s.wrap_key(&kwp(), kek, target).expect("extractable key wraps");
    s.update_attributes(target, &[Attribute::Extractable(false)]).unwrap();
    expect_rv(s.wrap_key(&kwp(), kek, target), RvError::KeyUnextractable);
}

#[test]
fn wrap_with_trusted_needs_a_trusted_wrapping_key() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let kek = import_aes(&s, &AES_KEY, &[Attribute::Wrap(true)]);
    assert_eq!(get(&s, kek, AttributeType::Trusted), Attribute::Trusted(false));
    let target = gen_aes(&s, &[Attribute::Extractable(true), Attribute::WrapWithTrusted(true)]);
    expect_rv(s.wrap_key(&kwp(), kek, target), RvError::KeyNotWrappable);
    // The same wrapping key wraps a key that does not ask for a trusted one.
    let plain = gen_aes(&s, &[Attribute::Extractable(true)]);
    s.wrap_key(&kwp(), kek, plain).expect("C_WrapKey without CKA_WRAP_WITH_TRUSTED");
}

#[test]
fn aes_key_wrap_kwp_round_trip() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let kek = import_aes(&s, &AES_KEY, &[Attribute::Wrap(true), Attribute::Unwrap(true)]);
    let target = gen_aes(&s, &[Attribute::Extractable(true)]);
    let wrapped = s.wrap_key(&kwp(), kek, target).expect("C_WrapKey");
    assert_eq!(wrapped.len(), 40, "KWP of a 32-byte key");
    let template = [
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Token(false),
        Attribute::Encrypt(true),
    ];
    let unwrapped = s.unwrap_key(&kwp(), kek, &wrapped, &template).expect("C_UnwrapKey");
    assert_eq!(ecb(&s, unwrapped, &BLOCK), ecb(&s, target, &BLOCK), "same key after the trip");
    let want = [
        Attribute::Local(false),
        Attribute::AlwaysSensitive(false),
        Attribute::NeverExtractable(false),
        Attribute::ValueLen(32u64.into()),
    ];
    assert_attrs(&s, unwrapped, &want, "unwrapped AES key");
    assert_eq!(raw_ulong(&t, &s, unwrapped, CKA_KEY_GEN_MECHANISM), CK_UNAVAILABLE_INFORMATION);
}

#[test]
fn rsa_private_key_wrap_kwp_round_trip() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let kek = import_aes(&s, &AES_KEY, &[Attribute::Wrap(true), Attribute::Unwrap(true)]);
    let (public, private) = rsa_pair(&s, &[Attribute::Extractable(true)]);
    let wrapped = s.wrap_key(&kwp(), kek, private).expect("C_WrapKey of an RSA private key");
    let template = [
        Attribute::Class(ObjectClass::PRIVATE_KEY),
        Attribute::Token(false),
        Attribute::Sign(true),
    ];
    let unwrapped = s.unwrap_key(&kwp(), kek, &wrapped, &template).expect("C_UnwrapKey");
    assert_attrs(
        &s,
        unwrapped,
        &[Attribute::KeyType(KeyType::RSA), Attribute::Local(false)],
        "unwrapped RSA key",
    );
    assert_eq!(
        get(&s, unwrapped, AttributeType::Modulus),
        get(&s, public, AttributeType::Modulus),
        "CKA_MODULUS of the unwrapped key"
    );
    let sig = s.sign(&Mechanism::Sha256RsaPkcs, unwrapped, DATA).expect("C_Sign");
    s.verify(&Mechanism::Sha256RsaPkcs, public, DATA, &sig).expect("original public key verifies");
    // PKCS#1 v1.5 is deterministic: the original key gives the same signature.
    let orig = s.sign(&Mechanism::Sha256RsaPkcs, private, DATA).expect("C_Sign original");
    assert_eq!(to_hex(&sig), to_hex(&orig));
}

#[test]
fn rsa_oaep_wrap_of_aes_key_round_trip() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let (public, private) = import_rsa(&s, &[]);
    let target = gen_aes(&s, &[Attribute::Extractable(true)]);
    let wrapped = s.wrap_key(&oaep(), public, target).expect("C_WrapKey RSA-OAEP");
    assert_eq!(wrapped.len(), 256, "OAEP output is the modulus size");
    let template = [
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Token(false),
        Attribute::Encrypt(true),
    ];
    let unwrapped = s.unwrap_key(&oaep(), private, &wrapped, &template).expect("C_UnwrapKey");
    assert_eq!(ecb(&s, unwrapped, &BLOCK), ecb(&s, target, &BLOCK), "same key after the trip");
    assert_eq!(get(&s, unwrapped, AttributeType::Local), Attribute::Local(false));
}

// ---------------------------------------------------------------------------------------
// 8. Operation state

#[test]
fn logout_ends_operations() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let private = [Attribute::Token(false), Attribute::Sign(true)];
    let (_, key) = ec_pair(&s, P256_PARAMS, &private).expect("C_GenerateKeyPair P-256");
    s.sign_init(&Mechanism::EcdsaSha256, key).expect("C_SignInit");
    s.logout().expect("C_Logout");
    let (rv, _, _) = Raw::new(&t).call(Call::Sign, s.handle(), DATA, Some(256));
    assert_ne!(rv, CKR_OK, "C_Sign after C_Logout must fail");
    // Logged in again, no operation survived.
    s.login(
        cryptoki::session::UserType::User,
        Some(&craton_blackbox::pin(craton_blackbox::USER_PIN)),
    )
    .unwrap();
    let (rv, _, _) = Raw::new(&t).call(Call::Sign, s.handle(), DATA, Some(256));
    assert_eq!(rv, CKR_OPERATION_NOT_INITIALIZED, "C_Sign after re-login");
}

#[test]
fn encrypt_init_twice_is_operation_active() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let key = import_aes(&s, &AES_KEY, &[]);
    s.encrypt_init(&Mechanism::AesEcb, key).expect("C_EncryptInit");
    expect_rv(s.encrypt_init(&Mechanism::AesEcb, key), RvError::OperationActive);
    // The first operation is intact.
    let (rv, len, out) = Raw::new(&t).call(Call::Encrypt, s.handle(), &BLOCK, Some(16));
    assert_eq!(rv, CKR_OK, "C_Encrypt of the first operation");
    assert_eq!(len, 16);
    assert_eq!(out, ecb(&s, key, &BLOCK));
}

#[test]
fn encrypt_two_call_convention() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let key = import_aes(&s, &AES_KEY, &[]);
    let mech = Mechanism::AesCbcPad([9; 16]);
    let input = [0x5au8; 20];
    let want = s.encrypt(&mech, key, &input).expect("cryptoki C_Encrypt");
    assert_eq!(want.len(), 32);

    let raw = Raw::new(&t);
    s.encrypt_init(&mech, key).expect("C_EncryptInit");
    let (rv, len, _) = raw.call(Call::Encrypt, s.handle(), &input, None);
    assert_eq!(rv, CKR_OK, "C_Encrypt with NULL output");
    assert!(len >= 32, "length query gave {len}");
    let (rv, len2, _) = raw.call(Call::Encrypt, s.handle(), &input, Some(16));
    assert_eq!(rv, CKR_BUFFER_TOO_SMALL, "C_Encrypt with 16 bytes of room");
    assert!(len2 >= 32, "CKR_BUFFER_TOO_SMALL gave length {len2}");
    let (rv, len3, out) = raw.call(Call::Encrypt, s.handle(), &input, Some(len as usize));
    assert_eq!(rv, CKR_OK, "C_Encrypt with room: the operation was still active");
    assert_eq!(len3, 32);
    assert_eq!(to_hex(&out), to_hex(&want));
    let (rv, _, _) = raw.call(Call::Encrypt, s.handle(), &input, Some(64));
    assert_eq!(rv, CKR_OPERATION_NOT_INITIALIZED, "C_Encrypt after the operation finished");
}

#[test]
fn encrypt_after_encrypt_update_is_operation_active() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let key = import_aes(&s, &AES_KEY, &[]);
    let want = ecb(&s, key, &BLOCK);
    s.encrypt_init(&Mechanism::AesEcb, key).expect("C_EncryptInit");
    let part = s.encrypt_update(&BLOCK).expect("C_EncryptUpdate");
    assert_eq!(part, want, "C_EncryptUpdate of one ECB block");
    let (rv, _, _) = Raw::new(&t).call(Call::Encrypt, s.handle(), &BLOCK, Some(16));
    assert_eq!(rv, CKR_OPERATION_ACTIVE, "C_Encrypt after C_EncryptUpdate");
}

#[test]
fn failed_decrypt_ends_the_operation() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let key = import_aes(&s, &AES_KEY, &[]);
    let (mut iv, aad) = ([1u8; 12], *b"header");
    let mut ct = s.encrypt(&gcm(&mut iv, &aad), key, &BLOCK).expect("GCM encrypt");
    let last = ct.len() - 1;
    ct[last] ^= 0x80;

    let raw = Raw::new(&t);
    s.decrypt_init(&gcm(&mut iv, &aad), key).expect("C_DecryptInit");
    let (rv, _, _) = raw.call(Call::Decrypt, s.handle(), &ct, Some(64));
    assert_eq!(rv, CKR_ENCRYPTED_DATA_INVALID, "C_Decrypt with a bad tag");
    let (rv, _, _) = raw.call(Call::Decrypt, s.handle(), &ct, Some(64));
    assert_eq!(rv, CKR_OPERATION_NOT_INITIALIZED, "C_Decrypt after the failure");
    // A new operation can start and the good ciphertext decrypts.
    ct[last] ^= 0x80;
    let pt = s.decrypt(&gcm(&mut iv, &aad), key, &ct).expect("C_Decrypt of the good ciphertext");
    assert_eq!(pt, BLOCK);
}

// ---------------------------------------------------------------------------------------
// 9. Key pair generation

#[test]
fn rsa_token_key_pair_survives_reload() {
    let mut t = TestToken::new();
    let (slot, s) = setup(&t);
    // No CKA_PUBLIC_EXPONENT: the module picks one.
    let public = [
        Attribute::ModulusBits(2048u64.into()),
        Attribute::Token(true),
        Attribute::Label(b"rsa-pub".to_vec()),
    ];
    let private = [Attribute::Token(true), Attribute::Label(b"rsa-priv".to_vec())];
    let (pubk, privk) = s
        .generate_key_pair(&Mechanism::RsaPkcsKeyPairGen, &public, &private)
        .expect("C_GenerateKeyPair RSA 2048");
    let e = bytes(&s, pubk, AttributeType::PublicExponent);
    assert!(e.last().is_some_and(|b| b & 1 == 1), "CKA_PUBLIC_EXPONENT {}", to_hex(&e));
    assert_eq!(bytes(&s, privk, AttributeType::PublicExponent), e, "same exponent on both");
    assert_eq!(get(&s, pubk, AttributeType::ModulusBits), Attribute::ModulusBits(2048u64.into()));
    assert_attrs(
        &s,
        privk,
        &[Attribute::Local(true), Attribute::Token(true), Attribute::Sensitive(true)],
        "generated RSA private key",
    );
    assert_eq!(raw_ulong(&t, &s, privk, CKA_KEY_GEN_MECHANISM), CKM_RSA_PKCS_KEY_PAIR_GEN);
    let spki = bytes(&s, pubk, AttributeType::PublicKeyInfo);
    assert_eq!(
        to_hex(&bytes(&s, privk, AttributeType::PublicKeyInfo)),
        to_hex(&spki),
        "CKA_PUBLIC_KEY_INFO of both halves"
    );
    let modulus = bytes(&s, pubk, AttributeType::Modulus);
    assert_eq!(modulus.len(), 256);
    assert_eq!(spki[0], 0x30, "SubjectPublicKeyInfo is a DER SEQUENCE");
    assert!(contains(&spki, &modulus), "the SPKI holds the modulus");
    let sig = s.sign(&Mechanism::Sha256RsaPkcs, privk, DATA).expect("C_Sign");
    s.verify(&Mechanism::Sha256RsaPkcs, pubk, DATA, &sig).expect("C_Verify");
    drop(s);

    t.reload();
    let s = t.user_rw(slot);
    let [pubk] = s.find_objects(&[Attribute::Label(b"rsa-pub".to_vec())]).unwrap()[..] else {
        panic!("public key lost on reload")
    };
    let [privk] = s.find_objects(&[Attribute::Label(b"rsa-priv".to_vec())]).unwrap()[..] else {
        panic!("private key lost on reload")
    };
    assert_eq!(get(&s, pubk, AttributeType::ModulusBits), Attribute::ModulusBits(2048u64.into()));
    assert_eq!(bytes(&s, pubk, AttributeType::Modulus), modulus);
    assert_eq!(to_hex(&bytes(&s, privk, AttributeType::PublicKeyInfo)), to_hex(&spki));
    s.verify(&Mechanism::Sha256RsaPkcs, pubk, DATA, &sig).expect("old signature after reload");
    let sig2 = s.sign(&Mechanism::Sha256RsaPkcs, privk, DATA).expect("C_Sign after reload");
    assert_eq!(to_hex(&sig2), to_hex(&sig), "same key, same PKCS#1 v1.5 signature");
    s.verify(&Mechanism::Sha256RsaPkcs, pubk, DATA, &sig2).expect("C_Verify after reload");
}

#[test]
fn rsa_1024_is_key_size_range() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let session = [Attribute::Token(false)];
    expect_rv(try_rsa_pair(&s, 1024, &session, &session), RvError::KeySizeRange);
}

#[test]
fn ec_unknown_curve_is_curve_not_supported() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let private = [Attribute::Token(false)];
    // secp256k1 (1.3.132.0.10) and a made-up OID 1.2.3.4.
    for params in [&[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a][..], &[0x06, 0x03, 0x2a, 0x03, 0x04]]
    {
        let rv = rv_of(ec_pair(&s, params, &private));
        assert_eq!(rv, RvError::CurveNotSupported, "CKA_EC_PARAMS {}", to_hex(params));
    }
}

#[test]
fn ec_private_template_with_value_is_inconsistent() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let private = [Attribute::Token(false), Attribute::Value(vec![0x42; 32])];
    expect_rv(ec_pair(&s, P256_PARAMS, &private), RvError::TemplateInconsistent);
}

#[test]
fn ec_p256_public_point_encoding() {
    let t = TestToken::new();
    let (_, s) = setup(&t);
    let (public, private) = ec_pair(&s, P256_PARAMS, &[Attribute::Token(false)]).expect("P-256");
    let point = bytes(&s, public, AttributeType::EcPoint);
    assert_eq!(point.len(), 67, "CKA_EC_POINT {}", to_hex(&point));
    assert_eq!(point[..3], [0x04, 0x41, 0x04], "DER OCTET STRING of an uncompressed point");
    assert_eq!(raw_ulong(&t, &s, private, CKA_KEY_GEN_MECHANISM), CKM_EC_KEY_PAIR_GEN);
    let sig = s.sign(&Mechanism::EcdsaSha256, private, DATA).expect("C_Sign ECDSA");
    s.verify(&Mechanism::EcdsaSha256, public, DATA, &sig).expect("C_Verify ECDSA");
}

// ---------------------------------------------------------------------------------------
// 10. Token private keys are stored encrypted

#[test]
fn token_private_key_material_is_not_stored_in_clear() {
    let mut t = TestToken::new();
    let (slot, s) = setup(&t);
    // Fixed components, so the test knows the secret bytes to look for.
    let k = fixed_rsa();
    let extra = [
        Attribute::Token(true),
        Attribute::Sensitive(false),
        Attribute::Extractable(true),
        Attribute::Label(b"stored".to_vec()),
    ];
    s.create_object(&rsa_private_template(&k, &extra)).expect("C_CreateObject token RSA key");

    // The first 16 bytes of each secret component, as bytes and as hex text.
    let secrets = [
        ("CKA_PRIVATE_EXPONENT", &k.d),
        ("CKA_PRIME_1", &k.p),
        ("CKA_PRIME_2", &k.q),
        ("CKA_EXPONENT_1", &k.dp),
        ("CKA_EXPONENT_2", &k.dq),
        ("CKA_COEFFICIENT", &k.qinv),
    ];
    let mut needles: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, v) in secrets {
        let head = &v[..16];
        needles.push((name.to_string(), head.to_vec()));
        needles.push((format!("{name} (hex)"), to_hex(head).into_bytes()));
        needles.push((format!("{name} (HEX)"), to_hex(head).to_uppercase().into_bytes()));
    }
    let store = t.store_path().to_path_buf();
    let check = |when: &str| {
        let files = read_tree(&store);
        assert!(files.iter().any(|(_, b)| !b.is_empty()), "{when}: the store is empty");
        for (path, content) in &files {
            for (name, needle) in &needles {
                assert!(!contains(content, needle), "{when}: {name} in clear in {path}");
            }
        }
    };
    check("while loaded");
    drop(s);
    t.finalize();
    check("after C_Finalize");

    // The key was stored: it comes back with its material.
    t.reload();
    let s = t.user_rw(slot);
    let [key] = s.find_objects(&[Attribute::Label(b"stored".to_vec())]).unwrap()[..] else {
        panic!("the token key was not stored")
    };
    assert_eq!(to_hex(&bytes(&s, key, AttributeType::PrivateExponent)), to_hex(&k.d));
    assert_eq!(to_hex(&bytes(&s, key, AttributeType::Prime1)), to_hex(&k.p));
}
