//! Mechanism parameters read from caller memory once, at `*Init`, into typed values.

use craton_token::mechanism::{self, HkdfSalt, KbkdfData, Mechanism, Param, ParamKind, Password};
use craton_token::message::{Aead, AeadMessage};
use craton_token::ops::Out;
use craton_token::{Error, Result};
use pkcs11_sys::*;

use crate::ptr;

/// Read a structure parameter of exactly its size.
///
/// # Safety
/// `m.pParameter` must be NULL or valid for `m.ulParameterLen` bytes.
unsafe fn param_struct<T: Copy>(m: &CK_MECHANISM) -> Result<T> {
    if m.pParameter.is_null() || m.ulParameterLen as usize != size_of::<T>() {
        return Err(Error::MechanismParamInvalid);
    }
    // SAFETY: non-NULL, ulParameterLen bytes valid per the contract, and that is size_of::<T>
    // (read_unaligned: callers need not align their parameter blocks).
    Ok(unsafe { (m.pParameter as *const T).read_unaligned() })
}

/// Copy `len` bytes at `p` (NULL with 0 is empty); a bad pointer/length pair is a parameter
/// error.
///
/// # Safety
/// `p` must be NULL or valid for `len` bytes.
unsafe fn bytes(p: *const u8, len: CK_ULONG) -> Result<Vec<u8>> {
    // SAFETY: forwarded contract.
    unsafe { ptr::slice(p, len) }.map(<[u8]>::to_vec).map_err(|_| Error::MechanismParamInvalid)
}

/// The 2.40 layout of CK_GCM_PARAMS (no ulIvBits), still sent by some clients.
#[repr(C)]
#[derive(Clone, Copy)]
struct GcmParams240 {
    p_iv: CK_BYTE_PTR,
    ul_iv_len: CK_ULONG,
    p_aad: CK_BYTE_PTR,
    ul_aad_len: CK_ULONG,
    ul_tag_bits: CK_ULONG,
}

