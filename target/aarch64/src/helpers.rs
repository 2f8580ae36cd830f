//! Runtime helpers for the integer side of the A64 frontend: the generic
//! counter, memory barriers, bit reversal, CRC32, and the exclusive-monitor
//! and LSE atomic operations, which work on guest memory with host atomics
//! (user mode: guest address + `guest_base`; little-endian guest on a
//! little-endian host) so that guest threads on host threads stay correct.

use crate::cpu::CpuState;
use std::sync::atomic::{
    fence, AtomicI16, AtomicI32, AtomicI64, AtomicI8, AtomicU16, AtomicU32, AtomicU64, AtomicU8,
    Ordering::SeqCst,
};
use std::sync::Mutex;
use tcg::helper::{Env, NO_SIDE_EFFECTS, READS_ENV, WRITES_ENV};

/// Frequency of the generic timer as CNTFRQ_EL0 reports it (CNTVCT_EL0
/// counts nanoseconds of the host's monotonic clock).
pub const CNTFRQ: u64 = 1_000_000_000;

fn state(env: Env) -> *mut CpuState {
    env as *mut CpuState
}

/// Host address of guest address `addr`.
fn host(env: Env, addr: u64) -> *mut u8 {
    if tcg::softmmu::is_system(env) {
        // System mode: through the MMU (a fault leaves the block).
        return tcg::softmmu::atomic_host(env, addr, 1);
    }
    // SAFETY: env points at the CpuState the generated code runs on; only
    // the plain `guest_base` field is read.
    let base = unsafe { (*state(env)).common.guest_base };
    base.wrapping_add(addr) as *mut u8
}

/// Added to the host-time count: moved by `set_counter` (a restored
/// snapshot continues from its saved count).
static COUNTER_SHIFT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn host_count() -> u64 {
    // Offset so the counter does not start at zero.
    crate::host_clock::now_ns().wrapping_add(1 << 32)
}

pub extern "C" fn cntvct(_env: Env) -> u64 {
    host_count().wrapping_add(COUNTER_SHIFT.load(std::sync::atomic::Ordering::Relaxed))
}

/// Makes the counter read `v` now and count on from there.
pub fn set_counter(v: u64) {
    COUNTER_SHIFT.store(
        v.wrapping_sub(host_count()),
        std::sync::atomic::Ordering::SeqCst,
    );
}
tcg::helper!(pub HELPER_CNTVCT, "cntvct", A0(cntvct), 0);

extern "C" fn mb(_env: Env) -> u64 {
    fence(SeqCst);
    0
}
tcg::helper!(pub HELPER_MB, "mb", A0(mb), 0);

extern "C" fn rbit(_env: Env, x: u64) -> u64 {
    x.reverse_bits()
}
tcg::helper!(pub HELPER_RBIT, "rbit", A1(rbit), NO_SIDE_EFFECTS);

const fn crc_table(poly: u32) -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ poly } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}
static CRC32_TABLE: [u32; 256] = crc_table(0xedb8_8320);
static CRC32C_TABLE: [u32; 256] = crc_table(0x82f6_3b78);

/// CRC32 / CRC32C update: `kind` bits 1..0 = log2 of the byte count, bit 8 =
/// Castagnoli polynomial. No pre/post inversion, as the instructions define.
extern "C" fn crc32(_env: Env, acc: u64, val: u64, kind: u64) -> u64 {
    let table = if kind & 0x100 != 0 {
        &CRC32C_TABLE
    } else {
        &CRC32_TABLE
    };
    let mut c = acc as u32;
    for k in 0..(1u32 << (kind & 3)) {
        let byte = (val >> (8 * k)) as u8;
        c = table[((c ^ byte as u32) & 0xff) as usize] ^ (c >> 8);
    }
    c as u64
}
tcg::helper!(pub HELPER_CRC32, "crc32", A3(crc32), NO_SIDE_EFFECTS);

/// Serializes the non-atomic fallbacks (misaligned operands; 128-bit on hosts
/// without a 16-byte compare-and-swap).
static FALLBACK: Mutex<()> = Mutex::new(());

fn aligned(p: *mut u8, size_log2: u64) -> bool {
    (p as usize) & ((1usize << size_log2) - 1) == 0
}

