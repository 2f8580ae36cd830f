//! Leaving a running block from a host signal handler (precise faults).
//!
//! In precise mode ([`crate::exec::Engine::set_precise`]) the engine
//! enters each block through [`guarded_call`], which records the
//! callee-saved registers, the stack pointer and the return address in the
//! cpu's [`GuardBuf`] and then tail-jumps into the block (JIT code through
//! its trampoline, or the interpreter's entry shim). A host SIGSEGV/SIGBUS
//! handler that finds `CpuCommon::in_guard` set may rewrite the interrupted
//! context to resume in [`leave`] with the buffer and [`exit::FAULT`]:
//! `leave` restores the recorded registers and returns `FAULT` from the
//! `guarded_call` as if the block had returned it.
//!
//! Soundness: to Rust, `guarded_call` is an ordinary `extern "sysv64"`
//! function that returns once, with the callee-saved registers the ABI
//! promises. The frames `leave` discards are JIT code (no destructors), the
//! interpreter's `exec` and guest helpers, which hold only integers,
//! references and raw pointers (no values with `Drop`, no locks), so
//! skipping them leaks nothing and breaks no invariant. Only the x86-64
//! host is supported (DESIGN.md: host-specific code behind one module).
//!
//! [`exit::FAULT`]: crate::cpu::exit::FAULT

/// Registers saved at block entry: rbx, rbp, r12-r15, rsp after return,
/// return address.
#[repr(C)]
#[derive(Default, Debug)]
pub struct GuardBuf {
    regs: [u64; 8],
}

#[cfg(target_arch = "x86_64")]
std::arch::global_asm!(
    ".text",
    ".globl mimic_tcg_guarded_call",
    ".type mimic_tcg_guarded_call,@function",
    "mimic_tcg_guarded_call:",
    "mov [rcx], rbx",
    "mov [rcx + 8], rbp",
    "mov [rcx + 16], r12",
    "mov [rcx + 24], r13",
    "mov [rcx + 32], r14",
    "mov [rcx + 40], r15",
    "lea rax, [rsp + 8]",
    "mov [rcx + 48], rax",
    "mov rax, [rsp]",
    "mov [rcx + 56], rax",
    "mov rax, rdi",
    "mov rdi, rsi",
    "mov rsi, rdx",
    "jmp rax",
    ".size mimic_tcg_guarded_call, . - mimic_tcg_guarded_call",
    ".globl mimic_tcg_guard_leave",
    ".type mimic_tcg_guard_leave,@function",
    "mimic_tcg_guard_leave:",
    "mov rbx, [rdi]",
    "mov rbp, [rdi + 8]",
    "mov r12, [rdi + 16]",
    "mov r13, [rdi + 24]",
    "mov r14, [rdi + 32]",
    "mov r15, [rdi + 40]",
    "mov rsp, [rdi + 48]",
    "mov rax, rsi",
    "jmp qword ptr [rdi + 56]",
    ".size mimic_tcg_guard_leave, . - mimic_tcg_guard_leave",
);

unsafe extern "sysv64" {
    fn mimic_tcg_guarded_call(f: usize, a0: *mut u8, a1: usize, buf: *mut GuardBuf) -> u64;
    fn mimic_tcg_guard_leave(buf: *mut GuardBuf, value: u64) -> !;
}

/// Calls `f(a0, a1)` (a SysV function) so that [`leave`] can return from
/// it early.
///
/// # Safety
/// `f` must be a valid `extern "sysv64" fn(*mut u8, usize) -> u64` whose
/// frames (and those of what it calls) hold no values with destructors;
/// `buf` must stay valid for the call.
pub unsafe fn guarded_call(f: usize, a0: *mut u8, a1: usize, buf: *mut GuardBuf) -> u64 {
    // SAFETY: per the contract above.
    unsafe { mimic_tcg_guarded_call(f, a0, a1, buf) }
}

/// Leaves the guarded call that `buf` belongs to, returning `value` from
/// it: for code called from a block (the softmmu slow path) that must
/// abandon the block.
///
/// # Safety
/// `buf` must be the buffer of a `guarded_call` still running on this
/// thread, and every frame between it and the caller must hold no values
/// with destructors and no locks.
pub unsafe fn leave(buf: *mut GuardBuf, value: u64) -> ! {
    // SAFETY: per the contract above.
    unsafe { mimic_tcg_guard_leave(buf, value) }
}

/// The address a host signal handler sets as the interrupted context's
/// instruction pointer, with the buffer in the first and the return value
/// in the second argument register (rdi, rsi).
pub fn leave_addr() -> usize {
    mimic_tcg_guard_leave as *const () as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    extern "sysv64" fn add(a: *mut u8, b: usize) -> u64 {
        a as u64 + b as u64
    }

    extern "sysv64" fn bail(a: *mut u8, _: usize) -> u64 {
        // SAFETY: `a` is the guard buffer passed by the test; this frame
        // holds nothing with a destructor.
        unsafe { mimic_tcg_guard_leave(a as *mut GuardBuf, 77) }
    }

    #[test]
    fn returns_normally_and_through_leave() {
        let mut buf = GuardBuf::default();
        // SAFETY: `add` and `bail` are sysv64 functions without destructors.
        unsafe {
            assert_eq!(
                guarded_call(add as *const () as usize, 40 as *mut u8, 2, &mut buf),
                42
            );
            let p = &mut buf as *mut GuardBuf;
            assert_eq!(
                guarded_call(bail as *const () as usize, p as *mut u8, 0, p),
                77
            );
        }
    }
}
