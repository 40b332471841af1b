//! CKM_CHACHA20 (CK_CHACHA20_PARAMS) through the real .so: every case of
//! tests/vectors/chacha20.txt (RFC 8439 for the 96-bit-nonce variant, draft-strombergson-
//! chacha-test-vectors-01 for the original 64-bit-nonce one) single-part and multi-part in
//! uneven pieces, both ways; malformed parameters, keys of other types, and a stream that
//! would run past the end of its block counter are refused.

use craton_blackbox::kat::{
    CIPHER_USAGE, Case, Vectors, aes_key, chacha_key, generic_secret, raw_mechanism, to_hex,
};
use craton_blackbox::kat::{uneven_chunks, user_session};
use craton_blackbox::{TestToken, expect_rv};
use cryptoki::error::RvError;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::ObjectHandle;
use cryptoki::session::Session;
use pkcs11_sys::*;

/// CK_CHACHA20_PARAMS over buffers the caller keeps alive; the lengths are in bits.
fn params(
    counter: &[u8],
    counter_bits: usize,
    nonce: &[u8],
    nonce_bits: usize,
) -> CK_CHACHA20_PARAMS {
    CK_CHACHA20_PARAMS {
        pBlockCounter: counter.as_ptr() as *mut u8,
        blockCounterBits: counter_bits as CK_ULONG,
        pNonce: nonce.as_ptr() as *mut u8,
        ulNonceBits: nonce_bits as CK_ULONG,
    }
}

/// The parameters of a vector case, with the bit lengths its bytes give.
fn case_params(counter: &[u8], nonce: &[u8]) -> CK_CHACHA20_PARAMS {
    params(counter, 8 * counter.len(), nonce, 8 * nonce.len())
}

/// Multi-part in uneven pieces; every update must hand back exactly what it was given.
fn parts(s: &Session, m: &Mechanism<'_>, key: ObjectHandle, data: &[u8], encrypt: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if encrypt {
        s.encrypt_init(m, key).expect("C_EncryptInit");
    } else {
        s.decrypt_init(m, key).expect("C_DecryptInit");
    }
    for part in uneven_chunks(data) {
        let got = if encrypt {
            s.encrypt_update(part).expect("C_EncryptUpdate")
        } else {
            s.decrypt_update(part).expect("C_DecryptUpdate")
        };
        assert_eq!(got.len(), part.len(), "a stream cipher holds nothing back");
        out.extend(got);
    }
    let last = if encrypt { s.encrypt_final() } else { s.decrypt_final() };
    assert!(last.expect("C_*Final").is_empty(), "no final part");
    out
}

fn check_case(t: &TestToken, s: &Session, c: &Case) -> usize {
    let id = c.id();
    let key = chacha_key(t, s, &c.bytes("KEY"));
    let (counter, nonce) = (c.bytes("COUNTER"), c.bytes("NONCE"));
    let (pt, ct) = (c.bytes("PLAINTEXT"), c.bytes("CIPHERTEXT"));
    let p = case_params(&counter, &nonce);
    let m = raw_mechanism(CKM_CHACHA20, Some(&p));
    let got = s.encrypt(&m, key, &pt).unwrap_or_else(|e| panic!("{id}: C_Encrypt: {e}"));
    assert_eq!(to_hex(&got), to_hex(&ct), "{id}: C_Encrypt");
    let back = s.decrypt(&m, key, &ct).unwrap_or_else(|e| panic!("{id}: C_Decrypt: {e}"));
    assert_eq!(to_hex(&back), to_hex(&pt), "{id}: C_Decrypt");
    assert_eq!(to_hex(&parts(s, &m, key, &pt, true)), to_hex(&ct), "{id}: multi-part encrypt");
    assert_eq!(to_hex(&parts(s, &m, key, &ct, false)), to_hex(&pt), "{id}: multi-part decrypt");
    1
}