/// Whether `n` bytes at `p` lie within one 16-byte aligned granule.
fn within16(p: *mut u8, n: usize) -> bool {
    (p as usize & 15) + n <= 16
}

/// Read-modify-write of `n` (1..=8) misaligned bytes at `p` inside one
/// 16-byte granule, single-copy atomic (FEAT_LSE2): a 16-byte
/// compare-and-swap loop on the granule. `f` maps the old value to the new
/// one (or `None` to leave memory as it is); returns the old value.
///
/// # Safety
/// The granule holding `p` must be valid for reads and writes.
unsafe fn rmw_within16(p: *mut u8, n: usize, f: impl Fn(u64) -> Option<u64>) -> u64 {
    let g = (p as usize & !15) as *mut u8;
    let off = p as usize & 15;
    loop {
        // A possibly torn snapshot: the compare-and-swap validates it.
        let cur = (
            std::ptr::read_volatile(g as *const u64),
            std::ptr::read_volatile(g.add(8) as *const u64),
        );
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&cur.0.to_le_bytes());
        bytes[8..].copy_from_slice(&cur.1.to_le_bytes());
        let mut old = [0u8; 8];
        old[..n].copy_from_slice(&bytes[off..off + n]);
        let old = u64::from_le_bytes(old);
        let Some(new) = f(old) else {
            // Nothing to store: the snapshot must still be one atomic view.
            if cmpxchg128(g, cur, cur) == cur {
                return old;
            }
            continue;
        };
        bytes[off..off + n].copy_from_slice(&new.to_le_bytes()[..n]);
        let next = (
            u64::from_le_bytes(bytes[..8].try_into().unwrap()),
            u64::from_le_bytes(bytes[8..].try_into().unwrap()),
        );
        if cmpxchg128(g, cur, next) == cur {
            return old;
        }
    }
}

/// Compare-and-swap of `1 << size` bytes (size 0..=3) at `p`; returns the old
/// value (zero-extended).
///
/// # Safety
/// `p` must be valid for reads and writes of that many bytes (of the
/// 16-byte granule when misaligned within one).
unsafe fn cmpxchg(p: *mut u8, size: u64, expected: u64, new: u64) -> u64 {
    if !aligned(p, size) && within16(p, 1 << size) {
        return rmw_within16(p, 1 << size, |old| (old == expected).then_some(new));
    }
    if !aligned(p, size) {
        let _g = FALLBACK.lock().unwrap_or_else(|e| e.into_inner());
        let n = 1usize << size;
        let mut buf = [0u8; 8];
        std::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), n);
        let old = u64::from_le_bytes(buf);
        let mask = if n == 8 {
            u64::MAX
        } else {
            (1u64 << (8 * n)) - 1
        };
        if old == expected & mask {
            std::ptr::copy_nonoverlapping(new.to_le_bytes().as_ptr(), p, n);
        }
        return old;
    }
    macro_rules! cas {
        ($a:ty, $t:ty) => {{
            let a = <$a>::from_ptr(p as *mut $t);
            match a.compare_exchange(expected as $t, new as $t, SeqCst, SeqCst) {
                Ok(v) | Err(v) => v as u64,
            }
        }};
    }
    match size {
        0 => cas!(AtomicU8, u8),
        1 => cas!(AtomicU16, u16),
        2 => cas!(AtomicU32, u32),
        _ => cas!(AtomicU64, u64),
    }
}

/// 128-bit compare-and-swap; returns the old (lo, hi).
///
/// # Safety
/// `p` must be valid for reads and writes of 16 bytes.
unsafe fn cmpxchg128(p: *mut u8, exp: (u64, u64), new: (u64, u64)) -> (u64, u64) {
    #[cfg(target_arch = "x86_64")]
    if aligned(p, 4) {
        let (mut lo, mut hi) = exp;
        // SAFETY: p is 16-byte aligned and valid (caller); cmpxchg16b is part
        // of x86-64-v2 and every x86-64 CPU this project targets. rbx is
        // reserved by the compiler, so the new low half is swapped in and out.
        std::arch::asm!(
            "xchg {nlo}, rbx",
            "lock cmpxchg16b [{p}]",
            "mov rbx, {nlo}",
            p = in(reg) p,
            nlo = inout(reg) new.0 => _,
            in("rcx") new.1,
            inout("rax") lo,
            inout("rdx") hi,
            options(nostack),
        );
        return (lo, hi);
    }
    let _g = FALLBACK.lock().unwrap_or_else(|e| e.into_inner());
    let q = p as *mut [u64; 2];
    let old = std::ptr::read_unaligned(q);
    if (old[0], old[1]) == exp {
        std::ptr::write_unaligned(q, [new.0, new.1]);
    }
    (old[0], old[1])
}

