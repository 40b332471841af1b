//! CKM_SP800_108_COUNTER_KDF through cryptoki's KBKDF parameter types, against NIST CAVP
//! KBKDF counter-mode vectors (tests/vectors/kbkdf_ctr.txt): HMAC-SHA-1/224/256/384/512 and
//! AES-CMAC PRFs, the counter before, after and in the middle of the fixed input, 8- to
//! 32-bit counters. Additional derived keys follow PKCS#11 3.0 section 2.42.6: each key
//! starts at a fresh PRF output. Also CKM_HKDF_DATA (RFC 5869 vectors, tests/vectors/
//! hkdf.txt), which derives a data object.

use craton_blackbox::TestToken;
use craton_blackbox::expect_rv;
use craton_blackbox::kat::{
    Case, Vectors, aes_key, generic_secret, readable_secret_template, to_hex, user_session,
    value_of,
};
use cryptoki::error::RvError;
use cryptoki::mechanism::hkdf::{HkdfParams, HkdfSalt};
use cryptoki::mechanism::kbkdf::{
    DerivedKey, Endianness, KbkdfCounterFormat, KbkdfDkmLengthFormat, KbkdfDkmLengthMethod,
    KbkdfParams, PrfDataParam, PrfDataParamType,
};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use std::num::NonZeroUsize;

fn counter(bits: usize) -> KbkdfCounterFormat {
    KbkdfCounterFormat::new(Endianness::Big, NonZeroUsize::new(bits).expect("width"))
}

fn prf_of(section: &str) -> MechanismType {
    match section {
        "HMAC_SHA1" => MechanismType::SHA1_HMAC,
        "HMAC_SHA224" => MechanismType::SHA224_HMAC,
        "HMAC_SHA256" => MechanismType::SHA256_HMAC,
        "HMAC_SHA384" => MechanismType::SHA384_HMAC,
        "HMAC_SHA512" => MechanismType::SHA512_HMAC,
        s if s.starts_with("CMAC_AES") => MechanismType::AES_CMAC,
        s => panic!("unknown section {s}"),
    }
}

fn base_key(s: &Session, section: &str, ki: &[u8]) -> ObjectHandle {
    let usage = [Attribute::Derive(true)];
    if section.starts_with("CMAC") { aes_key(s, ki, &usage) } else { generic_secret(s, ki, &usage) }
}

/// Derive `len` bytes for case `c` with the data parameters CAVP's counter location implies.
fn derive_case(s: &Session, c: &Case, base: ObjectHandle, len: usize) -> Vec<u8> {
    let fixed = c.bytes("FixedInputData");
    let ctr = counter(usize::try_from(c.num("RLEN")).unwrap());
    let split = c.get("DataBeforeCtrLen").map_or(0, |v| v.parse::<usize>().unwrap());
    let (before, after) = fixed.split_at(split);
    let data: Vec<PrfDataParam<'_>> = match c.str("CTRLOCATION") {
        "BEFORE_FIXED" => vec![
            PrfDataParam::new(PrfDataParamType::IterationVariable(Some(&ctr))),
            PrfDataParam::new(PrfDataParamType::ByteArray(&fixed)),
        ],
        "AFTER_FIXED" => vec![
            PrfDataParam::new(PrfDataParamType::ByteArray(&fixed)),
            PrfDataParam::new(PrfDataParamType::IterationVariable(Some(&ctr))),
        ],
        "MIDDLE_FIXED" => vec![
            PrfDataParam::new(PrfDataParamType::ByteArray(before)),
            PrfDataParam::new(PrfDataParamType::IterationVariable(Some(&ctr))),
            PrfDataParam::new(PrfDataParamType::ByteArray(after)),
        ],
        other => panic!("{}: location {other}", c.id()),
    };
    let params = KbkdfParams::new(prf_of(&c.section), &data, None);
    let key = s
        .derive_key(&Mechanism::KbkdfCounter(params), base, &readable_secret_template(Some(len)))
        .unwrap_or_else(|e| panic!("{}: C_DeriveKey: {e}", c.id()));
    value_of(s, key)
}

#[test]
fn counter_mode_cavp() {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("kbkdf_ctr.txt");
    let mut sections = std::collections::BTreeSet::new();
    for c in &vectors.cases {
        let len = usize::try_from(c.num("L")).unwrap() / 8;
        let base = base_key(&s, &c.section, &c.bytes("KI"));
        let got = derive_case(&s, c, base, len);
        assert_eq!(to_hex(&got), to_hex(&c.bytes("KO")), "{}: KO", c.id());
        sections.insert(c.section.clone());
    }
    assert_eq!(sections.len(), 8, "every PRF is covered: {sections:?}");
    assert!(vectors.cases.len() >= 24);
}