/// Decode the caller's mechanism. Unknown mechanisms are `CKR_MECHANISM_INVALID`; a
/// parameter of the wrong shape is `CKR_MECHANISM_PARAM_INVALID`.
///
/// # Safety
/// `p` must be NULL or point to a CK_MECHANISM whose parameter pointer is NULL or valid for
/// its stated length, and every pointer inside the parameter valid for its stated length.
pub unsafe fn read(p: CK_MECHANISM_PTR) -> Result<Mechanism> {
    // SAFETY: forwarded contract.
    let m: CK_MECHANISM = unsafe { ptr::read(p) }?;
    let info = mechanism::info(m.mechanism as u64).ok_or(Error::MechanismInvalid)?;
    // SAFETY (all blocks below): the parameter pointers come from the caller's mechanism and
    // are valid for their stated lengths per this function's contract.
    let param = match info.param {
        ParamKind::None if m.ulParameterLen == 0 => Param::None,
        ParamKind::None => return Err(Error::MechanismParamInvalid),
        ParamKind::Iv16 | ParamKind::OptionalIv => {
            // SAFETY: see above.
            Param::Bytes(unsafe { bytes(m.pParameter as *const u8, m.ulParameterLen) }?)
        }
        ParamKind::Ctr => {
            // SAFETY: see above.
            let c: CK_AES_CTR_PARAMS = unsafe { param_struct(&m) }?;
            Param::Ctr { counter_bits: c.ulCounterBits as u64, block: c.cb }
        }
        ParamKind::Gcm => {
            if m.ulParameterLen as usize == size_of::<GcmParams240>() {
                // SAFETY: see above.
                let g: GcmParams240 = unsafe { param_struct(&m) }?;
                Param::Gcm {
                    // SAFETY: see above.
                    iv: unsafe { bytes(g.p_iv, g.ul_iv_len) }?,
                    // SAFETY: see above.
                    aad: unsafe { bytes(g.p_aad, g.ul_aad_len) }?,
                    tag_bits: g.ul_tag_bits as u64,
                }
            } else {
                // SAFETY: see above.
                let g: CK_GCM_PARAMS = unsafe { param_struct(&m) }?;
                Param::Gcm {
                    // SAFETY: see above.
                    iv: unsafe { bytes(g.pIv, g.ulIvLen) }?,
                    // SAFETY: see above.
                    aad: unsafe { bytes(g.pAAD, g.ulAADLen) }?,
                    tag_bits: g.ulTagBits as u64,
                }
            }
        }
        ParamKind::Pss => {
            // SAFETY: see above.
            let p: CK_RSA_PKCS_PSS_PARAMS = unsafe { param_struct(&m) }?;
            Param::Pss { hash: p.hashAlg as u64, mgf: p.mgf as u64, salt: p.sLen as u64 }
        }
        ParamKind::Oaep => {
            // SAFETY: see above.
            let p: CK_RSA_PKCS_OAEP_PARAMS = unsafe { param_struct(&m) }?;
            Param::Oaep {
                hash: p.hashAlg as u64,
                mgf: p.mgf as u64,
                source: p.source as u64,
                // SAFETY: see above.
                label: unsafe { bytes(p.pSourceData as *const u8, p.ulSourceDataLen) }?,
            }
        }
        ParamKind::MacLen => {
            // SAFETY: see above.
            let n: CK_ULONG = unsafe { param_struct(&m) }?;
            Param::MacLen(n as u64)
        }
        ParamKind::Ecdh => {
            // SAFETY: see above.
            let p: CK_ECDH1_DERIVE_PARAMS = unsafe { param_struct(&m) }?;
            Param::Ecdh {
                kdf: p.kdf as u64,
                // SAFETY: see above.
                shared: unsafe { bytes(p.pSharedData, p.ulSharedDataLen) }?,
                // SAFETY: see above.
                public: unsafe { bytes(p.pPublicData, p.ulPublicDataLen) }?,
            }
        }
        ParamKind::Data => {
            // SAFETY: see above.
            let p: CK_KEY_DERIVATION_STRING_DATA = unsafe { param_struct(&m) }?;
            // SAFETY: see above.
            Param::Bytes(unsafe { bytes(p.pData, p.ulLen) }?)
        }
        ParamKind::Hkdf => {
            // SAFETY: see above.
            let p: CK_HKDF_PARAMS = unsafe { param_struct(&m) }?;
            let salt = match p.ulSaltType {
                CKF_HKDF_SALT_NULL => HkdfSalt::Null,
                // SAFETY: see above.
                CKF_HKDF_SALT_DATA => HkdfSalt::Data(unsafe { bytes(p.pSalt, p.ulSaltLen) }?),
                CKF_HKDF_SALT_KEY => HkdfSalt::Key(p.hSaltKey as u64),
                _ => return Err(Error::MechanismParamInvalid),
            };
            Param::Hkdf {
                extract: p.bExtract != 0,
                expand: p.bExpand != 0,
                prf: p.prfHashMechanism as u64,
                salt,
                // SAFETY: see above.
                info: unsafe { bytes(p.pInfo, p.ulInfoLen) }?,
            }
        }
        ParamKind::Pbkdf2 => {
            // SAFETY: see above.
            let p: CK_PKCS5_PBKD2_PARAMS2 = unsafe { param_struct(&m) }?;
            if p.saltSource != CKZ_SALT_SPECIFIED {
                return Err(Error::MechanismParamInvalid);
            }
            // The 2.40 structure has the same size but a pointer to the password length where
            // 3.0 has the length: a value no password length could be is taken as that pointer.
            let len = if p.ulPasswordLen > 1 << 16 {
                // SAFETY: a 2.40 caller's pulPasswordLen points to a CK_ULONG.
                unsafe { ptr::read(p.ulPasswordLen as *const CK_ULONG) }
                    .map_err(|_| Error::MechanismParamInvalid)?
            } else {
                p.ulPasswordLen
            };
            Param::Pbkdf2 {
                // SAFETY: see above.
                salt: unsafe { bytes(p.pSaltSourceData as *const u8, p.ulSaltSourceDataLen) }?,
                iterations: p.iterations as u64,
                prf: p.prf as u64,
                // SAFETY: see above.
                password: Password(zeroize::Zeroizing::new(unsafe { bytes(p.pPassword, len) }?)),
            }
        }
        ParamKind::ChaCha => {
            // SAFETY: see above.
            let p: CK_SALSA20_CHACHA20_POLY1305_PARAMS = unsafe { param_struct(&m) }?;
            Param::ChaCha {
                // SAFETY: see above.
                nonce: unsafe { bytes(p.pNonce, p.ulNonceLen) }?,
                // SAFETY: see above.
                aad: unsafe { bytes(p.pAAD, p.ulAADLen) }?,
            }
        }
        ParamKind::ChaCha20 => {
            // SAFETY: see above.
            let p: CK_CHACHA20_PARAMS = unsafe { param_struct(&m) }?;
            // Both lengths are in bits. A counter or nonce that is not whole bytes, or longer
            // than any variant's (64-bit counter, 192-bit XChaCha20 nonce), fits none and is
            // refused before anything is read; the token checks the exact combination.
            let (cb, nb) = (p.blockCounterBits, p.ulNonceBits);
            if cb % 8 != 0 || nb % 8 != 0 || cb > 64 || nb > 192 {
                return Err(Error::MechanismParamInvalid);
            }
            Param::ChaCha20 {
                // SAFETY: see above.
                counter: unsafe { bytes(p.pBlockCounter, cb / 8) }?,
                counter_bits: cb as u64,
                // SAFETY: see above.
                nonce: unsafe { bytes(p.pNonce, nb / 8) }?,
            }
        }
        ParamKind::Ccm => {
            // SAFETY: see above.
            let c: CK_CCM_PARAMS = unsafe { param_struct(&m) }?;
            Param::Ccm {
                data_len: c.ulDataLen as u64,
                // SAFETY: see above.
                nonce: unsafe { bytes(c.pNonce, c.ulNonceLen) }?,
                // SAFETY: see above.
                aad: unsafe { bytes(c.pAAD, c.ulAADLen) }?,
                mac_len: c.ulMACLen as u64,
            }
        }
        // SAFETY: see above.
        ParamKind::Kbkdf => unsafe { kbkdf(&m) }?,
        ParamKind::CbcData => {
            // SAFETY: see above.
            let p: CK_AES_CBC_ENCRYPT_DATA_PARAMS = unsafe { param_struct(&m) }?;
            // SAFETY: see above.
            Param::CbcData { iv: p.iv, data: unsafe { bytes(p.pData, p.length) }? }
        }
    };
    Ok(Mechanism { ty: m.mechanism as u64, param })
}