#[test]
fn vectors_of_both_variants_single_and_multi_part() {
    let t = TestToken::new();
    let s = user_session(&t);
    let vectors = Vectors::load("chacha20.txt");
    let ietf: usize = vectors.section("IETF").iter().map(|c| check_case(&t, &s, c)).sum();
    let original: usize = vectors.section("ORIGINAL").iter().map(|c| check_case(&t, &s, c)).sum();
    assert!(ietf >= 5 && original >= 5, "{ietf} IETF and {original} original-layout cases");
}

#[test]
fn mechanism_info() {
    let t = TestToken::new();
    let raw = t.raw();
    let f = raw.functions();
    let slot = t.slot_ids()[0];
    // SAFETY: valid slot and out-pointer.
    let mi = unsafe {
        let mut mi: CK_MECHANISM_INFO = std::mem::zeroed();
        assert_eq!(
            f.C_GetMechanismInfo.unwrap()(slot as CK_SLOT_ID, CKM_CHACHA20, &mut mi),
            CKR_OK
        );
        mi
    };
    assert_eq!((mi.ulMinKeySize, mi.ulMaxKeySize), (32, 32));
    assert_eq!(mi.flags, CKF_ENCRYPT | CKF_DECRYPT);
}

/// C_EncryptInit and C_DecryptInit through the raw function list, with the parameter bytes
/// exactly as given (so NULL and wrong sizes can be sent).
fn raw_init(
    t: &TestToken,
    s: &Session,
    key: ObjectHandle,
    param: *mut u8,
    len: usize,
) -> [CK_RV; 2] {
    let raw = t.raw();
    let f = raw.functions();
    let mut m = CK_MECHANISM {
        mechanism: CKM_CHACHA20,
        pParameter: param as *mut _,
        ulParameterLen: len as CK_ULONG,
    };
    // SAFETY: valid session and key; the parameter is NULL or valid for `len` bytes, and
    // whatever it points to outlives the calls. A failed *Init leaves no operation behind;
    // a successful one is ended again.
    unsafe {
        let h = s.handle();
        let (mut out, mut n) = ([0u8; 1], 1 as CK_ULONG);
        let e = f.C_EncryptInit.unwrap()(h, &mut m, key.handle());
        if e == CKR_OK {
            assert_eq!(f.C_EncryptFinal.unwrap()(h, out.as_mut_ptr(), &mut n), CKR_OK);
        }
        let d = f.C_DecryptInit.unwrap()(h, &mut m, key.handle());
        if d == CKR_OK {
            assert_eq!(f.C_DecryptFinal.unwrap()(h, out.as_mut_ptr(), &mut n), CKR_OK);
        }
        [e, d]
    }
}

#[test]
fn malformed_parameters_are_refused() {
    let t = TestToken::new();
    let s = user_session(&t);
    let key = chacha_key(&t, &s, &[0x11; 32]);
    let (c8, n24) = ([0u8; 8], [0u8; 24]);
    let invalid = [CKR_MECHANISM_PARAM_INVALID; 2];
    // The two accepted shapes, as a control.
    for (cb, nb) in [(32, 96), (64, 64)] {
        let mut p = params(&c8, cb, &n24, nb);
        let got = raw_init(&t, &s, key, &mut p as *mut _ as *mut u8, size_of_val(&p));
        assert_eq!(got, [CKR_OK; 2], "{cb}-bit counter, {nb}-bit nonce");
    }
    // Every other combination: a 96-bit nonce with a 64-bit counter and the reverse,
    // XChaCha20's 192-bit nonce, other counter widths, lengths that are not whole bytes,
    // and lengths given in bytes instead of bits.
    for (cb, nb) in [
        (64, 96),
        (32, 64),
        (64, 192),
        (32, 192),
        (16, 96),
        (128, 96),
        (0, 96),
        (32, 0),
        (33, 96),
        (32, 95),
        (4, 12),
        (8, 8),
    ] {
        let mut p = params(&c8, cb, &n24, nb);
        let got = raw_init(&t, &s, key, &mut p as *mut _ as *mut u8, size_of_val(&p));
        assert_eq!(got, invalid, "{cb}-bit counter, {nb}-bit nonce");
    }
    // No parameter, a parameter of the wrong size, NULL counter or nonce pointers.
    assert_eq!(raw_init(&t, &s, key, std::ptr::null_mut(), 0), invalid);
    let mut p = params(&c8, 32, &n24, 96);
    let short = size_of_val(&p) - 8;
    assert_eq!(raw_init(&t, &s, key, &mut p as *mut _ as *mut u8, short), invalid);
    let mut p =
        CK_CHACHA20_PARAMS { pBlockCounter: std::ptr::null_mut(), ..params(&c8, 32, &n24, 96) };
    assert_eq!(raw_init(&t, &s, key, &mut p as *mut _ as *mut u8, size_of_val(&p)), invalid);
    let mut p = CK_CHACHA20_PARAMS { pNonce: std::ptr::null_mut(), ..params(&c8, 64, &n24, 64) };
    assert_eq!(raw_init(&t, &s, key, &mut p as *mut _ as *mut u8, size_of_val(&p)), invalid);
}

