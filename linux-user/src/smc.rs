//! Self-modifying code in user mode: host pages holding translated guest
//! code are write-protected; a write to one faults, the SIGSEGV handler
//! makes the page writable again, records it, and asks the cpu to return to
//! its loop, which then drops the page's translations before running on.
//!
//! Everything the handler touches is a static atomic: it runs on whatever
//! the guest thread was doing. The written pages are shared by all guest
//! threads: whichever cpu loop takes them posts them to the invalidation
//! log ([`crate::thread::post`]), which reaches every thread's engine; the
//! fault itself kicks every cpu out of translated code at once.
//!
//! Known limit: a syscall that makes the kernel write into a protected page
//! (e.g. `read()` into a buffer sharing a page with code) gets `EFAULT`.

use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};

const PAGE: u64 = 4096;
const PENDING_MAX: usize = 256;

static BASE: AtomicUsize = AtomicUsize::new(0);
static SIZE: AtomicUsize = AtomicUsize::new(0);
/// One bit per guest page: protected by us because it holds code.
static BITMAP: AtomicPtr<AtomicU64> = AtomicPtr::new(std::ptr::null_mut());
static PENDING: [AtomicU64; PENDING_MAX] = [const { AtomicU64::new(0) }; PENDING_MAX];
static PENDING_LEN: AtomicUsize = AtomicUsize::new(0);
/// Set when more pages were written than `PENDING` holds: drop everything.
static OVERFLOW: AtomicBool = AtomicBool::new(false);
/// Watches a guest reservation at `base..base+size` (the SIGSEGV handler
/// is [`crate::signal`]'s, which calls [`handle_fault`]).
pub fn init(base: *mut u8, size: u64) -> std::io::Result<()> {
    let pages = (size / PAGE) as usize;
    // Two bitmaps: "protected now" then "guest-writable code page".
    let bytes = 2 * pages.div_ceil(64) * 8;
    if BITMAP.load(Ordering::Acquire).is_null() {
        // SAFETY: a fresh anonymous mapping, zero-filled, touched sparsely.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        BITMAP.store(p as *mut AtomicU64, Ordering::Release);
    }
    BASE.store(base as usize, Ordering::Release);
    SIZE.store(size as usize, Ordering::Release);
    Ok(())
}

fn bit(page: u64) -> Option<(&'static AtomicU64, u64)> {
    let map = BITMAP.load(Ordering::Acquire);
    if map.is_null() || page >= (SIZE.load(Ordering::Relaxed) as u64) / PAGE {
        return None;
    }
    // SAFETY: the bitmap covers every page of the reservation.
    Some((
        unsafe { &*map.add((page / 64) as usize) },
        1u64 << (page % 64),
    ))
}

/// The "guest-writable page we protect for code" bit of `page`: a fault
/// there is always ours, even when another thread already unprotected it.
fn known(page: u64) -> Option<(&'static AtomicU64, u64)> {
    let map = BITMAP.load(Ordering::Acquire);
    let pages = (SIZE.load(Ordering::Relaxed) as u64) / PAGE;
    if map.is_null() || page >= pages {
        return None;
    }
    let words = pages.div_ceil(64);
    // SAFETY: the second bitmap follows the first in the same allocation.
    Some((
        unsafe { &*map.add((words + page / 64) as usize) },
        1u64 << (page % 64),
    ))
}

fn host_page(page: u64) -> *mut libc::c_void {
    (BASE.load(Ordering::Relaxed) as u64 + page * PAGE) as *mut libc::c_void
}

/// Write-protects the guest page at `addr` (code was translated from it).
/// `writable` is the guest's own permission; read-only pages need nothing.
pub fn protect(addr: u64, writable: bool) {
    let page = addr / PAGE;
    let Some((w, m)) = bit(page) else { return };
    if !writable || w.load(Ordering::Relaxed) & m != 0 {
        return;
    }
    // SAFETY: the page is inside our reservation; only write permission is
    // removed, reads and our own execution are unaffected.
    if let Some((k, km)) = known(page) {
        k.fetch_or(km, Ordering::AcqRel);
    }
    if unsafe { libc::mprotect(host_page(page), PAGE as usize, libc::PROT_READ) } == 0 {
        w.fetch_or(m, Ordering::AcqRel);
    }
}

/// The guest changed the mapping of `start..end` (mprotect, munmap, mmap):
/// our protection there no longer applies.
pub fn forget(start: u64, end: u64) {
    let mut p = start / PAGE;
    while p * PAGE < end {
        if let Some((w, m)) = bit(p) {
            w.fetch_and(!m, Ordering::AcqRel);
        }
        if let Some((k, m)) = known(p) {
            k.fetch_and(!m, Ordering::AcqRel);
        }
        p += 1;
    }
}

/// Pages written since the last call (`None` inside means "everything").
pub fn take_written() -> Option<Vec<u64>> {
    if OVERFLOW.swap(false, Ordering::AcqRel) {
        PENDING_LEN.store(0, Ordering::Release);
        return None;
    }
    let n = PENDING_LEN.swap(0, Ordering::AcqRel).min(PENDING_MAX);
    Some((0..n).map(|i| PENDING[i].load(Ordering::Acquire)).collect())
}

/// A host write fault at host address `addr`: if it hit a page we
/// protected, unprotect it, record it, kick every cpu and return true.
/// Async-signal-safe.
pub fn handle_fault(addr: usize) -> bool {
    let base = BASE.load(Ordering::Relaxed);
    let size = SIZE.load(Ordering::Relaxed);
    if addr < base || addr >= base + size {
        return false;
    }
    let page = ((addr - base) as u64) / PAGE;
    let Some((w, m)) = bit(page) else {
        return false;
    };
    if w.fetch_and(!m, Ordering::AcqRel) & m == 0 {
        // Another thread unprotected it between our fault and now: retry.
        return known(page).is_some_and(|(k, km)| k.load(Ordering::Acquire) & km != 0);
    }
    // SAFETY: restoring write access to our own page.
    unsafe {
        libc::mprotect(
            host_page(page),
            PAGE as usize,
            libc::PROT_READ | libc::PROT_WRITE,
        );
    }
    let i = PENDING_LEN.fetch_add(1, Ordering::AcqRel);
    if i < PENDING_MAX {
        PENDING[i].store(page * PAGE, Ordering::Release);
    } else {
        OVERFLOW.store(true, Ordering::Release);
    }
    crate::thread::kick_all();
    true
}
