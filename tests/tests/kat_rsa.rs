//! RSA against published vectors: PKCS#1 v1.5 signatures (CAVP SigVer15/SigGen15,
//! tests/vectors/rsa_pkcs1.rsp), raw RSA (CKM_RSA_X_509, same file), PSS verification
//! (Wycheproof, rsa_pss.txt) and OAEP decryption (Wycheproof, rsa_oaep_sha256.txt and
//! rsa_oaep_sha1.txt).

use craton_blackbox::TestToken;
use craton_blackbox::expect_rv;
use craton_blackbox::kat::{
    CIPHERTEXT_REJECTED, Case, RsaKey, SIGNATURE_REJECTED, Vectors, expect_one_of, flip,
    rsa_private, rsa_public, to_hex, user_session,
};
use cryptoki::error::RvError;
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsOaepParams, PkcsOaepSource, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::Attribute;

const K: usize = 256; // modulus bytes: every key here is 2048-bit

fn hash_mechanism(sha: &str) -> Mechanism<'static> {
    match sha {
        "SHA256" => Mechanism::Sha256RsaPkcs,
        "SHA384" => Mechanism::Sha384RsaPkcs,
        "SHA512" => Mechanism::Sha512RsaPkcs,
        other => panic!("no mechanism for {other}"),
    }
}

/// The eight components from a case with n, e, d, p, q, dP, dQ, qInv (any of them may
/// come from `base` instead).
fn rsa_key(c: &Case, base: &Case) -> RsaKey {
    let get = |k: &str| if c.has(k) { c.bytes(k) } else { base.bytes(k) };
    RsaKey {
        n: get("n"),
        e: get("e"),
        d: get("d"),
        p: get("p"),
        q: get("q"),
        dp: get("dP"),
        dq: get("dQ"),
        qinv: get("qInv"),
    }
}

#[test]
fn pkcs1_v15_sign_cavp() {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("rsa_pkcs1.rsp");
    let cases = vectors.section("SigVer15");
    let (key, cases) = cases.split_first().unwrap();
    let mut signed = Vec::new();
    for c in cases.iter().filter(|c| c.str("Result") == "P") {
        let id = c.id();
        let k = rsa_key(c, key);
        assert_eq!(k.n.len(), K, "{id}");
        let private = rsa_private(&s, &k, &[Attribute::Sign(true)]);
        let public = rsa_public(&s, &k.n, &k.e, &[Attribute::Verify(true)]);
        let (msg, sig, info) = (c.bytes("Msg"), c.bytes("S"), c.bytes("DigestInfo"));
        let sha = c.str("SHAAlg");
        let m = hash_mechanism(sha);

        let got = s.sign(&m, private, &msg).unwrap_or_else(|e| panic!("{id}: C_Sign: {e}"));
        assert_eq!(to_hex(&got), to_hex(&sig), "{id}: CKM_{sha}_RSA_PKCS signature");
        let got =
            s.sign(&Mechanism::RsaPkcs, private, &info).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(to_hex(&got), to_hex(&sig), "{id}: CKM_RSA_PKCS over the DigestInfo");

        s.verify(&m, public, &msg, &sig).unwrap_or_else(|e| panic!("{id}: C_Verify: {e}"));
        s.verify(&Mechanism::RsaPkcs, public, &info, &sig).unwrap_or_else(|e| panic!("{id}: {e}"));
        expect_rv(s.verify(&m, public, &msg, &flip(&sig, K - 1)), RvError::SignatureInvalid);
        expect_rv(s.verify(&m, public, &flip(&msg, 0), &sig), RvError::SignatureInvalid);
        expect_one_of(s.verify(&m, public, &msg, &sig[1..]), SIGNATURE_REJECTED, &id);
        signed.push(sha.to_owned());
    }
    assert_eq!(signed, ["SHA256", "SHA384", "SHA512"]);
}

#[test]
fn pkcs1_v15_verify_rejects_cavp_failures() {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("rsa_pkcs1.rsp");
    let cases = vectors.section("SigVer15");
    let (key, cases) = cases.split_first().unwrap();
    let mut failures = 0;
    for c in cases.iter().filter(|c| c.str("Result").starts_with('F')) {
        let public = rsa_public(&s, &key.bytes("n"), &c.bytes("e"), &[Attribute::Verify(true)]);
        let m = hash_mechanism(c.str("SHAAlg"));
        let r = s.verify(&m, public, &c.bytes("Msg"), &c.bytes("S"));
        expect_one_of(r, SIGNATURE_REJECTED, &c.id());
        failures += 1;
    }
    assert_eq!(failures, 5);
}