/// STXR: stores `new` (`1 << size` bytes) at `addr` if the monitor holds
/// `addr` and memory still holds the value LDXR saw. Returns the status
/// (0 = stored). The caller clears the monitor.
extern "C" fn stxr(env: Env, addr: u64, excl_addr: u64, excl_val: u64, new: u64, size: u64) -> u64 {
    if addr != excl_addr {
        return 1;
    }
    let p = host(env, addr);
    let mask = if size >= 3 {
        u64::MAX
    } else {
        (1u64 << (8 << size)) - 1
    };
    // SAFETY: the guest address was loaded by the LDXR that armed the
    // monitor; user-mode guest memory is the host reservation at guest_base.
    let old = unsafe { cmpxchg(p, size, excl_val & mask, new) };
    u64::from(old != excl_val & mask)
}
tcg::helper!(pub HELPER_STXR, "stxr", A5(stxr), 0);

/// STXP of two 64-bit registers: a 128-bit compare-and-swap against the
/// values LDXP saw (`excl_val`, `excl_val2`). Returns the status.
extern "C" fn stxp128(env: Env, addr: u64, lo: u64, hi: u64) -> u64 {
    // SAFETY: env is the running CpuState (globals synced: READS_ENV).
    let s = unsafe { &*state(env) };
    if addr != s.excl_addr {
        return 1;
    }
    let exp = (s.excl_val, s.excl_val2);
    // SAFETY: see stxr.
    let old = unsafe { cmpxchg128(host(env, addr), exp, (lo, hi)) };
    u64::from(old != exp)
}
tcg::helper!(pub HELPER_STXP128, "stxp128", A3(stxp128), READS_ENV);

/// CAS: returns the old value.
extern "C" fn cas(env: Env, addr: u64, expected: u64, new: u64, size: u64) -> u64 {
    let mask = if size >= 3 {
        u64::MAX
    } else {
        (1u64 << (8 << size)) - 1
    };
    // SAFETY: user-mode guest memory is the host reservation at guest_base.
    unsafe { cmpxchg(host(env, addr), size, expected & mask, new) }
}
tcg::helper!(pub HELPER_CAS, "cas", A4(cas), 0);

/// CASP with 64-bit registers: compares Xs:Xs+1 with memory and stores
/// Xt:Xt+1; Xs:Xs+1 receive the old value. Register numbers are passed; the
/// helper reads and writes the register file.
extern "C" fn casp128(env: Env, addr: u64, rs: u64, rt: u64) -> u64 {
    let s = state(env);
    let rd = |r: u64| -> u64 {
        if r >= 31 {
            0
        } else {
            // SAFETY: env is the running CpuState; r < 31.
            unsafe { (*s).x[r as usize] }
        }
    };
    let exp = (rd(rs), rd(rs + 1));
    let new = (rd(rt), rd(rt + 1));
    // SAFETY: see stxr.
    let old = unsafe { cmpxchg128(host(env, addr), exp, new) };
    for (r, v) in [(rs, old.0), (rs + 1, old.1)] {
        if r < 31 {
            // SAFETY: env is the running CpuState; r < 31.
            unsafe { (*s).x[r as usize] = v };
        }
    }
    0
}
tcg::helper!(pub HELPER_CASP128, "casp128", A3(casp128), READS_ENV | WRITES_ENV);

/// LSE atomic op codes (the instructions' opc field), as passed in `kind`
/// bits 6..4; bits 1..0 are log2 of the size; bit 7 selects SWP.
pub const ATOMIC_SWP: u64 = 0x80;

