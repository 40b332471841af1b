//! AES-CCM (NIST CAVP and SP 800-38C, tests/vectors/aes_ccm.rsp), AES-CTS (RFC 3962 in the
//! CS-1 order, tests/vectors/aes_cts.txt), AES-MAC (SP 800-38A-derived, tests/vectors/
//! aes_mac.txt) and AES-GCM with IVs other than 96 bits (CAVP, tests/vectors/aes_gcm_iv.rsp),
//! single- and multi-part; multi-part GCM encryption (streamed) against the single-part
//! result; and the message-based API with CCM and ChaCha20-Poly1305.

use craton_blackbox::TestToken;
use craton_blackbox::expect_rv;
use craton_blackbox::kat::{
    CIPHER_USAGE, Case, Vectors, aes_key, chacha_key, decrypt_parts, encrypt_parts, flip,
    gcm_decrypt_case, gcm_mechanism, iv16, plain_mechanism, raw_mechanism, to_hex, uneven_chunks,
    user_session,
};
use cryptoki::error::RvError;
use cryptoki::object::{Attribute, ObjectHandle};
use cryptoki::session::Session;
use pkcs11_sys::*;

const MAC_USAGE: &[Attribute] = &[Attribute::Sign(true), Attribute::Verify(true)];

/// CK_CCM_PARAMS over buffers the caller keeps alive.
fn ccm_params(data_len: usize, nonce: &[u8], aad: &[u8], tag: usize) -> CK_CCM_PARAMS {
    CK_CCM_PARAMS {
        ulDataLen: data_len as CK_ULONG,
        pNonce: nonce.as_ptr() as *mut u8,
        ulNonceLen: nonce.len() as CK_ULONG,
        pAAD: aad.as_ptr() as *mut u8,
        ulAADLen: aad.len() as CK_ULONG,
        ulMACLen: tag as CK_ULONG,
    }
}

/// The payload length a CCM case declares (Fail cases have no PAYLOAD line).
fn payload_len(c: &Case) -> usize {
    c.bytes("CT").len() - usize::try_from(c.num("TLEN")).unwrap()
}

#[test]
fn ccm_cavp_and_sp800_38c() {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("aes_ccm.rsp");
    let (mut pass, mut fail) = (0, 0);
    for c in &vectors.cases {
        let id = c.id();
        let key = aes_key(&s, &c.bytes("KEY"), CIPHER_USAGE);
        let (nonce, aad, ct) = (c.bytes("NONCE"), c.bytes("ADATA"), c.bytes("CT"));
        let tag = usize::try_from(c.num("TLEN")).unwrap();
        let p = ccm_params(payload_len(c), &nonce, &aad, tag);
        let m = raw_mechanism(CKM_AES_CCM, Some(&p));
        if c.str("RESULT") == "Fail" {
            fail += 1;
            expect_rv(s.decrypt(&m, key, &ct), RvError::EncryptedDataInvalid);
            continue;
        }
        pass += 1;
        let pt = c.bytes("PAYLOAD");
        let got = s.encrypt(&m, key, &pt).unwrap_or_else(|e| panic!("{id}: C_Encrypt: {e}"));
        assert_eq!(to_hex(&got), to_hex(&ct), "{id}: C_Encrypt = CT || tag");
        let back = s.decrypt(&m, key, &ct).unwrap_or_else(|e| panic!("{id}: C_Decrypt: {e}"));
        assert_eq!(to_hex(&back), to_hex(&pt), "{id}: C_Decrypt");
        assert_eq!(to_hex(&encrypt_parts(&s, &m, key, &pt)), to_hex(&ct), "{id}: multi-part");
        assert_eq!(to_hex(&decrypt_parts(&s, &m, key, &ct)), to_hex(&pt), "{id}: multi-part");
        expect_rv(s.decrypt(&m, key, &flip(&ct, ct.len() - 1)), RvError::EncryptedDataInvalid);
        // The declared length must be the real one.
        let longer = ccm_params(pt.len() + 1, &nonce, &aad, tag);
        let m = raw_mechanism(CKM_AES_CCM, Some(&longer));
        expect_rv(s.encrypt(&m, key, &pt), RvError::DataLenRange);
    }
    assert!(pass >= 10 && fail >= 2, "{pass} passing and {fail} failing cases");

    // Parameters outside SP 800-38C: a 6-byte nonce, an odd tag length.
    let key = aes_key(&s, &[7; 16], CIPHER_USAGE);
    for (nonce, tag) in [(vec![1u8; 6], 16), (vec![1u8; 12], 5), (vec![1u8; 14], 16)] {
        let p = ccm_params(4, &nonce, &[], tag);
        let m = raw_mechanism(CKM_AES_CCM, Some(&p));
        expect_rv(s.encrypt_init(&m, key), RvError::MechanismParamInvalid);
    }
}

