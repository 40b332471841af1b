//! The immutable function lists and interfaces handed to applications.
//!
//! The 2.40 list is laid out as the 3.0 structure (whose first part is the 2.40 one) with
//! version 2.40: an application that reads it as 2.40 sees exactly that, and one that wrongly
//! assumes 3.0 still finds valid pointers instead of reading past the end.

use pkcs11_sys::*;

macro_rules! function_list {
    ($major:expr, $minor:expr) => {
        CK_FUNCTION_LIST_3_0 {
            version: CK_VERSION { major: $major, minor: $minor },
            C_Initialize: Some(crate::functions::C_Initialize),
            C_Finalize: Some(crate::functions::C_Finalize),
            C_GetInfo: Some(crate::functions::C_GetInfo),
            C_GetFunctionList: Some(crate::functions::C_GetFunctionList),
            C_GetSlotList: Some(crate::functions::C_GetSlotList),
            C_GetSlotInfo: Some(crate::functions::C_GetSlotInfo),
            C_GetTokenInfo: Some(crate::functions::C_GetTokenInfo),
            C_GetMechanismList: Some(crate::functions::C_GetMechanismList),
            C_GetMechanismInfo: Some(crate::functions::C_GetMechanismInfo),
            C_InitToken: Some(crate::functions::C_InitToken),
            C_InitPIN: Some(crate::functions::C_InitPIN),
            C_SetPIN: Some(crate::functions::C_SetPIN),
            C_OpenSession: Some(crate::functions::C_OpenSession),
            C_CloseSession: Some(crate::functions::C_CloseSession),
            C_CloseAllSessions: Some(crate::functions::C_CloseAllSessions),
            C_GetSessionInfo: Some(crate::functions::C_GetSessionInfo),
            C_GetOperationState: Some(crate::functions::C_GetOperationState),
            C_SetOperationState: Some(crate::functions::C_SetOperationState),
            C_Login: Some(crate::functions::C_Login),
            C_Logout: Some(crate::functions::C_Logout),
            C_CreateObject: Some(crate::functions::C_CreateObject),
            C_CopyObject: Some(crate::functions::C_CopyObject),
            C_DestroyObject: Some(crate::functions::C_DestroyObject),
            C_GetObjectSize: Some(crate::functions::C_GetObjectSize),
            C_GetAttributeValue: Some(crate::functions::C_GetAttributeValue),
            C_SetAttributeValue: Some(crate::functions::C_SetAttributeValue),
            C_FindObjectsInit: Some(crate::functions::C_FindObjectsInit),
            C_FindObjects: Some(crate::functions::C_FindObjects),
            C_FindObjectsFinal: Some(crate::functions::C_FindObjectsFinal),
            C_EncryptInit: Some(crate::functions::C_EncryptInit),
            C_Encrypt: Some(crate::functions::C_Encrypt),
            C_EncryptUpdate: Some(crate::functions::C_EncryptUpdate),
            C_EncryptFinal: Some(crate::functions::C_EncryptFinal),
            C_DecryptInit: Some(crate::functions::C_DecryptInit),
            C_Decrypt: Some(crate::functions::C_Decrypt),
            C_DecryptUpdate: Some(crate::functions::C_DecryptUpdate),
            C_DecryptFinal: Some(crate::functions::C_DecryptFinal),
            C_DigestInit: Some(crate::functions::C_DigestInit),
            C_Digest: Some(crate::functions::C_Digest),
            C_DigestUpdate: Some(crate::functions::C_DigestUpdate),
            C_DigestKey: Some(crate::functions::C_DigestKey),
            C_DigestFinal: Some(crate::functions::C_DigestFinal),
            C_SignInit: Some(crate::functions::C_SignInit),
            C_Sign: Some(crate::functions::C_Sign),
            C_SignUpdate: Some(crate::functions::C_SignUpdate),
            C_SignFinal: Some(crate::functions::C_SignFinal),
            C_SignRecoverInit: Some(crate::functions::C_SignRecoverInit),
            C_SignRecover: Some(crate::functions::C_SignRecover),
            C_VerifyInit: Some(crate::functions::C_VerifyInit),
            C_Verify: Some(crate::functions::C_Verify),
            C_VerifyUpdate: Some(crate::functions::C_VerifyUpdate),
            C_VerifyFinal: Some(crate::functions::C_VerifyFinal),
            C_VerifyRecoverInit: Some(crate::functions::C_VerifyRecoverInit),
            C_VerifyRecover: Some(crate::functions::C_VerifyRecover),
            C_DigestEncryptUpdate: Some(crate::functions::C_DigestEncryptUpdate),
            C_DecryptDigestUpdate: Some(crate::functions::C_DecryptDigestUpdate),
            C_SignEncryptUpdate: Some(crate::functions::C_SignEncryptUpdate),
            C_DecryptVerifyUpdate: Some(crate::functions::C_DecryptVerifyUpdate),
            C_GenerateKey: Some(crate::functions::C_GenerateKey),
            C_GenerateKeyPair: Some(crate::functions::C_GenerateKeyPair),
            C_WrapKey: Some(crate::functions::C_WrapKey),
            C_UnwrapKey: Some(crate::functions::C_UnwrapKey),
            C_DeriveKey: Some(crate::functions::C_DeriveKey),
            C_SeedRandom: Some(crate::functions::C_SeedRandom),
            C_GenerateRandom: Some(crate::functions::C_GenerateRandom),
            C_GetFunctionStatus: Some(crate::functions::C_GetFunctionStatus),
            C_CancelFunction: Some(crate::functions::C_CancelFunction),
            C_WaitForSlotEvent: Some(crate::functions::C_WaitForSlotEvent),
            C_GetInterfaceList: Some(crate::functions::C_GetInterfaceList),
            C_GetInterface: Some(crate::functions::C_GetInterface),
            C_LoginUser: Some(crate::functions::C_LoginUser),
            C_SessionCancel: Some(crate::functions::C_SessionCancel),
            C_MessageEncryptInit: Some(crate::functions::C_MessageEncryptInit),
            C_EncryptMessage: Some(crate::functions::C_EncryptMessage),
            C_EncryptMessageBegin: Some(crate::functions::C_EncryptMessageBegin),
            C_EncryptMessageNext: Some(crate::functions::C_EncryptMessageNext),
            C_MessageEncryptFinal: Some(crate::functions::C_MessageEncryptFinal),
            C_MessageDecryptInit: Some(crate::functions::C_MessageDecryptInit),
            C_DecryptMessage: Some(crate::functions::C_DecryptMessage),
            C_DecryptMessageBegin: Some(crate::functions::C_DecryptMessageBegin),
            C_DecryptMessageNext: Some(crate::functions::C_DecryptMessageNext),
            C_MessageDecryptFinal: Some(crate::functions::C_MessageDecryptFinal),
            C_MessageSignInit: Some(crate::functions::C_MessageSignInit),
            C_SignMessage: Some(crate::functions::C_SignMessage),
            C_SignMessageBegin: Some(crate::functions::C_SignMessageBegin),
            C_SignMessageNext: Some(crate::functions::C_SignMessageNext),
            C_MessageSignFinal: Some(crate::functions::C_MessageSignFinal),
            C_MessageVerifyInit: Some(crate::functions::C_MessageVerifyInit),
            C_VerifyMessage: Some(crate::functions::C_VerifyMessage),
            C_VerifyMessageBegin: Some(crate::functions::C_VerifyMessageBegin),
            C_VerifyMessageNext: Some(crate::functions::C_VerifyMessageNext),
            C_MessageVerifyFinal: Some(crate::functions::C_MessageVerifyFinal),
        }
    };
}

