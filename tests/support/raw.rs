//! Raw access to the module's function list, for what `cryptoki` does not wrap
//! (C_GetInterfaceList, C_GetObjectSize, C_CloseAllSessions, session flags) or
//! hides (the exact bytes of blank-padded info strings, per-attribute lengths).
//!
//! `dlopen` of the same path as the `cryptoki` context returns the same loaded
//! instance, so raw calls see the same module state as the `Pkcs11` context.

use pkcs11_sys::*;
use std::ffi::{CStr, CString, c_void};
use std::path::Path;
use std::ptr;

/// One loaded instance of the module, addressed through its raw function list.
pub struct RawModule {
    handle: *mut c_void,
    list: *const CK_FUNCTION_LIST,
}

/// An attribute for [`RawModule::get_attribute_value`]: `buf = None` asks only
/// for the length; after the call `len` holds the returned `ulValueLen`.
#[derive(Debug, Clone)]
pub struct RawAttr {
    pub kind: CK_ATTRIBUTE_TYPE,
    pub buf: Option<Vec<u8>>,
    pub len: CK_ULONG,
}

impl RawAttr {
    /// Ask for the value, offering a buffer of `cap` bytes.
    pub fn with_buffer(kind: CK_ATTRIBUTE_TYPE, cap: usize) -> Self {
        Self { kind, buf: Some(vec![0; cap]), len: cap as CK_ULONG }
    }

    /// Ask for the length only (NULL pValue).
    pub fn length_only(kind: CK_ATTRIBUTE_TYPE) -> Self {
        Self { kind, buf: None, len: 0 }
    }

    /// The returned value bytes, if the module reported a usable length.
    pub fn value(&self) -> Option<&[u8]> {
        let buf = self.buf.as_ref()?;
        let len = usize::try_from(self.len).ok()?;
        buf.get(..len)
    }
}

/// An entry of C_GetInterfaceList, copied out of the module's memory.
#[derive(Debug, Clone)]
pub struct RawInterface {
    pub name: String,
    pub version: (u8, u8),
    pub flags: CK_FLAGS,
}

macro_rules! call {
    ($self:ident, $name:ident ( $($arg:expr),* )) => {{
        let f = $self.list().$name.expect(concat!(stringify!($name), " is NULL in the function list"));
        // SAFETY: the function pointer comes from the module's own function list,
        // and every pointer argument points to live, correctly sized memory owned
        // by the caller for the duration of the call.
        unsafe { f($($arg),*) }
    }};
}

impl RawModule {
    /// The raw function list, for calls this wrapper does not cover.
    pub fn functions(&self) -> &CK_FUNCTION_LIST {
        // SAFETY: `list` came from C_GetFunctionList of a library kept loaded for the life
        // of the process (see `pin_loaded`), so it stays valid.
        unsafe { &*self.list }
    }

