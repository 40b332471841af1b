//! HKDF with CKM_HKDF_DERIVE (CK_HKDF_PARAMS) against RFC 5869 appendix A
//! (tests/vectors/hkdf.txt): extract-and-expand, extract only (PRK) and expand only.

use craton_blackbox::TestToken;
use craton_blackbox::kat::{
    Case, generic_secret, readable_secret_template, to_hex, user_session, value_of,
};
use cryptoki::mechanism::hkdf::{HkdfParams, HkdfSalt};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::Attribute;
use cryptoki::session::Session;

fn derive(s: &Session, base: &[u8], params: HkdfParams<'_>, len: usize, c: &Case) -> Vec<u8> {
    let base = generic_secret(s, base, &[Attribute::Derive(true)]);
    let key = s
        .derive_key(&Mechanism::HkdfDerive(params), base, &readable_secret_template(Some(len)))
        .unwrap_or_else(|e| panic!("{}: C_DeriveKey: {e}", c.id()));
    value_of(s, key)
}

fn check(section: &str, prf: MechanismType, hash_len: usize) {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = craton_blackbox::kat::Vectors::load("hkdf.txt");
    let cases = vectors.section(section);
    for c in &cases {
        let (ikm, salt, info) = (c.bytes("IKM"), c.bytes("salt"), c.bytes("info"));
        let (prk, okm) = (c.bytes("PRK"), c.bytes("OKM"));
        let len = usize::try_from(c.num("L")).unwrap();
        // An empty salt is "not provided": CKF_HKDF_SALT_NULL (HashLen zero bytes).
        let salt = if salt.is_empty() { HkdfSalt::Null } else { HkdfSalt::Data(&salt) };

        let both = HkdfParams::new(prf, Some(salt), Some(&info));
        assert_eq!(to_hex(&derive(&s, &ikm, both, len, c)), to_hex(&okm), "{}: OKM", c.id());
        let extract = HkdfParams::new(prf, Some(salt), None);
        assert_eq!(
            to_hex(&derive(&s, &ikm, extract, hash_len, c)),
            to_hex(&prk),
            "{}: PRK",
            c.id()
        );
        let expand = HkdfParams::new(prf, None, Some(&info));
        assert_eq!(to_hex(&derive(&s, &prk, expand, len, c)), to_hex(&okm), "{}: expand", c.id());
    }
    assert!(cases.len() >= 3);
}

#[test]
fn hkdf_sha256_rfc5869() {
    check("SHA-256", MechanismType::SHA256, 32);
}

#[test]
fn hkdf_sha1_rfc5869() {
    check("SHA-1", MechanismType::SHA1, 20);
}
