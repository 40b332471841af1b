//! AES against published vectors: ECB/CBC (CAVP AESAVS), CBC_PAD, CTR (SP 800-38A F.5,
//! RFC 3686) from tests/vectors/aes.rsp; GCM (CAVP gcmEncryptExtIV/gcmDecrypt) from
//! aes_gcm.rsp; key wrap (RFC 3394, RFC 5649, Wycheproof) from aes_keywrap.txt; CMAC
//! (SP 800-38B) from aes_cmac.txt.

use craton_blackbox::TestToken;
use craton_blackbox::expect_rv;
use craton_blackbox::kat::{
    CIPHER_USAGE, CIPHERTEXT_REJECTED, Case, Vectors, aes_key, decrypt_parts, encrypt_parts,
    expect_one_of, flip, gcm_decrypt_case, gcm_mechanism, generic_secret, iv16, plain_mechanism,
    raw_mechanism, readable_secret_template, to_hex, uneven_chunks, user_session, value_of,
};
use cryptoki::error::RvError;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::Attribute;
use pkcs11_sys::{CK_AES_CTR_PARAMS, CKM_AES_CTR, CKM_AES_KEY_WRAP_KWP};

/// Every case of `section` both ways, single- and multi-part, with the mechanism
/// `mech(case)` builds.
fn cipher_section(section: &str, file: &str, mech: impl Fn(&Case) -> Mechanism<'static>) -> usize {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load(file);
    let cases = vectors.section(section);
    for c in &cases {
        let id = c.id();
        let key = aes_key(&s, &c.bytes("KEY"), CIPHER_USAGE);
        let (pt, ct) = (c.bytes("PLAINTEXT"), c.bytes("CIPHERTEXT"));
        let m = mech(c);
        let got = s.encrypt(&m, key, &pt).unwrap_or_else(|e| panic!("{id}: C_Encrypt: {e}"));
        assert_eq!(to_hex(&got), to_hex(&ct), "{id}: C_Encrypt");
        let got = s.decrypt(&m, key, &ct).unwrap_or_else(|e| panic!("{id}: C_Decrypt: {e}"));
        assert_eq!(to_hex(&got), to_hex(&pt), "{id}: C_Decrypt");
        assert_eq!(
            to_hex(&encrypt_parts(&s, &m, key, &pt)),
            to_hex(&ct),
            "{id}: multi-part encrypt"
        );
        assert_eq!(
            to_hex(&decrypt_parts(&s, &m, key, &ct)),
            to_hex(&pt),
            "{id}: multi-part decrypt"
        );
    }
    cases.len()
}

#[test]
fn ecb_cavp() {
    assert!(cipher_section("ECB", "aes.rsp", |_| Mechanism::AesEcb) >= 5);
}

#[test]
fn cbc_cavp() {
    assert!(cipher_section("CBC", "aes.rsp", |c| Mechanism::AesCbc(iv16(c))) >= 5);
}

#[test]
fn cbc_pad() {
    assert!(cipher_section("CBC-PAD", "aes.rsp", |c| Mechanism::AesCbcPad(iv16(c))) >= 5);
    // A padded ciphertext is a whole number of blocks, one more than the plaintext fills.
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("aes.rsp");
    for c in vectors.section("CBC-PAD") {
        let key = aes_key(&s, &c.bytes("KEY"), CIPHER_USAGE);
        let pt = c.bytes("PLAINTEXT");
        let m = Mechanism::AesCbcPad(iv16(c));
        let ct = s.encrypt(&m, key, &pt).unwrap();
        assert_eq!(ct.len(), (pt.len() / 16 + 1) * 16, "{}", c.id());
        // Corrupting the last block breaks the padding (or, rarely, yields other bytes).
        match s.decrypt(&m, key, &flip(&ct, ct.len() - 1)) {
            Ok(p) => {
                assert_ne!(p, pt, "{}: corrupted ciphertext decrypted to the plaintext", c.id())
            }
            Err(e) => expect_one_of::<()>(Err(e), CIPHERTEXT_REJECTED, &c.id()),
        }
        // Not a whole number of blocks.
        expect_one_of(s.decrypt(&m, key, &ct[..ct.len() - 1]), CIPHERTEXT_REJECTED, &c.id());
    }
}

