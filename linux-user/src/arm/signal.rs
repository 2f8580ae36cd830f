//! The ARM signal frames, laid out as arch/arm/kernel/signal.c does:
//!
//! ```text
//! struct sigframe {                 // non-RT (no SA_SIGINFO), 8-aligned
//!     struct ucontext uc;           //   0: uc_flags, uc_link, uc_stack (12)
//!         struct sigcontext;        //  20: trap_no, error_code, oldmask,
//!                                   //      r0..r15, cpsr, fault_address
//!         sigset_t uc_sigmask;      // 104: 8 bytes, then padding to 232
//!         uc_regspace[128];         // 232: vfp_sigframe (magic 0x56465001,
//!                                   //      size 288: d0-d31, fpscr,
//!                                   //      fpexc...), then a 0 end magic
//!     unsigned long retcode[4];     // 744
//! };                                // 760 bytes
//! struct rt_sigframe { siginfo_t info; struct sigframe sig; };  // 888
//! ```
//!
//! The handler is entered with r0 = signal, (RT) r1 = &info, r2 = &uc,
//! sp = the frame, lr = the return trampoline (the guest's `sa_restorer`
//! with `SA_RESTORER`, which glibc always passes, else a page Mimic maps
//! holding `mov r7, #nr; svc 0`), pc = the handler with the Thumb state
//! from its bit 0.

use crate::layout::misc::{SigAction, SigStack};
use crate::signal::{SigInfo, SA_RESTORER, SA_SIGINFO};
use crate::syscall::{lock, Process};
use target_arm::cpu::flags;
use target_arm::CpuState;

const UC_FLAGS: usize = 0;
const UC_LINK: usize = 4;
const UC_STACK: usize = 8;
const MCTX: usize = 20;
const SC_TRAP_NO: usize = MCTX;
const SC_ERROR_CODE: usize = MCTX + 4;
const SC_OLDMASK: usize = MCTX + 8;
const SC_R0: usize = MCTX + 12;
const SC_CPSR: usize = SC_R0 + 64;
const SC_FAULT: usize = SC_CPSR + 4;
const UC_SIGMASK: usize = 104;
const UC_REGSPACE: usize = 232;
const UC_SIZE: usize = UC_REGSPACE + 512;
/// `sizeof(struct sigframe)`.
pub const SIGFRAME_SIZE: usize = UC_SIZE + 16;
/// `sizeof(struct rt_sigframe)`.
pub const RT_FRAME_SIZE: usize = 128 + SIGFRAME_SIZE;

pub const VFP_MAGIC: u32 = 0x5646_5001;
const VFP_SIZE: usize = 288;

/// `__NR_sigreturn` and `__NR_rt_sigreturn` on ARM EABI.
pub const NR_SIGRETURN: u32 = 119;
pub const NR_RT_SIGRETURN: u32 = 173;

/// The frame could not be written or read back (the guest gets SIGSEGV).
pub use crate::cpu_loop::BadFrame;

/// Fault details a synchronous signal's frame carries.
#[derive(Clone, Copy, Debug, Default)]
pub struct FaultInfo {
    pub addr: u64,
    /// trap_no / error_code as the kernel reports them.
    pub trap_no: u32,
    pub error_code: u32,
}

fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}
fn get32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}

/// The page with both sigreturn trampolines (A32), mapping it on first use:
/// +0 `sigreturn`, +8 `rt_sigreturn`.
fn trampoline(p: &Process) -> Option<u64> {
    let mut t = lock(&p.shared.sigreturn_tramp);
    if *t == 0 {
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
        let a = p
            .space
            .mmap(0, 4096, libc::PROT_READ | libc::PROT_WRITE, flags, -1, 0)
            .ok()?;
        let mut code = [0u8; 16];
        put32(&mut code, 0, 0xe3a0_7000 | NR_SIGRETURN); // mov r7, #119
        put32(&mut code, 4, 0xef00_0000); // svc 0
        put32(&mut code, 8, 0xe3a0_7000 | NR_RT_SIGRETURN); // mov r7, #173
        put32(&mut code, 12, 0xef00_0000); // svc 0
        p.space.write(a, &code).ok()?;
        p.space
            .mprotect(a, 4096, libc::PROT_READ | libc::PROT_EXEC)
            .ok()?;
        *t = a;
    }
    Some(*t)
}