#[test]
fn cts_rfc3962_in_cs1_order() {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("aes_cts.txt");
    for c in &vectors.cases {
        let id = c.id();
        let key = aes_key(&s, &c.bytes("KEY"), CIPHER_USAGE);
        let iv = iv16(c);
        let m = raw_mechanism(CKM_AES_CTS, Some(&iv));
        let (pt, ct) = (c.bytes("PLAINTEXT"), c.bytes("CIPHERTEXT"));
        let got = s.encrypt(&m, key, &pt).unwrap_or_else(|e| panic!("{id}: C_Encrypt: {e}"));
        assert_eq!(to_hex(&got), to_hex(&ct), "{id}: C_Encrypt");
        let back = s.decrypt(&m, key, &ct).unwrap_or_else(|e| panic!("{id}: C_Decrypt: {e}"));
        assert_eq!(to_hex(&back), to_hex(&pt), "{id}: C_Decrypt");
        assert_eq!(to_hex(&encrypt_parts(&s, &m, key, &pt)), to_hex(&ct), "{id}: multi-part");
        assert_eq!(to_hex(&decrypt_parts(&s, &m, key, &ct)), to_hex(&pt), "{id}: multi-part");
    }
    assert!(vectors.cases.len() >= 8);
    // Less than one block cannot be stolen from.
    let key = aes_key(&s, &[9; 16], CIPHER_USAGE);
    let iv = [0u8; 16];
    let m = raw_mechanism(CKM_AES_CTS, Some(&iv));
    expect_rv(s.encrypt(&m, key, &[1; 15]), RvError::DataLenRange);
}

#[test]
fn aes_mac_and_mac_general() {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("aes_mac.txt");
    for c in &vectors.cases {
        let id = c.id();
        let key = aes_key(&s, &c.bytes("KEY"), MAC_USAGE);
        let (msg, mac) = (c.bytes("MESSAGE"), c.bytes("MAC"));
        // CKM_AES_MAC: half a block.
        let half = plain_mechanism(CKM_AES_MAC);
        let got = s.sign(&half, key, &msg).unwrap_or_else(|e| panic!("{id}: C_Sign: {e}"));
        assert_eq!(to_hex(&got), to_hex(&mac[..8]), "{id}: CKM_AES_MAC");
        s.verify(&half, key, &msg, &mac[..8]).unwrap_or_else(|e| panic!("{id}: C_Verify: {e}"));
        expect_rv(s.verify(&half, key, &msg, &flip(&mac[..8], 2)), RvError::SignatureInvalid);
        s.sign_init(&half, key).expect("C_SignInit");
        for part in uneven_chunks(&msg) {
            s.sign_update(part).expect("C_SignUpdate");
        }
        assert_eq!(to_hex(&s.sign_final().expect("C_SignFinal")), to_hex(&mac[..8]), "{id}");
        // _GENERAL: any length up to a block.
        for len in [16 as CK_ULONG, 4] {
            let m = raw_mechanism(CKM_AES_MAC_GENERAL, Some(&len));
            let got = s.sign(&m, key, &msg).unwrap_or_else(|e| panic!("{id}: C_Sign: {e}"));
            assert_eq!(to_hex(&got), to_hex(&mac[..len as usize]), "{id}: length {len}");
        }
    }
    assert!(vectors.cases.len() >= 8);
    let key = aes_key(&s, &[3; 16], MAC_USAGE);
    let too_long: CK_ULONG = 17;
    let m = raw_mechanism(CKM_AES_MAC_GENERAL, Some(&too_long));
    expect_rv(s.sign_init(&m, key), RvError::MechanismParamInvalid);
}

