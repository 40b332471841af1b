//! C_GetOperationState / C_SetOperationState for digests: a digest saved in one session
//! continues in another and gives the right answer; a changed state, keys where none are
//! needed, and unsaveable operations are refused with their codes.

use craton_blackbox::TestToken;
use pkcs11_sys::*;

#[test]
fn digest_state_moves_between_sessions() {
    let t = TestToken::new();
    let slot = t.init_token();
    let a = t.user_rw(slot);
    let b = t.ro(slot);
    let raw = t.raw();
    let f = raw.functions();
    let (ha, hb) = (a.handle(), b.handle());
    let mut m =
        CK_MECHANISM { mechanism: CKM_SHA256, pParameter: std::ptr::null_mut(), ulParameterLen: 0 };
    // SAFETY: valid sessions, mechanism and buffers throughout.
    unsafe {
        let get = f.C_GetOperationState.unwrap();
        let set = f.C_SetOperationState.unwrap();
        let mut n: CK_ULONG = 0;
        assert_eq!(get(ha, std::ptr::null_mut(), &mut n), CKR_OPERATION_NOT_INITIALIZED);
        assert_eq!(f.C_DigestInit.unwrap()(ha, &mut m), CKR_OK);
        assert_eq!(f.C_DigestUpdate.unwrap()(ha, b"ab".as_ptr() as *mut _, 2), CKR_OK);
        assert_eq!(get(ha, std::ptr::null_mut(), &mut n), CKR_OK);
        let mut state = vec![0u8; n as usize];
        let mut short = n - 1;
        assert_eq!(get(ha, state.as_mut_ptr(), &mut short), CKR_BUFFER_TOO_SMALL);
        assert_eq!(get(ha, state.as_mut_ptr(), &mut n), CKR_OK);

        assert_eq!(set(hb, state.as_mut_ptr(), n, 5, 0), CKR_KEY_NOT_NEEDED);
        let mut bad = state.clone();
        bad[30] ^= 1;
        assert_eq!(set(hb, bad.as_mut_ptr(), n, 0, 0), CKR_SAVED_STATE_INVALID);
        assert_eq!(set(hb, state.as_mut_ptr(), 10, 0, 0), CKR_SAVED_STATE_INVALID);
        assert_eq!(set(hb, state.as_mut_ptr(), n, 0, 0), CKR_OK);
        assert_eq!(f.C_DigestUpdate.unwrap()(hb, b"c".as_ptr() as *mut _, 1), CKR_OK);
        let mut out = [0u8; 32];
        let mut len: CK_ULONG = 32;
        assert_eq!(f.C_DigestFinal.unwrap()(hb, out.as_mut_ptr(), &mut len), CKR_OK);
        // FIPS 180-2 appendix B.1: SHA-256("abc").
        assert_eq!(out[..4], [0xba, 0x78, 0x16, 0xbf]);
        // The original session's digest is untouched by the copy.
        assert_eq!(f.C_DigestUpdate.unwrap()(ha, b"c".as_ptr() as *mut _, 1), CKR_OK);
        assert_eq!(f.C_DigestFinal.unwrap()(ha, out.as_mut_ptr(), &mut len), CKR_OK);
        assert_eq!(out[..4], [0xba, 0x78, 0x16, 0xbf]);

        // After C_DigestKey the state holds key material: not saveable.
        let key = a
            .create_object(&[
                cryptoki::object::Attribute::Class(cryptoki::object::ObjectClass::SECRET_KEY),
                cryptoki::object::Attribute::KeyType(cryptoki::object::KeyType::GENERIC_SECRET),
                cryptoki::object::Attribute::Value(vec![1; 16]),
            ])
            .expect("secret");
        assert_eq!(f.C_DigestInit.unwrap()(ha, &mut m), CKR_OK);
        assert_eq!(f.C_DigestKey.unwrap()(ha, key.handle()), CKR_OK);
        assert_eq!(get(ha, std::ptr::null_mut(), &mut n), CKR_STATE_UNSAVEABLE);
    }
}
