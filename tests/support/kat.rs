//! Known-answer test support: the vector files under `tests/vectors/`, hex, key
//! import templates and mechanisms `cryptoki` has no variant for.
//!
//! A vector file is line based, in the style of NIST's .rsp files:
//! - `# ...` lines are comments; the comment lines right above a case are kept
//!   with it (they name where the case comes from) and shown when it fails;
//! - `[name]` starts a section; consecutive header lines are joined with ", ";
//! - a case is a run of `Key = value` lines ended by a blank line (or a section);
//!   a line without `=` is a flag (CAVP's `FAIL`);
//! - values are taken as written, trimmed; an empty value is allowed.

use crate::TestToken;
use cryptoki::error::{Error, RvError};
use cryptoki::mechanism::vendor_defined::VendorDefinedMechanism;
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use pkcs11_sys::CK_MECHANISM_TYPE;
use std::fmt::Debug;
use std::path::PathBuf;

/// DER of the named-curve OIDs (CKA_EC_PARAMS).
pub const P256_PARAMS: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
pub const P384_PARAMS: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
pub const P521_PARAMS: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23];
/// id-Ed25519, 1.3.101.112 (RFC 8410).
pub const ED25519_OID_PARAMS: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
/// PrintableString "edwards25519", the other CKA_EC_PARAMS form PKCS#11 3.0 allows.
pub const ED25519_NAME_PARAMS: &[u8] = b"\x13\x0cedwards25519";
/// id-X25519, 1.3.101.110 (RFC 8410).
pub const X25519_OID_PARAMS: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x6e];

/// Bytes of a hex string (either case, no separators); panics on bad input.
#[track_caller]
pub fn hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd-length hex: {s:?}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or_else(|_| panic!("bad hex: {s:?}")))
        .collect()
}

/// Lower-case hex of `b`, for messages.
pub fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// One case of a vector file.
#[derive(Debug, Clone)]
pub struct Case {
    file: String,
    /// Line of the case's first field.
    pub line: usize,
    pub section: String,
    /// The comment lines right above the case.
    pub comment: String,
    fields: Vec<(String, String)>,
    flags: Vec<String>,
}

impl Case {
    /// Where the case is, for failure messages.
    pub fn id(&self) -> String {
        let mut id = format!("{}:{} [{}]", self.file, self.line, self.section);
        if !self.comment.is_empty() {
            id += &format!(" ({})", self.comment);
        }
        id
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// True if the case has this field or flag.
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some() || self.flags.iter().any(|f| f == key)
    }

    #[track_caller]
    pub fn str(&self, key: &str) -> &str {
        self.get(key).unwrap_or_else(|| panic!("{}: no field {key}", self.id()))
    }

    /// A hex field as bytes.
    #[track_caller]
    pub fn bytes(&self, key: &str) -> Vec<u8> {
        hex(self.str(key))
    }

    /// A hex field holding a big-endian integer, as exactly `size` bytes (left-padded
    /// with zeros; the hex may have an odd number of digits, as CAVP's P-521 values do).
    #[track_caller]
    pub fn int(&self, key: &str, size: usize) -> Vec<u8> {
        let v = self.str(key).trim_start_matches('0');
        assert!(v.len() <= 2 * size, "{}: {key} does not fit in {size} bytes", self.id());
        hex(&format!("{v:0>width$}", width = 2 * size))
    }

    /// A decimal field.
    #[track_caller]
    pub fn num(&self, key: &str) -> u64 {
        let v = self.str(key);
        v.parse().unwrap_or_else(|_| panic!("{}: {key} = {v:?} is not a number", self.id()))
    }
}

/// The cases of one file under `tests/vectors/`.
#[derive(Debug, Clone)]
pub struct Vectors {
    pub cases: Vec<Case>,
}

impl Vectors {
    /// Read and parse `tests/vectors/<name>`.
    pub fn load(name: &str) -> Self {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors").join(name);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        Self::parse(name, &text)
    }