#[test]
fn gcm_with_other_iv_lengths() {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("aes_gcm_iv.rsp");
    let mut iv_lens = std::collections::BTreeSet::new();
    for c in vectors.section("ENCRYPT") {
        let id = c.id();
        let key = aes_key(&s, &c.bytes("Key"), CIPHER_USAGE);
        let (mut iv, aad, pt, tag) = (c.bytes("IV"), c.bytes("AAD"), c.bytes("PT"), c.bytes("Tag"));
        iv_lens.insert(iv.len());
        let mut want = c.bytes("CT");
        want.extend_from_slice(&tag);
        let m = gcm_mechanism(&mut iv, &aad, tag.len());
        let got = s.encrypt(&m, key, &pt).unwrap_or_else(|e| panic!("{id}: C_Encrypt: {e}"));
        assert_eq!(to_hex(&got), to_hex(&want), "{id}: C_Encrypt");
        assert_eq!(to_hex(&encrypt_parts(&s, &m, key, &pt)), to_hex(&want), "{id}: multi-part");
        let back = s.decrypt(&m, key, &want).unwrap_or_else(|e| panic!("{id}: C_Decrypt: {e}"));
        assert_eq!(to_hex(&back), to_hex(&pt), "{id}: C_Decrypt");
    }
    let mut failing = 0;
    for c in vectors.section("DECRYPT") {
        iv_lens.insert(c.bytes("IV").len());
        failing += usize::from(gcm_decrypt_case(&s, c));
    }
    assert!(failing >= 1, "a failing case");
    assert!(iv_lens.contains(&1) && iv_lens.contains(&128), "IV lengths {iv_lens:?}");
}

#[test]
fn multi_part_gcm_matches_single_part() {
    let t = TestToken::new();
    let s = user_session(&t);
    let key = aes_key(&s, &[0x5c; 32], CIPHER_USAGE);
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    let aad = b"header".to_vec();
    for (iv_len, tag) in [(12usize, 16usize), (12, 12), (16, 16), (60, 8)] {
        let mut iv: Vec<u8> = (0..iv_len as u8).collect();
        let m = gcm_mechanism(&mut iv, &aad, tag);
        let one = s.encrypt(&m, key, &data).expect("C_Encrypt");
        // Streamed: the ciphertext comes out as the parts go in, not all at the end.
        s.encrypt_init(&m, key).expect("C_EncryptInit");
        let mut parts = Vec::new();
        for chunk in data.chunks(4099) {
            parts.extend(s.encrypt_update(chunk).expect("C_EncryptUpdate"));
        }
        assert!(parts.len() >= data.len() - 16, "update returns ciphertext as it goes");
        parts.extend(s.encrypt_final().expect("C_EncryptFinal"));
        assert_eq!(to_hex(&parts), to_hex(&one), "IV {iv_len} bytes, tag {tag}");
        assert_eq!(s.decrypt(&m, key, &one).expect("C_Decrypt"), data);
    }
}