/// Largest number of data parameters or additional keys an SP 800-108 KDF may list.
const KBKDF_LIST_MAX: CK_ULONG = 64;

/// Read `CK_SP800_108_KDF_PARAMS`: the PRF, its data parameters, and the templates of any
/// additional keys (their output handles are written by the caller of [`kbkdf_key_outputs`]).
///
/// # Safety
/// As for [`read`].
unsafe fn kbkdf(m: &CK_MECHANISM) -> Result<Param> {
    // SAFETY: forwarded contract.
    let p: CK_SP800_108_KDF_PARAMS = unsafe { param_struct(m) }?;
    if p.ulNumberOfDataParams > KBKDF_LIST_MAX || p.ulAdditionalDerivedKeys > KBKDF_LIST_MAX {
        return Err(Error::MechanismParamInvalid);
    }
    // SAFETY: forwarded contract (pDataParams holds ulNumberOfDataParams entries).
    let list = unsafe { ptr::slice(p.pDataParams, p.ulNumberOfDataParams) }
        .map_err(|_| Error::MechanismParamInvalid)?;
    let mut data = Vec::with_capacity(list.len());
    for d in list {
        let pm = CK_MECHANISM { mechanism: 0, pParameter: d.pValue, ulParameterLen: d.ulValueLen };
        data.push(match d.type_ {
            CK_SP800_108_ITERATION_VARIABLE => {
                // SAFETY: forwarded contract.
                let f: CK_SP800_108_COUNTER_FORMAT = unsafe { param_struct(&pm) }?;
                KbkdfData::Counter {
                    little_endian: f.bLittleEndian != 0,
                    width_bits: f.ulWidthInBits as u64,
                }
            }
            CK_SP800_108_DKM_LENGTH => {
                // SAFETY: forwarded contract.
                let f: CK_SP800_108_DKM_LENGTH_FORMAT = unsafe { param_struct(&pm) }?;
                KbkdfData::DkmLength {
                    method: f.dkmLengthMethod as u64,
                    little_endian: f.bLittleEndian != 0,
                    width_bits: f.ulWidthInBits as u64,
                }
            }
            CK_SP800_108_BYTE_ARRAY => {
                // SAFETY: forwarded contract (pValue holds ulValueLen bytes).
                let v = unsafe { bytes(d.pValue as *const u8, d.ulValueLen) }?;
                KbkdfData::Bytes(v)
            }
            _ => return Err(Error::MechanismParamInvalid),
        });
    }
    // SAFETY: forwarded contract (pAdditionalDerivedKeys holds ulAdditionalDerivedKeys).
    let extra = unsafe { ptr::slice(p.pAdditionalDerivedKeys, p.ulAdditionalDerivedKeys) }
        .map_err(|_| Error::MechanismParamInvalid)?;
    let mut additional = Vec::with_capacity(extra.len());
    for k in extra {
        if k.phKey.is_null() {
            return Err(Error::MechanismParamInvalid);
        }
        // SAFETY: each CK_DERIVED_KEY's template holds ulAttributeCount attributes.
        additional.push(unsafe { ptr::read_template(k.pTemplate, k.ulAttributeCount) }?);
    }
    Ok(Param::Kbkdf { prf: p.prfType as u64, data, additional })
}

