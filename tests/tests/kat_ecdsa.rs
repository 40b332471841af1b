//! ECDSA on P-256, P-384, P-521 against CAVP SigGen and Wycheproof P1363 vectors
//! (tests/vectors/ecdsa.txt): verification with CKM_ECDSA (over the hash) and
//! CKM_ECDSA_SHAx (over the message); signing with an imported CAVP key, checked by
//! length and by verifying with the token (ECDSA signatures are randomized).

use craton_blackbox::TestToken;
use craton_blackbox::expect_rv;
use craton_blackbox::kat::{
    P256_PARAMS, P384_PARAMS, P521_PARAMS, SIGNATURE_REJECTED, Vectors, ec_private, ec_public,
    expect_one_of, flip, user_session,
};
use cryptoki::error::RvError;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, KeyType, ObjectHandle};

fn check(section: &str, params: &[u8], size: usize, hashed: Mechanism<'_>) {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("ecdsa.txt");
    let verify = [Attribute::Verify(true)];
    let mut key: Option<ObjectHandle> = None;
    let (mut signed, mut valid, mut invalid) = (0, 0, 0);
    for c in vectors.section(section) {
        let id = c.id();
        if c.has("d") {
            // CAVP SigGen: (R, S) must verify; a fresh signature must too.
            let mut point = vec![4];
            point.extend(c.int("Qx", size));
            point.extend(c.int("Qy", size));
            let public = ec_public(&s, KeyType::EC, params, &point, &verify);
            let private =
                ec_private(&s, KeyType::EC, params, &c.int("d", size), &[Attribute::Sign(true)]);
            let (msg, hash) = (c.bytes("Msg"), c.bytes("Hash"));
            let mut rs = c.int("R", size);
            rs.extend(c.int("S", size));
            s.verify(&hashed, public, &msg, &rs).unwrap_or_else(|e| panic!("{id}: C_Verify: {e}"));
            s.verify(&Mechanism::Ecdsa, public, &hash, &rs).unwrap_or_else(|e| panic!("{id}: {e}"));
            expect_rv(
                s.verify(&hashed, public, &msg, &flip(&rs, size - 1)),
                RvError::SignatureInvalid,
            );

            let sig =
                s.sign(&hashed, private, &msg).unwrap_or_else(|e| panic!("{id}: C_Sign: {e}"));
            assert_eq!(sig.len(), 2 * size, "{id}: signature is r || s");
            s.verify(&hashed, public, &msg, &sig).unwrap_or_else(|e| panic!("{id}: {e}"));
            s.verify(&Mechanism::Ecdsa, public, &hash, &sig)
                .unwrap_or_else(|e| panic!("{id}: {e}"));
            expect_rv(s.verify(&hashed, public, &flip(&msg, 0), &sig), RvError::SignatureInvalid);
            let sig =
                s.sign(&Mechanism::Ecdsa, private, &hash).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(sig.len(), 2 * size, "{id}: CKM_ECDSA signature is r || s");
            s.verify(&hashed, public, &msg, &sig).unwrap_or_else(|e| panic!("{id}: {e}"));
            signed += 1;
        } else if c.has("key") {
            key = Some(ec_public(&s, KeyType::EC, params, &c.bytes("key"), &verify));
        } else {
            let public = key.unwrap_or_else(|| panic!("{id}: no key before the case"));
            let (msg, sig, hash) = (c.bytes("msg"), c.bytes("sig"), c.bytes("Hash"));
            match c.str("result") {
                "valid" => {
                    s.verify(&hashed, public, &msg, &sig).unwrap_or_else(|e| panic!("{id}: {e}"));
                    s.verify(&Mechanism::Ecdsa, public, &hash, &sig)
                        .unwrap_or_else(|e| panic!("{id}: CKM_ECDSA: {e}"));
                    valid += 1;
                }
                "invalid" => {
                    expect_one_of(s.verify(&hashed, public, &msg, &sig), SIGNATURE_REJECTED, &id);
                    let r = s.verify(&Mechanism::Ecdsa, public, &hash, &sig);
                    expect_one_of(r, SIGNATURE_REJECTED, &format!("{id}: CKM_ECDSA"));
                    invalid += 1;
                }
                other => panic!("{id}: result {other}"),
            }
        }
    }
    assert_eq!(signed, 1);
    assert!(valid >= 3 && invalid >= 5, "{valid} valid, {invalid} invalid");
}

#[test]
fn ecdsa_p256_sha256() {
    check("P-256 SHA-256", P256_PARAMS, 32, Mechanism::EcdsaSha256);
}

#[test]
fn ecdsa_p384_sha384() {
    check("P-384 SHA-384", P384_PARAMS, 48, Mechanism::EcdsaSha384);
}

#[test]
fn ecdsa_p521_sha512() {
    check("P-521 SHA-512", P521_PARAMS, 66, Mechanism::EcdsaSha512);
}