/// The first CAVP HMAC-SHA256 case's base key and fixed input, with a 32-bit big-endian
/// counter before the fixed input.
fn sha256_case(vectors: &Vectors) -> &Case {
    vectors.section("HMAC_SHA256").into_iter().next().expect("an HMAC_SHA256 case")
}

#[test]
fn additional_keys_start_at_fresh_prf_outputs() {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("kbkdf_ctr.txt");
    let c = sha256_case(&vectors);
    let base = base_key(&s, &c.section, &c.bytes("KI"));
    // The spec's own example: a 48-byte key and a 16-byte key take three 32-byte outputs;
    // the second key is the first 16 bytes of the third output.
    let stream = derive_case(&s, c, base, 96);
    let fixed = c.bytes("FixedInputData");
    let ctr = counter(usize::try_from(c.num("RLEN")).unwrap());
    let data = order(c.str("CTRLOCATION"), &ctr, &fixed, c);
    // DerivedKey keeps pointers into the template: it must outlive the call.
    let second_template = readable_secret_template(Some(16));
    let mut extra = [DerivedKey::new(&second_template)];
    let params = KbkdfParams::new(MechanismType::SHA256_HMAC, &data, Some(&mut extra));
    let first = s
        .derive_key(&Mechanism::KbkdfCounter(params), base, &readable_secret_template(Some(48)))
        .expect("C_DeriveKey with an additional key");
    let second = extra[0].handle().expect("the additional key's handle was written");
    assert_eq!(to_hex(&value_of(&s, first)), to_hex(&stream[..48]));
    assert_eq!(to_hex(&value_of(&s, second)), to_hex(&stream[64..80]));
}

/// The data parameters of `c` (no middle split) built around `ctr`.
fn order<'a>(
    location: &str,
    ctr: &'a KbkdfCounterFormat,
    fixed: &'a [u8],
    c: &Case,
) -> Vec<PrfDataParam<'a>> {
    let it = PrfDataParam::new(PrfDataParamType::IterationVariable(Some(ctr)));
    let bytes = PrfDataParam::new(PrfDataParamType::ByteArray(fixed));
    match location {
        "BEFORE_FIXED" => vec![it, bytes],
        "AFTER_FIXED" => vec![bytes, it],
        other => panic!("{}: use a case without a split, not {other}", c.id()),
    }
}

#[test]
fn dkm_length_methods_and_refusals() {
    let t = TestToken::new();
    let s = user_session(&t);
    let base = generic_secret(&s, &[0x42; 32], &[Attribute::Derive(true)]);
    let ctr = counter(32);
    let label = b"label".to_vec();
    let derive = |method: Option<KbkdfDkmLengthMethod>, len: usize| {
        let dkm =
            method.map(|m| KbkdfDkmLengthFormat::new(m, Endianness::Big, 32.try_into().unwrap()));
        let mut data = vec![
            PrfDataParam::new(PrfDataParamType::IterationVariable(Some(&ctr))),
            PrfDataParam::new(PrfDataParamType::ByteArray(&label)),
        ];
        if let Some(d) = &dkm {
            data.push(PrfDataParam::new(PrfDataParamType::DkmLength(d)));
        }
        let params = KbkdfParams::new(MechanismType::SHA256_HMAC, &data, None);
        s.derive_key(&Mechanism::KbkdfCounter(params), base, &readable_secret_template(Some(len)))
            .map(|k| value_of(&s, k))
    };
    // A 40-byte key: SUM_OF_KEYS encodes 320 bits, SUM_OF_SEGMENTS 512 (two whole outputs).
    let keys = derive(Some(KbkdfDkmLengthMethod::SumOfKeys), 40).expect("SUM_OF_KEYS");
    let segs = derive(Some(KbkdfDkmLengthMethod::SumOfSegments), 40).expect("SUM_OF_SEGMENTS");
    let none = derive(None, 40).expect("no DKM length");
    assert_ne!(keys, segs);
    assert_ne!(keys, none);
    // For a 64-byte key both methods encode 512 bits.
    assert_eq!(
        derive(Some(KbkdfDkmLengthMethod::SumOfKeys), 64).unwrap(),
        derive(Some(KbkdfDkmLengthMethod::SumOfSegments), 64).unwrap()
    );

    // No counter: the iteration variable is mandatory in counter mode.
    let data = [PrfDataParam::new(PrfDataParamType::ByteArray(&label))];
    let params = KbkdfParams::new(MechanismType::SHA256_HMAC, &data, None);
    expect_rv(
        s.derive_key(&Mechanism::KbkdfCounter(params), base, &readable_secret_template(Some(16))),
        RvError::MechanismParamInvalid,
    );
    // The optional counter of feedback mode is not a counter-mode field.
    let data = [
        PrfDataParam::new(PrfDataParamType::IterationVariable(Some(&ctr))),
        PrfDataParam::new(PrfDataParamType::Counter(&ctr)),
    ];
    let params = KbkdfParams::new(MechanismType::SHA256_HMAC, &data, None);
    expect_rv(
        s.derive_key(&Mechanism::KbkdfCounter(params), base, &readable_secret_template(Some(16))),
        RvError::MechanismParamInvalid,
    );
    // A CMAC PRF needs an AES base key.
    let data = [PrfDataParam::new(PrfDataParamType::IterationVariable(Some(&ctr)))];
    let params = KbkdfParams::new(MechanismType::AES_CMAC, &data, None);
    expect_rv(
        s.derive_key(&Mechanism::KbkdfCounter(params), base, &readable_secret_template(Some(16))),
        RvError::KeyTypeInconsistent,
    );
    // No length for a generic secret.
    let data = [PrfDataParam::new(PrfDataParamType::IterationVariable(Some(&ctr)))];
    let params = KbkdfParams::new(MechanismType::SHA256_HMAC, &data, None);
    expect_rv(
        s.derive_key(&Mechanism::KbkdfCounter(params), base, &readable_secret_template(None)),
        RvError::TemplateIncomplete,
    );
}

