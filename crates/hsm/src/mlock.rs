//! Keeps the pages holding secrets in RAM with `mlock(2)`.
//!
//! `craton_crypto::locked::SecretBytes` reports the address range of every secret it holds
//! (key bytes, the login's master key, DRBG state) to the locker installed here. Secrets are
//! small heap allocations, so several of them — and unrelated heap data — can sit on one
//! page. A page is therefore reference-counted: locked when the first secret on it arrives,
//! unlocked when the last one leaves, never while another secret still uses it.
//!
//! When the operating system refuses to lock (RLIMIT_MEMLOCK exhausted or zero, no
//! CAP_IPC_LOCK), one warning is logged and no further page is locked for the life of the
//! process: the module keeps working, its secrets merely stay swappable. Pages locked before
//! the refusal stay locked until their secrets go.
//!
//! Fork: a child does not inherit memory locks. The library's fork handlers hold the table's
//! lock across `fork()` (so the child never inherits it half-taken), and the child locks its
//! counted pages again at its next use of the table, so the counts stay true in both.

use std::collections::BTreeMap;
use std::io;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use craton_crypto::locked::PageLocker;
use parking_lot::Mutex;

/// The two calls the page table needs from the operating system, per page.
pub(crate) trait Residency {
    /// Keep `page` (page-aligned, one page long) in RAM.
    fn lock_page(&mut self, page: usize) -> io::Result<()>;
    /// Let `page` be paged out again.
    fn unlock_page(&mut self, page: usize);
}

/// Reference counts of the pages that hold secrets.
pub(crate) struct PageTable<R> {
    page_size: usize,
    /// Page address → number of live secrets overlapping it.
    counts: BTreeMap<usize, usize>,
    os: R,
    /// Set at the first refusal: from then on no page is locked any more.
    gave_up: bool,
}

impl<R: Residency> PageTable<R> {
    /// An empty table; `page_size` must be a power of two.
    pub(crate) fn new(page_size: usize, os: R) -> Self {
        debug_assert!(page_size.is_power_of_two());
        Self { page_size, counts: BTreeMap::new(), os, gave_up: false }
    }

    /// The page addresses `addr..addr + len` touches (none when `len` is 0).
    fn pages(&self, addr: usize, len: usize) -> impl Iterator<Item = usize> + use<R> {
        let mask = !(self.page_size - 1);
        let first = addr & mask;
        let last = addr.saturating_add(len.saturating_sub(1)) & mask;
        let count = if len == 0 { 0 } else { (last - first) / self.page_size + 1 };
        let step = self.page_size;
        (0..count).map(move |i| first + i * step)
    }

    /// A secret now occupies `addr..addr + len`. Returns the error of the first refusal
    /// (only ever once per table), for the caller to report outside the lock.
    pub(crate) fn add(&mut self, addr: usize, len: usize) -> Option<io::Error> {
        let mut refused = None;
        for page in self.pages(addr, len) {
            let count = self.counts.entry(page).or_insert(0);
            *count += 1;
            if *count == 1 && !self.gave_up {
                if let Err(e) = self.os.lock_page(page) {
                    // Counted all the same, so the matching `remove` stays balanced; its
                    // munlock of a page that was never locked is harmless.
                    self.gave_up = true;
                    refused = Some(e);
                }
            }
        }
        refused
    }

    /// The secret at `addr..addr + len` is gone. Pages no other secret uses are unlocked.
    pub(crate) fn remove(&mut self, addr: usize, len: usize) {
        for page in self.pages(addr, len) {
            match self.counts.get_mut(&page) {
                Some(count) if *count > 1 => *count -= 1,
                Some(_) => {
                    self.counts.remove(&page);
                    self.os.unlock_page(page);
                }
                // Never counted (a range reported twice would be a bug upstream): ignore.
                None => {}
            }
        }
    }

    /// Lock every counted page again (a forked child starts with no locks). Returns the
    /// error of a first refusal, like [`PageTable::add`].
    pub(crate) fn relock_all(&mut self) -> Option<io::Error> {
        if self.gave_up {
            return None;
        }
        for page in self.counts.keys() {
            if let Err(e) = self.os.lock_page(*page) {
                self.gave_up = true;
                return Some(e);
            }
        }
        None
    }