/// The ucontext (without siginfo) for the current cpu.
fn ucontext(cpu: &CpuState, p: &Process, saved_mask: u64, fault: Option<FaultInfo>) -> Vec<u8> {
    let (uc_stack, _) = p.altstack_for_frame(u64::from(cpu.sp()));
    let mut b = vec![0u8; UC_SIZE];
    put32(&mut b, UC_FLAGS, 0);
    put32(&mut b, UC_LINK, 0);
    b[UC_STACK..UC_STACK + 12].copy_from_slice(&uc_stack.encode(&p.codec()));
    let f = fault.unwrap_or_default();
    put32(&mut b, SC_TRAP_NO, f.trap_no);
    put32(&mut b, SC_ERROR_CODE, f.error_code);
    put32(&mut b, SC_OLDMASK, saved_mask as u32);
    for i in 0..16 {
        put32(&mut b, SC_R0 + 4 * i, cpu.reg(i));
    }
    put32(&mut b, SC_CPSR, cpu.cpsr());
    put32(&mut b, SC_FAULT, f.addr as u32);
    put32(&mut b, UC_SIGMASK, saved_mask as u32);
    put32(&mut b, UC_SIGMASK + 4, (saved_mask >> 32) as u32);
    let v = UC_REGSPACE;
    put32(&mut b, v, VFP_MAGIC);
    put32(&mut b, v + 4, VFP_SIZE as u32);
    for (i, d) in cpu.d.iter().enumerate() {
        b[v + 8 + 8 * i..v + 16 + 8 * i].copy_from_slice(&d.to_le_bytes());
    }
    put32(&mut b, v + 8 + 256, cpu.fpscr);
    put32(&mut b, v + 8 + 264, 0x4000_0000); // fpexc: EN
                                             // end magic after the VFP record: zero (already).
    b
}

/// Builds the frame for a handler of signal `info.signo` with action `act`
/// and points the cpu at the handler (RT frame with `SA_SIGINFO`).
pub fn setup_frame(
    cpu: &mut CpuState,
    p: &mut Process,
    info: &SigInfo,
    act: &SigAction,
    saved_mask: u64,
    fault: Option<FaultInfo>,
) -> Result<(), BadFrame> {
    let rt = act.flags & SA_SIGINFO != 0;
    let top = p.signal_stack_top(u64::from(cpu.sp()), act.flags);
    let size = if rt { RT_FRAME_SIZE } else { SIGFRAME_SIZE } as u64;
    let frame = (top.wrapping_sub(size)) & !7;
    let restorer = if act.flags & SA_RESTORER != 0 {
        act.restorer
    } else {
        trampoline(p).ok_or(BadFrame)? + if rt { 8 } else { 0 }
    };
    let uc = ucontext(cpu, p, saved_mask, fault);
    let mut b = Vec::with_capacity(size as usize);
    if rt {
        b.extend_from_slice(&info.encode(&p.codec()));
    }
    b.extend_from_slice(&uc);
    b.resize(size as usize, 0);
    p.space.write(frame, &b).map_err(|_| BadFrame)?;

    cpu.r[0] = info.signo as u32;
    if rt {
        cpu.r[1] = frame as u32;
        cpu.r[2] = (frame + 128) as u32;
    }
    cpu.r[13] = frame as u32;
    cpu.r[14] = restorer as u32;
    let h = act.handler as u32;
    let mut f = cpu.common.cur_flags & !(flags::THUMB | flags::IT_MASK);
    if h & 1 != 0 {
        f |= flags::THUMB;
    }
    cpu.common.cur_flags = f;
    cpu.pc = u64::from(h & !1);
    Ok(())
}

/// `sigreturn` (`rt`: `rt_sigreturn`): restores the cpu, mask and (RT)
/// alternate stack from the frame at sp.
pub fn restore_frame(cpu: &mut CpuState, p: &mut Process, rt: bool) -> Result<(), BadFrame> {
    let frame = u64::from(cpu.sp());
    if frame & 7 != 0 {
        return Err(BadFrame);
    }
    let ucp = if rt { frame + 128 } else { frame };
    let b = p.space.read_vec(ucp, UC_SIZE).map_err(|_| BadFrame)?;
    let cpsr = get32(&b, SC_CPSR);
    // User mode, no A/I/F masking: else a bad frame.
    if cpsr & 0x1f != 0x10 {
        return Err(BadFrame);
    }
    let v = UC_REGSPACE;
    if get32(&b, v) != VFP_MAGIC || get32(&b, v + 4) as usize != VFP_SIZE {
        return Err(BadFrame);
    }
    for i in 0..15 {
        cpu.r[i] = get32(&b, SC_R0 + 4 * i);
    }
    cpu.pc = u64::from(get32(&b, SC_R0 + 60));
    cpu.set_cpsr(cpsr);
    if cpu.thumb() {
        cpu.pc &= !1;
    } else {
        cpu.pc &= !3;
    }
    for (i, d) in cpu.d.iter_mut().enumerate() {
        *d = u64::from_le_bytes(b[v + 8 + 8 * i..v + 16 + 8 * i].try_into().unwrap());
    }
    cpu.fpscr = get32(&b, v + 8 + 256);
    cpu.excl_addr = u64::MAX;
    let mask = u64::from(get32(&b, UC_SIGMASK)) | u64::from(get32(&b, UC_SIGMASK + 4)) << 32;
    p.set_mask(mask);
    if rt {
        let st = SigStack::decode(&p.codec(), &b[UC_STACK..UC_STACK + 12]);
        p.restore_altstack(st, u64::from(cpu.sp()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_the_kernel() {
        assert_eq!(SC_CPSR - MCTX, 64 + 12);
        assert_eq!(UC_SIGMASK, MCTX + 84);
        assert_eq!(RT_FRAME_SIZE, 888);
    }
}
