//! `futex` for a single-threaded guest.
//!
//! With one thread nobody else can wake a waiter, so: `WAIT` returns
//! `EAGAIN` if the word differs from the expected value, otherwise sleeps
//! out its timeout and returns `ETIMEDOUT` (or `EINTR` at once when there
//! is no timeout, rather than hanging forever). Wakes wake nobody (0);
//! `WAKE_OP` still performs its operation on the second word; requeues
//! check their value. Threads (later work) replace this with real waits.

use super::{Handler, Process, SysResult};
use crate::errno::Errno;
use crate::layout::misc::TimePair;

pub(super) const HANDLERS: &[(&str, Handler)] = &[("futex", sys_futex)];

const FUTEX_WAIT: u32 = 0;
const FUTEX_WAKE: u32 = 1;
const FUTEX_REQUEUE: u32 = 3;
const FUTEX_CMP_REQUEUE: u32 = 4;
const FUTEX_WAKE_OP: u32 = 5;
const FUTEX_WAIT_BITSET: u32 = 9;
const FUTEX_WAKE_BITSET: u32 = 10;
const FUTEX_CMD_MASK: u32 = 0x7f;
const FUTEX_CLOCK_REALTIME: u32 = 256;

fn sys_futex(p: &mut Process, a: [u64; 6]) -> SysResult {
    let uaddr = p.abi.ulong_arg(a[0]);
    let op = a[1] as u32;
    let val = a[2] as u32;
    if !uaddr.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    match op & FUTEX_CMD_MASK {
        cmd @ (FUTEX_WAIT | FUTEX_WAIT_BITSET) => {
            if cmd == FUTEX_WAIT_BITSET && a[5] as u32 == 0 {
                return Err(Errno::EINVAL);
            }
            if p.read_u32(uaddr)? != val {
                return Err(Errno::EAGAIN);
            }
            let timeout = p.abi.ulong_arg(a[3]);
            if timeout == 0 {
                return Err(Errno::EINTR);
            }
            let c = p.codec();
            let t = TimePair::decode(&c, &p.read_mem(timeout, TimePair::size(&c))?);
            if t.sec < 0 || !(0..1_000_000_000).contains(&t.frac) {
                return Err(Errno::EINVAL);
            }
            let ts = t.to_timespec();
            let (clock, flags) = if cmd == FUTEX_WAIT {
                (libc::CLOCK_MONOTONIC, 0)
            } else if op & FUTEX_CLOCK_REALTIME != 0 {
                (libc::CLOCK_REALTIME, libc::TIMER_ABSTIME)
            } else {
                (libc::CLOCK_MONOTONIC, libc::TIMER_ABSTIME)
            };
            // SAFETY: valid timespec; no remainder wanted.
            match unsafe { libc::clock_nanosleep(clock, flags, &ts, std::ptr::null_mut()) } {
                0 => Err(Errno::ETIMEDOUT),
                e => Err(Errno(e)),
            }
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => Ok(0),
        FUTEX_REQUEUE => Ok(0),
        FUTEX_CMP_REQUEUE => {
            if p.read_u32(uaddr)? != a[5] as u32 {
                return Err(Errno::EAGAIN);
            }
            Ok(0)
        }
        FUTEX_WAKE_OP => {
            let uaddr2 = p.abi.ulong_arg(a[4]);
            let old = p.read_u32(uaddr2)?;
            let new = wake_op(a[5] as u32, old).ok_or(Errno::ENOSYS)?;
            p.write_u32(uaddr2, new)?;
            Ok(0)
        }
        cmd => {
            tracing::warn!(target: "unimp", "futex operation {cmd} not supported");
            Err(Errno::ENOSYS)
        }
    }
}

/// The new value of the second word for `FUTEX_WAKE_OP`'s encoded `op`
/// (the comparison only decides whom to wake, and there is nobody).
fn wake_op(encoded: u32, old: u32) -> Option<u32> {
    let op = (encoded >> 28) & 7;
    let shift = encoded >> 31 != 0;
    let mut oparg = ((encoded as i32) << 8 >> 20) as u32;
    if shift {
        oparg = 1u32.checked_shl(oparg & 31)?;
    }
    Some(match op {
        0 => oparg,
        1 => old.wrapping_add(oparg),
        2 => old | oparg,
        3 => old & !oparg,
        4 => old ^ oparg,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::wake_op;

    #[test]
    fn wake_op_encodings() {
        // FUTEX_OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_GT, 1)
        let set1 = (4 << 24) | (1 << 12) | 1; // op SET is 0
        assert_eq!(wake_op(set1, 7), Some(1));
        // FUTEX_OP(FUTEX_OP_ADD, -1, ...)
        let add_m1 = (1 << 28) | (0xfff << 12);
        assert_eq!(wake_op(add_m1, 5), Some(4));
        // OPARG_SHIFT with OR: 1 << 3.
        let or_shift = (8 << 28) | (2 << 28) | (3 << 12);
        assert_eq!(wake_op(or_shift, 1), Some(9));
        assert_eq!(wake_op(7 << 28, 0), None);
    }
}
