//! The PKCS#11 3.0 message-based API: AEAD messages (AES-GCM, AES-CCM, ChaCha20-Poly1305:
//! per-message IV or nonce, AAD and tag, IV generation by the token on request) and HMAC
//! messages.

use craton_token::Error;
use craton_token::message::{MsgKind, MsgResult};
use craton_token::module::Module;
use pkcs11_sys::*;

use crate::mech::{self, AeadMessageArgs};
use crate::ptr;
use crate::state::{self, guard};

/// Shared body of the four `C_Message*Init`.
///
/// # Safety
/// `p` per the spec of the calling function.
unsafe fn init(
    h: CK_SESSION_HANDLE,
    kind: MsgKind,
    p: CK_MECHANISM_PTR,
    key: CK_OBJECT_HANDLE,
) -> craton_token::Result<()> {
    let module = state::module()?;
    module.check_session(h as u64)?;
    // SAFETY: forwarded contract.
    let m = unsafe { mech::read_type(p) }?;
    module.message_init(h as u64, kind, &m, key as u64)
}

/// The per-message parameters of the session's `kind` operation, read as its mechanism
/// defines them.
///
/// # Safety
/// `p` must be NULL or valid for `len` bytes, as the spec of the calling function says.
unsafe fn params(
    module: &Module,
    h: CK_SESSION_HANDLE,
    kind: MsgKind,
    p: CK_VOID_PTR,
    len: CK_ULONG,
) -> craton_token::Result<AeadMessageArgs> {
    let aead = module.message_aead(h as u64, kind)?;
    // SAFETY: forwarded contract.
    unsafe { mech::aead_message(aead, p, len) }
}

/// Return a sealed message's tag (and a generated IV) through the caller's parameters.
///
/// # Safety
/// The pointers in `args` must be valid for their stated lengths.
unsafe fn return_tag_and_iv(
    args: &AeadMessageArgs,
    iv: &[u8],
    tag: &[u8],
) -> craton_token::Result<()> {
    if tag.len() != args.tag_len {
        return Err(Error::GeneralError);
    }
    // SAFETY: pTag holds ulTagBits/8 bytes per the spec.
    unsafe { ptr::copy_out(args.tag, tag) };
    if args.params.generator != CKG_NO_GENERATE as u64 && !args.iv_out.is_null() {
        // SAFETY: pIv holds ulIvLen bytes, which equals iv.len() (checked by the token).
        unsafe { ptr::copy_out(args.iv_out, iv) };
    }
    Ok(())
}

/// Check the caller's output capacity for `n` bytes (two-call convention).
///
/// # Safety
/// `out`/`len` as for [`mech::deliver`].
unsafe fn room(out: *mut u8, len: *mut CK_ULONG, n: usize) -> craton_token::Result<bool> {
    // SAFETY: forwarded contract.
    let cap = unsafe { mech::capacity(out, len) }?;
    if cap.is_none_or(|c| c < n) {
        // SAFETY: forwarded contract.
        unsafe { mech::deliver(craton_token::ops::Out::Len(n), out, len) }?;
        return Ok(false);
    }
    Ok(true)
}

/// Start message-based encryption.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_MessageEncryptInit(
    hSession: CK_SESSION_HANDLE,
    pMechanism: CK_MECHANISM_PTR,
    hKey: CK_OBJECT_HANDLE,
) -> CK_RV {
    // SAFETY: pMechanism per the spec.
    guard("C_MessageEncryptInit", || unsafe { init(hSession, MsgKind::Encrypt, pMechanism, hKey) })
}

/// Encrypt one message.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_EncryptMessage(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
    pAssociatedData: CK_BYTE_PTR,
    ulAssociatedDataLen: CK_ULONG,
    pPlaintext: CK_BYTE_PTR,
    ulPlaintextLen: CK_ULONG,
    pCiphertext: CK_BYTE_PTR,
    pulCiphertextLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_EncryptMessage", || {
        let module = state::module()?;
        // SAFETY: every pointer covers its stated length per the spec.
        let (args, aad, pt) = unsafe {
            (
                params(&module, hSession, MsgKind::Encrypt, pParameter, ulParameterLen)?,
                ptr::slice(pAssociatedData, ulAssociatedDataLen)?,
                ptr::slice(pPlaintext, ulPlaintextLen)?,
            )
        };
        // SAFETY: output pointers per the spec.
        if !unsafe { room(pCiphertext, pulCiphertextLen, pt.len()) }? {
            return Ok(());
        }
        let sealed = module.encrypt_message(hSession as u64, &args.params, aad, pt)?;
        // SAFETY: parameter and output pointers per the spec; capacity checked above.
        unsafe {
            return_tag_and_iv(&args, &sealed.iv, &sealed.tag)?;
            mech::deliver(
                craton_token::ops::Out::Data(zeroize::Zeroizing::new(sealed.ciphertext)),
                pCiphertext,
                pulCiphertextLen,
            )
        }
    })
}

