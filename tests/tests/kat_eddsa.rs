//! Ed25519 (CKM_EDDSA, CKK_EC_EDWARDS) against RFC 8032 section 7.1 and Wycheproof
//! (tests/vectors/ed25519.txt). Signing is deterministic, so signatures must match.

use craton_blackbox::TestToken;
use craton_blackbox::expect_rv;
use craton_blackbox::kat::{
    ED25519_NAME_PARAMS, ED25519_OID_PARAMS, SIGNATURE_REJECTED, Vectors, ec_private, ec_public,
    expect_one_of, flip, to_hex, user_session,
};
use cryptoki::error::RvError;
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::object::{Attribute, KeyType, ObjectHandle};

fn ed25519() -> Mechanism<'static> {
    Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure))
}

fn rfc8032(params: &[u8], min_cases: usize) {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("ed25519.txt");
    let cases = vectors.section("RFC 8032");
    for c in &cases {
        let id = c.id();
        let private = ec_private(
            &s,
            KeyType::EC_EDWARDS,
            params,
            &c.bytes("SECRET KEY"),
            &[Attribute::Sign(true)],
        );
        let public = ec_public(
            &s,
            KeyType::EC_EDWARDS,
            params,
            &c.bytes("PUBLIC KEY"),
            &[Attribute::Verify(true)],
        );
        let (msg, sig) = (c.bytes("MESSAGE"), c.bytes("SIGNATURE"));
        let got = s.sign(&ed25519(), private, &msg).unwrap_or_else(|e| panic!("{id}: C_Sign: {e}"));
        assert_eq!(to_hex(&got), to_hex(&sig), "{id}: C_Sign");
        s.verify(&ed25519(), public, &msg, &sig).unwrap_or_else(|e| panic!("{id}: C_Verify: {e}"));
        for i in [0, 32, 63] {
            expect_rv(
                s.verify(&ed25519(), public, &msg, &flip(&sig, i)),
                RvError::SignatureInvalid,
            );
        }
        let mut longer = msg.clone();
        longer.push(0x00);
        expect_rv(s.verify(&ed25519(), public, &longer, &sig), RvError::SignatureInvalid);
        if !msg.is_empty() {
            expect_rv(
                s.verify(&ed25519(), public, &flip(&msg, 0), &sig),
                RvError::SignatureInvalid,
            );
        }
        expect_one_of(s.verify(&ed25519(), public, &msg, &sig[..63]), SIGNATURE_REJECTED, &id);
    }
    assert!(cases.len() >= min_cases);
}

/// CKA_EC_PARAMS as the DER OID 1.3.101.112.
#[test]
fn ed25519_rfc8032_oid_params() {
    rfc8032(ED25519_OID_PARAMS, 5);
}

/// CKA_EC_PARAMS as the PrintableString "edwards25519".
#[test]
fn ed25519_rfc8032_curve_name_params() {
    rfc8032(ED25519_NAME_PARAMS, 5);
}

#[test]
fn ed25519_verify_wycheproof() {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("ed25519.txt");
    let mut key: Option<ObjectHandle> = None;
    let (mut valid, mut invalid) = (0, 0);
    for c in vectors.section("Wycheproof") {
        let id = c.id();
        if c.has("key") {
            let pk = c.bytes("key");
            let verify = [Attribute::Verify(true)];
            key = Some(ec_public(&s, KeyType::EC_EDWARDS, ED25519_OID_PARAMS, &pk, &verify));
            continue;
        }
        let public = key.unwrap_or_else(|| panic!("{id}: no key before the case"));
        let (msg, sig) = (c.bytes("msg"), c.bytes("sig"));
        match c.str("result") {
            "valid" => {
                s.verify(&ed25519(), public, &msg, &sig).unwrap_or_else(|e| panic!("{id}: {e}"));
                valid += 1;
            }
            "invalid" => {
                expect_one_of(s.verify(&ed25519(), public, &msg, &sig), SIGNATURE_REJECTED, &id);
                invalid += 1;
            }
            other => panic!("{id}: result {other}"),
        }
    }
    assert!(valid >= 2 && invalid >= 8, "{valid} valid, {invalid} invalid");
}