    pub fn parse(name: &str, text: &str) -> Self {
        let mut cases = Vec::new();
        let mut section = String::new();
        let mut last_was_header = false;
        let mut comment: Vec<String> = Vec::new();
        let mut cur: Option<Case> = None;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() {
                cases.extend(cur.take());
                comment.clear();
                last_was_header = false;
                continue;
            }
            if let Some(c) = line.strip_prefix('#') {
                if cur.is_none() {
                    comment.push(c.trim().to_owned());
                }
                continue;
            }
            if line.starts_with('[') && line.ends_with(']') {
                cases.extend(cur.take());
                let head = &line[1..line.len() - 1];
                section = if last_was_header { format!("{section}, {head}") } else { head.into() };
                last_was_header = true;
                comment.clear();
                continue;
            }
            last_was_header = false;
            let case = cur.get_or_insert_with(|| Case {
                file: name.to_owned(),
                line: i + 1,
                section: section.clone(),
                comment: comment.join(" "),
                fields: Vec::new(),
                flags: Vec::new(),
            });
            match line.split_once('=') {
                Some((k, v)) => case.fields.push((k.trim().to_owned(), v.trim().to_owned())),
                None => case.flags.push(line.to_owned()),
            }
        }
        cases.extend(cur);
        assert!(!cases.is_empty(), "{name}: no cases");
        Self { cases }
    }

    /// The cases of one section, in file order; panics if there are none.
    #[track_caller]
    pub fn section(&self, name: &str) -> Vec<&Case> {
        let v: Vec<&Case> = self.cases.iter().filter(|c| c.section == name).collect();
        assert!(!v.is_empty(), "no cases in section [{name}]");
        v
    }
}

/// A mechanism given by number with an optional parameter struct, for mechanisms
/// `cryptoki` 0.12 has no variant for (CKM_*_HMAC_GENERAL, CKM_SHA3_*, CKM_AES_CTR,
/// CKM_AES_KEY_WRAP_KWP, ...). `T` must be the C parameter struct of that mechanism.
pub fn raw_mechanism<T>(ty: CK_MECHANISM_TYPE, param: Option<&T>) -> Mechanism<'_> {
    let mt = MechanismType::try_from(ty).unwrap_or_else(|_| {
        // SAFETY: MechanismType is #[repr(transparent)] over CK_MECHANISM_TYPE (cryptoki
        // declares it so that slices of it can be passed to C) and every value is valid;
        // cryptoki only refuses to name numbers below CKM_VENDOR_DEFINED it does not know.
        unsafe { std::mem::transmute::<CK_MECHANISM_TYPE, MechanismType>(ty) }
    });
    Mechanism::VendorDefined(VendorDefinedMechanism::new(mt, param))
}

/// A mechanism without parameters given by number (see [`raw_mechanism`]).
pub fn plain_mechanism(ty: CK_MECHANISM_TYPE) -> Mechanism<'static> {
    raw_mechanism::<()>(ty, None)
}

/// Initialize a token in a fresh module instance and return a R/W user session.
pub fn user_session(t: &TestToken) -> Session {
    let slot = t.init_token();
    t.user_rw(slot)
}

fn create(
    s: &Session,
    mut template: Vec<Attribute>,
    usage: &[Attribute],
    what: &str,
) -> ObjectHandle {
    template.push(Attribute::Token(false));
    template.extend_from_slice(usage);
    s.create_object(&template).unwrap_or_else(|e| panic!("C_CreateObject ({what}): {e}"))
}

/// A session secret key of type `kt` with CKA_VALUE = `value`, plus `usage`.
pub fn secret_key(s: &Session, kt: KeyType, value: &[u8], usage: &[Attribute]) -> ObjectHandle {
    let t = vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(kt),
        Attribute::Value(value.to_vec()),
    ];
    create(s, t, usage, "secret key")
}

pub fn aes_key(s: &Session, value: &[u8], usage: &[Attribute]) -> ObjectHandle {
    secret_key(s, KeyType::AES, value, usage)
}

pub fn generic_secret(s: &Session, value: &[u8], usage: &[Attribute]) -> ObjectHandle {
    secret_key(s, KeyType::GENERIC_SECRET, value, usage)
}

/// The components of an RSA private key, big-endian without leading zero bytes.
#[derive(Debug, Clone)]
pub struct RsaKey {
    pub n: Vec<u8>,
    pub e: Vec<u8>,
    pub d: Vec<u8>,
    pub p: Vec<u8>,
    pub q: Vec<u8>,
    pub dp: Vec<u8>,
    pub dq: Vec<u8>,
    pub qinv: Vec<u8>,
}

