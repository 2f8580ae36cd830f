//! The guest address space: one host reservation at a fixed base.
//!
//! Guest address `a` lives at host address `base + a`, for every `a` below
//! [`GuestSpace::size`]. The whole range is reserved up front (`PROT_NONE`,
//! `MAP_NORESERVE`, so it costs no memory); guest `mmap`, `brk` and friends
//! replace parts of it with real host mappings at fixed addresses and
//! `munmap` puts the reservation back. Host page protections mirror the
//! guest's (`PROT_EXEC` becomes `PROT_READ`: guest code is never executed by
//! the host), so a translated guest access to an unmapped or protected page
//! faults on the host, where the signal code can turn it into the guest's
//! `SIGSEGV`.
//!
//! A [`PageMap`] records the guest's view (prot bits, shared/file, "code was
//! translated here"). Operations that can change code the translator has
//! seen (unmapping, removing `PROT_EXEC`, replacing or moving pages) queue
//! the affected range; the cpu loop collects them with
//! [`GuestSpace::take_invalidations`].
//!
//! Page sizes: flags are kept per 4 KiB host page. A guest with larger pages
//! (64 KiB) gets its alignment rules from `page_size`; guests with pages
//! smaller than the host's are not supported on this (x86-64) host.
//!
//! Later work: when the translator write-protects pages holding translated
//! code (self-modifying code detection), writes done on the guest's behalf
//! here must unprotect first; [`GuestSpace::mark_translated`] is the hook.

use crate::errno::{Efault, Errno};
use crate::pages::{
    PageMap, Run, PAGE_EXEC, PAGE_FILE, PAGE_PROT, PAGE_READ, PAGE_SHARED, PAGE_TRANSLATED,
    PAGE_WRITE,
};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The host page size this code is built for (x86-64).
pub const HOST_PAGE: u64 = 4096;

/// Largest reservation: 1 TiB of guest address space.
pub const MAX_ADDR_BITS: u32 = 40;

/// Failure to set up the reservation.
#[derive(Debug, thiserror::Error)]
pub enum SpaceError {
    #[error("cannot reserve {size:#x} bytes of host address space for the guest: {errno}")]
    Reserve { size: u64, errno: Errno },
    #[error("guest page size {0} is not supported on this host")]
    PageSize(u64),
    #[error("cannot place guest memory ({size:#x} bytes) at host address {base:#x}: {errno}")]
    Place { base: u64, size: u64, errno: Errno },
    #[error("guest address space size {0:#x} is not between 16 MiB and 1 TiB")]
    Size(u64),
}

/// The guest's address space, unsynchronised (see [`GuestSpace`]).
#[derive(Debug)]
pub struct SpaceCore {
    base: *mut u8,
    size: u64,
    page_size: u64,
    pages: PageMap,
    /// `mmap` without `MAP_FIXED` allocates top-down from here.
    mmap_base: u64,
    mmap_min: u64,
    brk_start: u64,
    brk: u64,
    /// End of the pages mapped for the heap (page aligned).
    brk_end: u64,
    invalidations: Vec<(u64, u64)>,
}

// SAFETY: `SpaceCore` owns its reservation; the raw base pointer is only an
// address. Guest threads share it behind `GuestSpace`'s lock.
unsafe impl Send for SpaceCore {}
// SAFETY: as above; all mutation goes through `&mut self`.
unsafe impl Sync for SpaceCore {}

fn host_prot(prot: u32) -> i32 {
    let mut p = libc::PROT_NONE;
    if prot & (PAGE_READ | PAGE_EXEC) != 0 {
        p |= libc::PROT_READ;
    }
    if prot & PAGE_WRITE != 0 {
        p |= libc::PROT_WRITE | libc::PROT_READ;
    }
    p
}

fn exec_like(r: &Run) -> bool {
    r.flags & (PAGE_EXEC | PAGE_TRANSLATED) != 0
}

impl SpaceCore {
    /// Reserve a guest space of `1 << addr_bits` bytes (capped at 1 TiB;
    /// pass 32 for 32-bit guests, 40 or more for 64-bit ones) with 4 KiB
    /// guest pages.
    pub fn new(addr_bits: u32) -> Result<Self, SpaceError> {
        Self::with_page_size(addr_bits, HOST_PAGE)
    }

    /// Like [`GuestSpace::new`] for a guest whose pages are `page_size` bytes
    /// (a power of two, at least the host page).
    pub fn with_page_size(addr_bits: u32, page_size: u64) -> Result<Self, SpaceError> {
        let size = 1u64 << addr_bits.clamp(24, MAX_ADDR_BITS);
        Self::with_layout(size, page_size, None)
    }