/// C_EncryptMessage / C_DecryptMessage with a raw parameter block `p` (whose tag pointer is
/// `tag`); returns the ciphertext.
fn message_round_trip<P>(
    t: &TestToken,
    s: &Session,
    mech: CK_MECHANISM_TYPE,
    key: ObjectHandle,
    p: &mut P,
    aad: &[u8],
    pt: &[u8],
) -> Vec<u8> {
    let raw = t.raw();
    let f = raw.functions_3_0();
    let h = s.handle();
    let mut m =
        CK_MECHANISM { mechanism: mech, pParameter: std::ptr::null_mut(), ulParameterLen: 0 };
    let plen = size_of::<P>() as CK_ULONG;
    let pp = p as *mut P as *mut std::ffi::c_void;
    let mut ct = vec![0u8; pt.len()];
    let mut n = ct.len() as CK_ULONG;
    // SAFETY: valid session and key; parameter and buffers stay alive across each call.
    unsafe {
        assert_eq!(f.C_MessageEncryptInit.unwrap()(h, &mut m, key.handle()), CKR_OK);
        let rv = f.C_EncryptMessage.unwrap()(
            h,
            pp,
            plen,
            aad.as_ptr() as *mut u8,
            aad.len() as CK_ULONG,
            pt.as_ptr() as *mut u8,
            pt.len() as CK_ULONG,
            ct.as_mut_ptr(),
            &mut n,
        );
        assert_eq!(rv, CKR_OK, "C_EncryptMessage");
        assert_eq!(f.C_MessageEncryptFinal.unwrap()(h), CKR_OK);
        assert_eq!(f.C_MessageDecryptInit.unwrap()(h, &mut m, key.handle()), CKR_OK);
        let mut back = vec![0u8; pt.len()];
        let mut bn = back.len() as CK_ULONG;
        let rv = f.C_DecryptMessage.unwrap()(
            h,
            pp,
            plen,
            aad.as_ptr() as *mut u8,
            aad.len() as CK_ULONG,
            ct.as_mut_ptr(),
            n,
            back.as_mut_ptr(),
            &mut bn,
        );
        assert_eq!(rv, CKR_OK, "C_DecryptMessage");
        assert_eq!(back, pt);
        // A changed ciphertext byte must not authenticate.
        if !ct.is_empty() {
            ct[0] ^= 1;
            let rv = f.C_DecryptMessage.unwrap()(
                h,
                pp,
                plen,
                aad.as_ptr() as *mut u8,
                aad.len() as CK_ULONG,
                ct.as_mut_ptr(),
                n,
                back.as_mut_ptr(),
                &mut bn,
            );
            assert_eq!(rv, CKR_ENCRYPTED_DATA_INVALID);
            ct[0] ^= 1;
        }
        assert_eq!(f.C_MessageDecryptFinal.unwrap()(h), CKR_OK);
    }
    ct.truncate(n as usize);
    ct
}

#[test]
fn ccm_messages_match_the_vectors() {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("aes_ccm.rsp");
    let mut checked = 0;
    for c in vectors.cases.iter().filter(|c| c.str("RESULT") == "Pass") {
        let key = aes_key(&s, &c.bytes("KEY"), CIPHER_USAGE);
        let (mut nonce, aad, pt, ct) =
            (c.bytes("NONCE"), c.bytes("ADATA"), c.bytes("PAYLOAD"), c.bytes("CT"));
        let tag_len = usize::try_from(c.num("TLEN")).unwrap();
        let mut tag = vec![0u8; tag_len];
        let mut p = CK_CCM_MESSAGE_PARAMS {
            ulDataLen: pt.len() as CK_ULONG,
            pNonce: nonce.as_mut_ptr(),
            ulNonceLen: nonce.len() as CK_ULONG,
            ulNonceFixedBits: 0,
            nonceGenerator: CKG_NO_GENERATE,
            pMAC: tag.as_mut_ptr(),
            ulMACLen: tag_len as CK_ULONG,
        };
        let body = message_round_trip(&t, &s, CKM_AES_CCM, key, &mut p, &aad, &pt);
        let mut got = body;
        got.extend_from_slice(&tag);
        assert_eq!(to_hex(&got), to_hex(&ct), "{}: message = CT || tag", c.id());
        checked += 1;
    }
    assert!(checked >= 10);
}

