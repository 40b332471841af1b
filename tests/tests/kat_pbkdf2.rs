//! CKM_PKCS5_PBKD2 through C_GenerateKey against RFC 6070 (PBKDF2-HMAC-SHA1) and RFC 7914
//! section 11 (PBKDF2-HMAC-SHA256) from tests/vectors/pbkdf2.txt, with the 3.0 CK_PKCS5_PBKD2_PARAMS2 and the 2.40
//! structure that passes the password length by pointer.

use craton_blackbox::TestToken;
use craton_blackbox::kat::Vectors;
use pkcs11_sys::*;

/// Derive `len` bytes and read them back (the key is created readable).
#[allow(clippy::too_many_arguments)] // one PBKDF2 vector's fields, spelled out at each call
fn derive(
    f: &CK_FUNCTION_LIST,
    h: CK_SESSION_HANDLE,
    prf: CK_ULONG,
    password: &[u8],
    salt: &[u8],
    iterations: CK_ULONG,
    len: usize,
    legacy: bool,
) -> Result<Vec<u8>, CK_RV> {
    let mut pw_len: CK_ULONG = password.len() as CK_ULONG;
    let mut params = CK_PKCS5_PBKD2_PARAMS2 {
        saltSource: CKZ_SALT_SPECIFIED,
        pSaltSourceData: salt.as_ptr() as *mut _,
        ulSaltSourceDataLen: salt.len() as CK_ULONG,
        iterations,
        prf,
        pPrfData: std::ptr::null_mut(),
        ulPrfDataLen: 0,
        pPassword: password.as_ptr() as *mut _,
        ulPasswordLen: if legacy { &mut pw_len as *mut CK_ULONG as CK_ULONG } else { pw_len },
    };
    let mut m = CK_MECHANISM {
        mechanism: CKM_PKCS5_PBKD2,
        pParameter: &mut params as *mut _ as *mut _,
        ulParameterLen: size_of::<CK_PKCS5_PBKD2_PARAMS2>() as CK_ULONG,
    };
    let (class, kt, vlen, f_, t_) =
        (CKO_SECRET_KEY, CKK_GENERIC_SECRET, len as CK_ULONG, CK_FALSE, CK_TRUE);
    let attr = |t: CK_ATTRIBUTE_TYPE, p: *const u8, n: usize| CK_ATTRIBUTE {
        type_: t,
        pValue: p as *mut _,
        ulValueLen: n as CK_ULONG,
    };
    let mut template = [
        attr(CKA_CLASS, &class as *const _ as *const u8, size_of::<CK_ULONG>()),
        attr(CKA_KEY_TYPE, &kt as *const _ as *const u8, size_of::<CK_ULONG>()),
        attr(CKA_VALUE_LEN, &vlen as *const _ as *const u8, size_of::<CK_ULONG>()),
        attr(CKA_SENSITIVE, &f_ as *const _ as *const u8, 1),
        attr(CKA_EXTRACTABLE, &t_ as *const _ as *const u8, 1),
    ];
    let mut key: CK_OBJECT_HANDLE = 0;
    // SAFETY: valid session, mechanism, parameter block, template and out-pointer.
    let rv = unsafe {
        f.C_GenerateKey.unwrap()(
            h,
            &mut m,
            template.as_mut_ptr(),
            template.len() as CK_ULONG,
            &mut key,
        )
    };
    if rv != CKR_OK {
        return Err(rv);
    }
    let mut value = vec![0u8; len];
    let mut get = [attr(CKA_VALUE, value.as_mut_ptr(), len)];
    // SAFETY: the buffer holds `len` bytes.
    let rv = unsafe { f.C_GetAttributeValue.unwrap()(h, key, get.as_mut_ptr(), 1) };
    assert_eq!(rv, CKR_OK);
    Ok(value)
}

#[test]
fn pbkdf2_rfc6070_and_rfc7914() {
    let t = TestToken::new();
    let slot = t.init_token();
    let s = t.user_rw(slot);
    let raw = t.raw();
    let (f, h) = (raw.functions(), s.handle());
    let vectors = Vectors::load("pbkdf2.txt");
    let mut checked = 0;
    for (section, prf) in
        [("SHA-1", CKP_PKCS5_PBKD2_HMAC_SHA1), ("SHA-256", CKP_PKCS5_PBKD2_HMAC_SHA256)]
    {
        for c in vectors.section(section) {
            let (p, salt, want) = (c.bytes("P"), c.bytes("S"), c.bytes("DK"));
            let (iterations, len) = (c.num("c") as CK_ULONG, c.num("dkLen") as usize);
            for legacy in [false, true] {
                let got = derive(f, h, prf, &p, &salt, iterations, len, legacy);
                assert_eq!(got, Ok(want.clone()), "{} (2.40 layout: {legacy})", c.id());
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 3);
    // Zero iterations and an unknown PRF are parameter errors.
    assert_eq!(
        derive(f, h, CKP_PKCS5_PBKD2_HMAC_SHA256, b"p", b"s", 0, 16, false),
        Err(CKR_MECHANISM_PARAM_INVALID)
    );
    assert_eq!(derive(f, h, 99, b"p", b"s", 1, 16, false), Err(CKR_MECHANISM_PARAM_INVALID));
}