#[test]
fn ctr_sp800_38a_and_rfc3686() {
    let n = cipher_section("CTR", "aes.rsp", |c| {
        let params = CK_AES_CTR_PARAMS { ulCounterBits: 128, cb: iv16(c) };
        // The parameter must outlive the mechanism: leak the 24 bytes.
        raw_mechanism(CKM_AES_CTR, Some(Box::leak(Box::new(params))))
    });
    assert!(n >= 9);
}

#[test]
fn gcm_encrypt_cavp() {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("aes_gcm.rsp");
    let cases = vectors.section("ENCRYPT");
    let mut tag_lens = Vec::new();
    for c in &cases {
        let id = c.id();
        let key = aes_key(&s, &c.bytes("Key"), CIPHER_USAGE);
        let (mut iv, aad, pt, tag) = (c.bytes("IV"), c.bytes("AAD"), c.bytes("PT"), c.bytes("Tag"));
        assert_eq!(iv.len(), 12, "{id}");
        let mut want = c.bytes("CT");
        want.extend_from_slice(&tag);
        tag_lens.push(tag.len());
        let m = gcm_mechanism(&mut iv, &aad, tag.len());
        let got = s.encrypt(&m, key, &pt).unwrap_or_else(|e| panic!("{id}: C_Encrypt: {e}"));
        assert_eq!(to_hex(&got), to_hex(&want), "{id}: C_Encrypt = CT || Tag");
        let back = s.decrypt(&m, key, &want).unwrap_or_else(|e| panic!("{id}: C_Decrypt: {e}"));
        assert_eq!(to_hex(&back), to_hex(&pt), "{id}: C_Decrypt");
        // Any change to the ciphertext or tag is detected.
        expect_rv(s.decrypt(&m, key, &flip(&want, 0)), RvError::EncryptedDataInvalid);
        expect_rv(s.decrypt(&m, key, &flip(&want, want.len() - 1)), RvError::EncryptedDataInvalid);
    }
    assert!(tag_lens.contains(&16) && tag_lens.iter().any(|&l| l < 16), "full and short tags");
    assert!(cases.len() >= 10);
}

#[test]
fn gcm_decrypt_cavp() {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("aes_gcm.rsp");
    let cases = vectors.section("DECRYPT");
    let mut failing = 0;
    for c in &cases {
        failing += usize::from(gcm_decrypt_case(&s, c));
    }
    assert!(failing >= 3 && failing < cases.len(), "both passing and FAIL cases");
}

/// Wrap and unwrap every case of `[<valid>]`, and refuse to unwrap every `[<invalid>]` case.
fn key_wrap(mech: &Mechanism<'_>, valid: &str, invalid: &str) {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("aes_keywrap.txt");
    let kek_usage = [Attribute::Wrap(true), Attribute::Unwrap(true)];
    for c in vectors.section(valid) {
        let id = c.id();
        let kek = aes_key(&s, &c.bytes("KEK"), &kek_usage);
        let (data, wrapped) = (c.bytes("Key"), c.bytes("Wrapped"));
        let target = generic_secret(&s, &data, &[Attribute::Extractable(true)]);
        let got = s.wrap_key(mech, kek, target).unwrap_or_else(|e| panic!("{id}: C_WrapKey: {e}"));
        assert_eq!(to_hex(&got), to_hex(&wrapped), "{id}: C_WrapKey");
        let template = readable_secret_template(None);
        let key = s
            .unwrap_key(mech, kek, &wrapped, &template)
            .unwrap_or_else(|e| panic!("{id}: C_UnwrapKey: {e}"));
        assert_eq!(to_hex(&value_of(&s, key)), to_hex(&data), "{id}: unwrapped CKA_VALUE");
        let tampered = flip(&wrapped, 0);
        expect_one_of(s.unwrap_key(mech, kek, &tampered, &template), WRAP_REJECTED, &id);
    }
    let cases = vectors.section(invalid);
    for c in &cases {
        let kek = aes_key(&s, &c.bytes("KEK"), &kek_usage);
        let template = readable_secret_template(None);
        let r = s.unwrap_key(mech, kek, &c.bytes("Wrapped"), &template);
        expect_one_of(r, WRAP_REJECTED, &c.id());
    }
    assert!(cases.len() >= 5);
}

