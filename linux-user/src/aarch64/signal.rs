//! The AArch64 signal frame, laid out as arch/arm64/kernel/signal.c does:
//!
//! ```text
//! struct rt_sigframe {              // at the new sp, 16-byte aligned
//!     siginfo_t info;               //   0: 128 bytes
//!     struct ucontext uc;           // 128: uc_flags, uc_link, uc_stack (24),
//!                                   //      uc_sigmask (8), padding to 1024
//!                                   //      bits of mask, then at +176:
//!         struct sigcontext {       // 304: fault_address, regs[31], sp,
//!                                   //      pc, pstate, then at +288
//!             __reserved[4096];     // 592: fpsimd_context (magic 0x46508001,
//!                                   //      size 528: fpsr, fpcr, v0-v31),
//!                                   //      esr_context for faults, then a
//!                                   //      terminating {0, 0} header
//! };                                // 4688 bytes in all
//! struct frame_record { fp, lr };   // just above the frame
//! ```
//!
//! The handler is entered with x0 = signal, x1 = &info, x2 = &uc, sp =
//! the frame, x29 = &frame_record, x30 = the return trampoline: the
//! guest's `sa_restorer` when it passed `SA_RESTORER`, else a page Mimic
//! maps holding the kernel vDSO's `__kernel_rt_sigreturn` sequence
//! (`mov x8, #139; svc #0`, which unwinders recognise).

use crate::layout::misc::{SigAction, SigStack};
use crate::signal::{SigInfo, SA_RESTORER, SA_SIGINFO};
use crate::syscall::{lock, Process};
use target_aarch64::CpuState;

const UC: usize = 128;
const UC_FLAGS: usize = UC;
const UC_LINK: usize = UC + 8;
const UC_STACK: usize = UC + 16;
const UC_SIGMASK: usize = UC + 40;
const MCTX: usize = UC + 176;
const SC_FAULT: usize = MCTX;
const SC_REGS: usize = MCTX + 8;
const SC_SP: usize = MCTX + 256;
const SC_PC: usize = MCTX + 264;
const SC_PSTATE: usize = MCTX + 272;
const SC_RESERVED: usize = MCTX + 288;
const RESERVED_SIZE: usize = 4096;
/// `sizeof(struct rt_sigframe)`.
pub const FRAME_SIZE: usize = SC_RESERVED + RESERVED_SIZE;

pub const FPSIMD_MAGIC: u32 = 0x4650_8001;
const FPSIMD_SIZE: usize = 528;
pub const ESR_MAGIC: u32 = 0x4553_5201;
const ESR_SIZE: usize = 16;
const EXTRA_MAGIC: u32 = 0x4558_5401;

/// `__NR_rt_sigreturn` on AArch64.
const NR_RT_SIGRETURN: u32 = 139;

/// The frame could not be written or read back (the guest gets SIGSEGV).
pub use crate::cpu_loop::BadFrame;

/// Fault details a synchronous signal's frame carries.
#[derive(Clone, Copy, Debug, Default)]
pub struct FaultInfo {
    pub addr: u64,
    /// ESR_EL1 as the kernel reports it to user space (0: no esr_context).
    pub esr: u64,
}

fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}
fn put64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_le_bytes());
}
fn get32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}
fn get64(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(b[off..off + 8].try_into().unwrap())
}

/// The sigreturn trampoline's address, mapping it on first use.
fn trampoline(p: &Process) -> Option<u64> {
    let mut t = lock(&p.shared.sigreturn_tramp);
    if *t == 0 {
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
        let a = p
            .space
            .mmap(0, 4096, libc::PROT_READ | libc::PROT_WRITE, flags, -1, 0)
            .ok()?;
        let mut code = [0u8; 8];
        put32(&mut code, 0, 0xd280_0008 | (NR_RT_SIGRETURN << 5)); // mov x8, #139
        put32(&mut code, 4, 0xd400_0001); // svc #0
        p.space.write(a, &code).ok()?;
        p.space
            .mprotect(a, 4096, libc::PROT_READ | libc::PROT_EXEC)
            .ok()?;
        *t = a;
    }
    Some(*t)
}

