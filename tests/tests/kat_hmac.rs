//! HMAC against RFC 2202 (SHA-1) and RFC 4231 (SHA-224..512) (tests/vectors/hmac.txt):
//! CKM_SHAx_HMAC for full-length MACs, CKM_SHAx_HMAC_GENERAL with CK_MAC_GENERAL_PARAMS
//! for truncated ones. Sign must equal the vector, verify must accept it, and a MAC
//! with one byte changed must be rejected with CKR_SIGNATURE_INVALID.

use craton_blackbox::TestToken;
use craton_blackbox::expect_rv;
use craton_blackbox::kat::{
    SIGNATURE_REJECTED, Vectors, expect_one_of, flip, generic_secret, plain_mechanism,
    raw_mechanism, to_hex, uneven_chunks, user_session,
};
use cryptoki::error::RvError;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, ObjectHandle};
use cryptoki::session::Session;
use pkcs11_sys::*;

fn sign_multipart(s: &Session, mech: &Mechanism<'_>, key: ObjectHandle, msg: &[u8]) -> Vec<u8> {
    s.sign_init(mech, key).expect("C_SignInit");
    for part in uneven_chunks(msg) {
        s.sign_update(part).expect("C_SignUpdate");
    }
    s.sign_final().expect("C_SignFinal")
}

fn check(section: &str, full: &Mechanism<'_>, general: CK_MECHANISM_TYPE) {
    check_file("hmac.txt", section, full, general);
}

fn check_file(file: &str, section: &str, full: &Mechanism<'_>, general: CK_MECHANISM_TYPE) {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load(file);
    let cases = vectors.section(section);
    let mut truncated = 0;
    for c in &cases {
        let id = c.id();
        let key =
            generic_secret(&s, &c.bytes("Key"), &[Attribute::Sign(true), Attribute::Verify(true)]);
        let msg = c.bytes("Msg");
        let mac = c.bytes("Mac");
        if let Some(tlen) = c.get("Tlen") {
            truncated += 1;
            let len: CK_ULONG = tlen.parse().unwrap();
            assert_eq!(mac.len() as CK_ULONG, len, "{id}");
            let mech = raw_mechanism(general, Some(&len));
            let got = s.sign(&mech, key, &msg).unwrap_or_else(|e| panic!("{id}: C_Sign: {e}"));
            assert_eq!(to_hex(&got), to_hex(&mac), "{id}: truncated MAC");
            s.verify(&mech, key, &msg, &mac).unwrap_or_else(|e| panic!("{id}: C_Verify: {e}"));
            expect_rv(s.verify(&mech, key, &msg, &flip(&mac, 0)), RvError::SignatureInvalid);
            // The full-length mechanism cannot accept a truncated MAC.
            expect_one_of(s.verify(full, key, &msg, &mac), SIGNATURE_REJECTED, &id);
        } else {
            let got = s.sign(full, key, &msg).unwrap_or_else(|e| panic!("{id}: C_Sign: {e}"));
            assert_eq!(to_hex(&got), to_hex(&mac), "{id}: C_Sign");
            assert_eq!(
                to_hex(&sign_multipart(&s, full, key, &msg)),
                to_hex(&mac),
                "{id}: multi-part"
            );
            s.verify(full, key, &msg, &mac).unwrap_or_else(|e| panic!("{id}: C_Verify: {e}"));
            for i in [0, mac.len() - 1] {
                expect_rv(s.verify(full, key, &msg, &flip(&mac, i)), RvError::SignatureInvalid);
            }
            let mut longer = msg.clone();
            longer.push(0);
            expect_rv(s.verify(full, key, &longer, &mac), RvError::SignatureInvalid);

            // _GENERAL with the full length, and truncated to 10 bytes (the leftmost bytes).
            for len in [mac.len(), 10] {
                let l = len as CK_ULONG;
                let mech = raw_mechanism(general, Some(&l));
                let got = s.sign(&mech, key, &msg).unwrap_or_else(|e| panic!("{id}: C_Sign: {e}"));
                assert_eq!(to_hex(&got), to_hex(&mac[..len]), "{id}: _GENERAL length {len}");
                s.verify(&mech, key, &msg, &mac[..len]).unwrap_or_else(|e| panic!("{id}: {e}"));
                expect_rv(
                    s.verify(&mech, key, &msg, &flip(&mac[..len], 3)),
                    RvError::SignatureInvalid,
                );
            }
        }
    }
    assert_eq!(truncated, 1, "[{section}] has one truncated case");
    assert!(cases.len() >= 7);
}

#[test]
fn hmac_sha1_rfc2202() {
    check("SHA-1", &Mechanism::Sha1Hmac, CKM_SHA_1_HMAC_GENERAL);
}

#[test]
fn hmac_sha224_rfc4231() {
    check("SHA-224", &Mechanism::Sha224Hmac, CKM_SHA224_HMAC_GENERAL);
}

#[test]
fn hmac_sha256_rfc4231() {
    check("SHA-256", &Mechanism::Sha256Hmac, CKM_SHA256_HMAC_GENERAL);
}

#[test]
fn hmac_sha384_rfc4231() {
    check("SHA-384", &Mechanism::Sha384Hmac, CKM_SHA384_HMAC_GENERAL);
}

#[test]
fn hmac_sha512_rfc4231() {
    check("SHA-512", &Mechanism::Sha512Hmac, CKM_SHA512_HMAC_GENERAL);
}

/// SHA-512/t and SHA-3 HMACs (tests/vectors/hmac_extra.txt): RFC 4231 inputs with computed
/// answers, and Wycheproof cases where published.
fn extra(section: &str, full: CK_MECHANISM_TYPE, general: CK_MECHANISM_TYPE) {
    check_file("hmac_extra.txt", section, &plain_mechanism(full), general);
}

#[test]
fn hmac_sha512_224() {
    extra("SHA-512/224", CKM_SHA512_224_HMAC, CKM_SHA512_224_HMAC_GENERAL);
}

#[test]
fn hmac_sha512_256() {
    extra("SHA-512/256", CKM_SHA512_256_HMAC, CKM_SHA512_256_HMAC_GENERAL);
}

#[test]
fn hmac_sha3_224() {
    extra("SHA3-224", CKM_SHA3_224_HMAC, CKM_SHA3_224_HMAC_GENERAL);
}

#[test]
fn hmac_sha3_256() {
    extra("SHA3-256", CKM_SHA3_256_HMAC, CKM_SHA3_256_HMAC_GENERAL);
}

#[test]
fn hmac_sha3_384() {
    extra("SHA3-384", CKM_SHA3_384_HMAC, CKM_SHA3_384_HMAC_GENERAL);
}

#[test]
fn hmac_sha3_512() {
    extra("SHA3-512", CKM_SHA3_512_HMAC, CKM_SHA3_512_HMAC_GENERAL);
}