#[test]
fn keys_of_other_types_are_refused() {
    let t = TestToken::new();
    let s = user_session(&t);
    let (counter, nonce) = ([0u8; 4], [0u8; 12]);
    let p = case_params(&counter, &nonce);
    let m = raw_mechanism(CKM_CHACHA20, Some(&p));
    for key in [aes_key(&s, &[3; 32], CIPHER_USAGE), generic_secret(&s, &[3; 32], CIPHER_USAGE)] {
        expect_rv(s.encrypt_init(&m, key), RvError::KeyTypeInconsistent);
        expect_rv(s.decrypt_init(&m, key), RvError::KeyTypeInconsistent);
    }
}

#[test]
fn the_block_counter_is_never_run_past() {
    let t = TestToken::new();
    let s = user_session(&t);
    let key = chacha_key(&t, &s, &[0x22; 32]);
    // The last block of each counter: 64 bytes fit, 65 do not.
    for (counter, nonce) in [(vec![0xff; 4], vec![9u8; 12]), (vec![0xff; 8], vec![9u8; 8])] {
        let p = case_params(&counter, &nonce);
        let m = raw_mechanism(CKM_CHACHA20, Some(&p));
        let last = s.encrypt(&m, key, &[0; 64]).expect("the last block");
        assert_eq!(s.decrypt(&m, key, &last).expect("decrypt the last block"), [0; 64]);
        expect_rv(s.encrypt(&m, key, &[0; 65]), RvError::DataLenRange);
        expect_rv(s.decrypt(&m, key, &[0; 65]), RvError::EncryptedDataLenRange);
        // Multi-part: the block is used up across updates, then one more byte is refused
        // (which ends the operation).
        s.encrypt_init(&m, key).expect("C_EncryptInit");
        assert_eq!(s.encrypt_update(&[0; 60]).expect("60 bytes").len(), 60);
        assert_eq!(s.encrypt_update(&[0; 4]).expect("4 more").len(), 4);
        expect_rv(s.encrypt_update(&[0; 1]), RvError::DataLenRange);
        expect_rv(s.encrypt_final(), RvError::OperationNotInitialized);
    }
    // The 64-bit counter carries from its low word into its high word without a gap: blocks
    // 2^32 - 1 and 2^32 in one call equal each started on its own.
    let nonce = [5u8; 8];
    let at = |counter: u64, n: usize| {
        let c = counter.to_le_bytes();
        let p = case_params(&c, &nonce);
        s.encrypt(&raw_mechanism(CKM_CHACHA20, Some(&p)), key, &vec![0; n]).expect("C_Encrypt")
    };
    let both = at(0xffff_ffff, 128);
    assert_eq!(both[..64], at(0xffff_ffff, 64)[..]);
    assert_eq!(both[64..], at(1 << 32, 64)[..]);
}