/// The list C_GetFunctionList returns (version 2.40).
pub static FUNCTION_LIST_2_40: CK_FUNCTION_LIST_3_0 = function_list!(2, 40);
/// The list of the "PKCS 11" 3.0 interface.
pub static FUNCTION_LIST_3_0: CK_FUNCTION_LIST_3_0 = function_list!(3, 0);

/// A CK_INTERFACE in static memory.
pub struct StaticInterface(pub CK_INTERFACE);

// SAFETY: the pointers inside point to immutable statics (a string literal and the function
// lists above) that are never written through, so sharing them between threads is sound.
unsafe impl Sync for StaticInterface {}

const NAME: &[u8] = b"PKCS 11\0";

/// The interfaces, newest first.
pub static INTERFACES: [StaticInterface; 2] = [
    StaticInterface(CK_INTERFACE {
        pInterfaceName: NAME.as_ptr() as *mut CK_UTF8CHAR,
        pFunctionList: &FUNCTION_LIST_3_0 as *const CK_FUNCTION_LIST_3_0 as CK_VOID_PTR,
        flags: 0,
    }),
    StaticInterface(CK_INTERFACE {
        pInterfaceName: NAME.as_ptr() as *mut CK_UTF8CHAR,
        pFunctionList: &FUNCTION_LIST_2_40 as *const CK_FUNCTION_LIST_3_0 as CK_VOID_PTR,
        flags: 0,
    }),
];

