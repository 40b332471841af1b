//! The C ABI called directly: C_Initialize argument forms (NULL, OS locking, mutex callbacks,
//! malformed), lifecycle codes, NULL pointers, the 3.0-only entry points, and the
//! not-yet-offered mechanisms answering truthfully.

use std::ffi::{CStr, c_void};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};

use craton_blackbox::TestToken;
use pkcs11_sys::*;

struct Lib {
    handle: *mut c_void,
    f: &'static CK_FUNCTION_LIST,
}

// SAFETY: the handle and list point to an immutable, process-lifetime module image.
unsafe impl Send for Lib {}
// SAFETY: as above; the module is thread-safe by contract (that is what is tested).
unsafe impl Sync for Lib {}

impl Lib {
    fn open(t: &TestToken) -> Self {
        let path = std::ffi::CString::new(t.lib_path().as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: NUL-terminated path; NODELETE keeps the copy mapped for the process.
        let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_NODELETE) };
        assert!(!handle.is_null());
        let get: CK_C_GetFunctionList = sym(handle, c"C_GetFunctionList");
        let mut list: CK_FUNCTION_LIST_PTR = ptr::null_mut();
        // SAFETY: writes one pointer.
        assert_eq!(unsafe { get.unwrap()(&mut list) }, CKR_OK);
        // SAFETY: the list is static data of the loaded (never unloaded) module.
        Self { handle, f: unsafe { &*list } }
    }
}

fn sym<F: Copy>(handle: *mut c_void, name: &CStr) -> F {
    // SAFETY: live handle, NUL-terminated name; F is a pointer-sized Option<extern fn>.
    unsafe {
        let p = libc::dlsym(handle, name.as_ptr());
        std::mem::transmute_copy::<*mut c_void, F>(&p)
    }
}

static MUTEX_CALLS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn create_mutex(out: *mut *mut c_void) -> CK_RV {
    MUTEX_CALLS.fetch_add(1, Ordering::Relaxed);
    // SAFETY: the module passes a valid out-pointer.
    unsafe { *out = ptr::dangling_mut::<c_void>() };
    CKR_OK
}
extern "C" fn other_mutex(_m: *mut c_void) -> CK_RV {
    MUTEX_CALLS.fetch_add(1, Ordering::Relaxed);
    CKR_OK
}

fn init_args(flags: CK_FLAGS, callbacks: bool) -> CK_C_INITIALIZE_ARGS {
    CK_C_INITIALIZE_ARGS {
        CreateMutex: callbacks.then_some(create_mutex as _),
        DestroyMutex: callbacks.then_some(other_mutex as _),
        LockMutex: callbacks.then_some(other_mutex as _),
        UnlockMutex: callbacks.then_some(other_mutex as _),
        flags,
        pReserved: ptr::null_mut(),
    }
}

fn initialize(lib: &Lib, args: Option<&mut CK_C_INITIALIZE_ARGS>) -> CK_RV {
    let p = args.map_or(ptr::null_mut(), |a| a as *mut _ as *mut c_void);
    // SAFETY: NULL or a valid CK_C_INITIALIZE_ARGS.
    unsafe { lib.f.C_Initialize.unwrap()(p) }
}

fn finalize(lib: &Lib) -> CK_RV {
    // SAFETY: NULL reserved pointer.
    unsafe { lib.f.C_Finalize.unwrap()(ptr::null_mut()) }
}

/// Initialize token 0 with SO PIN 12345678 and user PIN 1234, leaving no session open.
fn setup_token(lib: &Lib) {
    let mut label = [b' '; 32];
    label[..4].copy_from_slice(b"abi ");
    let so = b"12345678";
    // SAFETY: valid buffers of the stated lengths; handles come from the module.
    unsafe {
        assert_eq!(
            lib.f.C_InitToken.unwrap()(0, so.as_ptr() as *mut _, 8, label.as_mut_ptr()),
            CKR_OK
        );
        let mut h = 0;
        let flags = CKF_SERIAL_SESSION | CKF_RW_SESSION;
        assert_eq!(lib.f.C_OpenSession.unwrap()(0, flags, ptr::null_mut(), None, &mut h), CKR_OK);
        assert_eq!(lib.f.C_Login.unwrap()(h, CKU_SO, so.as_ptr() as *mut _, 8), CKR_OK);
        assert_eq!(lib.f.C_InitPIN.unwrap()(h, b"1234".as_ptr() as *mut _, 4), CKR_OK);
        assert_eq!(lib.f.C_CloseSession.unwrap()(h), CKR_OK);
    }
}