    /// A space of `size` bytes (`-R`; a multiple of the guest page, 16 MiB
    /// to 1 TiB) whose guest address 0 is at host address `host_base`
    /// (`-B`) or where the kernel chooses.
    pub fn with_layout(
        size: u64,
        page_size: u64,
        host_base: Option<u64>,
    ) -> Result<Self, SpaceError> {
        if !page_size.is_power_of_two() || page_size < HOST_PAGE {
            return Err(SpaceError::PageSize(page_size));
        }
        let size = size.next_multiple_of(page_size);
        if !(1 << 24..=1 << MAX_ADDR_BITS).contains(&size) {
            return Err(SpaceError::Size(size));
        }
        let mut flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
        if host_base.is_some() {
            flags |= libc::MAP_FIXED_NOREPLACE;
        }
        let want = host_base.unwrap_or(0);
        if !want.is_multiple_of(HOST_PAGE) {
            return Err(SpaceError::Place {
                base: want,
                size,
                errno: Errno::EINVAL,
            });
        }
        // SAFETY: a fresh anonymous PROT_NONE mapping; with a fixed address
        // MAP_FIXED_NOREPLACE refuses to touch existing mappings.
        let p = unsafe {
            libc::mmap(
                want as *mut libc::c_void,
                size as usize,
                libc::PROT_NONE,
                flags,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            let errno = Errno::last();
            return Err(match host_base {
                Some(base) => SpaceError::Place { base, size, errno },
                None => SpaceError::Reserve { size, errno },
            });
        }
        if host_base.is_some_and(|b| p as u64 != b) {
            // Kernels before 4.17 treat MAP_FIXED_NOREPLACE as a hint.
            // SAFETY: unmapping the reservation just made.
            unsafe { libc::munmap(p, size as usize) };
            return Err(SpaceError::Place {
                base: want,
                size,
                errno: Errno::EEXIST,
            });
        }
        Ok(SpaceCore {
            base: p.cast(),
            size,
            page_size,
            pages: PageMap::new(),
            mmap_base: size,
            mmap_min: 0x1_0000,
            brk_start: 0,
            brk: 0,
            brk_end: 0,
            invalidations: Vec::new(),
        })
    }

    /// Host address of guest address 0.
    pub fn base(&self) -> *mut u8 {
        self.base
    }

    /// Bytes of guest address space (guest addresses are below this).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The guest page size.
    pub fn page_size(&self) -> u64 {
        self.page_size
    }

    /// Host address of guest address `addr`. Unchecked: the result is only
    /// meaningful for `addr < size()`.
    pub fn g2h(&self, addr: u64) -> *mut u8 {
        self.base.wrapping_add(addr as usize)
    }

    /// The guest's page flags at `addr` (see [`crate::pages`]).
    pub fn flags(&self, addr: u64) -> Option<u32> {
        self.pages.get(addr)
    }

    /// All mapped runs, in address order (for `/proc/self/maps`).
    pub fn mappings(&self) -> Vec<Run> {
        self.pages.all().collect()
    }

    /// Set where non-fixed `mmap` starts searching downwards, and the lowest
    /// address it may return.
    pub fn set_mmap_window(&mut self, min: u64, base: u64) {
        self.mmap_min = min;
        self.mmap_base = base.min(self.size);
    }

    fn page_up(&self, v: u64) -> Option<u64> {
        v.checked_next_multiple_of(self.page_size)
    }

    fn range_end(&self, addr: u64, len: u64) -> Option<u64> {
        addr.checked_add(len).filter(|&e| e <= self.size)
    }

    fn prot_bits(prot: i32) -> u32 {
        (prot as u32) & PAGE_PROT
    }

    /// Whether all of `[addr, addr + len)` is mapped with every bit of `prot`
    /// (`PROT_*`). An empty range inside the space is accessible.
    pub fn check(&self, addr: u64, len: u64, prot: i32) -> bool {
        let Some(end) = self.range_end(addr, len) else {
            return false;
        };
        len == 0 || {
            let start = addr & !(HOST_PAGE - 1);
            self.pages.all_mapped(start, end, Self::prot_bits(prot))
        }
    }

    /// How many bytes from `addr` (up to `len`) are accessible with `prot`.
    pub fn accessible(&self, addr: u64, len: u64, prot: i32) -> u64 {
        if addr >= self.size {
            return 0;
        }
        let end = addr.saturating_add(len).min(self.size);
        let start = addr & !(HOST_PAGE - 1);
        let got = self.pages.mapped_prefix(start, end, Self::prot_bits(prot));
        got.saturating_sub(addr)
    }

    /// Whether the guest may fetch instructions at `addr`.
    pub fn is_exec(&self, addr: u64) -> bool {
        self.pages.get(addr).is_some_and(|f| f & PAGE_EXEC != 0)
    }

    /// Record that code was translated from the page holding `addr`.
    pub fn mark_translated(&mut self, addr: u64) {
        let p = addr & !(HOST_PAGE - 1);
        self.pages.update(p, p + HOST_PAGE, |f| f | PAGE_TRANSLATED);
    }

    /// Copy guest memory at `addr` into `buf` (guest must have read access).
    pub fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), Efault> {
        if !self.check(addr, buf.len() as u64, libc::PROT_READ) {
            return Err(Efault);
        }
        // SAFETY: the range is inside the reservation and mapped readable on
        // the host (host protections mirror the guest's).
        unsafe { std::ptr::copy_nonoverlapping(self.g2h(addr), buf.as_mut_ptr(), buf.len()) };
        Ok(())
    }

    /// Read `len` bytes into a fresh vector.
    pub fn read_vec(&self, addr: u64, len: usize) -> Result<Vec<u8>, Efault> {
        let mut v = vec![0; len];
        self.read(addr, &mut v)?;
        Ok(v)
    }

    /// Fetch instruction bytes at `addr` (guest must have exec access; read
    /// access is not needed, so execute-only pages work).
    pub fn fetch(&self, addr: u64, buf: &mut [u8]) -> Result<(), Efault> {
        if !self.check(addr, buf.len() as u64, libc::PROT_EXEC) {
            return Err(Efault);
        }
        // SAFETY: exec pages are mapped host-readable (see `host_prot`).
        unsafe { std::ptr::copy_nonoverlapping(self.g2h(addr), buf.as_mut_ptr(), buf.len()) };
        Ok(())
    }

