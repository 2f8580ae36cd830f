//! Clocks and sleeping: `clock_gettime`, `clock_getres`, `gettimeofday`,
//! `nanosleep`, `clock_nanosleep`, `times`.

use super::{host, Handler, Process, SysResult};
use crate::errno::Errno;
use crate::layout::misc::{encode_tms, TimePair};

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("clock_gettime", sys_clock_gettime),
    ("clock_getres", sys_clock_getres),
    ("gettimeofday", sys_gettimeofday),
    ("nanosleep", sys_nanosleep),
    ("clock_nanosleep", sys_clock_nanosleep),
    ("times", sys_times),
];

fn write_time(p: &Process, addr: u64, t: TimePair) -> Result<(), Errno> {
    p.write_mem(addr, &t.encode(&p.codec()))
}

fn read_time(p: &Process, addr: u64) -> Result<TimePair, Errno> {
    let c = p.codec();
    let b = p.read_mem(addr, TimePair::size(&c))?;
    Ok(TimePair::decode(&c, &b))
}

fn sys_clock_gettime(p: &mut Process, a: [u64; 6]) -> SysResult {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a writable timespec.
    host(unsafe { libc::syscall(libc::SYS_clock_gettime, a[0] as i32, &mut ts) })?;
    write_time(p, a[1], TimePair::from_timespec(&ts))?;
    Ok(0)
}

fn sys_clock_getres(p: &mut Process, a: [u64; 6]) -> SysResult {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a writable timespec.
    host(unsafe { libc::syscall(libc::SYS_clock_getres, a[0] as i32, &mut ts) })?;
    if p.abi.ulong_arg(a[1]) != 0 {
        write_time(p, a[1], TimePair::from_timespec(&ts))?;
    }
    Ok(0)
}

fn sys_gettimeofday(p: &mut Process, a: [u64; 6]) -> SysResult {
    let mut tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    let mut tz = [0i32; 2];
    // SAFETY: writable timeval and two-int timezone.
    host(unsafe { libc::syscall(libc::SYS_gettimeofday, &mut tv, tz.as_mut_ptr()) })?;
    if p.abi.ulong_arg(a[0]) != 0 {
        write_time(
            p,
            a[0],
            TimePair {
                sec: tv.tv_sec,
                frac: tv.tv_usec,
            },
        )?;
    }
    if p.abi.ulong_arg(a[1]) != 0 {
        let c = p.codec();
        let mut b = [0u8; 8];
        c.put(&mut b, 0, 4, tz[0] as u32 as u64);
        c.put(&mut b, 4, 4, tz[1] as u32 as u64);
        p.write_mem(a[1], &b)?;
    }
    Ok(0)
}

/// Sleep as `clock_nanosleep(clock, flags, req, rem)`; on `EINTR` the
/// remaining time goes to `rem` (if given and the sleep was relative).
fn sleep(p: &Process, clock: i32, flags: i32, req: u64, rem: u64) -> SysResult {
    let t = read_time(p, req)?;
    if t.frac < 0 || t.frac >= 1_000_000_000 || t.sec < 0 {
        return Err(Errno::EINVAL);
    }
    let ts = t.to_timespec();
    let mut left = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid request and remainder timespecs.
    let r = unsafe {
        crate::safe_syscall::call(
            p,
            libc::SYS_clock_nanosleep,
            [
                clock as u64,
                flags as u64,
                &ts as *const libc::timespec as u64,
                &mut left as *mut libc::timespec as u64,
                0,
                0,
            ],
        )
    };
    match r {
        Err(Errno::EINTR) if p.abi.ulong_arg(rem) != 0 && flags & libc::TIMER_ABSTIME == 0 => {
            write_time(p, rem, TimePair::from_timespec(&left))?;
            Err(Errno::EINTR)
        }
        Err(e) => Err(e),
        Ok(_) => Ok(0),
    }
}

fn sys_nanosleep(p: &mut Process, a: [u64; 6]) -> SysResult {
    sleep(p, libc::CLOCK_MONOTONIC, 0, a[0], a[1])
}

fn sys_clock_nanosleep(p: &mut Process, a: [u64; 6]) -> SysResult {
    sleep(p, a[0] as i32, a[1] as i32, a[2], a[3])
}

fn sys_times(p: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: zeroed `struct tms` is valid.
    let mut t: libc::tms = unsafe { std::mem::zeroed() };
    // SAFETY: writable `struct tms`.
    let r = unsafe { libc::times(&mut t) };
    if p.abi.ulong_arg(a[0]) != 0 {
        p.write_mem(a[0], &encode_tms(&p.codec(), &t))?;
    }
    Ok(p.abi.ulong_arg(r as u64))
}