#[test]
fn additional_key_failure_creates_nothing() {
    let t = TestToken::new();
    let s = user_session(&t);
    let base = generic_secret(&s, &[0x17; 32], &[Attribute::Derive(true)]);
    let ctr = counter(16);
    let data = [PrfDataParam::new(PrfDataParamType::IterationVariable(Some(&ctr)))];
    let count = |s: &Session| s.find_objects(&[]).expect("C_FindObjects").len();
    let before = count(&s);
    // The second additional key's template has an attribute no secret key has: it fails
    // only when that key is stored, after the first two were; nothing may remain.
    let mut bad = readable_secret_template(Some(16));
    bad.push(Attribute::ModulusBits(2048u64.into()));
    let good = readable_secret_template(Some(16));
    let mut extra = [DerivedKey::new(&good), DerivedKey::new(&bad)];
    let params = KbkdfParams::new(MechanismType::SHA256_HMAC, &data, Some(&mut extra));
    let r =
        s.derive_key(&Mechanism::KbkdfCounter(params), base, &readable_secret_template(Some(16)));
    assert!(r.is_err(), "{r:?}");
    assert_eq!(count(&s), before, "no key of the failed derivation remains");
}

#[test]
fn hkdf_data_derives_a_data_object() {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("hkdf.txt");
    let c = vectors.section("SHA-256").into_iter().next().expect("an HKDF-SHA-256 case");
    let (ikm, salt, info, okm) = (c.bytes("IKM"), c.bytes("salt"), c.bytes("info"), c.bytes("OKM"));
    let base = generic_secret(&s, &ikm, &[Attribute::Derive(true)]);
    let params = HkdfParams::new(MechanismType::SHA256, Some(HkdfSalt::Data(&salt)), Some(&info));
    let template = [
        Attribute::Class(ObjectClass::DATA),
        Attribute::Token(false),
        Attribute::ValueLen((okm.len() as u64).into()),
        Attribute::Label(b"hkdf output".to_vec()),
    ];
    let obj = s.derive_key(&Mechanism::HkdfData(params), base, &template).expect("HKDF_DATA");
    let got = s
        .get_attributes(obj, &[AttributeType::Class, AttributeType::Value])
        .expect("attributes of the data object");
    assert!(got.contains(&Attribute::Class(ObjectClass::DATA)), "{got:?}");
    assert!(got.contains(&Attribute::Value(okm.clone())), "{}: OKM", c.id());

    // A key class is not what this mechanism makes.
    let params = HkdfParams::new(MechanismType::SHA256, Some(HkdfSalt::Data(&salt)), Some(&info));
    expect_rv(
        s.derive_key(&Mechanism::HkdfData(params), base, &readable_secret_template(Some(32))),
        RvError::TemplateInconsistent,
    );
}