    /// Copy `buf` into guest memory at `addr` (guest must have write access).
    pub fn write(&self, addr: u64, buf: &[u8]) -> Result<(), Efault> {
        if !self.check(addr, buf.len() as u64, libc::PROT_WRITE) {
            return Err(Efault);
        }
        // SAFETY: the range is inside the reservation and mapped writable.
        unsafe { std::ptr::copy_nonoverlapping(buf.as_ptr(), self.g2h(addr), buf.len()) };
        Ok(())
    }

    /// Read a NUL-terminated string of at most `max` bytes (without the NUL).
    /// A result of exactly `max` bytes means no NUL was found within `max`.
    pub fn read_cstr(&self, addr: u64, max: usize) -> Result<Vec<u8>, Efault> {
        let avail = self.accessible(addr, max as u64, libc::PROT_READ) as usize;
        if avail == 0 && max > 0 {
            return Err(Efault);
        }
        // SAFETY: `avail` bytes from `addr` are mapped readable.
        let bytes = unsafe { std::slice::from_raw_parts(self.g2h(addr), avail) };
        match bytes.iter().position(|&b| b == 0) {
            Some(n) => Ok(bytes[..n].to_vec()),
            None if avail == max => Ok(bytes.to_vec()),
            None => Err(Efault),
        }
    }