fn open_rw(lib: &Lib) -> CK_SESSION_HANDLE {
    let mut h = 0;
    // SAFETY: valid out-pointer.
    let rv = unsafe {
        lib.f.C_OpenSession.unwrap()(
            0,
            CKF_SERIAL_SESSION | CKF_RW_SESSION,
            ptr::null_mut(),
            None,
            &mut h,
        )
    };
    assert_eq!(rv, CKR_OK);
    h
}

#[test]
fn initialize_argument_forms_and_lifecycle() {
    let t = TestToken::builder().build_unloaded();
    let lib = Lib::open(&t);
    // SAFETY: CK_INFO is plain data; all-zero is a valid value.
    let mut info: CK_INFO = unsafe { std::mem::zeroed() };
    // SAFETY: C_GetInfo with a valid buffer.
    assert_eq!(unsafe { lib.f.C_GetInfo.unwrap()(&mut info) }, CKR_CRYPTOKI_NOT_INITIALIZED);

    let mut partial = init_args(0, true);
    partial.LockMutex = None;
    assert_eq!(initialize(&lib, Some(&mut partial)), CKR_ARGUMENTS_BAD);
    let mut reserved = init_args(CKF_OS_LOCKING_OK, false);
    let mut dummy = 0u8;
    reserved.pReserved = &mut dummy as *mut u8 as *mut c_void;
    assert_eq!(initialize(&lib, Some(&mut reserved)), CKR_ARGUMENTS_BAD);

    for mut args in [None, Some(init_args(CKF_OS_LOCKING_OK, false)), Some(init_args(0, true))] {
        assert_eq!(initialize(&lib, args.as_mut()), CKR_OK);
        assert_eq!(initialize(&lib, None), CKR_CRYPTOKI_ALREADY_INITIALIZED);
        // SAFETY: valid buffer; NULL is refused, not dereferenced.
        unsafe {
            assert_eq!(lib.f.C_GetInfo.unwrap()(&mut info), CKR_OK);
            assert_eq!(lib.f.C_GetInfo.unwrap()(ptr::null_mut()), CKR_ARGUMENTS_BAD);
            assert_eq!(
                lib.f.C_Finalize.unwrap()(&mut dummy as *mut u8 as *mut c_void),
                CKR_ARGUMENTS_BAD
            );
        }
        assert_eq!(finalize(&lib), CKR_OK);
        assert_eq!(finalize(&lib), CKR_CRYPTOKI_NOT_INITIALIZED);
    }
    assert_eq!((info.cryptokiVersion.major, info.cryptokiVersion.minor), (3, 0));
}

#[test]
fn mutex_callbacks_given_and_many_threads() {
    let t = TestToken::builder().build_unloaded();
    let lib = Lib::open(&t);
    let mut args = init_args(0, true);
    assert_eq!(initialize(&lib, Some(&mut args)), CKR_OK);
    setup_token(&lib);
    // Eight threads hammer sessions, login state and random output at once.
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..200 {
                    let h = open_rw(&lib);
                    let mut buf = [0u8; 32];
                    // SAFETY: valid buffer and session handle.
                    let rv = unsafe { lib.f.C_GenerateRandom.unwrap()(h, buf.as_mut_ptr(), 32) };
                    assert_eq!(rv, CKR_OK);
                    // SAFETY: valid session handle.
                    assert_eq!(unsafe { lib.f.C_CloseSession.unwrap()(h) }, CKR_OK);
                }
            });
        }
    });
    assert_eq!(finalize(&lib), CKR_OK);
}