const WRAP_REJECTED: &[RvError] = &[RvError::WrappedKeyInvalid, RvError::WrappedKeyLenRange];

/// The same cases through C_Encrypt/C_Decrypt.
fn key_wrap_as_cipher(mech: &Mechanism<'_>, valid: &str, invalid: &str) {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("aes_keywrap.txt");
    for c in vectors.section(valid) {
        let id = c.id();
        let kek = aes_key(&s, &c.bytes("KEK"), CIPHER_USAGE);
        let (data, wrapped) = (c.bytes("Key"), c.bytes("Wrapped"));
        let got = s.encrypt(mech, kek, &data).unwrap_or_else(|e| panic!("{id}: C_Encrypt: {e}"));
        assert_eq!(to_hex(&got), to_hex(&wrapped), "{id}: C_Encrypt");
        let got = s.decrypt(mech, kek, &wrapped).unwrap_or_else(|e| panic!("{id}: C_Decrypt: {e}"));
        assert_eq!(to_hex(&got), to_hex(&data), "{id}: C_Decrypt");
    }
    for c in vectors.section(invalid) {
        let kek = aes_key(&s, &c.bytes("KEK"), CIPHER_USAGE);
        expect_one_of(s.decrypt(mech, kek, &c.bytes("Wrapped")), CIPHERTEXT_REJECTED, &c.id());
    }
}

#[test]
fn key_wrap_rfc3394() {
    key_wrap(&Mechanism::AesKeyWrap, "KW", "KW-INVALID");
}

#[test]
fn key_wrap_rfc3394_encrypt_decrypt() {
    key_wrap_as_cipher(&Mechanism::AesKeyWrap, "KW", "KW-INVALID");
}

#[test]
fn key_wrap_kwp_rfc5649() {
    key_wrap(&plain_mechanism(CKM_AES_KEY_WRAP_KWP), "KWP", "KWP-INVALID");
}

#[test]
fn key_wrap_kwp_rfc5649_encrypt_decrypt() {
    key_wrap_as_cipher(&plain_mechanism(CKM_AES_KEY_WRAP_KWP), "KWP", "KWP-INVALID");
}

/// CKM_AES_KEY_WRAP_PAD (0x210A), the pre-3.0 code, is the same RFC 5649 algorithm.
#[test]
fn key_wrap_pad_legacy_code_rfc5649() {
    key_wrap(&Mechanism::AesKeyWrapPad, "KWP", "KWP-INVALID");
}

#[test]
fn cmac_sp800_38b() {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("aes_cmac.txt");
    let mut n = 0;
    for section in ["AES-128", "AES-192", "AES-256"] {
        for c in vectors.section(section) {
            let id = c.id();
            let key =
                aes_key(&s, &c.bytes("KEY"), &[Attribute::Sign(true), Attribute::Verify(true)]);
            let (msg, mac) = (c.bytes("MESSAGE"), c.bytes("OUTPUT"));
            let m = Mechanism::AesCMac;
            let got = s.sign(&m, key, &msg).unwrap_or_else(|e| panic!("{id}: C_Sign: {e}"));
            assert_eq!(to_hex(&got), to_hex(&mac), "{id}: C_Sign");
            s.sign_init(&m, key).unwrap();
            for part in uneven_chunks(&msg) {
                s.sign_update(part).unwrap();
            }
            assert_eq!(to_hex(&s.sign_final().unwrap()), to_hex(&mac), "{id}: multi-part");
            s.verify(&m, key, &msg, &mac).unwrap_or_else(|e| panic!("{id}: C_Verify: {e}"));
            expect_rv(s.verify(&m, key, &msg, &flip(&mac, 15)), RvError::SignatureInvalid);
            n += 1;
        }
    }
    assert_eq!(n, 12);
}
