//! Message digests against NIST CAVP SHAVS / SHA-3 vectors (tests/vectors/digests.rsp, and
//! digests_extra.rsp for SHA-512/224 and SHA3-224):
//! single-part C_Digest and multi-part C_DigestUpdate in uneven pieces must both give
//! the published digest.

use craton_blackbox::TestToken;
use craton_blackbox::kat::{Vectors, plain_mechanism, to_hex, uneven_chunks, user_session};
use cryptoki::mechanism::Mechanism;
use pkcs11_sys::{CKM_SHA3_224, CKM_SHA3_256, CKM_SHA3_512, CKM_SHA512_224};

fn check(section: &str, mech: &Mechanism<'_>) {
    check_file("digests.rsp", section, mech);
}

fn check_file(file: &str, section: &str, mech: &Mechanism<'_>) {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load(file);
    let cases = vectors.section(section);
    for c in &cases {
        let len = usize::try_from(c.num("Len")).unwrap();
        assert_eq!(len % 8, 0, "{}: byte-oriented vectors only", c.id());
        let msg = &c.bytes("Msg")[..len / 8];
        let want = c.bytes("MD");
        let got = s.digest(mech, msg).unwrap_or_else(|e| panic!("{}: C_Digest: {e}", c.id()));
        assert_eq!(to_hex(&got), to_hex(&want), "{}: C_Digest", c.id());

        s.digest_init(mech).unwrap_or_else(|e| panic!("{}: C_DigestInit: {e}", c.id()));
        for part in uneven_chunks(msg) {
            s.digest_update(part).unwrap_or_else(|e| panic!("{}: C_DigestUpdate: {e}", c.id()));
        }
        let got = s.digest_final().unwrap_or_else(|e| panic!("{}: C_DigestFinal: {e}", c.id()));
        assert_eq!(to_hex(&got), to_hex(&want), "{}: multi-part digest", c.id());
    }
    assert!(cases.len() >= 5, "[{section}] has only {} cases", cases.len());
}

#[test]
fn sha1() {
    check("SHA-1", &Mechanism::Sha1);
}

#[test]
fn sha224() {
    check("SHA-224", &Mechanism::Sha224);
}

#[test]
fn sha256() {
    check("SHA-256", &Mechanism::Sha256);
}

#[test]
fn sha384() {
    check("SHA-384", &Mechanism::Sha384);
}

#[test]
fn sha512() {
    check("SHA-512", &Mechanism::Sha512);
}

#[test]
fn sha3_256() {
    check("SHA3-256", &plain_mechanism(CKM_SHA3_256));
}

#[test]
fn sha3_512() {
    check("SHA3-512", &plain_mechanism(CKM_SHA3_512));
}

#[test]
fn sha512_224() {
    check_file("digests_extra.rsp", "SHA-512/224", &plain_mechanism(CKM_SHA512_224));
}

#[test]
fn sha3_224() {
    check_file("digests_extra.rsp", "SHA3-224", &plain_mechanism(CKM_SHA3_224));
}