/// The version at the start of an interface's function list.
pub fn version_of(i: &CK_INTERFACE) -> CK_VERSION {
    // SAFETY: every interface we hand out points to one of the static lists above.
    unsafe { (*(i.pFunctionList as *const CK_FUNCTION_LIST_3_0)).version }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::{C_GetFunctionList, C_GetInterface, C_GetInterfaceList};

    #[test]
    fn function_list_says_2_40() {
        let mut p: CK_FUNCTION_LIST_PTR = std::ptr::null_mut();
        // SAFETY: a valid out-pointer; the result points to a static list.
        unsafe {
            assert_eq!(C_GetFunctionList(&mut p), CKR_OK as CK_RV);
            assert_eq!(((*p).version.major, (*p).version.minor), (2, 40));
            assert!((*p).C_Initialize.is_some() && (*p).C_WaitForSlotEvent.is_some());
            assert_eq!(C_GetFunctionList(std::ptr::null_mut()), CKR_ARGUMENTS_BAD as CK_RV);
        }
    }

    #[test]
    fn interfaces() {
        let mut n: CK_ULONG = 0;
        // SAFETY: valid local pointers throughout; returned pointers refer to statics.
        unsafe {
            assert_eq!(C_GetInterfaceList(std::ptr::null_mut(), &mut n), CKR_OK as CK_RV);
            assert_eq!(n, 2);
            let mut iface: CK_INTERFACE_PTR = std::ptr::null_mut();
            let rv = C_GetInterface(std::ptr::null_mut(), std::ptr::null_mut(), &mut iface, 0);
            assert_eq!(rv, CKR_OK as CK_RV);
            assert_eq!(version_of(&*iface).major, 3);
            let list = (*iface).pFunctionList as *const CK_FUNCTION_LIST_3_0;
            assert!((*list).C_LoginUser.is_some() && (*list).C_MessageVerifyFinal.is_some());
            let mut v = CK_VERSION { major: 2, minor: 40 };
            let mut name = *b"PKCS 11\0";
            let rv = C_GetInterface(name.as_mut_ptr(), &mut v, &mut iface, 0);
            assert_eq!(rv, CKR_OK as CK_RV);
            assert_eq!(version_of(&*iface).minor, 40);
            let mut bad = *b"Vendor\0";
            let rv = C_GetInterface(bad.as_mut_ptr(), std::ptr::null_mut(), &mut iface, 0);
            assert_eq!(rv, CKR_ARGUMENTS_BAD as CK_RV);
            let mut v = CK_VERSION { major: 9, minor: 9 };
            let rv = C_GetInterface(std::ptr::null_mut(), &mut v, &mut iface, 0);
            assert_eq!(rv, CKR_ARGUMENTS_BAD as CK_RV);
        }
    }
}