#[test]
fn pkcs1_v15_verify_siggen15() {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("rsa_pkcs1.rsp");
    let cases = vectors.section("SigGen15");
    let (key, cases) = cases.split_first().unwrap();
    let public = rsa_public(&s, &key.bytes("n"), &key.bytes("e"), &[Attribute::Verify(true)]);
    for c in cases {
        let (msg, sig) = (c.bytes("Msg"), c.bytes("S"));
        let m = hash_mechanism(c.str("SHAAlg"));
        s.verify(&m, public, &msg, &sig).unwrap_or_else(|e| panic!("{}: C_Verify: {e}", c.id()));
        expect_rv(s.verify(&m, public, &msg, &flip(&sig, 100)), RvError::SignatureInvalid);
    }
    assert_eq!(cases.len(), 3);
}

#[test]
fn raw_rsa_x509() {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("rsa_pkcs1.rsp");
    let sigver = vectors.section("SigVer15");
    let first = sigver.iter().find(|c| c.get("Result") == Some("P")).unwrap();
    let k = rsa_key(first, sigver[0]);
    let private = rsa_private(&s, &k, &[Attribute::Decrypt(true), Attribute::Sign(true)]);
    let public = rsa_public(&s, &k.n, &k.e, &[Attribute::Encrypt(true), Attribute::Verify(true)]);
    let m = Mechanism::RsaX509;
    let cases = vectors.section("X509");
    for c in &cases {
        let id = c.id();
        let (msg, want) = (c.bytes("M"), c.bytes("C"));
        let mut msg_k = vec![0; K - msg.len()];
        msg_k.extend_from_slice(&msg);
        assert_eq!(want.len(), K);
        // Public operation: M^e mod n, k bytes, also when M is shorter than the modulus.
        let got = s.encrypt(&m, public, &msg).unwrap_or_else(|e| panic!("{id}: C_Encrypt: {e}"));
        assert_eq!(to_hex(&got), to_hex(&want), "{id}: C_Encrypt (RSA_X_509)");
        // Private operation, through C_Decrypt and C_Sign: C^d mod n, k bytes.
        let got = s.decrypt(&m, private, &want).unwrap_or_else(|e| panic!("{id}: C_Decrypt: {e}"));
        assert_eq!(to_hex(&got), to_hex(&msg_k), "{id}: C_Decrypt (RSA_X_509)");
        let got = s.sign(&m, private, &want).unwrap_or_else(|e| panic!("{id}: C_Sign: {e}"));
        assert_eq!(to_hex(&got), to_hex(&msg_k), "{id}: C_Sign (RSA_X_509)");
    }
    assert_eq!(cases.len(), 2);
}

fn pss_sha256() -> Mechanism<'static> {
    Mechanism::Sha256RsaPkcsPss(PkcsPssParams {
        hash_alg: MechanismType::SHA256,
        mgf: PkcsMgfType::MGF1_SHA256,
        s_len: 32u64.into(),
    })
}

#[test]
fn pss_verify_wycheproof() {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("rsa_pss.txt");
    let cases = vectors.section("RSA-PSS SHA-256 MGF1-SHA-256 sLen 32");
    let (key, cases) = cases.split_first().unwrap();
    let public = rsa_public(&s, &key.bytes("n"), &key.bytes("e"), &[Attribute::Verify(true)]);
    let m = pss_sha256();
    let (mut valid, mut invalid) = (0, 0);
    for c in cases {
        let (msg, sig) = (c.bytes("msg"), c.bytes("sig"));
        match c.str("result") {
            "valid" => {
                s.verify(&m, public, &msg, &sig).unwrap_or_else(|e| panic!("{}: {e}", c.id()));
                expect_rv(s.verify(&m, public, &msg, &flip(&sig, 200)), RvError::SignatureInvalid);
                valid += 1;
            }
            "invalid" => {
                expect_one_of(s.verify(&m, public, &msg, &sig), SIGNATURE_REJECTED, &c.id());
                invalid += 1;
            }
            other => panic!("{}: result {other}", c.id()),
        }
    }
    assert!(valid >= 5 && invalid >= 10, "{valid} valid, {invalid} invalid");
}

