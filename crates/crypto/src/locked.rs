//! Heap buffers for secrets that ask to be kept out of swap.
//!
//! This crate forbids `unsafe`, so it cannot call `mlock(2)` itself. Instead a process-wide
//! [`PageLocker`] can be [`install`]ed once (the PKCS#11 library does so in C_Initialize),
//! and every [`SecretBytes`] tells it which address range it occupies when it is created and
//! again when it goes away. Whether and how pages are really pinned is the locker's business:
//! it has to count, because secrets share pages with each other and with ordinary heap data.
//!
//! Without a locker (unit tests, the admin tool) a [`SecretBytes`] is simply a fixed-size
//! heap buffer that is zeroized when dropped.
//!
//! Only what lives in a `SecretBytes` is covered. Memory that aws-lc-rs allocates on its own
//! (key schedules, RSA and EC private keys held inside AWS-LC) and short-lived copies on the
//! stack are zeroized where we own them but are never reported here.

use std::sync::OnceLock;

use zeroize::Zeroize;

/// Receives the address ranges of live secrets, so that their pages can be pinned in RAM.
///
/// Each `lock(addr, len)` is matched by exactly one `unlock(addr, len)` with the same range,
/// issued after the bytes were overwritten with zeros and before the memory is freed.
/// Ranges of different secrets may share pages; implementations must not release a page
/// while any other range still covers it. Both calls must not panic, and they cannot fail:
/// a locker that is refused by the operating system just stops locking.
pub trait PageLocker: Send + Sync {
    /// `len` bytes at `addr` now hold a secret (`len` is never zero).
    fn lock(&self, addr: usize, len: usize);
    /// The secret at `addr..addr + len` is gone (zeroized, about to be freed).
    fn unlock(&self, addr: usize, len: usize);
}

static LOCKER: OnceLock<&'static dyn PageLocker> = OnceLock::new();

/// Install the process-wide locker. Only the first call has an effect; later calls (a second
/// C_Initialize) are ignored. Secrets created before the first call are never reported.
pub fn install(locker: &'static dyn PageLocker) {
    let _ = LOCKER.set(locker);
}

/// Whether a locker is installed.
pub fn installed() -> bool {
    LOCKER.get().is_some()
}

/// A secret of fixed length on the heap: reported to the installed [`PageLocker`] while it
/// lives, zeroized when dropped.
///
/// The buffer never grows or moves, so the range reported at creation stays right for its
/// whole life. `Debug` shows the length only. Keep it for key-sized data: every instance
/// may pin a page of its own, and large buffers would exhaust the locked-memory limit fast.
pub struct SecretBytes {
    buf: Box<[u8]>,
    /// The locker told about `buf`, remembered so that the matching `unlock` goes to the
    /// same place (and never to a locker that was not told).
    locker: Option<&'static dyn PageLocker>,
}

impl SecretBytes {
    /// `len` zero bytes, already reported to the locker, for the caller to fill in place.
    pub fn zeroed(len: usize) -> Self {
        let buf = vec![0u8; len].into_boxed_slice();
        let locker = if len == 0 { None } else { LOCKER.get().copied() };
        if let Some(l) = locker {
            l.lock(buf.as_ptr() as usize, len);
        }
        Self { buf, locker }
    }

    /// The bytes as an array reference, if the length is exactly `N`.
    pub fn as_array<const N: usize>(&self) -> Option<&[u8; N]> {
        (*self.buf).try_into().ok()
    }
}

impl From<&[u8]> for SecretBytes {
    /// A copy of `bytes`. The buffer is reported to the locker before the secret is written.
    fn from(bytes: &[u8]) -> Self {
        let mut s = Self::zeroed(bytes.len());
        s.buf.copy_from_slice(bytes);
        s
    }
}

impl std::ops::Deref for SecretBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.buf
    }
}

impl std::ops::DerefMut for SecretBytes {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.buf
    }
}

impl Clone for SecretBytes {
    /// A new allocation, reported to the locker on its own.
    fn clone(&self) -> Self {
        Self::from(&self.buf[..])
    }
}