/// Where the handles of an SP 800-108 derivation's additional keys go.
///
/// # Safety
/// `p` must satisfy [`read`]'s contract and have been read successfully by it.
pub unsafe fn kbkdf_key_outputs(p: CK_MECHANISM_PTR) -> Result<Vec<CK_OBJECT_HANDLE_PTR>> {
    // SAFETY: forwarded contract.
    let m: CK_MECHANISM = unsafe { ptr::read(p) }?;
    // SAFETY: forwarded contract.
    let kp: CK_SP800_108_KDF_PARAMS = unsafe { param_struct(&m) }?;
    // SAFETY: forwarded contract.
    let extra = unsafe { ptr::slice(kp.pAdditionalDerivedKeys, kp.ulAdditionalDerivedKeys) }?;
    Ok(extra.iter().map(|k| k.phKey).collect())
}

/// The mechanism of a `C_Message*Init`: known to the registry; its parameters come with
/// each message, so none is read here.
///
/// # Safety
/// `p` must be NULL or point to a CK_MECHANISM.
pub unsafe fn read_type(p: CK_MECHANISM_PTR) -> Result<Mechanism> {
    // SAFETY: forwarded contract.
    let m: CK_MECHANISM = unsafe { ptr::read(p) }?;
    mechanism::info(m.mechanism as u64).ok_or(Error::MechanismInvalid)?;
    Ok(Mechanism { ty: m.mechanism as u64, param: Param::None })
}

/// The per-message parameters of an AEAD message, with where to return the IV and the tag.
pub struct AeadMessageArgs {
    /// The parameters.
    pub params: AeadMessage,
    /// The caller's IV/nonce buffer (a generated IV goes back there).
    pub iv_out: *mut u8,
    /// The caller's tag buffer.
    pub tag: *mut u8,
    /// Tag length in bytes.
    pub tag_len: usize,
}

/// Read a per-message parameter block: CK_GCM_MESSAGE_PARAMS, CK_CCM_MESSAGE_PARAMS or
/// CK_SALSA20_CHACHA20_POLY1305_MSG_PARAMS, as the operation's mechanism says.
///
/// # Safety
/// `p` must be NULL or valid for `len` bytes; its IV/nonce pointer valid for its stated
/// length.
pub unsafe fn aead_message(aead: Aead, p: CK_VOID_PTR, len: CK_ULONG) -> Result<AeadMessageArgs> {
    let m = CK_MECHANISM { mechanism: 0, pParameter: p, ulParameterLen: len };
    let (iv_ptr, iv_len, fixed, generator, tag, tag_len, data_len) = match aead {
        Aead::Gcm => {
            // SAFETY: forwarded contract.
            let g: CK_GCM_MESSAGE_PARAMS = unsafe { param_struct(&m) }?;
            if g.ulTagBits % 8 != 0 {
                return Err(Error::MechanismParamInvalid);
            }
            let t = (g.ulTagBits / 8) as usize;
            (g.pIv, g.ulIvLen, g.ulIvFixedBits, g.ivGenerator, g.pTag, t, None)
        }
        Aead::Ccm => {
            // SAFETY: forwarded contract.
            let c: CK_CCM_MESSAGE_PARAMS = unsafe { param_struct(&m) }?;
            let d = Some(c.ulDataLen as u64);
            let t = usize::try_from(c.ulMACLen).map_err(|_| Error::MechanismParamInvalid)?;
            (c.pNonce, c.ulNonceLen, c.ulNonceFixedBits, c.nonceGenerator, c.pMAC, t, d)
        }
        Aead::ChaCha => {
            // SAFETY: forwarded contract.
            let c: CK_SALSA20_CHACHA20_POLY1305_MSG_PARAMS = unsafe { param_struct(&m) }?;
            let t = craton_crypto::chacha::TAG_LEN;
            (c.pNonce, c.ulNonceLen, 0, CKG_NO_GENERATE, c.pTag, t, None)
        }
    };
    if tag.is_null() {
        return Err(Error::MechanismParamInvalid);
    }
    // SAFETY: forwarded contract.
    let iv = unsafe { bytes(iv_ptr, iv_len) }?;
    Ok(AeadMessageArgs {
        params: AeadMessage {
            iv,
            iv_fixed_bits: fixed as u64,
            generator: generator as u64,
            tag_len,
            data_len,
        },
        iv_out: iv_ptr,
        tag,
        tag_len,
    })
}