/// PSS signing is randomized: sign with a private key (the Wycheproof OAEP key, whose
/// modulus is the PSS vectors' public key) and verify with the token.
#[test]
fn pss_sign_then_verify() {
    let t = TestToken::new();
    let s = user_session(&t);
    let oaep = Vectors::load("rsa_oaep_sha256.txt");
    let pss = Vectors::load("rsa_pss.txt");
    let key = oaep.section("RSA-OAEP SHA-256 MGF1-SHA-256")[0];
    let public_case = pss.section("RSA-PSS SHA-256 MGF1-SHA-256 sLen 32")[0];
    assert_eq!(key.bytes("n"), public_case.bytes("n"), "the two files share the key");
    let private = rsa_private(&s, &rsa_key(key, key), &[Attribute::Sign(true)]);
    let public = rsa_public(
        &s,
        &public_case.bytes("n"),
        &public_case.bytes("e"),
        &[Attribute::Verify(true)],
    );
    let m = pss_sha256();
    let msg = b"known-answer tests through the real module";
    let a = s.sign(&m, private, msg).expect("C_Sign PSS");
    let b = s.sign(&m, private, msg).expect("C_Sign PSS");
    assert_eq!((a.len(), b.len()), (K, K));
    assert_ne!(a, b, "PSS signatures use a fresh random salt");
    for sig in [&a, &b] {
        s.verify(&m, public, msg, sig).expect("C_Verify PSS");
    }
    expect_rv(s.verify(&m, public, b"another message", &a), RvError::SignatureInvalid);
}

fn oaep(file: &str, section: &str, hash: MechanismType, mgf: PkcsMgfType) {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load(file);
    let cases = vectors.section(section);
    let (key, cases) = cases.split_first().unwrap();
    let private = rsa_private(&s, &rsa_key(key, key), &[Attribute::Decrypt(true)]);
    let public = rsa_public(&s, &key.bytes("n"), &key.bytes("e"), &[Attribute::Encrypt(true)]);
    let (mut valid, mut invalid, mut labelled) = (0, 0, 0);
    for c in cases {
        let id = c.id();
        let label = c.bytes("label");
        let source = if label.is_empty() {
            PkcsOaepSource::empty()
        } else {
            PkcsOaepSource::data_specified(&label)
        };
        let m = Mechanism::RsaPkcsOaep(PkcsOaepParams::new(hash, mgf, source));
        let ct = c.bytes("ct");
        match c.str("result") {
            "valid" => {
                let msg = c.bytes("msg");
                let got =
                    s.decrypt(&m, private, &ct).unwrap_or_else(|e| panic!("{id}: C_Decrypt: {e}"));
                assert_eq!(to_hex(&got), to_hex(&msg), "{id}: C_Decrypt");
                // Encryption is randomized: round trip through the public key.
                let ct2 =
                    s.encrypt(&m, public, &msg).unwrap_or_else(|e| panic!("{id}: C_Encrypt: {e}"));
                assert_eq!(ct2.len(), K, "{id}");
                assert_ne!(ct2, ct, "{id}: OAEP uses a fresh seed");
                let back = s.decrypt(&m, private, &ct2).unwrap_or_else(|e| panic!("{id}: {e}"));
                assert_eq!(back, msg, "{id}: round trip");
                valid += 1;
                labelled += usize::from(!label.is_empty());
            }
            "invalid" => {
                expect_one_of(s.decrypt(&m, private, &ct), CIPHERTEXT_REJECTED, &id);
                invalid += 1;
            }
            other => panic!("{id}: result {other}"),
        }
    }
    assert!(valid >= 5 && invalid >= 4 && labelled >= 2, "{valid}/{invalid}/{labelled}");
}

#[test]
fn oaep_sha256_mgf1_sha256_wycheproof() {
    oaep(
        "rsa_oaep_sha256.txt",
        "RSA-OAEP SHA-256 MGF1-SHA-256",
        MechanismType::SHA256,
        PkcsMgfType::MGF1_SHA256,
    );
}

#[test]
fn oaep_sha1_mgf1_sha1_wycheproof() {
    oaep(
        "rsa_oaep_sha1.txt",
        "RSA-OAEP SHA-1 MGF1-SHA-1",
        MechanismType::SHA1,
        PkcsMgfType::MGF1_SHA1,
    );
}