/// A session CKO_PRIVATE_KEY/CKK_RSA with all eight components.
pub fn rsa_private(s: &Session, k: &RsaKey, usage: &[Attribute]) -> ObjectHandle {
    let t = vec![
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
    create(s, t, usage, "RSA private key")
}

/// A session CKO_PUBLIC_KEY/CKK_RSA.
pub fn rsa_public(s: &Session, n: &[u8], e: &[u8], usage: &[Attribute]) -> ObjectHandle {
    let t = vec![
        Attribute::Class(ObjectClass::PUBLIC_KEY),
        Attribute::KeyType(KeyType::RSA),
        Attribute::Modulus(n.to_vec()),
        Attribute::PublicExponent(e.to_vec()),
    ];
    create(s, t, usage, "RSA public key")
}

/// A session private key of an EC family (`kt` = EC, EC_EDWARDS or EC_MONTGOMERY)
/// with CKA_EC_PARAMS = `params` and CKA_VALUE = `value`.
pub fn ec_private(
    s: &Session,
    kt: KeyType,
    params: &[u8],
    value: &[u8],
    usage: &[Attribute],
) -> ObjectHandle {
    let t = vec![
        Attribute::Class(ObjectClass::PRIVATE_KEY),
        Attribute::KeyType(kt),
        Attribute::EcParams(params.to_vec()),
        Attribute::Value(value.to_vec()),
    ];
    create(s, t, usage, "EC private key")
}

/// A session public key of an EC family; `point` is the raw encoding (04 || x || y
/// for Weierstrass curves, the 32 bytes for Ed25519) and is stored as CKA_EC_POINT
/// wrapped in a DER OCTET STRING.
pub fn ec_public(
    s: &Session,
    kt: KeyType,
    params: &[u8],
    point: &[u8],
    usage: &[Attribute],
) -> ObjectHandle {
    let t = vec![
        Attribute::Class(ObjectClass::PUBLIC_KEY),
        Attribute::KeyType(kt),
        Attribute::EcParams(params.to_vec()),
        Attribute::EcPoint(der_octet_string(point)),
    ];
    create(s, t, usage, "EC public key")
}

/// DER OCTET STRING holding `b`.
pub fn der_octet_string(b: &[u8]) -> Vec<u8> {
    let mut out = vec![0x04];
    let n = b.len();
    if n < 0x80 {
        out.push(n as u8);
    } else if n < 0x100 {
        out.extend_from_slice(&[0x81, n as u8]);
    } else {
        assert!(n < 0x10000);
        out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(b);
    out
}

/// Template for a derived or unwrapped generic secret whose value the test reads
/// back: CKA_SENSITIVE false, CKA_EXTRACTABLE true; `len` sets CKA_VALUE_LEN.
pub fn readable_secret_template(len: Option<usize>) -> Vec<Attribute> {
    let mut t = vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::GENERIC_SECRET),
        Attribute::Token(false),
        Attribute::Sensitive(false),
        Attribute::Extractable(true),
    ];
    if let Some(len) = len {
        t.push(Attribute::ValueLen((len as u64).into()));
    }
    t
}

/// CKA_VALUE of an object; panics if it cannot be read.
#[track_caller]
pub fn value_of(s: &Session, obj: ObjectHandle) -> Vec<u8> {
    match s.get_attributes(obj, &[AttributeType::Value]).expect("C_GetAttributeValue").pop() {
        Some(Attribute::Value(v)) => v,
        other => panic!("CKA_VALUE unavailable: {other:?}"),
    }
}

/// `b` with byte `i` (counted from the end if `i` is past it) xor-ed with 0x01.
pub fn flip(b: &[u8], i: usize) -> Vec<u8> {
    assert!(!b.is_empty(), "nothing to flip");
    let mut v = b.to_vec();
    let i = i.min(v.len() - 1);
    v[i] ^= 0x01;
    v
}

/// `data` cut into pieces of 0, 1, 2, 3, 5, 8, 13, ... bytes (cycling back to 0
/// after 89), so multi-part operations see empty, odd and block-straddling parts.
pub fn uneven_chunks(data: &[u8]) -> Vec<&[u8]> {
    let sizes = [0usize, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89];
    let mut out = Vec::new();
    let mut rest = data;
    for size in sizes.iter().cycle() {
        let take = (*size).min(rest.len());
        let (a, b) = rest.split_at(take);
        out.push(a);
        rest = b;
        if rest.is_empty() {
            break;
        }
    }
    out
}

/// Assert a call failed with one of `allowed`.
#[track_caller]
pub fn expect_one_of<T: Debug>(
    result: cryptoki::error::Result<T>,
    allowed: &[RvError],
    what: &str,
) {
    match result {
        Err(Error::Pkcs11(rv, f)) => {
            assert!(
                allowed.contains(&rv),
                "{what}: {f} returned {rv:?}, expected one of {allowed:?}"
            )
        }
        other => panic!("{what}: expected one of {allowed:?}, got {other:?}"),
    }
}

/// The errors a verification that rejects a signature may return.
pub const SIGNATURE_REJECTED: &[RvError] = &[RvError::SignatureInvalid, RvError::SignatureLenRange];
/// The errors a decryption that rejects its input may return.
pub const CIPHERTEXT_REJECTED: &[RvError] =
    &[RvError::EncryptedDataInvalid, RvError::EncryptedDataLenRange];

/// Usage flags of a key that encrypts and decrypts.
pub const CIPHER_USAGE: &[Attribute] = &[Attribute::Encrypt(true), Attribute::Decrypt(true)];