/// Builds the frame for a handler of signal `info.signo` with action `act`
/// and points the cpu at the handler. `saved_mask` is the mask
/// `rt_sigreturn` restores. Fails (the caller kills the guest with
/// SIGSEGV) when the frame cannot be written.
pub fn setup_frame(
    cpu: &mut CpuState,
    p: &mut Process,
    info: &SigInfo,
    act: &SigAction,
    saved_mask: u64,
    fault: Option<FaultInfo>,
) -> Result<(), BadFrame> {
    let (uc_stack, _) = p.altstack_for_frame(cpu.sp);
    let top = p.signal_stack_top(cpu.sp, act.flags);
    let record = (top.wrapping_sub(16)) & !15;
    let frame = (record & !15).wrapping_sub(FRAME_SIZE as u64);
    let restorer = if act.flags & SA_RESTORER != 0 {
        act.restorer
    } else {
        trampoline(p).ok_or(BadFrame)?
    };

    let mut b = vec![0u8; FRAME_SIZE];
    b[..128].copy_from_slice(&info.encode(&p.codec()));
    put64(&mut b, UC_FLAGS, 0);
    put64(&mut b, UC_LINK, 0);
    b[UC_STACK..UC_STACK + 24].copy_from_slice(&uc_stack.encode(&p.codec()));
    put64(&mut b, UC_SIGMASK, saved_mask);
    put64(&mut b, SC_FAULT, fault.map_or(0, |f| f.addr));
    for i in 0..31 {
        put64(&mut b, SC_REGS + 8 * i, cpu.x[i]);
    }
    put64(&mut b, SC_SP, cpu.sp);
    put64(&mut b, SC_PC, cpu.pc);
    put64(&mut b, SC_PSTATE, u64::from(cpu.nzcv()));
    let mut off = SC_RESERVED;
    put32(&mut b, off, FPSIMD_MAGIC);
    put32(&mut b, off + 4, FPSIMD_SIZE as u32);
    put32(&mut b, off + 8, cpu.fpsr as u32);
    put32(&mut b, off + 12, cpu.fpcr as u32);
    for (i, v) in cpu.v.iter().enumerate() {
        put64(&mut b, off + 16 + 16 * i, v[0]);
        put64(&mut b, off + 24 + 16 * i, v[1]);
    }
    off += FPSIMD_SIZE;
    if let Some(f) = fault.filter(|f| f.esr != 0) {
        put32(&mut b, off, ESR_MAGIC);
        put32(&mut b, off + 4, ESR_SIZE as u32);
        put64(&mut b, off + 8, f.esr);
        off += ESR_SIZE;
    }
    // The terminator: an all-zero header (already zero).
    let _ = off;

    let mut rec = [0u8; 16];
    put64(&mut rec, 0, cpu.x[29]);
    put64(&mut rec, 8, cpu.x[30]);
    p.space.write(frame, &b).map_err(|_| BadFrame)?;
    p.space.write(record, &rec).map_err(|_| BadFrame)?;

    cpu.x[0] = info.signo as u64;
    if act.flags & SA_SIGINFO != 0 {
        cpu.x[1] = frame;
        cpu.x[2] = frame + UC as u64;
    }
    cpu.sp = frame;
    cpu.x[29] = record;
    cpu.x[30] = restorer;
    cpu.pc = act.handler;
    Ok(())
}