/// The capacity the caller offers: None for a NULL buffer (length query).
///
/// # Safety
/// `len` must be valid for reads of a CK_ULONG when not NULL.
pub unsafe fn capacity(out: *const u8, len: *const CK_ULONG) -> Result<Option<usize>> {
    // SAFETY: forwarded contract.
    let n = unsafe { ptr::read(len) }?;
    Ok((!out.is_null()).then_some(usize::try_from(n).unwrap_or(usize::MAX)))
}

/// Deliver an operation's output under the two-call convention.
///
/// # Safety
/// `len` must be valid for writes of a CK_ULONG; `out`, when not NULL, valid for writes of
/// the capacity the caller stated in `*len` before the call.
pub unsafe fn deliver(r: Out, out: *mut u8, len: *mut CK_ULONG) -> Result<()> {
    match r {
        Out::Len(n) => {
            // SAFETY: forwarded contract.
            unsafe { ptr::write(len, n as CK_ULONG) }?;
            if out.is_null() { Ok(()) } else { Err(Error::BufferTooSmall) }
        }
        Out::Data(d) => {
            // SAFETY: `out` holds at least the capacity, which the token checked is >= d.len().
            unsafe { ptr::copy_out(out, &d) };
            // SAFETY: forwarded contract.
            unsafe { ptr::write(len, d.len() as CK_ULONG) }
        }
        // SAFETY: forwarded contract (the bytes are already in `out`).
        Out::Written(n) => unsafe { ptr::write(len, n as CK_ULONG) },
    }
}

/// The body of every output-producing call: the caller's capacity, the token's answer under
/// the two-call convention, delivery.
///
/// # Safety
/// As for [`deliver`].
pub unsafe fn produce(
    out: *mut u8,
    len: *mut CK_ULONG,
    f: impl FnOnce(Option<usize>) -> Result<Out>,
) -> Result<()> {
    // SAFETY: forwarded contract.
    let cap = unsafe { capacity(out, len) }?;
    let r = f(cap)?;
    // SAFETY: forwarded contract.
    unsafe { deliver(r, out, len) }
}

/// Deliver a result that is computed whole whatever the buffer (a wrapped key, a saved
/// state, a MAC): its length for a NULL or short buffer, else the bytes.
///
/// # Safety
/// As for [`deliver`].
pub unsafe fn deliver_whole(data: Vec<u8>, out: *mut u8, len: *mut CK_ULONG) -> Result<()> {
    // SAFETY: forwarded contract.
    unsafe {
        produce(out, len, |cap| {
            Ok(match cap {
                Some(c) if c >= data.len() => Out::Data(zeroize::Zeroizing::new(data)),
                _ => Out::Len(data.len()),
            })
        })
    }
}

/// The caller's output buffer as a slice the token may write directly, when that is sound:
/// not NULL, and not overlapping the input (in-place callers take the copying path).
///
/// # Safety
/// `out`, when not NULL, must be valid for writes of `cap` bytes and not accessed otherwise
/// while the slice lives.
pub unsafe fn direct_output<'a>(
    out: *mut u8,
    cap: Option<usize>,
    input: &[u8],
) -> Option<&'a mut [u8]> {
    let cap = cap?;
    if out.is_null() || cap == 0 {
        return None;
    }
    let (o, i) = (out as usize, input.as_ptr() as usize);
    let overlaps = o < i.saturating_add(input.len()) && i < o.saturating_add(cap);
    if overlaps {
        return None;
    }
    // SAFETY: non-NULL, valid for `cap` writable bytes per the contract, disjoint from the
    // input slice (checked above).
    unsafe { ptr::slice_mut(out, cap as CK_ULONG) }.ok()
}
