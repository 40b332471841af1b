//! CKM_CHACHA20_POLY1305 against RFC 8439 section 2.8.2 (tests/vectors/chacha20_poly1305.txt)
//! through the real .so, a tampered
//! tag, and a key from CKM_CHACHA20_KEY_GEN round-tripping.

use craton_blackbox::TestToken;
use craton_blackbox::kat::Vectors;
use pkcs11_sys::*;

/// One C_EncryptInit/C_Encrypt or C_DecryptInit/C_Decrypt through the raw function list.
fn run(
    f: &CK_FUNCTION_LIST,
    h: CK_SESSION_HANDLE,
    key: CK_OBJECT_HANDLE,
    nonce: &[u8],
    aad: &[u8],
    input: &[u8],
    encrypt: bool,
) -> Result<Vec<u8>, CK_RV> {
    let mut p = CK_SALSA20_CHACHA20_POLY1305_PARAMS {
        pNonce: nonce.as_ptr() as *mut _,
        ulNonceLen: nonce.len() as CK_ULONG,
        pAAD: aad.as_ptr() as *mut _,
        ulAADLen: aad.len() as CK_ULONG,
    };
    let mut m = CK_MECHANISM {
        mechanism: CKM_CHACHA20_POLY1305,
        pParameter: &mut p as *mut _ as *mut _,
        ulParameterLen: size_of::<CK_SALSA20_CHACHA20_POLY1305_PARAMS>() as CK_ULONG,
    };
    let mut out = vec![0u8; input.len() + 16];
    let mut n = out.len() as CK_ULONG;
    // SAFETY: valid session, mechanism, parameters and buffers.
    let rv = unsafe {
        if encrypt {
            let rv = f.C_EncryptInit.unwrap()(h, &mut m, key);
            if rv != CKR_OK {
                return Err(rv);
            }
            f.C_Encrypt.unwrap()(
                h,
                input.as_ptr() as *mut _,
                input.len() as CK_ULONG,
                out.as_mut_ptr(),
                &mut n,
            )
        } else {
            let rv = f.C_DecryptInit.unwrap()(h, &mut m, key);
            if rv != CKR_OK {
                return Err(rv);
            }
            f.C_Decrypt.unwrap()(
                h,
                input.as_ptr() as *mut _,
                input.len() as CK_ULONG,
                out.as_mut_ptr(),
                &mut n,
            )
        }
    };
    if rv != CKR_OK {
        return Err(rv);
    }
    out.truncate(n as usize);
    Ok(out)
}

/// C_CreateObject (with `value`) or C_GenerateKey (CKM_CHACHA20_KEY_GEN) of a session key.
fn chacha_key(
    f: &CK_FUNCTION_LIST,
    h: CK_SESSION_HANDLE,
    value: Option<&[u8]>,
) -> CK_OBJECT_HANDLE {
    let (class, kt) = (CKO_SECRET_KEY, CKK_CHACHA20);
    let attr = |t: CK_ATTRIBUTE_TYPE, p: *const u8, n: usize| CK_ATTRIBUTE {
        type_: t,
        pValue: p as *mut _,
        ulValueLen: n as CK_ULONG,
    };
    let ulong = size_of::<CK_ULONG>();
    let mut template = vec![
        attr(CKA_CLASS, &class as *const _ as *const u8, ulong),
        attr(CKA_KEY_TYPE, &kt as *const _ as *const u8, ulong),
    ];
    let mut key: CK_OBJECT_HANDLE = 0;
    // SAFETY: valid session, template and out-pointer; the value outlives the call.
    let rv = unsafe {
        match value {
            Some(v) => {
                template.push(attr(CKA_VALUE, v.as_ptr(), v.len()));
                f.C_CreateObject.unwrap()(
                    h,
                    template.as_mut_ptr(),
                    template.len() as CK_ULONG,
                    &mut key,
                )
            }
            None => {
                let mut m = CK_MECHANISM {
                    mechanism: CKM_CHACHA20_KEY_GEN,
                    pParameter: std::ptr::null_mut(),
                    ulParameterLen: 0,
                };
                f.C_GenerateKey.unwrap()(
                    h,
                    &mut m,
                    template.as_mut_ptr(),
                    template.len() as CK_ULONG,
                    &mut key,
                )
            }
        }
    };
    assert_eq!(rv, CKR_OK);
    key
}

#[test]
fn rfc8439_aead_and_generated_keys() {
    let t = TestToken::new();
    let slot = t.init_token();
    let s = t.user_rw(slot);
    let raw = t.raw();
    let (f, h) = (raw.functions(), s.handle());
    let vectors = Vectors::load("chacha20_poly1305.txt");
    let cases = vectors.section("AEAD");
    assert!(!cases.is_empty());
    let nonce = cases[0].bytes("Nonce");
    for c in cases {
        let key = chacha_key(f, h, Some(&c.bytes("Key")));
        let (nonce, aad, pt) = (c.bytes("Nonce"), c.bytes("AAD"), c.bytes("PT"));
        let mut want = c.bytes("CT");
        want.extend(c.bytes("Tag"));
        let ct = run(f, h, key, &nonce, &aad, &pt, true).expect("encrypt");
        assert_eq!(ct, want, "{}", c.id());
        assert_eq!(run(f, h, key, &nonce, &aad, &ct, false).expect("decrypt"), pt);
        let mut bad = ct.clone();
        bad[ct.len() - 1] ^= 1;
        assert_eq!(run(f, h, key, &nonce, &aad, &bad, false), Err(CKR_ENCRYPTED_DATA_INVALID));
        assert_eq!(run(f, h, key, &nonce[..8], &aad, &pt, true), Err(CKR_MECHANISM_PARAM_INVALID));
    }
    let generated = chacha_key(f, h, None);
    let ct = run(f, h, generated, &nonce, b"", b"hello", true).expect("encrypt");
    assert_eq!(run(f, h, generated, &nonce, b"", &ct, false).expect("decrypt"), b"hello");
}
