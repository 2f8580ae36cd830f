//! Blocking host system calls that a guest signal cannot slip past.
//!
//! A guest signal reaches Mimic's host handler, which only records it; the
//! guest's handler runs when the cpu loop next delivers signals. If the
//! signal lands after the syscall layer decided to make a blocking host
//! call but before the host kernel entered it, the call would block with
//! the signal recorded and undelivered: a guest using the self-pipe trick
//! (its handler writes to a pipe the main loop polls) would hang where the
//! real kernel runs the handler first.
//!
//! [`call`] closes that window. It checks the thread's recorded-and-
//! deliverable signals and enters the kernel in one short stretch of
//! assembly; the host handler, when it interrupts a thread inside that
//! stretch (before the `syscall` instruction completed), moves it to an
//! exit that returns `EINTR` ([`rewind`]). Either the check sees the
//! signal, or the kernel entry is undone, or the kernel call itself is
//! interrupted: the syscall layer then sees `EINTR` and delivers the
//! signal (restarting the call when the guest's `SA_RESTART` says so).

use crate::errno::Errno;
use crate::syscall::Process;
use crate::thread;

#[cfg(target_arch = "x86_64")]
std::arch::global_asm!(
    ".pushsection .text.mimic_safe_syscall,\"ax\",@progbits",
    ".globl mimic_safe_syscall",
    ".type mimic_safe_syscall,@function",
    "mimic_safe_syscall:",
    // In: rdi = &pending, rsi = deliverable mask, rdx = nr, rcx = a1,
    // r8 = a2, r9 = a3, [rsp+8] = a4, [rsp+16] = a5, [rsp+24] = a6.
    "    mov rax, rdx",
    "    mov r11, rdi",
    "    mov rdi, rcx",
    "    mov rcx, rsi",
    "    mov rsi, r8",
    "    mov rdx, r9",
    "    mov r10, [rsp + 8]",
    "    mov r8, [rsp + 16]",
    "    mov r9, [rsp + 24]",
    ".globl mimic_safe_syscall_start",
    "mimic_safe_syscall_start:",
    "    test [r11], rcx",
    "    jnz mimic_safe_syscall_eintr",
    "    syscall",
    ".globl mimic_safe_syscall_end",
    "mimic_safe_syscall_end:",
    "    ret",
    ".globl mimic_safe_syscall_eintr",
    "mimic_safe_syscall_eintr:",
    "    mov rax, -4",
    "    ret",
    ".size mimic_safe_syscall, . - mimic_safe_syscall",
    ".popsection",
);

#[cfg(target_arch = "x86_64")]
extern "C" {
    fn mimic_safe_syscall(
        pending: *const u64,
        deliverable: u64,
        nr: i64,
        a1: u64,
        a2: u64,
        a3: u64,
        a4: u64,
        a5: u64,
        a6: u64,
    ) -> i64;
    static mimic_safe_syscall_start: u8;
    static mimic_safe_syscall_end: u8;
    static mimic_safe_syscall_eintr: u8;
}

/// Host system call `nr` with `args` for the thread of `p`, returning
/// `EINTR` instead of blocking when a guest signal the thread does not
/// block has been recorded and not yet delivered.
///
/// # Safety
/// As for `libc::syscall(nr, args...)`: pointer arguments must be valid
/// for the call.
pub unsafe fn call(p: &Process, nr: libc::c_long, args: [u64; 6]) -> Result<u64, Errno> {
    let r = match p.slot {
        #[cfg(target_arch = "x86_64")]
        Some(slot) => {
            let pending = thread::pending_word(slot);
            let deliverable = !p.signals.mask;
            // SAFETY: `pending` is the slot's live atomic word; the rest
            // is the caller's promise.
            unsafe {
                mimic_safe_syscall(
                    pending,
                    deliverable,
                    nr,
                    args[0],
                    args[1],
                    args[2],
                    args[3],
                    args[4],
                    args[5],
                )
            }
        }
        _ => {
            // SAFETY: the caller's promise.
            let r =
                unsafe { libc::syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]) };
            if r < 0 {
                -(Errno::last().0 as i64)
            } else {
                r
            }
        }
    };
    if (-4095..0).contains(&r) {
        Err(Errno(-r as i32))
    } else {
        Ok(r as u64)
    }
}

/// Called by the host signal handler with the interrupted context: a
/// thread inside [`call`]'s window, not yet in the kernel (or about to
/// re-enter it for a restart), leaves with `EINTR` instead.
///
/// # Safety
/// `uc` must be the kernel's ucontext for the running handler.
pub unsafe fn rewind(uc: *mut libc::c_void) {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: the kernel's ucontext (caller's promise).
        let gregs = unsafe { &mut (*(uc as *mut libc::ucontext_t)).uc_mcontext.gregs };
        let pc = gregs[libc::REG_RIP as usize] as usize;
        // SAFETY: addresses of the assembly labels above.
        let (start, end, eintr) = unsafe {
            (
                &mimic_safe_syscall_start as *const u8 as usize,
                &mimic_safe_syscall_end as *const u8 as usize,
                &mimic_safe_syscall_eintr as *const u8 as usize,
            )
        };
        if (start..end).contains(&pc) {
            gregs[libc::REG_RIP as usize] = eintr as i64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = uc;
}