#[test]
fn chacha20_poly1305_messages_match_rfc8439() {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("chacha20_poly1305.txt");
    let mut checked = 0;
    for c in vectors.section("AEAD").into_iter().filter(|c| !c.has("FAIL")) {
        let key = chacha_key(&t, &s, &c.bytes("Key"));
        let (mut nonce, aad, pt) = (c.bytes("Nonce"), c.bytes("AAD"), c.bytes("PT"));
        let mut tag = [0u8; 16];
        let mut p = CK_SALSA20_CHACHA20_POLY1305_MSG_PARAMS {
            pNonce: nonce.as_mut_ptr(),
            ulNonceLen: nonce.len() as CK_ULONG,
            pTag: tag.as_mut_ptr(),
        };
        let ct = message_round_trip(&t, &s, CKM_CHACHA20_POLY1305, key, &mut p, &aad, &pt);
        assert_eq!(to_hex(&ct), to_hex(&c.bytes("CT")), "{}: ciphertext", c.id());
        assert_eq!(to_hex(&tag), to_hex(&c.bytes("Tag")), "{}: tag", c.id());
        checked += 1;
    }
    assert!(checked >= 1);
}

#[test]
fn ccm_message_nonce_generation_counts() {
    let t = TestToken::new();
    let s = user_session(&t);
    let key = aes_key(&s, &[0x21; 16], CIPHER_USAGE);
    let raw = t.raw();
    let f = raw.functions_3_0();
    let h = s.handle();
    let mut m = CK_MECHANISM {
        mechanism: CKM_AES_CCM,
        pParameter: std::ptr::null_mut(),
        ulParameterLen: 0,
    };
    let pt = b"counted nonces".to_vec();
    let mut seen = Vec::new();
    // SAFETY: valid session and key; parameter and buffers stay alive across each call.
    unsafe {
        assert_eq!(f.C_MessageEncryptInit.unwrap()(h, &mut m, key.handle()), CKR_OK);
        for _ in 0..3 {
            let mut nonce = [0xAB, 0xCD, 0xEF, 0x01, 0, 0, 0, 0, 0, 0, 0, 0];
            let mut tag = [0u8; 8];
            let mut p = CK_CCM_MESSAGE_PARAMS {
                ulDataLen: pt.len() as CK_ULONG,
                pNonce: nonce.as_mut_ptr(),
                ulNonceLen: 12,
                ulNonceFixedBits: 32,
                nonceGenerator: CKG_GENERATE_COUNTER,
                pMAC: tag.as_mut_ptr(),
                ulMACLen: 8,
            };
            let mut ct = vec![0u8; pt.len()];
            let mut n = ct.len() as CK_ULONG;
            let rv = f.C_EncryptMessage.unwrap()(
                h,
                &mut p as *mut _ as *mut std::ffi::c_void,
                size_of::<CK_CCM_MESSAGE_PARAMS>() as CK_ULONG,
                std::ptr::null_mut(),
                0,
                pt.as_ptr() as *mut u8,
                pt.len() as CK_ULONG,
                ct.as_mut_ptr(),
                &mut n,
            );
            assert_eq!(rv, CKR_OK);
            assert_eq!(nonce[..4], [0xAB, 0xCD, 0xEF, 0x01], "the fixed part is kept");
            seen.push(nonce);
        }
        assert_eq!(f.C_MessageEncryptFinal.unwrap()(h), CKR_OK);
    }
    assert!(seen[0] != seen[1] && seen[1] != seen[2], "a fresh nonce per message: {seen:?}");
    assert_eq!(u64::from_be_bytes(seen[2][4..].try_into().unwrap()), 3);
}
