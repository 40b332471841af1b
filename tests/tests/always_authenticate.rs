//! CKA_ALWAYS_AUTHENTICATE: a signature with such a key needs C_Login(CKU_CONTEXT_SPECIFIC)
//! between C_SignInit and C_Sign, every time.

use craton_blackbox::{TestToken, USER_PIN};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::Attribute;
use pkcs11_sys::*;

#[test]
fn signing_needs_a_context_login_each_time() {
    let t = TestToken::new();
    let slot = t.init_token();
    let s = t.user_rw(slot);
    let (public, private) = s
        .generate_key_pair(
            &Mechanism::EccKeyPairGen,
            &[Attribute::EcParams(vec![
                0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
            ])],
            &[Attribute::AlwaysAuthenticate(true)],
        )
        .expect("C_GenerateKeyPair");
    let raw = t.raw();
    let f = raw.functions();
    let h = s.handle();
    let digest = [7u8; 32];
    let mut m =
        CK_MECHANISM { mechanism: CKM_ECDSA, pParameter: std::ptr::null_mut(), ulParameterLen: 0 };
    // SAFETY: valid session, mechanism, buffers and lengths throughout.
    unsafe {
        let sign = |out: &mut [u8; 64]| {
            let mut len: CK_ULONG = 64;
            f.C_Sign.unwrap()(h, digest.as_ptr() as *mut _, 32, out.as_mut_ptr(), &mut len)
        };
        let context_login = |p: &[u8]| {
            f.C_Login.unwrap()(h, CKU_CONTEXT_SPECIFIC, p.as_ptr() as *mut _, p.len() as CK_ULONG)
        };
        let mut sig = [0u8; 64];
        assert_eq!(context_login(USER_PIN.as_bytes()), CKR_OPERATION_NOT_INITIALIZED);
        for round in 0..2 {
            assert_eq!(f.C_SignInit.unwrap()(h, &mut m, private.handle()), CKR_OK, "round {round}");
            assert_eq!(sign(&mut sig), CKR_USER_NOT_LOGGED_IN, "no context login yet");
            assert_eq!(context_login(b"wrong-pin"), CKR_PIN_INCORRECT);
            assert_eq!(sign(&mut sig), CKR_USER_NOT_LOGGED_IN, "still active, still locked");
            assert_eq!(context_login(USER_PIN.as_bytes()), CKR_OK);
            assert_eq!(sign(&mut sig), CKR_OK);
            s.verify(&Mechanism::Ecdsa, public, &digest, &sig).expect("signature verifies");
        }
    }
    // Keys without the attribute need nothing extra.
    let (_, plain) = s
        .generate_key_pair(
            &Mechanism::EccKeyPairGen,
            &[Attribute::EcParams(vec![
                0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
            ])],
            &[],
        )
        .expect("C_GenerateKeyPair");
    assert_eq!(s.sign(&Mechanism::Ecdsa, plain, &digest).expect("C_Sign").len(), 64);
}