/// Start a multi-part message.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_EncryptMessageBegin(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
    pAssociatedData: CK_BYTE_PTR,
    ulAssociatedDataLen: CK_ULONG,
) -> CK_RV {
    guard("C_EncryptMessageBegin", || {
        let module = state::module()?;
        // SAFETY: every pointer covers its stated length per the spec.
        let (args, aad) = unsafe {
            (
                params(&module, hSession, MsgKind::Encrypt, pParameter, ulParameterLen)?,
                ptr::slice(pAssociatedData, ulAssociatedDataLen)?,
            )
        };
        module.message_begin(hSession as u64, MsgKind::Encrypt, Some(args.params), aad)
    })
}

/// Continue a multi-part message; the whole ciphertext comes with the last part.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_EncryptMessageNext(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
    pPlaintextPart: CK_BYTE_PTR,
    ulPlaintextPartLen: CK_ULONG,
    pCiphertextPart: CK_BYTE_PTR,
    pulCiphertextPartLen: CK_ULONG_PTR,
    flags: CK_FLAGS,
) -> CK_RV {
    guard("C_EncryptMessageNext", || {
        let module = state::module()?;
        let h = hSession as u64;
        // SAFETY: pPlaintextPart covers its length per the spec.
        let part = unsafe { ptr::slice(pPlaintextPart, ulPlaintextPartLen) }?;
        let last = flags & CKF_END_OF_MESSAGE != 0;
        let n = if last { module.message_buffered(h, MsgKind::Encrypt)? + part.len() } else { 0 };
        // SAFETY: output pointers per the spec.
        if last && !unsafe { room(pCiphertextPart, pulCiphertextPartLen, n) }? {
            return Ok(());
        }
        match module.message_next(h, MsgKind::Encrypt, part, last.then_some(&[][..]))? {
            Some(MsgResult::Sealed(sealed)) => {
                // SAFETY: pParameter per the spec (tag and IV go back through it).
                let args = unsafe {
                    params(&module, hSession, MsgKind::Encrypt, pParameter, ulParameterLen)
                }?;
                // SAFETY: pointers per the spec; capacity checked above.
                unsafe {
                    return_tag_and_iv(&args, &sealed.iv, &sealed.tag)?;
                    mech::deliver(
                        craton_token::ops::Out::Data(zeroize::Zeroizing::new(sealed.ciphertext)),
                        pCiphertextPart,
                        pulCiphertextPartLen,
                    )
                }
            }
            // SAFETY: pulCiphertextPartLen valid per the spec.
            _ => unsafe { ptr::write(pulCiphertextPartLen, 0) },
        }
    })
}

/// End message-based encryption.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_MessageEncryptFinal(hSession: CK_SESSION_HANDLE) -> CK_RV {
    guard("C_MessageEncryptFinal", || {
        state::module()?.message_final(hSession as u64, MsgKind::Encrypt)
    })
}

/// Start message-based decryption.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_MessageDecryptInit(
    hSession: CK_SESSION_HANDLE,
    pMechanism: CK_MECHANISM_PTR,
    hKey: CK_OBJECT_HANDLE,
) -> CK_RV {
    // SAFETY: pMechanism per the spec.
    guard("C_MessageDecryptInit", || unsafe { init(hSession, MsgKind::Decrypt, pMechanism, hKey) })
}

/// Decrypt and authenticate one message.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_DecryptMessage(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
    pAssociatedData: CK_BYTE_PTR,
    ulAssociatedDataLen: CK_ULONG,
    pCiphertext: CK_BYTE_PTR,
    ulCiphertextLen: CK_ULONG,
    pPlaintext: CK_BYTE_PTR,
    pulPlaintextLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_DecryptMessage", || {
        let module = state::module()?;
        // SAFETY: every pointer covers its stated length per the spec (the tag: ulTagBits/8).
        let (args, aad, ct) = unsafe {
            (
                params(&module, hSession, MsgKind::Decrypt, pParameter, ulParameterLen)?,
                ptr::slice(pAssociatedData, ulAssociatedDataLen)?,
                ptr::slice(pCiphertext, ulCiphertextLen)?,
            )
        };
        // SAFETY: output pointers per the spec.
        if !unsafe { room(pPlaintext, pulPlaintextLen, ct.len()) }? {
            return Ok(());
        }
        // SAFETY: pTag holds the tag per the spec.
        let tag = unsafe { ptr::slice(args.tag, args.tag_len as CK_ULONG) }?;
        let pt = module.decrypt_message(hSession as u64, &args.params, aad, ct, tag)?;
        // SAFETY: output pointers per the spec; capacity checked above.
        unsafe { mech::deliver(craton_token::ops::Out::Data(pt), pPlaintext, pulPlaintextLen) }
    })
}

