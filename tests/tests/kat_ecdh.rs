//! Key agreement with CKM_ECDH1_DERIVE (kdf CKD_NULL): X25519 against RFC 7748
//! (tests/vectors/x25519.txt), P-256/P-384 against CAVP KAS ECC CDH and Wycheproof
//! (tests/vectors/ecdh.txt). The shared secret is derived into a readable
//! CKK_GENERIC_SECRET and compared through CKA_VALUE.

use craton_blackbox::TestToken;
use craton_blackbox::kat::{
    Case, P256_PARAMS, P384_PARAMS, Vectors, X25519_OID_PARAMS, der_octet_string, ec_private,
    expect_one_of, readable_secret_template, to_hex, user_session, value_of,
};
use cryptoki::error::RvError;
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::elliptic_curve::{EcKdf, Ecdh1DeriveParams};
use cryptoki::object::{Attribute, KeyType, ObjectHandle};
use cryptoki::session::Session;

fn derive(
    s: &Session,
    private: ObjectHandle,
    peer: &[u8],
    len: usize,
) -> cryptoki::error::Result<Vec<u8>> {
    let m = Mechanism::Ecdh1Derive(Ecdh1DeriveParams::new(EcKdf::null(), peer));
    let key = s.derive_key(&m, private, &readable_secret_template(Some(len)))?;
    Ok(value_of(s, key))
}

#[test]
fn x25519_rfc7748() {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("x25519.txt");
    let mut n = 0;
    for section in ["RFC 7748 6.1", "RFC 7748 5.2"] {
        for c in vectors.section(section) {
            let id = c.id();
            let scalar = c.bytes("INPUT_SCALAR");
            let derive_usage = [Attribute::Derive(true)];
            let private =
                ec_private(&s, KeyType::EC_MONTGOMERY, X25519_OID_PARAMS, &scalar, &derive_usage);
            let got = derive(&s, private, &c.bytes("INPUT_U"), 32)
                .unwrap_or_else(|e| panic!("{id}: C_DeriveKey: {e}"));
            assert_eq!(to_hex(&got), to_hex(&c.bytes("OUTPUT_U")), "{id}: shared secret");
            n += 1;
        }
    }
    assert_eq!(n, 5);
}

fn p_curve(section: &str, params: &[u8], size: usize) {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("ecdh.txt");
    let cases: Vec<&Case> = vectors.section(section);
    for c in &cases {
        let id = c.id();
        let private =
            ec_private(&s, KeyType::EC, params, &c.int("dIUT", size), &[Attribute::Derive(true)]);
        let mut point = vec![4];
        point.extend(c.int("QCAVSx", size));
        point.extend(c.int("QCAVSy", size));
        let want = c.bytes("ZIUT");
        for (form, peer) in
            [("04 || x || y", point.clone()), ("DER OCTET STRING", der_octet_string(&point))]
        {
            let got = derive(&s, private, &peer, size)
                .unwrap_or_else(|e| panic!("{id}: C_DeriveKey, peer as {form}: {e}"));
            assert_eq!(to_hex(&got), to_hex(&want), "{id}: Z, peer as {form}");
        }
    }
    assert!(cases.len() >= 2);
}

#[test]
fn ecdh_p256_cavp() {
    p_curve("P-256", P256_PARAMS, 32);
}

#[test]
fn ecdh_p384_cavp() {
    p_curve("P-384", P384_PARAMS, 48);
}

/// Peer points that are not on the curve (and an empty one) must not derive anything.
#[test]
fn ecdh_p256_invalid_peer_wycheproof() {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("ecdh.txt");
    let mut invalid = 0;
    for c in vectors.section("P-256 invalid") {
        let id = c.id();
        let private = ec_private(
            &s,
            KeyType::EC,
            P256_PARAMS,
            &c.int("private", 32),
            &[Attribute::Derive(true)],
        );
        let peer = c.bytes("public");
        match c.str("result") {
            "valid" => {
                let got = derive(&s, private, &peer, 32).unwrap_or_else(|e| panic!("{id}: {e}"));
                assert_eq!(to_hex(&got), to_hex(&c.bytes("shared")), "{id}");
            }
            "invalid" => {
                expect_one_of(derive(&s, private, &peer, 32), PEER_REJECTED, &id);
                if !peer.is_empty() {
                    let wrapped = der_octet_string(&peer);
                    expect_one_of(derive(&s, private, &wrapped, 32), PEER_REJECTED, &id);
                }
                invalid += 1;
            }
            other => panic!("{id}: result {other}"),
        }
    }
    assert_eq!(invalid, 4);
}

/// How a derivation from an unusable peer point may fail.
const PEER_REJECTED: &[RvError] = &[RvError::MechanismParamInvalid, RvError::DomainParamsInvalid];