    /// dlopen `path` (normally the path a `TestToken` loaded) and fetch its
    /// function list through C_GetFunctionList.
    pub fn open(path: &Path) -> Self {
        let cpath = CString::new(path.as_os_str().as_encoded_bytes()).expect("path has a NUL");
        // SAFETY: cpath is a valid NUL-terminated string; loading the module runs
        // only its (Rust) initialisers.
        let handle = unsafe { libc::dlopen(cpath.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        assert!(!handle.is_null(), "dlopen {} failed: {}", path.display(), dl_error());
        let get: CK_C_GetFunctionList = Self::symbol(handle, c"C_GetFunctionList");
        let get = get.expect("C_GetFunctionList is not exported");
        let mut list: *mut CK_FUNCTION_LIST = ptr::null_mut();
        // SAFETY: C_GetFunctionList writes one pointer into `list`.
        let rv = unsafe { get(&mut list) };
        assert_eq!(rv, CKR_OK, "C_GetFunctionList failed");
        assert!(!list.is_null(), "C_GetFunctionList returned NULL");
        Self { handle, list }
    }

    /// Look up an exported PKCS#11 function; `F` is one of the `CK_C_*`
    /// `Option<extern fn>` types, so a missing symbol becomes `None`.
    fn symbol<F: Copy>(handle: *mut c_void, name: &CStr) -> F {
        assert_eq!(size_of::<F>(), size_of::<*mut c_void>());
        // SAFETY: handle is a live dlopen handle and name is NUL-terminated.
        let sym = unsafe { libc::dlsym(handle, name.as_ptr()) };
        // SAFETY: F is a pointer-sized Option<extern "C" fn> (checked above), so
        // NULL maps to None; a non-NULL symbol has the prototype named by `name`.
        unsafe { std::mem::transmute_copy::<*mut c_void, F>(&sym) }
    }

    fn list(&self) -> &CK_FUNCTION_LIST {
        // SAFETY: the list is static data of the module, which stays loaded while
        // `self.handle` is open.
        unsafe { &*self.list }
    }

    /// C_Initialize(NULL): no threads, no locking arguments.
    pub fn initialize_null(&self) -> CK_RV {
        call!(self, C_Initialize(ptr::null_mut()))
    }

    pub fn finalize(&self) -> CK_RV {
        call!(self, C_Finalize(ptr::null_mut()))
    }

    /// C_GetSlotList(CK_FALSE, NULL, &count): the number of slots.
    pub fn slot_count(&self) -> (CK_RV, CK_ULONG) {
        let mut count: CK_ULONG = 0;
        let rv = call!(self, C_GetSlotList(CK_FALSE, ptr::null_mut(), &mut count));
        (rv, count)
    }

    /// C_GetMechanismList(slot, NULL, &count): the number of mechanisms.
    pub fn mechanism_count(&self, slot: CK_SLOT_ID) -> (CK_RV, CK_ULONG) {
        let mut count: CK_ULONG = 0;
        let rv = call!(self, C_GetMechanismList(slot, ptr::null_mut(), &mut count));
        (rv, count)
    }

    pub fn get_session_info(&self, session: CK_SESSION_HANDLE) -> (CK_RV, CK_SESSION_INFO) {
        let mut info = CK_SESSION_INFO::default();
        let rv = call!(self, C_GetSessionInfo(session, &mut info));
        (rv, info)
    }

    pub fn login(&self, session: CK_SESSION_HANDLE, user: CK_USER_TYPE, pin: &[u8]) -> CK_RV {
        let len = pin.len() as CK_ULONG;
        call!(self, C_Login(session, user, pin.as_ptr() as *mut CK_UTF8CHAR, len))
    }

    /// C_GenerateRandom of `len` bytes; the buffer is returned whatever the result.
    pub fn generate_random(&self, session: CK_SESSION_HANDLE, len: usize) -> (CK_RV, Vec<u8>) {
        let mut buf = vec![0u8; len];
        let rv = call!(self, C_GenerateRandom(session, buf.as_mut_ptr(), len as CK_ULONG));
        (rv, buf)
    }

    pub fn seed_random(&self, session: CK_SESSION_HANDLE, seed: &[u8]) -> CK_RV {
        let len = seed.len() as CK_ULONG;
        call!(self, C_SeedRandom(session, seed.as_ptr() as *mut CK_BYTE, len))
    }

    /// `version` field of the list returned by C_GetFunctionList.
    pub fn function_list_version(&self) -> (u8, u8) {
        let v = self.list().version;
        (v.major, v.minor)
    }

    pub fn get_info(&self) -> (CK_RV, CK_INFO) {
        let mut info = CK_INFO::default();
        let rv = call!(self, C_GetInfo(&mut info));
        (rv, info)
    }

    pub fn get_slot_info(&self, slot: CK_SLOT_ID) -> (CK_RV, CK_SLOT_INFO) {
        let mut info = CK_SLOT_INFO::default();
        let rv = call!(self, C_GetSlotInfo(slot, &mut info));
        (rv, info)
    }

    pub fn get_token_info(&self, slot: CK_SLOT_ID) -> (CK_RV, CK_TOKEN_INFO) {
        let mut info = CK_TOKEN_INFO::default();
        let rv = call!(self, C_GetTokenInfo(slot, &mut info));
        (rv, info)
    }

    /// C_OpenSession with arbitrary flags and no callback.
    pub fn open_session(&self, slot: CK_SLOT_ID, flags: CK_FLAGS) -> (CK_RV, CK_SESSION_HANDLE) {
        let mut handle: CK_SESSION_HANDLE = 0;
        let rv = call!(self, C_OpenSession(slot, flags, ptr::null_mut(), None, &mut handle));
        (rv, handle)
    }

    pub fn close_session(&self, session: CK_SESSION_HANDLE) -> CK_RV {
        call!(self, C_CloseSession(session))
    }

    pub fn close_all_sessions(&self, slot: CK_SLOT_ID) -> CK_RV {
        call!(self, C_CloseAllSessions(slot))
    }

    pub fn get_object_size(
        &self,
        session: CK_SESSION_HANDLE,
        object: CK_OBJECT_HANDLE,
    ) -> (CK_RV, CK_ULONG) {
        let mut size: CK_ULONG = 0;
        let rv = call!(self, C_GetObjectSize(session, object, &mut size));
        (rv, size)
    }

    /// One C_GetAttributeValue call over `attrs`; lengths are written back.
    pub fn get_attribute_value(
        &self,
        session: CK_SESSION_HANDLE,
        object: CK_OBJECT_HANDLE,
        attrs: &mut [RawAttr],
    ) -> CK_RV {
        let mut template: Vec<CK_ATTRIBUTE> = attrs
            .iter_mut()
            .map(|a| CK_ATTRIBUTE {
                type_: a.kind,
                pValue: a.buf.as_mut().map_or(ptr::null_mut(), |b| b.as_mut_ptr().cast()),
                ulValueLen: a.buf.as_ref().map_or(0, |b| b.len() as CK_ULONG),
            })
            .collect();
        let count = template.len() as CK_ULONG;
        let rv = call!(self, C_GetAttributeValue(session, object, template.as_mut_ptr(), count));
        for (a, t) in attrs.iter_mut().zip(&template) {
            a.len = t.ulValueLen;
        }
        rv
    }

    /// C_GetInterfaceList (exported symbol; callable before C_Initialize).
    /// `capacity` None: size query then fetch. Some(n): one call with room for n.
    pub fn interface_list(&self, capacity: Option<usize>) -> (CK_RV, Vec<RawInterface>) {
        let get: CK_C_GetInterfaceList = Self::symbol(self.handle, c"C_GetInterfaceList");
        let get = get.expect("C_GetInterfaceList is not exported");
        let mut count: CK_ULONG = 0;
        let cap = match capacity {
            Some(n) => n,
            None => {
                // SAFETY: a NULL list asks only for the count.
                let rv = unsafe { get(ptr::null_mut(), &mut count) };
                if rv != CKR_OK {
                    return (rv, Vec::new());
                }
                count as usize
            }
        };
        let mut buf = vec![CK_INTERFACE::default(); cap];
        count = cap as CK_ULONG;
        // SAFETY: buf has room for `count` entries.
        let rv = unsafe { get(buf.as_mut_ptr(), &mut count) };
        if rv != CKR_OK {
            return (rv, Vec::new());
        }
        let list = buf.iter().take(count as usize).map(|i| self.describe(i)).collect();
        (rv, list)
    }

    /// C_GetInterface(name, version); None arguments are passed as NULL.
    pub fn get_interface(
        &self,
        name: Option<&CStr>,
        version: Option<(u8, u8)>,
    ) -> (CK_RV, Option<RawInterface>) {
        let get: CK_C_GetInterface = Self::symbol(self.handle, c"C_GetInterface");
        let get = get.expect("C_GetInterface is not exported");
        let mut ver = version.map(|(major, minor)| CK_VERSION { major, minor });
        let ver_ptr = ver.as_mut().map_or(ptr::null_mut(), |v| v as *mut CK_VERSION);
        let name_ptr = name.map_or(ptr::null_mut(), |n| n.as_ptr() as *mut CK_UTF8CHAR);
        let mut out: *mut CK_INTERFACE = ptr::null_mut();
        // SAFETY: name is NUL-terminated or NULL, ver_ptr points to `ver` or is
        // NULL; the module writes one pointer into `out`.
        let rv = unsafe { get(name_ptr, ver_ptr, &mut out, 0) };
        // SAFETY: on success `out` points to a static CK_INTERFACE of the module.
        let iface = (rv == CKR_OK && !out.is_null()).then(|| self.describe(unsafe { &*out }));
        (rv, iface)
    }

    /// The 3.0 function list (C_GetInterface "PKCS 11" 3.0), for the 3.0-only functions.
    pub fn functions_3_0(&self) -> &CK_FUNCTION_LIST_3_0 {
        let get: CK_C_GetInterface = Self::symbol(self.handle, c"C_GetInterface");
        let get = get.expect("C_GetInterface is not exported");
        let mut ver = CK_VERSION { major: 3, minor: 0 };
        let mut out: *mut CK_INTERFACE = ptr::null_mut();
        // SAFETY: NUL-terminated name, valid version, one pointer written into `out`.
        let rv = unsafe { get(c"PKCS 11".as_ptr() as *mut CK_UTF8CHAR, &mut ver, &mut out, 0) };
        assert!(rv == CKR_OK && !out.is_null(), "C_GetInterface(PKCS 11, 3.0) failed: {rv:#x}");
        // SAFETY: the 3.0 interface's list is a static CK_FUNCTION_LIST_3_0 of the module,
        // which stays loaded for the life of the process.
        unsafe { &*((*out).pFunctionList as *const CK_FUNCTION_LIST_3_0) }
    }

    fn describe(&self, iface: &CK_INTERFACE) -> RawInterface {
        assert!(!iface.pInterfaceName.is_null(), "interface with a NULL name");
        assert!(!iface.pFunctionList.is_null(), "interface with a NULL function list");
        // SAFETY: the name is a NUL-terminated string owned by the module.
        let name = unsafe { CStr::from_ptr(iface.pInterfaceName as *const libc::c_char) };
        // SAFETY: every PKCS#11 function list starts with a CK_VERSION.
        let version = unsafe { *(iface.pFunctionList as *const CK_VERSION) };
        RawInterface {
            name: name.to_string_lossy().into_owned(),
            version: (version.major, version.minor),
            flags: iface.flags,
        }
    }
}

impl Drop for RawModule {
    fn drop(&mut self) {
        // SAFETY: handle came from dlopen and is closed exactly once.
        unsafe { libc::dlclose(self.handle) };
    }
}

fn dl_error() -> String {
    // SAFETY: dlerror returns NULL or a NUL-terminated thread-local message.
    let msg = unsafe { libc::dlerror() };
    if msg.is_null() {
        return "unknown error".into();
    }
    // SAFETY: checked non-NULL above.
    unsafe { CStr::from_ptr(msg) }.to_string_lossy().into_owned()
}