/// A case's 16-byte `IV` field.
#[track_caller]
pub fn iv16(c: &Case) -> [u8; 16] {
    c.bytes("IV").try_into().unwrap_or_else(|_| panic!("{}: IV is not 16 bytes", c.id()))
}

/// Multi-part encryption of `data` in [`uneven_chunks`].
pub fn encrypt_parts(s: &Session, mech: &Mechanism<'_>, key: ObjectHandle, data: &[u8]) -> Vec<u8> {
    s.encrypt_init(mech, key).expect("C_EncryptInit");
    let mut out = Vec::new();
    for part in uneven_chunks(data) {
        out.extend(s.encrypt_update(part).expect("C_EncryptUpdate"));
    }
    out.extend(s.encrypt_final().expect("C_EncryptFinal"));
    out
}

/// Multi-part decryption of `data` in [`uneven_chunks`].
pub fn decrypt_parts(s: &Session, mech: &Mechanism<'_>, key: ObjectHandle, data: &[u8]) -> Vec<u8> {
    s.decrypt_init(mech, key).expect("C_DecryptInit");
    let mut out = Vec::new();
    for part in uneven_chunks(data) {
        out.extend(s.decrypt_update(part).expect("C_DecryptUpdate"));
    }
    out.extend(s.decrypt_final().expect("C_DecryptFinal"));
    out
}

/// CKM_AES_GCM with `iv`, `aad` and a tag of `tag_bytes`.
pub fn gcm_mechanism<'a>(iv: &'a mut [u8], aad: &'a [u8], tag_bytes: usize) -> Mechanism<'a> {
    let bits = ((tag_bytes * 8) as u64).into();
    let params = cryptoki::mechanism::aead::GcmParams::new(iv, aad, bits).expect("GcmParams");
    Mechanism::AesGcm(params)
}

/// A session CKK_CHACHA20 key with CKA_VALUE = `value` that may encrypt and decrypt
/// (cryptoki 0.12 has no name for the key type, so the template goes through the raw
/// function list).
pub fn chacha_key(t: &TestToken, s: &Session, value: &[u8]) -> ObjectHandle {
    use pkcs11_sys::*;
    let (class, kt, yes) = (CKO_SECRET_KEY, CKK_CHACHA20, CK_TRUE);
    let attr = |ty: CK_ATTRIBUTE_TYPE, p: *const u8, n: usize| CK_ATTRIBUTE {
        type_: ty,
        pValue: p as *mut _,
        ulValueLen: n as CK_ULONG,
    };
    let ulong = size_of::<CK_ULONG>();
    let mut template = [
        attr(CKA_CLASS, &class as *const _ as *const u8, ulong),
        attr(CKA_KEY_TYPE, &kt as *const _ as *const u8, ulong),
        attr(CKA_VALUE, value.as_ptr(), value.len()),
        attr(CKA_ENCRYPT, &yes as *const u8, 1),
        attr(CKA_DECRYPT, &yes as *const u8, 1),
    ];
    let raw = t.raw();
    let mut key: CK_OBJECT_HANDLE = 0;
    // SAFETY: valid session, template and out-pointer; every value outlives the call.
    let rv = unsafe {
        raw.functions().C_CreateObject.unwrap()(
            s.handle(),
            template.as_mut_ptr(),
            template.len() as CK_ULONG,
            &mut key,
        )
    };
    assert_eq!(rv, CKR_OK, "C_CreateObject ChaCha20 key");
    // SAFETY: the handle was just returned by this module for this session.
    unsafe { ObjectHandle::new_from_raw(key) }
}

/// One CAVP-style GCM decryption case (Key, IV, AAD, CT, Tag, and PT or the FAIL flag): a
/// FAIL case must be refused with CKR_ENCRYPTED_DATA_INVALID, any other must give PT.
/// Returns whether the case was a FAIL case.
pub fn gcm_decrypt_case(s: &Session, c: &Case) -> bool {
    let id = c.id();
    let key = aes_key(s, &c.bytes("Key"), CIPHER_USAGE);
    let (mut iv, aad, tag) = (c.bytes("IV"), c.bytes("AAD"), c.bytes("Tag"));
    let mut input = c.bytes("CT");
    input.extend_from_slice(&tag);
    let m = gcm_mechanism(&mut iv, &aad, tag.len());
    if c.has("FAIL") {
        crate::expect_rv(s.decrypt(&m, key, &input), RvError::EncryptedDataInvalid);
        return true;
    }
    let got = s.decrypt(&m, key, &input).unwrap_or_else(|e| panic!("{id}: C_Decrypt: {e}"));
    assert_eq!(to_hex(&got), to_hex(&c.bytes("PT")), "{id}: C_Decrypt");
    false
}