/// Start a multi-part message to decrypt.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_DecryptMessageBegin(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
    pAssociatedData: CK_BYTE_PTR,
    ulAssociatedDataLen: CK_ULONG,
) -> CK_RV {
    guard("C_DecryptMessageBegin", || {
        let module = state::module()?;
        // SAFETY: every pointer covers its stated length per the spec.
        let (args, aad) = unsafe {
            (
                params(&module, hSession, MsgKind::Decrypt, pParameter, ulParameterLen)?,
                ptr::slice(pAssociatedData, ulAssociatedDataLen)?,
            )
        };
        module.message_begin(hSession as u64, MsgKind::Decrypt, Some(args.params), aad)
    })
}

/// Continue a multi-part message; the whole plaintext comes with the last part, after the
/// tag (from the parameters of that call) authenticates.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_DecryptMessageNext(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
    pCiphertextPart: CK_BYTE_PTR,
    ulCiphertextPartLen: CK_ULONG,
    pPlaintextPart: CK_BYTE_PTR,
    pulPlaintextPartLen: CK_ULONG_PTR,
    flags: CK_FLAGS,
) -> CK_RV {
    guard("C_DecryptMessageNext", || {
        let module = state::module()?;
        let h = hSession as u64;
        // SAFETY: pCiphertextPart covers its length per the spec.
        let part = unsafe { ptr::slice(pCiphertextPart, ulCiphertextPartLen) }?;
        if flags & CKF_END_OF_MESSAGE == 0 {
            module.message_next(h, MsgKind::Decrypt, part, None)?;
            // SAFETY: pulPlaintextPartLen valid per the spec.
            return unsafe { ptr::write(pulPlaintextPartLen, 0) };
        }
        let n = module.message_buffered(h, MsgKind::Decrypt)? + part.len();
        // SAFETY: output pointers per the spec.
        if !unsafe { room(pPlaintextPart, pulPlaintextPartLen, n) }? {
            return Ok(());
        }
        // SAFETY: pParameter per the spec; its pTag holds ulTagBits/8 bytes.
        let tag = unsafe {
            let args = params(&module, hSession, MsgKind::Decrypt, pParameter, ulParameterLen)?;
            ptr::slice(args.tag, args.tag_len as CK_ULONG)?
        };
        match module.message_next(h, MsgKind::Decrypt, part, Some(tag))? {
            // SAFETY: output pointers per the spec; capacity checked above.
            Some(MsgResult::Plain(pt)) => unsafe {
                mech::deliver(craton_token::ops::Out::Data(pt), pPlaintextPart, pulPlaintextPartLen)
            },
            _ => Err(Error::GeneralError),
        }
    })
}

/// End message-based decryption.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_MessageDecryptFinal(hSession: CK_SESSION_HANDLE) -> CK_RV {
    guard("C_MessageDecryptFinal", || {
        state::module()?.message_final(hSession as u64, MsgKind::Decrypt)
    })
}

/// Start message-based signing (HMAC).
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_MessageSignInit(
    hSession: CK_SESSION_HANDLE,
    pMechanism: CK_MECHANISM_PTR,
    hKey: CK_OBJECT_HANDLE,
) -> CK_RV {
    // SAFETY: pMechanism per the spec.
    guard("C_MessageSignInit", || unsafe { init(hSession, MsgKind::Sign, pMechanism, hKey) })
}

/// MAC one message.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_SignMessage(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
    pData: CK_BYTE_PTR,
    ulDataLen: CK_ULONG,
    pSignature: CK_BYTE_PTR,
    pulSignatureLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_SignMessage", || {
        let module = state::module()?;
        if ulParameterLen != 0 && !pParameter.is_null() {
            return Err(Error::ArgumentsBad);
        }
        // SAFETY: pData covers ulDataLen bytes.
        let data = unsafe { ptr::slice(pData, ulDataLen) }?;
        let mac = module.sign_message(hSession as u64, data)?;
        // SAFETY: output pointers per the spec.
        unsafe { mech::deliver_whole(mac, pSignature, pulSignatureLen) }
    })
}