    /// Put the `PROT_NONE` reservation back over `[start, start + len)`.
    fn reserve(&self, start: u64, len: u64) {
        if len == 0 {
            return;
        }
        // SAFETY: the range is inside our reservation; replacing it with a
        // fresh PROT_NONE mapping only affects guest memory.
        let p = unsafe {
            libc::mmap(
                self.g2h(start).cast(),
                len as usize,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            // Leaving a hole would let the host map something into the guest
            // space; nothing sensible can continue.
            panic!(
                "cannot restore the guest address reservation: {}",
                Errno::last()
            );
        }
    }

    fn invalidate_exec(&mut self, start: u64, end: u64) {
        for r in self.pages.runs(start, end) {
            if exec_like(&r) {
                self.invalidations.push((r.start, r.end));
            }
        }
    }

    /// Guest ranges whose translated code must be dropped, since last asked.
    pub fn take_invalidations(&mut self) -> Vec<(u64, u64)> {
        std::mem::take(&mut self.invalidations)
    }

    /// Guest `mmap`. `prot` and `flags` use the host's (Linux generic)
    /// `PROT_*`/`MAP_*` values: the syscall layer translates guest flags
    /// first. `fd` is a host fd; `off` a byte offset.
    pub fn mmap(
        &mut self,
        addr: u64,
        len: u64,
        prot: i32,
        flags: i32,
        fd: i32,
        off: u64,
    ) -> Result<u64, Errno> {
        let kind = flags & libc::MAP_SHARED_VALIDATE;
        if len == 0 || kind == 0 || !off.is_multiple_of(self.page_size) {
            return Err(Errno::EINVAL);
        }
        let len = self.page_up(len).ok_or(Errno::ENOMEM)?;
        if len > self.size {
            return Err(Errno::ENOMEM);
        }
        let fixed = flags & (libc::MAP_FIXED | libc::MAP_FIXED_NOREPLACE) != 0;
        let start = if fixed {
            if !addr.is_multiple_of(self.page_size) {
                return Err(Errno::EINVAL);
            }
            let end = self.range_end(addr, len).ok_or(Errno::ENOMEM)?;
            if flags & libc::MAP_FIXED == 0 && !self.pages.is_free(addr, end) {
                return Err(Errno::EEXIST);
            }
            addr
        } else {
            self.pick(addr, len)?
        };
        let end = start + len;
        let anon = flags & libc::MAP_ANONYMOUS != 0;
        let passed = libc::MAP_ANONYMOUS
            | libc::MAP_NORESERVE
            | libc::MAP_POPULATE
            | libc::MAP_NONBLOCK
            | libc::MAP_LOCKED;
        let host_flags = kind | (flags & passed) | libc::MAP_FIXED;
        let gprot = Self::prot_bits(prot);
        self.invalidate_exec(start, end);
        // SAFETY: `[start, end)` is inside the reservation (checked above);
        // MAP_FIXED replaces only guest memory.
        let p = unsafe {
            libc::mmap(
                self.g2h(start).cast(),
                len as usize,
                host_prot(gprot),
                host_flags,
                if anon { -1 } else { fd },
                if anon { 0 } else { off as libc::off_t },
            )
        };
        if p == libc::MAP_FAILED {
            let e = Errno::last();
            // A failed MAP_FIXED may have dropped what was there (Linux does
            // the same): keep the reservation whole and the table honest.
            self.reserve(start, len);
            self.pages.clear(start, end);
            return Err(e);
        }
        let mut f = gprot;
        if kind != libc::MAP_PRIVATE {
            f |= PAGE_SHARED;
        }
        if !anon {
            f |= PAGE_FILE;
        }
        self.pages.set(start, end, f);
        Ok(start)
    }

    /// Choose an address for a non-fixed mapping of `len` bytes.
    fn pick(&self, hint: u64, len: u64) -> Result<u64, Errno> {
        if hint != 0 {
            if let Some(h) = self.page_up(hint) {
                if h >= self.mmap_min
                    && self
                        .range_end(h, len)
                        .is_some_and(|e| self.pages.is_free(h, e))
                {
                    return Ok(h);
                }
            }
        }
        self.pages
            .find_free_down(len, self.mmap_base, self.mmap_min, self.page_size)
            .or_else(|| {
                self.pages
                    .find_free_up(len, self.mmap_min, self.size, self.page_size)
            })
            .ok_or(Errno::ENOMEM)
    }

    /// Find a free, `align`-aligned range of `len` bytes the way non-fixed
    /// `mmap` would (for the loader's interpreter placement).
    pub fn find_free(&self, len: u64, align: u64) -> Option<u64> {
        let align = align.max(self.page_size);
        self.pages
            .find_free_down(len, self.mmap_base, self.mmap_min, align)
            .or_else(|| {
                self.pages
                    .find_free_up(len, self.mmap_min, self.size, align)
            })
    }

    /// Whether no page of `[addr, addr + len)` is mapped (and it lies inside
    /// the space).
    pub fn is_free(&self, addr: u64, len: u64) -> bool {
        self.range_end(addr, len)
            .is_some_and(|e| self.pages.is_free(addr, e))
    }

    /// Guest `munmap`.
    pub fn munmap(&mut self, addr: u64, len: u64) -> Result<(), Errno> {
        if !addr.is_multiple_of(self.page_size) || len == 0 {
            return Err(Errno::EINVAL);
        }
        let len = self.page_up(len).ok_or(Errno::EINVAL)?;
        let end = self.range_end(addr, len).ok_or(Errno::EINVAL)?;
        self.invalidate_exec(addr, end);
        self.reserve(addr, len);
        self.pages.clear(addr, end);
        Ok(())
    }

    /// Guest `mprotect` (host `PROT_*` values).
    pub fn mprotect(&mut self, addr: u64, len: u64, prot: i32) -> Result<(), Errno> {
        if !addr.is_multiple_of(self.page_size) {
            return Err(Errno::EINVAL);
        }
        let unknown = prot & !(libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC);
        if unknown & !(libc::PROT_GROWSDOWN | libc::PROT_GROWSUP) != 0 {
            return Err(Errno::EINVAL);
        }
        if len == 0 {
            return Ok(());
        }
        let len = self.page_up(len).ok_or(Errno::ENOMEM)?;
        let end = self.range_end(addr, len).ok_or(Errno::ENOMEM)?;
        if !self.pages.all_mapped(addr, end, 0) {
            return Err(Errno::ENOMEM);
        }
        let gprot = Self::prot_bits(prot);
        // SAFETY: the range is inside the reservation and mapped.
        let r = unsafe { libc::mprotect(self.g2h(addr).cast(), len as usize, host_prot(gprot)) };
        if r != 0 {
            return Err(Errno::last());
        }
        // Code from pages that are no longer executable goes; so does code
        // from pages made writable again, which `smc` had write-protected
        // (the invalidation also makes it forget them).
        if gprot & PAGE_EXEC == 0 || gprot & PAGE_WRITE != 0 {
            self.invalidate_exec(addr, end);
        }
        self.pages.update(addr, end, |f| {
            let mut f = (f & !PAGE_PROT) | gprot;
            if gprot & PAGE_EXEC == 0 {
                f &= !PAGE_TRANSLATED;
            }
            f
        });
        Ok(())
    }

    /// Guest `mremap` (host `MREMAP_*` flags).
    pub fn mremap(
        &mut self,
        old: u64,
        old_len: u64,
        new_len: u64,
        flags: i32,
        new_addr: u64,
    ) -> Result<u64, Errno> {
        let known = libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED | libc::MREMAP_DONTUNMAP;
        let may_move = flags & libc::MREMAP_MAYMOVE != 0;
        let fixed = flags & libc::MREMAP_FIXED != 0;
        if !old.is_multiple_of(self.page_size)
            || flags & !known != 0
            || (fixed || flags & libc::MREMAP_DONTUNMAP != 0) && !may_move
            || new_len == 0
            || old_len == 0
        {
            return Err(Errno::EINVAL);
        }
        let old_len = self.page_up(old_len).ok_or(Errno::EINVAL)?;
        let new_len = self.page_up(new_len).ok_or(Errno::ENOMEM)?;
        let old_end = self.range_end(old, old_len).ok_or(Errno::EFAULT)?;
        if !self.pages.all_mapped(old, old_end, 0) {
            return Err(Errno::EFAULT);
        }
        // Code translated from the old range goes (moved pages are new
        // pages to `smc` and the engine).
        self.invalidate_exec(old, old_end);
        if fixed {
            if !new_addr.is_multiple_of(self.page_size) {
                return Err(Errno::EINVAL);
            }
            let new_end = self.range_end(new_addr, new_len).ok_or(Errno::EINVAL)?;
            if new_addr < old_end && old < new_end {
                return Err(Errno::EINVAL);
            }
            return self.move_to(old, old_len, new_len, new_addr, flags);
        }
        if flags & libc::MREMAP_DONTUNMAP == 0 {
            if new_len <= old_len {
                self.munmap(old + new_len, old_len - new_len).ok();
                return Ok(old);
            }
            if self.grow_in_place(old, old_len, new_len) {
                return Ok(old);
            }
        }
        if !may_move {
            return Err(Errno::ENOMEM);
        }
        let target = self.pick(0, new_len)?;
        self.move_to(old, old_len, new_len, target, flags)
    }

    fn grow_in_place(&mut self, old: u64, old_len: u64, new_len: u64) -> bool {
        let ext = old + old_len;
        let ext_len = new_len - old_len;
        if !self.is_free(ext, ext_len) {
            return false;
        }
        let last = self.pages.get(ext - HOST_PAGE).unwrap_or(0);
        // Open a hole for the host mremap to grow into.
        // SAFETY: `[ext, ext + ext_len)` is inside the reservation and holds
        // no guest mapping; it is restored below if the grow fails.
        let ok = unsafe {
            libc::munmap(self.g2h(ext).cast(), ext_len as usize) == 0
                && libc::mremap(self.g2h(old).cast(), old_len as usize, new_len as usize, 0)
                    != libc::MAP_FAILED
        };
        if !ok {
            self.reserve(ext, ext_len);
            return false;
        }
        self.pages.set(ext, ext + ext_len, last & !PAGE_TRANSLATED);
        true
    }

    fn move_to(
        &mut self,
        old: u64,
        old_len: u64,
        new_len: u64,
        target: u64,
        flags: i32,
    ) -> Result<u64, Errno> {
        let host_flags =
            libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED | (flags & libc::MREMAP_DONTUNMAP);
        // SAFETY: both ranges are inside the reservation and do not overlap;
        // MREMAP_FIXED replaces only guest memory at the target.
        let p = unsafe {
            libc::mremap(
                self.g2h(old).cast(),
                old_len as usize,
                new_len as usize,
                host_flags,
                self.g2h(target),
            )
        };
        if p == libc::MAP_FAILED {
            let e = Errno::last();
            // Linux may already have unmapped the target when mremap fails
            // (as the guest's kernel would have): restore the reservation.
            self.invalidate_exec(target, target + new_len);
            self.reserve(target, new_len);
            self.pages.clear(target, target + new_len);
            return Err(e);
        }
        let runs = self.pages.runs(old, old + old_len);
        self.invalidate_exec(target, target + new_len);
        self.pages.clear(target, target + new_len);
        let mut last = 0;
        for r in &runs {
            let s = target + (r.start - old);
            let e = (target + (r.end - old)).min(target + new_len);
            if s < e {
                self.pages.set(s, e, r.flags & !PAGE_TRANSLATED);
            }
            last = r.flags & !PAGE_TRANSLATED;
        }
        if new_len > old_len {
            self.pages.set(target + old_len, target + new_len, last);
        }
        self.invalidate_exec(old, old + old_len);
        if flags & libc::MREMAP_DONTUNMAP == 0 {
            self.reserve(old, old_len);
            self.pages.clear(old, old + old_len);
        }
        Ok(target)
    }

    /// Guest `madvise` (host `MADV_*` values).
    pub fn madvise(&mut self, addr: u64, len: u64, advice: i32) -> Result<(), Errno> {
        const PASSED: &[i32] = &[
            libc::MADV_NORMAL,
            libc::MADV_RANDOM,
            libc::MADV_SEQUENTIAL,
            libc::MADV_WILLNEED,
            libc::MADV_DONTNEED,
            libc::MADV_FREE,
            libc::MADV_REMOVE,
            libc::MADV_DONTFORK,
            libc::MADV_DOFORK,
            libc::MADV_MERGEABLE,
            libc::MADV_UNMERGEABLE,
            libc::MADV_HUGEPAGE,
            libc::MADV_NOHUGEPAGE,
            libc::MADV_DONTDUMP,
            libc::MADV_DODUMP,
            libc::MADV_WIPEONFORK,
            libc::MADV_KEEPONFORK,
            libc::MADV_COLD,
            libc::MADV_PAGEOUT,
        ];
        if !addr.is_multiple_of(self.page_size) {
            return Err(Errno::EINVAL);
        }
        if !PASSED.contains(&advice) {
            return Err(Errno::EINVAL);
        }
        if len == 0 {
            return Ok(());
        }
        let len = self.page_up(len).ok_or(Errno::EINVAL)?;
        let end = self.range_end(addr, len).ok_or(Errno::ENOMEM)?;
        if !self.pages.all_mapped(addr, end, 0) {
            return Err(Errno::ENOMEM);
        }
        // SAFETY: the range is mapped guest memory inside the reservation.
        if unsafe { libc::madvise(self.g2h(addr).cast(), len as usize, advice) } != 0 {
            return Err(Errno::last());
        }
        if matches!(
            advice,
            libc::MADV_DONTNEED | libc::MADV_FREE | libc::MADV_REMOVE
        ) {
            self.invalidate_exec(addr, end);
        }
        Ok(())
    }

    /// Set the start of the heap (end of the loaded program's data).
    pub fn set_brk(&mut self, start: u64) {
        self.brk_start = start;
        self.brk = start;
        self.brk_end = start.next_multiple_of(self.page_size);
    }

    /// The current program break.
    pub fn current_brk(&self) -> u64 {
        self.brk
    }

    /// Guest `brk`: move the break to `new` if possible; returns the
    /// (possibly unchanged) break, as the raw syscall does.
    pub fn brk(&mut self, new: u64) -> u64 {
        if new < self.brk_start || new > self.size {
            return self.brk;
        }
        let Some(new_end) = self.page_up(new) else {
            return self.brk;
        };
        if new_end > self.brk_end {
            let len = new_end - self.brk_end;
            if !self.is_free(self.brk_end, len) {
                return self.brk;
            }
            let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED;
            let prot = libc::PROT_READ | libc::PROT_WRITE;
            if self.mmap(self.brk_end, len, prot, flags, -1, 0).is_err() {
                return self.brk;
            }
        } else if new_end < self.brk_end {
            let _ = self.munmap(new_end, self.brk_end - new_end);
        }
        self.brk_end = new_end;
        self.brk = new;
        self.brk
    }
}

impl Drop for SpaceCore {
    fn drop(&mut self) {
        // SAFETY: we own the whole reservation; nothing refers into it once
        // the space is dropped.
        unsafe { libc::munmap(self.base.cast(), self.size as usize) };
    }
}

/// The guest's address space, shared by all guest threads.
///
/// The page table and heap state sit behind a reader-writer lock: memory
/// accesses done on the guest's behalf (syscall arguments) hold the read
/// lock only while copying, mapping changes take the write lock. No lock is
/// held across a blocking host call: handlers check and copy, then block.
#[derive(Debug)]
pub struct GuestSpace {
    base: *mut u8,
    size: u64,
    page_size: u64,
    core: RwLock<SpaceCore>,
}

// SAFETY: the base pointer is only an address; the state is behind the lock.
unsafe impl Send for GuestSpace {}
// SAFETY: as above.
unsafe impl Sync for GuestSpace {}

macro_rules! forward {
    ($($(#[$m:meta])* $lock:ident fn $name:ident(&self $(, $a:ident: $t:ty)*) -> $r:ty;)*) => {
        $(
            $(#[$m])*
            pub fn $name(&self $(, $a: $t)*) -> $r {
                self.$lock().$name($($a),*)
            }
        )*
    };
}

impl GuestSpace {
    /// Reserve a guest space of `1 << addr_bits` bytes (capped at 1 TiB;
    /// pass 32 for 32-bit guests, 40 or more for 64-bit ones) with 4 KiB
    /// guest pages.
    pub fn new(addr_bits: u32) -> Result<Self, SpaceError> {
        Self::with_page_size(addr_bits, HOST_PAGE)
    }

    /// Like [`GuestSpace::new`] for a guest whose pages are `page_size` bytes
    /// (a power of two, at least the host page).
    pub fn with_page_size(addr_bits: u32, page_size: u64) -> Result<Self, SpaceError> {
        Self::from_core(SpaceCore::with_page_size(addr_bits, page_size)?)
    }

    /// See [`SpaceCore::with_layout`] (`-R` and `-B`).
    pub fn with_layout(
        size: u64,
        page_size: u64,
        host_base: Option<u64>,
    ) -> Result<Self, SpaceError> {
        Self::from_core(SpaceCore::with_layout(size, page_size, host_base)?)
    }

    fn from_core(core: SpaceCore) -> Result<Self, SpaceError> {
        Ok(GuestSpace {
            base: core.base,
            size: core.size,
            page_size: core.page_size,
            core: RwLock::new(core),
        })
    }

    fn r(&self) -> RwLockReadGuard<'_, SpaceCore> {
        self.core.read().unwrap_or_else(|e| e.into_inner())
    }

    fn w(&self) -> RwLockWriteGuard<'_, SpaceCore> {
        self.core.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Host address of guest address 0.
    pub fn base(&self) -> *mut u8 {
        self.base
    }

    /// Bytes of guest address space (guest addresses are below this).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The guest page size.
    pub fn page_size(&self) -> u64 {
        self.page_size
    }

    /// Host address of guest address `addr`. Unchecked: the result is only
    /// meaningful for `addr < size()`.
    pub fn g2h(&self, addr: u64) -> *mut u8 {
        self.base.wrapping_add(addr as usize)
    }

    forward! {
        /// The guest's page flags at `addr` (see [`crate::pages`]).
        r fn flags(&self, addr: u64) -> Option<u32>;
        /// All mapped runs, in address order (for `/proc/self/maps`).
        r fn mappings(&self) -> Vec<Run>;
        /// Set where non-fixed `mmap` starts searching downwards, and the
        /// lowest address it may return.
        w fn set_mmap_window(&self, min: u64, base: u64) -> ();
        /// Whether all of `[addr, addr + len)` is mapped with every bit of
        /// `prot` (`PROT_*`). An empty range inside the space is accessible.
        r fn check(&self, addr: u64, len: u64, prot: i32) -> bool;
        /// How many bytes from `addr` (up to `len`) are accessible with `prot`.
        r fn accessible(&self, addr: u64, len: u64, prot: i32) -> u64;
        /// Whether the guest may fetch instructions at `addr`.
        r fn is_exec(&self, addr: u64) -> bool;
        /// Record that code was translated from the page holding `addr`.
        w fn mark_translated(&self, addr: u64) -> ();
        /// Copy guest memory at `addr` into `buf` (guest must have read access).
        r fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), Efault>;
        /// Read `len` bytes into a fresh vector.
        r fn read_vec(&self, addr: u64, len: usize) -> Result<Vec<u8>, Efault>;
        /// Fetch instruction bytes at `addr` (exec access needed, not read).
        r fn fetch(&self, addr: u64, buf: &mut [u8]) -> Result<(), Efault>;
        /// Copy `buf` into guest memory at `addr` (guest must have write access).
        r fn write(&self, addr: u64, buf: &[u8]) -> Result<(), Efault>;
        /// Read a NUL-terminated string of at most `max` bytes (without the
        /// NUL). A result of exactly `max` bytes means no NUL within `max`.
        r fn read_cstr(&self, addr: u64, max: usize) -> Result<Vec<u8>, Efault>;
        /// Guest ranges whose translated code must be dropped, since last asked.
        w fn take_invalidations(&self) -> Vec<(u64, u64)>;
        /// Guest `mmap` (host `PROT_*`/`MAP_*` values; `fd` a host fd).
        w fn mmap(&self, addr: u64, len: u64, prot: i32, flags: i32, fd: i32, off: u64) -> Result<u64, Errno>;
        /// Find a free, `align`-aligned range of `len` bytes the way
        /// non-fixed `mmap` would.
        r fn find_free(&self, len: u64, align: u64) -> Option<u64>;
        /// Whether no page of `[addr, addr + len)` is mapped (and it lies
        /// inside the space).
        r fn is_free(&self, addr: u64, len: u64) -> bool;
        /// Guest `munmap`.
        w fn munmap(&self, addr: u64, len: u64) -> Result<(), Errno>;
        /// Guest `mprotect` (host `PROT_*` values).
        w fn mprotect(&self, addr: u64, len: u64, prot: i32) -> Result<(), Errno>;
        /// Guest `mremap` (host `MREMAP_*` flags).
        w fn mremap(&self, old: u64, old_len: u64, new_len: u64, flags: i32, new_addr: u64) -> Result<u64, Errno>;
        /// Guest `madvise` (host `MADV_*` values).
        w fn madvise(&self, addr: u64, len: u64, advice: i32) -> Result<(), Errno>;
        /// Set the start of the heap (end of the loaded program's data).
        w fn set_brk(&self, start: u64) -> ();
        /// The current program break.
        r fn current_brk(&self) -> u64;
        /// Guest `brk`: move the break to `new` if possible; returns the
        /// (possibly unchanged) break, as the raw syscall does.
        w fn brk(&self, new: u64) -> u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const P: u64 = 4096;
    const RW: i32 = libc::PROT_READ | libc::PROT_WRITE;
    const ANON: i32 = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;

    fn space() -> GuestSpace {
        let s = GuestSpace::new(32).unwrap();
        s.set_mmap_window(0x1_0000, 0x8000_0000);
        s
    }

    #[test]
    fn anonymous_map_read_write_unmap() {
        let s = space();
        let a = s.mmap(0, 3 * P, RW, ANON, -1, 0).unwrap();
        assert_eq!(a, 0x8000_0000 - 3 * P, "top-down from the mmap base");
        assert!(s.check(a, 3 * P, RW));
        s.write(a + 10, b"hello").unwrap();
        let mut b = [0u8; 5];
        s.read(a + 10, &mut b).unwrap();
        assert_eq!(&b, b"hello");
        let b = s.mmap(0, P, RW, ANON, -1, 0).unwrap();
        assert_eq!(b, a - P);
        s.munmap(a + P, P).unwrap();
        assert!(!s.check(a, 3 * P, libc::PROT_READ));
        assert_eq!(s.read(a + P, &mut [0u8; 1]), Err(Efault));
        assert_eq!(s.accessible(a, 3 * P, libc::PROT_READ), P);
        assert!(
            s.take_invalidations().is_empty(),
            "no exec pages were touched"
        );
    }

    #[test]
    fn fixed_noreplace_and_bad_args() {
        let s = space();
        let a = s
            .mmap(0x40_0000, P, RW, ANON | libc::MAP_FIXED, -1, 0)
            .unwrap();
        assert_eq!(a, 0x40_0000);
        assert_eq!(
            s.mmap(a, P, RW, ANON | libc::MAP_FIXED_NOREPLACE, -1, 0),
            Err(Errno::EEXIST)
        );
        assert_eq!(
            s.mmap(a + 1, P, RW, ANON | libc::MAP_FIXED, -1, 0),
            Err(Errno::EINVAL)
        );
        assert_eq!(s.mmap(0, 0, RW, ANON, -1, 0), Err(Errno::EINVAL));
        assert_eq!(
            s.mmap(0, P, RW, libc::MAP_ANONYMOUS, -1, 0),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            s.mmap(0xffff_f000, 2 * P, RW, ANON | libc::MAP_FIXED, -1, 0),
            Err(Errno::ENOMEM)
        );
        // A hint that is free is honoured.
        assert_eq!(s.mmap(0x50_0000, P, RW, ANON, -1, 0), Ok(0x50_0000));
        // A hint that is taken is not.
        assert_ne!(s.mmap(0x50_0000, P, RW, ANON, -1, 0), Ok(0x50_0000));
        assert_eq!(s.munmap(a + 1, P), Err(Errno::EINVAL));
    }

    #[test]
    fn mprotect_bookkeeping_and_invalidations() {
        let s = space();
        let rx = libc::PROT_READ | libc::PROT_EXEC;
        let a = s
            .mmap(0x10_0000, 4 * P, rx, ANON | libc::MAP_FIXED, -1, 0)
            .unwrap();
        assert!(s.is_exec(a + 3 * P));
        assert!(!s.check(a, P, libc::PROT_WRITE));
        s.mprotect(a + P, P, RW).unwrap();
        assert!(!s.is_exec(a + P));
        assert!(s.check(a + P, P, RW));
        assert_eq!(s.take_invalidations(), vec![(a + P, a + 2 * P)]);
        // Execute-only pages can be fetched from but not read.
        s.mprotect(a + 2 * P, P, libc::PROT_EXEC).unwrap();
        let mut insn = [0u8; 4];
        assert_eq!(s.fetch(a + 2 * P, &mut insn), Ok(()));
        assert_eq!(s.read(a + 2 * P, &mut insn), Err(Efault));
        assert_eq!(s.fetch(a + P, &mut insn), Err(Efault));
        // Adding exec back invalidates nothing.
        s.mprotect(a + P, P, rx).unwrap();
        assert!(s.take_invalidations().is_empty());
        // Making code writable again drops it (and `smc`'s protection).
        s.mprotect(a + P, P, rx | libc::PROT_WRITE).unwrap();
        assert_eq!(s.take_invalidations(), vec![(a + P, a + 2 * P)]);
        s.mprotect(a + P, P, rx).unwrap();
        assert!(s.take_invalidations().is_empty());
        // Unmapping exec pages, and MAP_FIXED over them, invalidate.
        s.munmap(a, P).unwrap();
        assert_eq!(s.take_invalidations(), vec![(a, a + P)]);
        s.mmap(a + 3 * P, P, RW, ANON | libc::MAP_FIXED, -1, 0)
            .unwrap();
        assert_eq!(s.take_invalidations(), vec![(a + 3 * P, a + 4 * P)]);
        assert_eq!(s.mprotect(a, P, libc::PROT_READ), Err(Errno::ENOMEM));
        assert_eq!(s.mprotect(a + 1, P, libc::PROT_READ), Err(Errno::EINVAL));
        // Translated non-exec-now pages still count.
        let b = s
            .mmap(0x20_0000, P, RW, ANON | libc::MAP_FIXED, -1, 0)
            .unwrap();
        s.mark_translated(b + 5);
        s.munmap(b, P).unwrap();
        assert_eq!(s.take_invalidations(), vec![(b, b + P)]);
    }

    #[test]
    fn mremap_grow_shrink_move() {
        let s = space();
        let a = s
            .mmap(0x30_0000, 2 * P, RW, ANON | libc::MAP_FIXED, -1, 0)
            .unwrap();
        s.write(a, b"data").unwrap();
        // Grow in place: the pages after it are free.
        assert_eq!(s.mremap(a, 2 * P, 4 * P, 0, 0), Ok(a));
        assert!(s.check(a, 4 * P, RW));
        s.write(a + 3 * P, b"x").unwrap();
        // Shrink.
        assert_eq!(s.mremap(a, 4 * P, P, 0, 0), Ok(a));
        assert!(!s.check(a + P, 1, libc::PROT_READ));
        // Blocked growth without MAYMOVE fails; with it, the data moves.
        s.mmap(a + P, P, RW, ANON | libc::MAP_FIXED, -1, 0).unwrap();
        assert_eq!(s.mremap(a, P, 2 * P, 0, 0), Err(Errno::ENOMEM));
        let b = s.mremap(a, P, 2 * P, libc::MREMAP_MAYMOVE, 0).unwrap();
        assert_ne!(b, a);
        let mut d = [0u8; 4];
        s.read(b, &mut d).unwrap();
        assert_eq!(&d, b"data");
        assert!(!s.check(a, 1, libc::PROT_READ), "old range unmapped");
        assert!(s.check(b, 2 * P, RW));
        // Fixed target.
        let c = s
            .mremap(
                b,
                2 * P,
                2 * P,
                libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
                0x60_0000,
            )
            .unwrap();
        assert_eq!(c, 0x60_0000);
        s.read(c, &mut d).unwrap();
        assert_eq!(&d, b"data");
        assert_eq!(
            s.mremap(0x7000_0000, P, 2 * P, libc::MREMAP_MAYMOVE, 0),
            Err(Errno::EFAULT)
        );
    }

    #[test]
    fn file_mapping_private_and_shared() {
        let s = space();
        let mut f = tempfile();
        f.write_all(&[7u8; 8192]).unwrap();
        use std::os::fd::AsRawFd;
        let fd = f.as_raw_fd();
        let a = s
            .mmap(0, 8192, libc::PROT_READ, libc::MAP_PRIVATE, fd, 4096)
            .unwrap();
        let mut b = [0u8; 2];
        s.read(a, &mut b).unwrap();
        assert_eq!(b, [7, 7]);
        assert!(s.flags(a).unwrap() & PAGE_FILE != 0);
        assert_eq!(s.write(a, b"x"), Err(Efault), "read-only mapping");
        let w = s.mmap(0, 4096, RW, libc::MAP_SHARED, fd, 0).unwrap();
        s.write(w, b"zz").unwrap();
        let mut back = [0u8; 2];
        // SAFETY: plain pread into a local buffer.
        unsafe { libc::pread(fd, back.as_mut_ptr().cast(), 2, 0) };
        assert_eq!(&back, b"zz", "MAP_SHARED writes reach the file");
        assert_eq!(
            s.mmap(0, 4096, RW, libc::MAP_PRIVATE, fd, 100),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            s.mmap(0, 4096, RW, libc::MAP_PRIVATE, 9999, 0),
            Err(Errno::EBADF)
        );
    }

    #[test]
    fn brk_grows_and_shrinks() {
        let s = space();
        s.mmap(0x40_0000, P, RW, ANON | libc::MAP_FIXED, -1, 0)
            .unwrap();
        s.set_brk(0x40_0800);
        assert_eq!(s.brk(0), 0x40_0800);
        assert_eq!(s.brk(0x40_3000), 0x40_3000);
        s.write(0x40_2fff, b"a").unwrap();
        assert_eq!(s.brk(0x40_1000), 0x40_1000);
        assert!(!s.check(0x40_1000, 1, libc::PROT_READ));
        // Blocked by another mapping: the break stays.
        s.mmap(0x40_2000, P, RW, ANON | libc::MAP_FIXED, -1, 0)
            .unwrap();
        assert_eq!(s.brk(0x40_5000), 0x40_1000);
        assert_eq!(s.brk(0x10), 0x40_1000);
    }

    #[test]
    fn cstr_reads() {
        let s = space();
        let a = s
            .mmap(0x40_0000, P, RW, ANON | libc::MAP_FIXED, -1, 0)
            .unwrap();
        s.write(a + P - 4, b"abc\0").unwrap();
        assert_eq!(s.read_cstr(a + P - 4, 100).unwrap(), b"abc");
        s.write(a + P - 3, b"xyz").unwrap();
        assert_eq!(
            s.read_cstr(a + P - 4, 100),
            Err(Efault),
            "runs off the mapping"
        );
        assert_eq!(s.read_cstr(a + P - 4, 2).unwrap(), b"ax");
        assert_eq!(s.read_cstr(0x100, 10), Err(Efault));
    }

    fn tempfile() -> std::fs::File {
        let dir = std::env::temp_dir();
        let path = dir.join(format!(
            "mimic-space-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        f
    }
}
