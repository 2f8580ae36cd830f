//! `futex` on guest memory.
//!
//! Guest memory is host memory (`guest_base + addr`) and guest tids are
//! host tids, so every operation is the host's own futex on the host
//! address of the guest word: waits, wakes, requeues, `WAKE_OP` (whose
//! encoded operation is architecture-independent) and the PI operations
//! (the owner tid in the word is a host tid). What is converted: the
//! addresses (checked to be mapped guest memory), and the timeout, a guest
//! `struct timespec` (the host sees its own layout).

use super::{Handler, Process, SysResult};
use crate::errno::Errno;
use crate::layout::misc::TimePair;

pub(super) const HANDLERS: &[(&str, Handler)] = &[("futex", sys_futex)];

const FUTEX_WAIT: u32 = 0;
const FUTEX_WAKE: u32 = 1;
const FUTEX_FD: u32 = 2;
const FUTEX_REQUEUE: u32 = 3;
const FUTEX_CMP_REQUEUE: u32 = 4;
const FUTEX_WAKE_OP: u32 = 5;
const FUTEX_LOCK_PI: u32 = 6;
const FUTEX_UNLOCK_PI: u32 = 7;
const FUTEX_TRYLOCK_PI: u32 = 8;
const FUTEX_WAIT_BITSET: u32 = 9;
const FUTEX_WAKE_BITSET: u32 = 10;
const FUTEX_WAIT_REQUEUE_PI: u32 = 11;
const FUTEX_CMP_REQUEUE_PI: u32 = 12;
const FUTEX_LOCK_PI2: u32 = 13;
const FUTEX_CMD_MASK: u32 = 0x7f;
/// `FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME`: the flags Linux knows.
const FUTEX_FLAGS: u32 = 128 | 256;

/// A guest futex word's host address, after checking it is mapped.
fn word(p: &Process, addr: u64) -> Result<*mut u32, Errno> {
    let addr = p.abi.ulong_arg(addr);
    if !addr.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    if !p.space.check(addr, 4, libc::PROT_READ) {
        return Err(Errno::EFAULT);
    }
    Ok(p.space.g2h(addr).cast())
}

fn timeout(p: &Process, addr: u64) -> Result<Option<libc::timespec>, Errno> {
    if p.abi.ulong_arg(addr) == 0 {
        return Ok(None);
    }
    let c = p.codec();
    let t = TimePair::decode(&c, &p.read_mem(addr, TimePair::size(&c))?);
    if t.sec < 0 || !(0..1_000_000_000).contains(&t.frac) {
        return Err(Errno::EINVAL);
    }
    Ok(Some(t.to_timespec()))
}

fn sys_futex(p: &mut Process, a: [u64; 6]) -> SysResult {
    let op = a[1] as u32;
    let cmd = op & FUTEX_CMD_MASK;
    if op & !(FUTEX_CMD_MASK | FUTEX_FLAGS) != 0 {
        return Err(Errno::ENOSYS);
    }
    let uaddr = word(p, a[0])?;
    let val = a[2] as u32;
    // The fourth argument: a timeout pointer for the waits and PI locks, a
    // plain count (val2) for requeues and WAKE_OP.
    let (arg4, ts): (usize, Option<libc::timespec>) = match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET | FUTEX_LOCK_PI | FUTEX_LOCK_PI2 | FUTEX_WAIT_REQUEUE_PI => {
            (0, timeout(p, a[3])?)
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET | FUTEX_UNLOCK_PI | FUTEX_TRYLOCK_PI => (0, None),
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE | FUTEX_WAKE_OP | FUTEX_CMP_REQUEUE_PI => {
            (a[3] as u32 as usize, None)
        }
        FUTEX_FD => return Err(Errno::ENOSYS),
        _ => {
            tracing::warn!(target: "unimp", "futex operation {cmd} not supported");
            return Err(Errno::ENOSYS);
        }
    };
    let uaddr2 = match cmd {
        FUTEX_REQUEUE
        | FUTEX_CMP_REQUEUE
        | FUTEX_WAKE_OP
        | FUTEX_WAIT_REQUEUE_PI
        | FUTEX_CMP_REQUEUE_PI => word(p, a[4])?,
        _ => std::ptr::null_mut(),
    };
    let val3 = a[5] as u32;
    let tsp = ts.as_ref().map_or(arg4 as *const libc::timespec, |t| {
        t as *const libc::timespec
    });
    // SAFETY: `uaddr`/`uaddr2` point at mapped guest words inside the
    // reservation; the timeout, when passed, is a local timespec.
    let r = unsafe {
        crate::safe_syscall::call(
            p,
            libc::SYS_futex,
            [
                uaddr as u64,
                op.into(),
                val.into(),
                tsp as u64,
                uaddr2 as u64,
                val3.into(),
            ],
        )
    };
    if let Err(e) = r {
        // A timed wait is not restarted after a handler (Linux restarts it
        // through restart_block with the remaining time; returning EINTR
        // is what callers handle).
        if e == Errno::EINTR && ts.is_some() {
            p.set_no_restart();
        }
        return Err(e);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_outside_the_known_ones_are_enosys() {
        let mut p = crate::syscall::tests::process();
        assert_eq!(
            sys_futex(&mut p, [0x10_0000, 1 << 10, 0, 0, 0, 0]),
            Err(Errno::ENOSYS)
        );
        assert_eq!(
            sys_futex(&mut p, [0x10_0002, FUTEX_WAKE as u64, 1, 0, 0, 0]),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            sys_futex(&mut p, [0x8, FUTEX_WAKE as u64, 1, 0, 0, 0]),
            Err(Errno::EFAULT)
        );
        assert_eq!(
            sys_futex(&mut p, [0x10_0000, FUTEX_WAKE as u64, 1, 0, 0, 0]),
            Ok(0)
        );
    }
}
