//! CKM_CHACHA20_POLY1305 against RFC 8439 section 2.8.2 through the real .so, a tampered
//! tag, and a key from CKM_CHACHA20_KEY_GEN round-tripping.

use craton_blackbox::TestToken;
use pkcs11_sys::*;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

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
    let key = chacha_key(
        f,
        h,
        Some(&unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")),
    );
    let nonce = unhex("070000004041424344454647");
    let aad = unhex("50515253c0c1c2c3c4c5c6c7");
    let pt = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
    let ct = run(f, h, key, &nonce, &aad, pt, true).expect("encrypt");
    // RFC 8439 section 2.8.2: ciphertext starts d3 1a 8d 34, tag 1a:e1:0b:59:...
    assert_eq!(&ct[..4], &unhex("d31a8d34")[..]);
    assert_eq!(&ct[ct.len() - 16..], &unhex("1ae10b594f09e26a7e902ecbd0600691")[..]);
    assert_eq!(run(f, h, key, &nonce, &aad, &ct, false).expect("decrypt"), pt);
    let mut bad = ct.clone();
    bad[ct.len() - 1] ^= 1;
    assert_eq!(run(f, h, key, &nonce, &aad, &bad, false), Err(CKR_ENCRYPTED_DATA_INVALID));
    assert_eq!(run(f, h, key, &nonce[..8], &aad, pt, true), Err(CKR_MECHANISM_PARAM_INVALID));

    let generated = chacha_key(f, h, None);
    let ct = run(f, h, generated, &nonce, b"", b"hello", true).expect("encrypt");
    assert_eq!(run(f, h, generated, &nonce, b"", &ct, false).expect("decrypt"), b"hello");
}