/// Start a multi-part message to MAC.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_SignMessageBegin(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
) -> CK_RV {
    guard("C_SignMessageBegin", || {
        let _ = (pParameter, ulParameterLen);
        state::module()?.message_begin(hSession as u64, MsgKind::Sign, None, &[])
    })
}

/// Continue a multi-part message; a non-NULL length pointer asks for the MAC and ends it.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_SignMessageNext(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
    pData: CK_BYTE_PTR,
    ulDataLen: CK_ULONG,
    pSignature: CK_BYTE_PTR,
    pulSignatureLen: CK_ULONG_PTR,
) -> CK_RV {
    guard("C_SignMessageNext", || {
        let _ = (pParameter, ulParameterLen);
        let module = state::module()?;
        // SAFETY: pData covers ulDataLen bytes.
        let data = unsafe { ptr::slice(pData, ulDataLen) }?;
        let last = !pulSignatureLen.is_null();
        match module.message_next(hSession as u64, MsgKind::Sign, data, last.then_some(&[][..]))? {
            // SAFETY: output pointers per the spec. The message has ended: a short buffer
            // gets the length but cannot ask again, as for any final call.
            Some(MsgResult::Mac(mac)) => unsafe {
                mech::deliver_whole(mac, pSignature, pulSignatureLen)
            },
            _ => Ok(()),
        }
    })
}

/// End message-based signing.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_MessageSignFinal(hSession: CK_SESSION_HANDLE) -> CK_RV {
    guard("C_MessageSignFinal", || state::module()?.message_final(hSession as u64, MsgKind::Sign))
}

/// Start message-based verification (HMAC).
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_MessageVerifyInit(
    hSession: CK_SESSION_HANDLE,
    pMechanism: CK_MECHANISM_PTR,
    hKey: CK_OBJECT_HANDLE,
) -> CK_RV {
    // SAFETY: pMechanism per the spec.
    guard("C_MessageVerifyInit", || unsafe { init(hSession, MsgKind::Verify, pMechanism, hKey) })
}

/// Verify one message's MAC.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_VerifyMessage(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
    pData: CK_BYTE_PTR,
    ulDataLen: CK_ULONG,
    pSignature: CK_BYTE_PTR,
    ulSignatureLen: CK_ULONG,
) -> CK_RV {
    guard("C_VerifyMessage", || {
        let _ = (pParameter, ulParameterLen);
        let module = state::module()?;
        // SAFETY: each pointer covers its stated length per the spec.
        let (data, sig) =
            unsafe { (ptr::slice(pData, ulDataLen)?, ptr::slice(pSignature, ulSignatureLen)?) };
        module.verify_message(hSession as u64, data, sig)
    })
}

/// Start a multi-part message to verify.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_VerifyMessageBegin(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
) -> CK_RV {
    guard("C_VerifyMessageBegin", || {
        let _ = (pParameter, ulParameterLen);
        state::module()?.message_begin(hSession as u64, MsgKind::Verify, None, &[])
    })
}

/// Continue a multi-part message; a non-NULL signature ends it and is checked.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_VerifyMessageNext(
    hSession: CK_SESSION_HANDLE,
    pParameter: CK_VOID_PTR,
    ulParameterLen: CK_ULONG,
    pData: CK_BYTE_PTR,
    ulDataLen: CK_ULONG,
    pSignature: CK_BYTE_PTR,
    ulSignatureLen: CK_ULONG,
) -> CK_RV {
    guard("C_VerifyMessageNext", || {
        let _ = (pParameter, ulParameterLen);
        let module = state::module()?;
        // SAFETY: each pointer covers its stated length per the spec.
        let data = unsafe { ptr::slice(pData, ulDataLen) }?;
        let sig = if pSignature.is_null() {
            None
        } else {
            // SAFETY: pSignature covers ulSignatureLen bytes.
            Some(unsafe { ptr::slice(pSignature, ulSignatureLen) }?)
        };
        module.message_next(hSession as u64, MsgKind::Verify, data, sig).map(|_| ())
    })
}

/// End message-based verification.
///
/// # Safety
/// Pointer arguments must satisfy the PKCS#11 specification of this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn C_MessageVerifyFinal(hSession: CK_SESSION_HANDLE) -> CK_RV {
    guard("C_MessageVerifyFinal", || {
        state::module()?.message_final(hSession as u64, MsgKind::Verify)
    })
}