#[test]
fn null_pointers_and_bad_handles() {
    let t = TestToken::builder().build_unloaded();
    let lib = Lib::open(&t);
    assert_eq!(initialize(&lib, None), CKR_OK);
    setup_token(&lib);
    // SAFETY: every pointer is valid or deliberately NULL where the module must refuse it.
    unsafe {
        let f = lib.f;
        assert_eq!(
            f.C_GetSlotList.unwrap()(0, ptr::null_mut(), ptr::null_mut()),
            CKR_ARGUMENTS_BAD
        );
        let mut ti: CK_TOKEN_INFO = std::mem::zeroed();
        assert_eq!(f.C_GetTokenInfo.unwrap()(99, &mut ti), CKR_SLOT_ID_INVALID);
        assert_eq!(f.C_GetTokenInfo.unwrap()(0, ptr::null_mut()), CKR_ARGUMENTS_BAD);
        let flags = CKF_SERIAL_SESSION;
        assert_eq!(
            f.C_OpenSession.unwrap()(0, flags, ptr::null_mut(), None, ptr::null_mut()),
            CKR_ARGUMENTS_BAD
        );
        let h = open_rw(&lib);
        assert_eq!(f.C_Login.unwrap()(h, CKU_USER, ptr::null_mut(), 4), CKR_ARGUMENTS_BAD);
        assert_eq!(f.C_CreateObject.unwrap()(h, ptr::null_mut(), 3, &mut 0), CKR_ARGUMENTS_BAD);
        assert_eq!(f.C_FindObjectsInit.unwrap()(h, ptr::null_mut(), 0), CKR_OK);
        assert_eq!(f.C_FindObjects.unwrap()(h, ptr::null_mut(), 5, &mut 0), CKR_ARGUMENTS_BAD);
        assert_eq!(f.C_FindObjectsFinal.unwrap()(h), CKR_OK);
        assert_eq!(f.C_FindObjectsFinal.unwrap()(h), CKR_OPERATION_NOT_INITIALIZED);
        assert_eq!(f.C_GenerateRandom.unwrap()(h, ptr::null_mut(), 16), CKR_ARGUMENTS_BAD);
        assert_eq!(f.C_DestroyObject.unwrap()(h, 0xdead_beef), CKR_OBJECT_HANDLE_INVALID);
        assert_eq!(
            f.C_GetSessionInfo.unwrap()(h + 1000, &mut std::mem::zeroed()),
            CKR_SESSION_HANDLE_INVALID
        );
        assert_eq!(f.C_CloseSession.unwrap()(h), CKR_OK);
    }
    assert_eq!(finalize(&lib), CKR_OK);
}

#[test]
fn v3_entry_points_login_user_and_session_cancel() {
    let t = TestToken::builder().build_unloaded();
    let lib = Lib::open(&t);
    assert_eq!(initialize(&lib, None), CKR_OK);
    setup_token(&lib);
    let login_user: CK_C_LoginUser = sym(lib.handle, c"C_LoginUser");
    let cancel: CK_C_SessionCancel = sym(lib.handle, c"C_SessionCancel");
    let h = open_rw(&lib);
    let name = b"anyone";
    // SAFETY: valid buffers and handles.
    unsafe {
        let rv = login_user.unwrap()(
            h,
            CKU_USER,
            b"9999".as_ptr() as *mut _,
            4,
            name.as_ptr() as *mut _,
            6,
        );
        assert_eq!(rv, CKR_PIN_INCORRECT);
        let rv = login_user.unwrap()(
            h,
            CKU_USER,
            b"1234".as_ptr() as *mut _,
            4,
            name.as_ptr() as *mut _,
            6,
        );
        assert_eq!(rv, CKR_OK);
        let mut si: CK_SESSION_INFO = std::mem::zeroed();
        assert_eq!(lib.f.C_GetSessionInfo.unwrap()(h, &mut si), CKR_OK);
        assert_eq!(si.state, CKS_RW_USER_FUNCTIONS);
        assert_eq!(cancel.unwrap()(h, CKF_FIND_OBJECTS), CKR_OK);
        assert_eq!(cancel.unwrap()(h + 1000, 0), CKR_SESSION_HANDLE_INVALID);
        assert_eq!(lib.f.C_Logout.unwrap()(h), CKR_OK);
        assert_eq!(lib.f.C_Logout.unwrap()(h), CKR_USER_NOT_LOGGED_IN);
    }
    assert_eq!(finalize(&lib), CKR_OK);
}

