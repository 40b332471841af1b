//! Entry points whose mechanisms arrive with the cryptographic-mechanism work. Until then
//! the module offers no mechanism: every `*Init` (and key generation, wrapping, derivation)
//! reports CKR_MECHANISM_INVALID, and every continuation reports
//! CKR_OPERATION_NOT_INITIALIZED — both true statements, never a fake success.

// The arguments are part of the fixed C signatures; these bodies only need the session.
#![allow(unused_variables)]

use pkcs11_sys::*;

use crate::state::ck_fn;
use crate::functions::common::{no_mechanism, no_operation};

ck_fn! {
    /// Not offered yet: no mechanism is available.
    fn C_EncryptInit(hSession: CK_SESSION_HANDLE, pMechanism: CK_MECHANISM_PTR, hKey: CK_OBJECT_HANDLE) {
        no_mechanism(hSession, pMechanism)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_Encrypt(hSession: CK_SESSION_HANDLE, pData: CK_BYTE_PTR, ulDataLen: CK_ULONG, pEncryptedData: CK_BYTE_PTR, pulEncryptedDataLen: CK_ULONG_PTR) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_EncryptUpdate(hSession: CK_SESSION_HANDLE, pPart: CK_BYTE_PTR, ulPartLen: CK_ULONG, pEncryptedPart: CK_BYTE_PTR, pulEncryptedPartLen: CK_ULONG_PTR) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_EncryptFinal(hSession: CK_SESSION_HANDLE, pLastEncryptedPart: CK_BYTE_PTR, pulLastEncryptedPartLen: CK_ULONG_PTR) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// Not offered yet: no mechanism is available.
    fn C_DecryptInit(hSession: CK_SESSION_HANDLE, pMechanism: CK_MECHANISM_PTR, hKey: CK_OBJECT_HANDLE) {
        no_mechanism(hSession, pMechanism)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_Decrypt(hSession: CK_SESSION_HANDLE, pEncryptedData: CK_BYTE_PTR, ulEncryptedDataLen: CK_ULONG, pData: CK_BYTE_PTR, pulDataLen: CK_ULONG_PTR) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_DecryptUpdate(hSession: CK_SESSION_HANDLE, pEncryptedPart: CK_BYTE_PTR, ulEncryptedPartLen: CK_ULONG, pPart: CK_BYTE_PTR, pulPartLen: CK_ULONG_PTR) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_DecryptFinal(hSession: CK_SESSION_HANDLE, pLastPart: CK_BYTE_PTR, pulLastPartLen: CK_ULONG_PTR) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// Not offered yet: no mechanism is available.
    fn C_DigestInit(hSession: CK_SESSION_HANDLE, pMechanism: CK_MECHANISM_PTR) {
        no_mechanism(hSession, pMechanism)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_Digest(hSession: CK_SESSION_HANDLE, pData: CK_BYTE_PTR, ulDataLen: CK_ULONG, pDigest: CK_BYTE_PTR, pulDigestLen: CK_ULONG_PTR) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_DigestUpdate(hSession: CK_SESSION_HANDLE, pPart: CK_BYTE_PTR, ulPartLen: CK_ULONG) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_DigestKey(hSession: CK_SESSION_HANDLE, hKey: CK_OBJECT_HANDLE) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_DigestFinal(hSession: CK_SESSION_HANDLE, pDigest: CK_BYTE_PTR, pulDigestLen: CK_ULONG_PTR) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// Not offered yet: no mechanism is available.
    fn C_SignInit(hSession: CK_SESSION_HANDLE, pMechanism: CK_MECHANISM_PTR, hKey: CK_OBJECT_HANDLE) {
        no_mechanism(hSession, pMechanism)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_Sign(hSession: CK_SESSION_HANDLE, pData: CK_BYTE_PTR, ulDataLen: CK_ULONG, pSignature: CK_BYTE_PTR, pulSignatureLen: CK_ULONG_PTR) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_SignUpdate(hSession: CK_SESSION_HANDLE, pPart: CK_BYTE_PTR, ulPartLen: CK_ULONG) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_SignFinal(hSession: CK_SESSION_HANDLE, pSignature: CK_BYTE_PTR, pulSignatureLen: CK_ULONG_PTR) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// Not offered yet: no mechanism is available.
    fn C_SignRecoverInit(hSession: CK_SESSION_HANDLE, pMechanism: CK_MECHANISM_PTR, hKey: CK_OBJECT_HANDLE) {
        no_mechanism(hSession, pMechanism)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_SignRecover(hSession: CK_SESSION_HANDLE, pData: CK_BYTE_PTR, ulDataLen: CK_ULONG, pSignature: CK_BYTE_PTR, pulSignatureLen: CK_ULONG_PTR) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// Not offered yet: no mechanism is available.
    fn C_VerifyInit(hSession: CK_SESSION_HANDLE, pMechanism: CK_MECHANISM_PTR, hKey: CK_OBJECT_HANDLE) {
        no_mechanism(hSession, pMechanism)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_Verify(hSession: CK_SESSION_HANDLE, pData: CK_BYTE_PTR, ulDataLen: CK_ULONG, pSignature: CK_BYTE_PTR, ulSignatureLen: CK_ULONG) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_VerifyUpdate(hSession: CK_SESSION_HANDLE, pPart: CK_BYTE_PTR, ulPartLen: CK_ULONG) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_VerifyFinal(hSession: CK_SESSION_HANDLE, pSignature: CK_BYTE_PTR, ulSignatureLen: CK_ULONG) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// Not offered yet: no mechanism is available.
    fn C_VerifyRecoverInit(hSession: CK_SESSION_HANDLE, pMechanism: CK_MECHANISM_PTR, hKey: CK_OBJECT_HANDLE) {
        no_mechanism(hSession, pMechanism)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_VerifyRecover(hSession: CK_SESSION_HANDLE, pSignature: CK_BYTE_PTR, ulSignatureLen: CK_ULONG, pData: CK_BYTE_PTR, pulDataLen: CK_ULONG_PTR) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_DigestEncryptUpdate(hSession: CK_SESSION_HANDLE, pPart: CK_BYTE_PTR, ulPartLen: CK_ULONG, pEncryptedPart: CK_BYTE_PTR, pulEncryptedPartLen: CK_ULONG_PTR) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_DecryptDigestUpdate(hSession: CK_SESSION_HANDLE, pEncryptedPart: CK_BYTE_PTR, ulEncryptedPartLen: CK_ULONG, pPart: CK_BYTE_PTR, pulPartLen: CK_ULONG_PTR) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_SignEncryptUpdate(hSession: CK_SESSION_HANDLE, pPart: CK_BYTE_PTR, ulPartLen: CK_ULONG, pEncryptedPart: CK_BYTE_PTR, pulEncryptedPartLen: CK_ULONG_PTR) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_DecryptVerifyUpdate(hSession: CK_SESSION_HANDLE, pEncryptedPart: CK_BYTE_PTR, ulEncryptedPartLen: CK_ULONG, pPart: CK_BYTE_PTR, pulPartLen: CK_ULONG_PTR) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// Not offered yet: no mechanism is available.
    fn C_GenerateKey(hSession: CK_SESSION_HANDLE, pMechanism: CK_MECHANISM_PTR, pTemplate: CK_ATTRIBUTE_PTR, ulCount: CK_ULONG, phKey: CK_OBJECT_HANDLE_PTR) {
        no_mechanism(hSession, pMechanism)
    }
}

ck_fn! {
    /// Not offered yet: no mechanism is available.
    fn C_GenerateKeyPair(hSession: CK_SESSION_HANDLE, pMechanism: CK_MECHANISM_PTR, pPublicKeyTemplate: CK_ATTRIBUTE_PTR, ulPublicKeyAttributeCount: CK_ULONG, pPrivateKeyTemplate: CK_ATTRIBUTE_PTR, ulPrivateKeyAttributeCount: CK_ULONG, phPublicKey: CK_OBJECT_HANDLE_PTR, phPrivateKey: CK_OBJECT_HANDLE_PTR) {
        no_mechanism(hSession, pMechanism)
    }
}

ck_fn! {
    /// Not offered yet: no mechanism is available.
    fn C_WrapKey(hSession: CK_SESSION_HANDLE, pMechanism: CK_MECHANISM_PTR, hWrappingKey: CK_OBJECT_HANDLE, hKey: CK_OBJECT_HANDLE, pWrappedKey: CK_BYTE_PTR, pulWrappedKeyLen: CK_ULONG_PTR) {
        no_mechanism(hSession, pMechanism)
    }
}

ck_fn! {
    /// Not offered yet: no mechanism is available.
    fn C_UnwrapKey(hSession: CK_SESSION_HANDLE, pMechanism: CK_MECHANISM_PTR, hUnwrappingKey: CK_OBJECT_HANDLE, pWrappedKey: CK_BYTE_PTR, ulWrappedKeyLen: CK_ULONG, pTemplate: CK_ATTRIBUTE_PTR, ulAttributeCount: CK_ULONG, phKey: CK_OBJECT_HANDLE_PTR) {
        no_mechanism(hSession, pMechanism)
    }
}

ck_fn! {
    /// Not offered yet: no mechanism is available.
    fn C_DeriveKey(hSession: CK_SESSION_HANDLE, pMechanism: CK_MECHANISM_PTR, hBaseKey: CK_OBJECT_HANDLE, pTemplate: CK_ATTRIBUTE_PTR, ulAttributeCount: CK_ULONG, phKey: CK_OBJECT_HANDLE_PTR) {
        no_mechanism(hSession, pMechanism)
    }
}

ck_fn! {
    /// Not offered yet: no mechanism is available.
    fn C_MessageEncryptInit(hSession: CK_SESSION_HANDLE, pMechanism: CK_MECHANISM_PTR, hKey: CK_OBJECT_HANDLE) {
        no_mechanism(hSession, pMechanism)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_EncryptMessage(hSession: CK_SESSION_HANDLE, pParameter: CK_VOID_PTR, ulParameterLen: CK_ULONG, pAssociatedData: CK_BYTE_PTR, ulAssociatedDataLen: CK_ULONG, pPlaintext: CK_BYTE_PTR, ulPlaintextLen: CK_ULONG, pCiphertext: CK_BYTE_PTR, pulCiphertextLen: CK_ULONG_PTR) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_EncryptMessageBegin(hSession: CK_SESSION_HANDLE, pParameter: CK_VOID_PTR, ulParameterLen: CK_ULONG, pAssociatedData: CK_BYTE_PTR, ulAssociatedDataLen: CK_ULONG) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_EncryptMessageNext(hSession: CK_SESSION_HANDLE, pParameter: CK_VOID_PTR, ulParameterLen: CK_ULONG, pPlaintextPart: CK_BYTE_PTR, ulPlaintextPartLen: CK_ULONG, pCiphertextPart: CK_BYTE_PTR, pulCiphertextPartLen: CK_ULONG_PTR, flags: CK_FLAGS) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_MessageEncryptFinal(hSession: CK_SESSION_HANDLE) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// Not offered yet: no mechanism is available.
    fn C_MessageDecryptInit(hSession: CK_SESSION_HANDLE, pMechanism: CK_MECHANISM_PTR, hKey: CK_OBJECT_HANDLE) {
        no_mechanism(hSession, pMechanism)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_DecryptMessage(hSession: CK_SESSION_HANDLE, pParameter: CK_VOID_PTR, ulParameterLen: CK_ULONG, pAssociatedData: CK_BYTE_PTR, ulAssociatedDataLen: CK_ULONG, pCiphertext: CK_BYTE_PTR, ulCiphertextLen: CK_ULONG, pPlaintext: CK_BYTE_PTR, pulPlaintextLen: CK_ULONG_PTR) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_DecryptMessageBegin(hSession: CK_SESSION_HANDLE, pParameter: CK_VOID_PTR, ulParameterLen: CK_ULONG, pAssociatedData: CK_BYTE_PTR, ulAssociatedDataLen: CK_ULONG) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_DecryptMessageNext(hSession: CK_SESSION_HANDLE, pParameter: CK_VOID_PTR, ulParameterLen: CK_ULONG, pCiphertextPart: CK_BYTE_PTR, ulCiphertextPartLen: CK_ULONG, pPlaintextPart: CK_BYTE_PTR, pulPlaintextPartLen: CK_ULONG_PTR, flags: CK_FLAGS) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_MessageDecryptFinal(hSession: CK_SESSION_HANDLE) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// Not offered yet: no mechanism is available.
    fn C_MessageSignInit(hSession: CK_SESSION_HANDLE, pMechanism: CK_MECHANISM_PTR, hKey: CK_OBJECT_HANDLE) {
        no_mechanism(hSession, pMechanism)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_SignMessage(hSession: CK_SESSION_HANDLE, pParameter: CK_VOID_PTR, ulParameterLen: CK_ULONG, pData: CK_BYTE_PTR, ulDataLen: CK_ULONG, pSignature: CK_BYTE_PTR, pulSignatureLen: CK_ULONG_PTR) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_SignMessageBegin(hSession: CK_SESSION_HANDLE, pParameter: CK_VOID_PTR, ulParameterLen: CK_ULONG) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_SignMessageNext(hSession: CK_SESSION_HANDLE, pParameter: CK_VOID_PTR, ulParameterLen: CK_ULONG, pData: CK_BYTE_PTR, ulDataLen: CK_ULONG, pSignature: CK_BYTE_PTR, pulSignatureLen: CK_ULONG_PTR) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_MessageSignFinal(hSession: CK_SESSION_HANDLE) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// Not offered yet: no mechanism is available.
    fn C_MessageVerifyInit(hSession: CK_SESSION_HANDLE, pMechanism: CK_MECHANISM_PTR, hKey: CK_OBJECT_HANDLE) {
        no_mechanism(hSession, pMechanism)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_VerifyMessage(hSession: CK_SESSION_HANDLE, pParameter: CK_VOID_PTR, ulParameterLen: CK_ULONG, pData: CK_BYTE_PTR, ulDataLen: CK_ULONG, pSignature: CK_BYTE_PTR, ulSignatureLen: CK_ULONG) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_VerifyMessageBegin(hSession: CK_SESSION_HANDLE, pParameter: CK_VOID_PTR, ulParameterLen: CK_ULONG) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_VerifyMessageNext(hSession: CK_SESSION_HANDLE, pParameter: CK_VOID_PTR, ulParameterLen: CK_ULONG, pData: CK_BYTE_PTR, ulDataLen: CK_ULONG, pSignature: CK_BYTE_PTR, ulSignatureLen: CK_ULONG) {
        no_operation(hSession)
    }
}

ck_fn! {
    /// No operation of this kind can be active yet.
    fn C_MessageVerifyFinal(hSession: CK_SESSION_HANDLE) {
        no_operation(hSession)
    }
}