/// `rt_sigreturn`: restores the cpu, mask and alternate stack from the
/// frame at sp. Fails on a bad frame (the caller raises SIGSEGV).
pub fn restore_frame(cpu: &mut CpuState, p: &mut Process) -> Result<(), BadFrame> {
    let frame = cpu.sp;
    if frame & 15 != 0 {
        return Err(BadFrame);
    }
    let b = p.space.read_vec(frame, FRAME_SIZE).map_err(|_| BadFrame)?;
    let pstate = get64(&b, SC_PSTATE);
    // EL0t, AArch64, D/A/I/F clear (valid_user_regs); else a bad frame.
    if pstate & 0x3ff != 0 {
        return Err(BadFrame);
    }
    let mut fpsimd = None;
    let mut off = SC_RESERVED;
    let end = SC_RESERVED + RESERVED_SIZE;
    loop {
        if off + 8 > end {
            return Err(BadFrame);
        }
        let (magic, size) = (get32(&b, off), get32(&b, off + 4) as usize);
        match magic {
            0 if size == 0 => break,
            FPSIMD_MAGIC if size == FPSIMD_SIZE && fpsimd.is_none() => fpsimd = Some(off),
            ESR_MAGIC if size == ESR_SIZE => {}
            // Extension records Mimic never writes (EXTRA, SVE, ZA...):
            // the kernel refuses what it cannot restore.
            EXTRA_MAGIC => return Err(BadFrame),
            _ => return Err(BadFrame),
        }
        if size < 8 || size % 16 != 0 || off + size > end {
            return Err(BadFrame);
        }
        off += size;
    }
    let fp = fpsimd.ok_or(BadFrame)?;
    for i in 0..31 {
        cpu.x[i] = get64(&b, SC_REGS + 8 * i);
    }
    cpu.sp = get64(&b, SC_SP);
    cpu.pc = get64(&b, SC_PC);
    cpu.set_nzcv(pstate as u32);
    cpu.fpsr = u64::from(get32(&b, fp + 8));
    cpu.fpcr = u64::from(get32(&b, fp + 12));
    for (i, v) in cpu.v.iter_mut().enumerate() {
        v[0] = get64(&b, fp + 16 + 16 * i);
        v[1] = get64(&b, fp + 24 + 16 * i);
    }
    cpu.excl_addr = u64::MAX;
    p.set_mask(get64(&b, UC_SIGMASK));
    let st = SigStack::decode(&p.codec(), &b[UC_STACK..UC_STACK + 24]);
    p.restore_altstack(st, cpu.sp);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_the_kernel() {
        // offsetof(struct rt_sigframe, uc.uc_mcontext) and sizeof.
        assert_eq!(MCTX, 304);
        assert_eq!(SC_RESERVED, 592);
        assert_eq!(FRAME_SIZE, 4688);
        assert_eq!(FRAME_SIZE % 16, 0);
    }

    #[test]
    fn frame_round_trip() {
        let mut p = crate::syscall::tests::process();
        let mut cpu = Box::<CpuState>::default();
        for i in 0..31 {
            cpu.x[i] = 0x1000 + i as u64;
        }
        cpu.sp = 0x10_0000 + 0x8_0000;
        cpu.pc = 0x40_1234;
        cpu.set_nzcv(0xa000_0000);
        cpu.v[5] = [1, 2];
        cpu.fpcr = 0x0300_0000;
        let before = (cpu.x, cpu.sp, cpu.pc, cpu.nzcv(), cpu.v, cpu.fpcr);
        let act = SigAction {
            handler: 0x40_2000,
            flags: SA_SIGINFO | SA_RESTORER,
            restorer: 0x40_3000,
            mask: 0,
        };
        let info = SigInfo::fault(11, 1, 0xdead);
        setup_frame(&mut cpu, &mut p, &info, &act, 0x55, None).unwrap();
        assert_eq!(cpu.pc, 0x40_2000);
        assert_eq!(cpu.x[0], 11);
        assert_eq!(cpu.x[30], 0x40_3000);
        assert_eq!(cpu.sp % 16, 0);
        assert_eq!(cpu.x[2], cpu.sp + 128);
        let si = p.space.read_vec(cpu.x[1], 128).unwrap();
        assert_eq!(get32(&si, 0), 11);
        assert_eq!(get64(&si, 16), 0xdead);
        assert_eq!(
            get32(
                &p.space.read_vec(cpu.sp + SC_RESERVED as u64, 4).unwrap(),
                0
            ),
            FPSIMD_MAGIC
        );
        // The handler clobbers things, then returns through sigreturn.
        cpu.x[3] = 0;
        cpu.v[5] = [0, 0];
        restore_frame(&mut cpu, &mut p).unwrap();
        assert_eq!((cpu.x, cpu.sp, cpu.pc, cpu.nzcv(), cpu.v, cpu.fpcr), before);
        assert_eq!(p.signals.mask, 0x55);
        // A misaligned sp is a bad frame.
        cpu.sp = 0x10_0008;
        assert!(restore_frame(&mut cpu, &mut p).is_err());
    }
}