#[test]
fn mechanism_registry_and_operation_state_rules() {
    let t = TestToken::builder().build_unloaded();
    let lib = Lib::open(&t);
    assert_eq!(initialize(&lib, None), CKR_OK);
    setup_token(&lib);
    let h = open_rw(&lib);
    // SAFETY: valid buffers and handles; NULL where refusal or a length query is expected.
    unsafe {
        let f = lib.f;
        let mut n: CK_ULONG = 0;
        assert_eq!(f.C_GetMechanismList.unwrap()(0, ptr::null_mut(), &mut n), CKR_OK);
        assert!(n > 40, "the registry lists {n} mechanisms");
        let mut list = vec![0 as CK_MECHANISM_TYPE; n as usize];
        let mut short = n - 1;
        assert_eq!(
            f.C_GetMechanismList.unwrap()(0, list.as_mut_ptr(), &mut short),
            CKR_BUFFER_TOO_SMALL
        );
        assert_eq!(f.C_GetMechanismList.unwrap()(0, list.as_mut_ptr(), &mut n), CKR_OK);
        assert!(list.contains(&CKM_SHA256) && list.contains(&CKM_AES_GCM));
        let mut mi: CK_MECHANISM_INFO = std::mem::zeroed();
        assert_eq!(f.C_GetMechanismInfo.unwrap()(0, CKM_SHA256, &mut mi), CKR_OK);
        assert_eq!(mi.flags, CKF_DIGEST, "only the flags the mechanism supports");
        assert_eq!(f.C_GetMechanismInfo.unwrap()(0, CKM_RSA_PKCS_KEY_PAIR_GEN, &mut mi), CKR_OK);
        assert_eq!((mi.ulMinKeySize, mi.ulMaxKeySize), (2048, 8192));
        assert_eq!(f.C_GetMechanismInfo.unwrap()(0, CKM_MD5, &mut mi), CKR_MECHANISM_INVALID);

        let mut md5 =
            CK_MECHANISM { mechanism: CKM_MD5, pParameter: ptr::null_mut(), ulParameterLen: 0 };
        assert_eq!(f.C_DigestInit.unwrap()(h, &mut md5), CKR_MECHANISM_INVALID);
        assert_eq!(f.C_DigestInit.unwrap()(h, ptr::null_mut()), CKR_ARGUMENTS_BAD);
        let mut out = [0u8; 32];
        let mut len: CK_ULONG = 32;
        let data = b"abc";
        assert_eq!(
            f.C_Encrypt.unwrap()(h, data.as_ptr() as *mut _, 3, out.as_mut_ptr(), &mut len),
            CKR_OPERATION_NOT_INITIALIZED
        );

        // Two-call convention: NULL reports the length, a short buffer says so, and the
        // operation stays active through both.
        let mut m =
            CK_MECHANISM { mechanism: CKM_SHA256, pParameter: ptr::null_mut(), ulParameterLen: 0 };
        assert_eq!(f.C_DigestInit.unwrap()(h, &mut m), CKR_OK);
        assert_eq!(f.C_DigestInit.unwrap()(h, &mut m), CKR_OPERATION_ACTIVE);
        let digest = f.C_Digest.unwrap();
        let mut len: CK_ULONG = 0;
        assert_eq!(digest(h, data.as_ptr() as *mut _, 3, ptr::null_mut(), &mut len), CKR_OK);
        assert_eq!(len, 32);
        len = 31;
        assert_eq!(
            digest(h, data.as_ptr() as *mut _, 3, out.as_mut_ptr(), &mut len),
            CKR_BUFFER_TOO_SMALL
        );
        assert_eq!(len, 32);
        len = 32;
        assert_eq!(digest(h, data.as_ptr() as *mut _, 3, out.as_mut_ptr(), &mut len), CKR_OK);
        // FIPS 180-2 appendix B.1.
        assert_eq!(out[..4], [0xba, 0x78, 0x16, 0xbf]);
        assert_eq!(
            digest(h, data.as_ptr() as *mut _, 3, out.as_mut_ptr(), &mut len),
            CKR_OPERATION_NOT_INITIALIZED
        );

        // After an update, the one-shot call is refused and the operation continues.
        assert_eq!(f.C_DigestInit.unwrap()(h, &mut m), CKR_OK);
        assert_eq!(f.C_DigestUpdate.unwrap()(h, data.as_ptr() as *mut _, 3), CKR_OK);
        assert_eq!(
            digest(h, data.as_ptr() as *mut _, 3, out.as_mut_ptr(), &mut len),
            CKR_OPERATION_ACTIVE
        );
        assert_eq!(f.C_DigestFinal.unwrap()(h, out.as_mut_ptr(), &mut len), CKR_OK);
        assert_eq!(out[..4], [0xba, 0x78, 0x16, 0xbf]);

        // A bogus key handle is KEY_HANDLE_INVALID, and a digest mechanism cannot encrypt.
        let mut ecb =
            CK_MECHANISM { mechanism: CKM_AES_ECB, pParameter: ptr::null_mut(), ulParameterLen: 0 };
        assert_eq!(f.C_EncryptInit.unwrap()(h, &mut ecb, 12345), CKR_KEY_HANDLE_INVALID);
        assert_eq!(f.C_EncryptInit.unwrap()(h, &mut m, 12345), CKR_MECHANISM_INVALID);
        let mut cbc =
            CK_MECHANISM { mechanism: CKM_AES_CBC, pParameter: ptr::null_mut(), ulParameterLen: 5 };
        assert_eq!(f.C_EncryptInit.unwrap()(h, &mut cbc, 12345), CKR_MECHANISM_PARAM_INVALID);
        assert_eq!(
            f.C_GenerateKey.unwrap()(h, &mut m, ptr::null_mut(), 0, &mut 0),
            CKR_MECHANISM_INVALID
        );
        assert_eq!(f.C_DigestInit.unwrap()(h + 1000, &mut m), CKR_SESSION_HANDLE_INVALID);
        assert_eq!(f.C_CloseSession.unwrap()(h), CKR_OK);
    }
    assert_eq!(finalize(&lib), CKR_OK);
}