    /// Number of pages with at least one secret on them.
    #[cfg(test)]
    pub(crate) fn pages_in_use(&self) -> usize {
        self.counts.len()
    }
}

/// The real system calls.
pub(crate) struct Syscalls {
    page_size: usize,
}

impl Residency for Syscalls {
    fn lock_page(&mut self, page: usize) -> io::Result<()> {
        // SAFETY: mlock only changes whether the pages are kept resident; it never reads or
        // writes their contents and creates no reference to them, so any address range is
        // acceptable to it (an unmapped one fails with ENOMEM). `page` is a heap page that
        // holds a live secret, so it is mapped.
        let rc = unsafe { libc::mlock(page as *const libc::c_void, self.page_size) };
        if rc == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
    }

    fn unlock_page(&mut self, page: usize) {
        // SAFETY: as for mlock: munlock only changes residency, never contents, and accepts
        // any range. A failure leaves the page locked, which is safe; nothing to report.
        let _ = unsafe { libc::munlock(page as *const libc::c_void, self.page_size) };
    }
}

/// The page locker the library installs into `craton_crypto::locked`.
pub(crate) struct SystemLocker {
    table: Mutex<PageTable<Syscalls>>,
}

/// Set in a forked child: its next use of the table locks the counted pages again.
static RELOCK: AtomicBool = AtomicBool::new(false);

fn page_size() -> usize {
    // SAFETY: sysconf takes no pointers and only reads a system constant.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(n).ok().filter(|n| n.is_power_of_two()).unwrap_or(4096)
}

fn warn_refused(e: &io::Error) {
    log::warn!(
        "cannot lock key material in memory (mlock: {e}); it may be written to swap. \
         The module carries on without locking; raise RLIMIT_MEMLOCK (ulimit -l) or grant \
         CAP_IPC_LOCK to have it locked. Reported once."
    );
}

impl SystemLocker {
    fn new() -> Self {
        let size = page_size();
        Self { table: Mutex::new(PageTable::new(size, Syscalls { page_size: size })) }
    }

    /// The table, after catching up with a fork. Returns a first refusal's error.
    fn with_table(&self, f: impl FnOnce(&mut PageTable<Syscalls>) -> Option<io::Error>) {
        let refused = {
            let mut t = self.table.lock();
            let relocked = if RELOCK.swap(false, Ordering::AcqRel) { t.relock_all() } else { None };
            relocked.or(f(&mut t))
        };
        // Logged with the table unlocked: writing to stderr can block.
        if let Some(e) = refused {
            warn_refused(&e);
        }
    }
}

impl PageLocker for SystemLocker {
    fn lock(&self, addr: usize, len: usize) {
        self.with_table(|t| t.add(addr, len));
    }

    fn unlock(&self, addr: usize, len: usize) {
        self.with_table(|t| {
            t.remove(addr, len);
            None
        });
    }
}

static LOCKER: OnceLock<SystemLocker> = OnceLock::new();

/// Install the locker (C_Initialize; only the first call in a process does anything).
pub(crate) fn install() {
    craton_crypto::locked::install(LOCKER.get_or_init(SystemLocker::new));
}

/// `pthread_atfork` prepare: hold the table so the child never inherits it mid-update.
pub(crate) fn before_fork() {
    if let Some(l) = LOCKER.get() {
        std::mem::forget(l.table.lock());
    }
}

/// `pthread_atfork` parent: release what [`before_fork`] took.
pub(crate) fn after_fork_parent() {
    if let Some(l) = LOCKER.get() {
        // SAFETY: `before_fork` locked the table on this thread and forgot the guard; this
        // releases exactly that lock, and no guard for it exists.
        unsafe { l.table.force_unlock() };
    }
}