/// LDADD/LDCLR/LDEOR/LDSET/LDSMAX/LDSMIN/LDUMAX/LDUMIN/SWP: applies the
/// operation atomically and returns the old value (zero-extended).
extern "C" fn atomic_rmw(env: Env, addr: u64, val: u64, kind: u64) -> u64 {
    let p = host(env, addr);
    let size = kind & 3;
    let op = if kind & ATOMIC_SWP != 0 {
        8
    } else {
        (kind >> 4) & 7
    };
    if !aligned(p, size) {
        let n = 1usize << size;
        let bits = 8 * n as u32;
        let sx = |x: u64| ((x << (64 - bits)) as i64) >> (64 - bits);
        let m = if n == 8 { u64::MAX } else { (1u64 << bits) - 1 };
        let v = val & m;
        let apply = |o: u64| match op {
            0 => o.wrapping_add(v),
            1 => o & !v,
            2 => o ^ v,
            3 => o | v,
            4 => sx(o).max(sx(v)) as u64,
            5 => sx(o).min(sx(v)) as u64,
            6 => o.max(v),
            7 => o.min(v),
            _ => v,
        };
        if within16(p, n) {
            // SAFETY: see stxr (the access's granule is guest memory).
            return unsafe { rmw_within16(p, n, |o| Some(apply(o))) };
        }
        let _g = FALLBACK.lock().unwrap_or_else(|e| e.into_inner());
        let mut buf = [0u8; 8];
        // SAFETY: see stxr.
        unsafe { std::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), n) };
        let o = u64::from_le_bytes(buf) & m;
        let new = apply(o);
        // SAFETY: see stxr.
        unsafe { std::ptr::copy_nonoverlapping(new.to_le_bytes().as_ptr(), p, n) };
        return o;
    }
    macro_rules! rmw {
        ($au:ty, $u:ty, $ai:ty, $i:ty) => {{
            // SAFETY: p is aligned and points into guest memory (see stxr).
            let a = unsafe { <$au>::from_ptr(p as *mut $u) };
            let v = val as $u;
            let old = match op {
                0 => a.fetch_add(v, SeqCst),
                1 => a.fetch_and(!v, SeqCst),
                2 => a.fetch_xor(v, SeqCst),
                3 => a.fetch_or(v, SeqCst),
                4 | 5 => {
                    // SAFETY: same location, viewed as signed.
                    let s = unsafe { <$ai>::from_ptr(p as *mut $i) };
                    (if op == 4 {
                        s.fetch_max(v as $i, SeqCst)
                    } else {
                        s.fetch_min(v as $i, SeqCst)
                    }) as $u
                }
                6 => a.fetch_max(v, SeqCst),
                7 => a.fetch_min(v, SeqCst),
                _ => a.swap(v, SeqCst),
            };
            old as u64
        }};
    }
    match size {
        0 => rmw!(AtomicU8, u8, AtomicI8, i8),
        1 => rmw!(AtomicU16, u16, AtomicI16, i16),
        2 => rmw!(AtomicU32, u32, AtomicI32, i32),
        _ => rmw!(AtomicU64, u64, AtomicI64, i64),
    }
}
tcg::helper!(pub HELPER_ATOMIC_RMW, "atomic_rmw", A3(atomic_rmw), 0);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc() {
        // CRC-32 of "123456789" with the usual pre/post inversion is 0xcbf43926.
        let mut c = 0xffff_ffffu64;
        for b in b"123456789" {
            c = crc32(std::ptr::null_mut(), c, *b as u64, 0);
        }
        assert_eq!(c ^ 0xffff_ffff, 0xcbf4_3926);
        let mut c = 0xffff_ffffu64;
        for b in b"123456789" {
            c = crc32(std::ptr::null_mut(), c, *b as u64, 0x100);
        }
        assert_eq!(c ^ 0xffff_ffff, 0xe306_9283);
    }

    #[test]
    fn cas128() {
        let mut m = [1u64, 2u64];
        let p = m.as_mut_ptr() as *mut u8;
        // SAFETY: m is a live, 8-aligned local (16-aligned not guaranteed:
        // both paths are exercised over runs).
        unsafe {
            assert_eq!(cmpxchg128(p, (1, 2), (3, 4)), (1, 2));
            assert_eq!(cmpxchg128(p, (1, 2), (5, 6)), (3, 4));
        }
        assert_eq!(m, [3, 4]);
    }
}