impl std::fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretBytes({} bytes)", self.buf.len())
    }
}

impl Drop for SecretBytes {
    fn drop(&mut self) {
        self.buf.zeroize();
        // Still allocated here: the box is freed only after this body returns.
        if let Some(l) = self.locker {
            l.unlock(self.buf.as_ptr() as usize, self.buf.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// One call the recording locker saw: (thread, is_lock, addr, len).
    type Call = (std::thread::ThreadId, bool, usize, usize);

    struct Recorder(Mutex<Vec<Call>>);

    impl PageLocker for Recorder {
        fn lock(&self, addr: usize, len: usize) {
            self.0.lock().unwrap().push((std::thread::current().id(), true, addr, len));
        }
        fn unlock(&self, addr: usize, len: usize) {
            self.0.lock().unwrap().push((std::thread::current().id(), false, addr, len));
        }
    }

    static RECORDER: Recorder = Recorder(Mutex::new(Vec::new()));

    /// The locker is process-wide and the tests run in parallel, each on a thread of its
    /// own, and addresses are reused: a test looks only at calls its own thread made for
    /// one address, as (is_lock, addr, len).
    fn calls_for(addr: usize) -> Vec<(bool, usize, usize)> {
        let me = std::thread::current().id();
        let all = RECORDER.0.lock().unwrap();
        all.iter().filter(|c| c.0 == me && c.2 == addr).map(|c| (c.1, c.2, c.3)).collect()
    }

    fn setup() {
        install(&RECORDER);
        assert!(installed());
    }

    #[test]
    fn creation_reports_the_buffer_and_drop_releases_it() {
        setup();
        let s = SecretBytes::from(&[7u8; 32][..]);
        let addr = s.as_ptr() as usize;
        assert_eq!(&*s, &[7u8; 32]);
        assert_eq!(calls_for(addr), vec![(true, addr, 32)]);
        drop(s);
        assert_eq!(calls_for(addr), vec![(true, addr, 32), (false, addr, 32)]);
    }

    #[test]
    fn zeroed_is_reported_and_writable_in_place() {
        setup();
        let mut s = SecretBytes::zeroed(48);
        let addr = s.as_ptr() as usize;
        assert!(s.iter().all(|b| *b == 0));
        s[..4].copy_from_slice(b"abcd");
        assert_eq!(&s[..4], b"abcd");
        assert_eq!(s.as_ptr() as usize, addr, "writing must not move the buffer");
        assert_eq!(calls_for(addr), vec![(true, addr, 48)]);
    }

    #[test]
    fn clone_is_a_separate_locked_allocation() {
        setup();
        let a = SecretBytes::from(&b"sixteen byte key"[..]);
        let b = a.clone();
        let (pa, pb) = (a.as_ptr() as usize, b.as_ptr() as usize);
        assert_ne!(pa, pb);
        assert_eq!(&*a, &*b);
        assert_eq!(calls_for(pb), vec![(true, pb, 16)]);
        drop(b);
        assert_eq!(calls_for(pb), vec![(true, pb, 16), (false, pb, 16)]);
        // The original is untouched by the clone's drop.
        assert_eq!(calls_for(pa), vec![(true, pa, 16)]);
    }

    #[test]
    fn empty_buffers_are_not_reported() {
        setup();
        let s = SecretBytes::zeroed(0);
        assert!(s.is_empty());
        assert!(s.locker.is_none());
    }

    #[test]
    fn debug_shows_only_the_length() {
        let s = SecretBytes::from(&[0xab; 5][..]);
        let text = format!("{s:?}");
        assert_eq!(text, "SecretBytes(5 bytes)");
    }

    #[test]
    fn as_array_checks_the_length() {
        let s = SecretBytes::from(&[1u8; 32][..]);
        assert_eq!(s.as_array::<32>(), Some(&[1u8; 32]));
        assert_eq!(s.as_array::<16>(), None);
    }
}