/// `pthread_atfork` child: release the table and ask for the pages to be locked again.
pub(crate) fn after_fork_child() {
    if let Some(l) = LOCKER.get() {
        RELOCK.store(true, Ordering::Release);
        // SAFETY: as in `after_fork_parent`: the forking thread, the child's only thread,
        // holds the lock `before_fork` took and forgot.
        unsafe { l.table.force_unlock() };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: usize = 4096;

    /// Records the calls; refuses every lock after `allow` successful ones.
    #[derive(Default)]
    struct Fake {
        locked: Vec<usize>,
        unlocked: Vec<usize>,
        allow: Option<usize>,
        refusals: usize,
    }

    impl Residency for Fake {
        fn lock_page(&mut self, page: usize) -> io::Result<()> {
            assert_eq!(page % PAGE, 0, "pages are aligned");
            if self.allow.is_some_and(|n| self.locked.len() >= n) {
                self.refusals += 1;
                return Err(io::Error::from_raw_os_error(libc::EPERM));
            }
            self.locked.push(page);
            Ok(())
        }

        fn unlock_page(&mut self, page: usize) {
            self.unlocked.push(page);
        }
    }

    fn table() -> PageTable<Fake> {
        PageTable::new(PAGE, Fake::default())
    }

    #[test]
    fn two_secrets_on_one_page() {
        let mut t = table();
        assert!(t.add(10 * PAGE + 16, 32).is_none());
        assert!(t.add(10 * PAGE + 64, 32).is_none());
        assert_eq!(t.os.locked, vec![10 * PAGE], "one mlock for the shared page");
        t.remove(10 * PAGE + 16, 32);
        assert!(t.os.unlocked.is_empty(), "the other secret still uses the page");
        assert_eq!(t.pages_in_use(), 1);
        t.remove(10 * PAGE + 64, 32);
        assert_eq!(t.os.unlocked, vec![10 * PAGE]);
        assert_eq!(t.pages_in_use(), 0);
    }

    #[test]
    fn a_range_across_a_boundary_locks_both_pages() {
        let mut t = table();
        t.add(3 * PAGE - 8, 16);
        assert_eq!(t.os.locked, vec![2 * PAGE, 3 * PAGE]);
        // A second secret on the second page only.
        t.add(3 * PAGE + 100, 1);
        t.remove(3 * PAGE - 8, 16);
        assert_eq!(t.os.unlocked, vec![2 * PAGE]);
        t.remove(3 * PAGE + 100, 1);
        assert_eq!(t.os.unlocked, vec![2 * PAGE, 3 * PAGE]);
    }

    #[test]
    fn exact_page_ends() {
        let mut t = table();
        t.add(5 * PAGE, PAGE);
        assert_eq!(t.os.locked, vec![5 * PAGE], "a whole page is one page");
        t.add(7 * PAGE - 1, 1);
        assert_eq!(t.os.locked, vec![5 * PAGE, 6 * PAGE]);
        t.add(0, 0);
        assert_eq!(t.pages_in_use(), 2, "an empty range touches nothing");
    }

    #[test]
    fn refusal_is_reported_once_and_locking_stops() {
        let mut t = PageTable::new(PAGE, Fake { allow: Some(1), ..Fake::default() });
        assert!(t.add(PAGE, 8).is_none());
        let first = t.add(2 * PAGE, 8);
        assert_eq!(first.and_then(|e| e.raw_os_error()), Some(libc::EPERM));
        assert!(t.add(3 * PAGE, 8).is_none(), "no second report");
        assert!(t.relock_all().is_none());
        assert_eq!(t.os.refusals, 1, "no further attempts after the refusal");
        assert_eq!(t.os.locked, vec![PAGE]);
        // Everything is still counted, so releasing stays balanced.
        assert_eq!(t.pages_in_use(), 3);
        t.remove(PAGE, 8);
        t.remove(2 * PAGE, 8);
        t.remove(3 * PAGE, 8);
        assert_eq!(t.os.unlocked, vec![PAGE, 2 * PAGE, 3 * PAGE]);
        assert_eq!(t.pages_in_use(), 0);
    }

    #[test]
    fn unknown_ranges_are_ignored() {
        let mut t = table();
        t.remove(PAGE, 8);
        assert!(t.os.unlocked.is_empty());
    }

    #[test]
    fn relock_after_fork_covers_every_counted_page() {
        let mut t = table();
        t.add(PAGE, 8);
        t.add(PAGE + 8, 8);
        t.add(4 * PAGE, 8);
        t.os.locked.clear();
        assert!(t.relock_all().is_none());
        assert_eq!(t.os.locked, vec![PAGE, 4 * PAGE]);
    }
}
