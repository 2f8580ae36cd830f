//! Process identity and limits: exit, ids, `uname`, `getrandom`, resource
//! limits, scheduler queries, `sysinfo`, `prctl`, `kill`.

use super::{host, lock, Handler, Process, SysResult, SyscallOutcome};
use crate::errno::Errno;
use crate::layout::misc::{decode_rlimit, encode_rlimit, encode_sysinfo, encode_utsname, TimePair};
use crate::layout::Codec;

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("exit", sys_exit),
    ("exit_group", sys_exit_group),
    ("getpid", sys_getpid),
    ("gettid", sys_gettid),
    ("getppid", sys_getppid),
    ("getuid", sys_getuid),
    ("geteuid", sys_geteuid),
    ("getgid", sys_getgid),
    ("getegid", sys_getegid),
    ("getresuid", sys_getresuid),
    ("getresgid", sys_getresgid),
    ("getgroups", sys_getgroups),
    ("getpgid", sys_getpgid),
    ("setpgid", sys_setpgid),
    ("getsid", sys_getsid),
    ("setsid", sys_setsid),
    ("uname", sys_uname),
    ("getrandom", sys_getrandom),
    ("prlimit64", sys_prlimit64),
    ("getrlimit", sys_getrlimit),
    ("setrlimit", sys_setrlimit),
    ("getrusage", sys_getrusage),
    ("set_tid_address", sys_set_tid_address),
    ("set_robust_list", sys_set_robust_list),
    ("rseq", sys_rseq),
    ("sched_getaffinity", sys_sched_getaffinity),
    ("sched_yield", sys_sched_yield),
    ("getcpu", sys_getcpu),
    ("sysinfo", sys_sysinfo),
    ("prctl", sys_prctl),
    ("personality", sys_personality),
    ("setuid", sys_setuid),
    ("setgid", sys_setgid),
    ("setreuid", sys_setreuid),
    ("setregid", sys_setregid),
    ("setresuid", sys_setresuid),
    ("setresgid", sys_setresgid),
    ("getpriority", sys_getpriority),
    ("setpriority", sys_setpriority),
    ("kill", sys_kill),
    ("tgkill", sys_tgkill),
    ("tkill", sys_tkill),
];

fn sys_exit(p: &mut Process, a: [u64; 6]) -> SysResult {
    p.set_outcome(SyscallOutcome::ThreadExit(a[0] as i32));
    Ok(0)
}

fn sys_exit_group(p: &mut Process, a: [u64; 6]) -> SysResult {
    p.set_outcome(SyscallOutcome::Exit(a[0] as i32));
    Ok(0)
}

macro_rules! simple_id {
    ($name:ident, $call:expr) => {
        fn $name(_: &mut Process, _: [u64; 6]) -> SysResult {
            // SAFETY: id getters take no arguments and cannot fail.
            Ok(unsafe { $call } as u64)
        }
    };
}

simple_id!(sys_getpid, libc::getpid());
simple_id!(sys_gettid, libc::gettid());
simple_id!(sys_getppid, libc::getppid());
simple_id!(sys_getuid, libc::getuid());
simple_id!(sys_geteuid, libc::geteuid());
simple_id!(sys_getgid, libc::getgid());
simple_id!(sys_getegid, libc::getegid());

fn write_three(p: &Process, addrs: [u64; 3], v: [u32; 3]) -> SysResult {
    for (a, v) in addrs.into_iter().zip(v) {
        p.write_u32(a, v)?;
    }
    Ok(0)
}

fn sys_getresuid(p: &mut Process, a: [u64; 6]) -> SysResult {
    let (mut r, mut e, mut s) = (0, 0, 0);
    // SAFETY: three writable u32s.
    host(unsafe { libc::getresuid(&mut r, &mut e, &mut s) })?;
    write_three(p, [a[0], a[1], a[2]], [r, e, s])
}

fn sys_getresgid(p: &mut Process, a: [u64; 6]) -> SysResult {
    let (mut r, mut e, mut s) = (0, 0, 0);
    // SAFETY: three writable u32s.
    host(unsafe { libc::getresgid(&mut r, &mut e, &mut s) })?;
    write_three(p, [a[0], a[1], a[2]], [r, e, s])
}

fn sys_getgroups(p: &mut Process, a: [u64; 6]) -> SysResult {
    let size = a[0] as i32;
    if size < 0 {
        return Err(Errno::EINVAL);
    }
    let mut groups = vec![0u32; (size as usize).min(65536)];
    // SAFETY: `groups` has `size` writable entries (0 asks for the count).
    let n = host(unsafe { libc::getgroups(groups.len() as i32, groups.as_mut_ptr()) })?;
    if size > 0 {
        let c = p.codec();
        let mut b = vec![0u8; 4 * n as usize];
        for (i, g) in groups[..n as usize].iter().enumerate() {
            c.put(&mut b, 4 * i, 4, (*g).into());
        }
        p.write_mem(a[1], &b)?;
    }
    Ok(n)
}

fn sys_getpgid(_: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: plain argument.
    host(unsafe { libc::getpgid(a[0] as i32) })
}

fn sys_setpgid(_: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: plain arguments.
    host(unsafe { libc::setpgid(a[0] as i32, a[1] as i32) })
}

fn sys_getsid(_: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: plain argument.
    host(unsafe { libc::getsid(a[0] as i32) })
}

fn sys_setsid(_: &mut Process, _: [u64; 6]) -> SysResult {
    // SAFETY: no arguments.
    host(unsafe { libc::setsid() })
}

fn sys_uname(p: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: zeroed utsname is valid; uname fills it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: writable utsname.
    host(unsafe { libc::uname(&mut u) })?;
    let field = |f: &[libc::c_char]| -> Vec<u8> {
        f.iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect()
    };
    let release = match &p.uname_release {
        Some(r) => r.as_bytes().to_vec(),
        None => field(&u.release),
    };
    let b = encode_utsname([
        &field(&u.sysname),
        &field(&u.nodename),
        &release,
        &field(&u.version),
        p.abi.uname_machine.as_bytes(),
        &field(&u.domainname),
    ]);
    p.write_mem(a[0], &b)?;
    Ok(0)
}

fn sys_getrandom(p: &mut Process, a: [u64; 6]) -> SysResult {
    let addr = p.abi.ulong_arg(a[0]);
    let len = a[1].min(1 << 25);
    if len == 0 {
        return Ok(0);
    }
    if !p.space.check(addr, len, libc::PROT_WRITE) {
        return Err(Errno::EFAULT);
    }
    // -seed: deterministic bytes (flags are still checked: GRND_NONBLOCK,
    // GRND_RANDOM, GRND_INSECURE; RANDOM with INSECURE is invalid).
    if crate::rng::seeded() {
        let flags = a[2];
        if flags & !7 != 0 || flags & 6 == 6 {
            return Err(Errno::EINVAL);
        }
        let mut bytes = vec![0u8; len as usize];
        crate::rng::fill(&mut bytes);
        p.write_mem(addr, &bytes)?;
        return Ok(len);
    }
    // SAFETY: `len` bytes at the guest address are mapped writable.
    host(unsafe { libc::getrandom(p.space.g2h(addr).cast(), len as usize, a[2] as u32) } as i64)
}

/// Limits the guest may set without the host applying them: they would
/// limit the emulator's own reservation and stack.
const FAKE_RLIMITS: [u32; 3] = [libc::RLIMIT_AS, libc::RLIMIT_DATA, libc::RLIMIT_STACK];

/// Number of resource limits Linux defines.
const RLIM_NLIMITS: u32 = 16;

/// Guest resource number -> host (identical for the generic ABIs).
fn resource(r: u64) -> Result<u32, Errno> {
    let r = r as u32;
    if r >= RLIM_NLIMITS {
        return Err(Errno::EINVAL);
    }
    Ok(r)
}

fn get_limit(p: &Process, res: u32) -> Result<(u64, u64), Errno> {
    if let Some((_, v)) = lock(&p.shared.fake_rlimits).iter().find(|(r, _)| *r == res) {
        return Ok(*v);
    }
    let mut l = libc::rlimit64 {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: writable rlimit64.
    host(unsafe { libc::prlimit64(0, res as _, std::ptr::null(), &mut l) })?;
    Ok((l.rlim_cur, l.rlim_max))
}

fn set_limit(p: &mut Process, res: u32, v: (u64, u64)) -> Result<(), Errno> {
    if v.0 > v.1 {
        return Err(Errno::EINVAL);
    }
    if FAKE_RLIMITS.contains(&res) {
        let (_, max) = get_limit(p, res)?;
        if v.1 > max {
            // SAFETY: geteuid cannot fail.
            if unsafe { libc::geteuid() } != 0 {
                return Err(Errno::EPERM);
            }
        }
        let mut l = lock(&p.shared.fake_rlimits);
        l.retain(|(r, _)| *r != res);
        l.push((res, v));
        return Ok(());
    }
    let l = libc::rlimit64 {
        rlim_cur: v.0,
        rlim_max: v.1,
    };
    // SAFETY: valid rlimit64 input.
    host(unsafe { libc::prlimit64(0, res as _, &l, std::ptr::null_mut()) })?;
    Ok(())
}

fn is_self(pid: i32) -> bool {
    // SAFETY: getpid cannot fail.
    pid == 0 || pid == unsafe { libc::getpid() }
}

fn sys_prlimit64(p: &mut Process, a: [u64; 6]) -> SysResult {
    let pid = a[0] as i32;
    let res = resource(a[1])?;
    let c64 = Codec {
        big_endian: p.abi.big_endian,
        word: 8,
        time64: false,
    };
    let new = if p.abi.ulong_arg(a[2]) != 0 {
        Some(decode_rlimit(&c64, &p.read_mem(a[2], 16)?))
    } else {
        None
    };
    if !is_self(pid) {
        // Another process: the host's view is the truth.
        let nl = new.map(|(c, m)| libc::rlimit64 {
            rlim_cur: c,
            rlim_max: m,
        });
        let mut ol = libc::rlimit64 {
            rlim_cur: 0,
            rlim_max: 0,
        };
        let np = nl.as_ref().map_or(std::ptr::null(), |l| l as *const _);
        // SAFETY: valid input/output rlimit64 pointers.
        host(unsafe { libc::prlimit64(pid, res as _, np, &mut ol) })?;
        if p.abi.ulong_arg(a[3]) != 0 {
            p.write_mem(a[3], &encode_rlimit(&c64, ol.rlim_cur, ol.rlim_max))?;
        }
        return Ok(0);
    }
    let old = get_limit(p, res)?;
    if let Some(v) = new {
        set_limit(p, res, v)?;
    }
    if p.abi.ulong_arg(a[3]) != 0 {
        p.write_mem(a[3], &encode_rlimit(&c64, old.0, old.1))?;
    }
    Ok(0)
}

fn sys_getrlimit(p: &mut Process, a: [u64; 6]) -> SysResult {
    let res = resource(a[0])?;
    let (cur, max) = get_limit(p, res)?;
    p.write_mem(a[1], &encode_rlimit(&p.codec(), cur, max))?;
    Ok(0)
}

fn sys_setrlimit(p: &mut Process, a: [u64; 6]) -> SysResult {
    let res = resource(a[0])?;
    let c = p.codec();
    let v = decode_rlimit(&c, &p.read_mem(a[1], 2 * c.word)?);
    set_limit(p, res, v)?;
    Ok(0)
}

fn sys_getrusage(p: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: zeroed rusage is valid.
    let mut r: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: writable rusage.
    host(unsafe { libc::getrusage(a[0] as i32, &mut r) })?;
    p.write_mem(a[1], &encode_rusage(&p.codec(), &r))?;
    Ok(0)
}

/// Encode `struct rusage`: two timevals then fourteen longs.
pub(crate) fn encode_rusage(c: &Codec, r: &libc::rusage) -> Vec<u8> {
    let w = c.word;
    // Two timevals then fourteen longs.
    let mut b = vec![0u8; 4 * w + 14 * w];
    let tv = |t: &libc::timeval| TimePair {
        sec: t.tv_sec,
        frac: t.tv_usec,
    };
    b[..2 * w].copy_from_slice(&tv(&r.ru_utime).encode(c));
    b[2 * w..4 * w].copy_from_slice(&tv(&r.ru_stime).encode(c));
    let longs = [
        r.ru_maxrss,
        r.ru_ixrss,
        r.ru_idrss,
        r.ru_isrss,
        r.ru_minflt,
        r.ru_majflt,
        r.ru_nswap,
        r.ru_inblock,
        r.ru_oublock,
        r.ru_msgsnd,
        r.ru_msgrcv,
        r.ru_nsignals,
        r.ru_nvcsw,
        r.ru_nivcsw,
    ];
    for (i, v) in longs.iter().enumerate() {
        c.put_word(&mut b, (4 + i) * w, *v as u64);
    }
    b
}

fn sys_set_tid_address(p: &mut Process, a: [u64; 6]) -> SysResult {
    p.clear_child_tid = p.abi.ulong_arg(a[0]);
    // SAFETY: gettid cannot fail.
    Ok(unsafe { libc::gettid() } as u64)
}

fn sys_set_robust_list(p: &mut Process, a: [u64; 6]) -> SysResult {
    // The list head is 3 words; anything else is EINVAL, as on Linux.
    if a[1] != 3 * p.abi.word() {
        return Err(Errno::EINVAL);
    }
    p.robust_list = (p.abi.ulong_arg(a[0]), a[1]);
    Ok(0)
}

/// Restartable sequences are not offered; glibc copes with `ENOSYS`.
fn sys_rseq(_: &mut Process, _: [u64; 6]) -> SysResult {
    Err(Errno::ENOSYS)
}

fn sys_sched_getaffinity(p: &mut Process, a: [u64; 6]) -> SysResult {
    let len = p.abi.ulong_arg(a[1]) as usize;
    let w = p.abi.word() as usize;
    if !len.is_multiple_of(w) {
        return Err(Errno::EINVAL);
    }
    let mut mask = vec![0u64; len.min(8192).div_ceil(8).max(1)];
    // SAFETY: `mask` has at least `len.min(8192)` writable bytes.
    let n = host(unsafe {
        libc::syscall(
            libc::SYS_sched_getaffinity,
            a[0] as i32,
            len.min(mask.len() * 8),
            mask.as_mut_ptr(),
        )
    })? as usize;
    // Re-encode as the guest's array of `unsigned long`s.
    let c = p.codec();
    let mut out = vec![0u8; n.div_ceil(w) * w];
    for i in 0..out.len() / w {
        let bit = i * w * 8;
        let v = (mask[bit / 64] >> (bit % 64)) & if w == 8 { u64::MAX } else { 0xffff_ffff };
        c.put_word(&mut out, i * w, v);
    }
    p.write_mem(a[2], &out)?;
    Ok(out.len() as u64)
}

fn sys_sched_yield(_: &mut Process, _: [u64; 6]) -> SysResult {
    // SAFETY: no arguments.
    host(unsafe { libc::sched_yield() })
}

fn sys_getcpu(p: &mut Process, a: [u64; 6]) -> SysResult {
    let (mut cpu, mut node) = (0u32, 0u32);
    // SAFETY: two writable u32s; the cache argument is unused by Linux.
    host(unsafe {
        libc::syscall(
            libc::SYS_getcpu,
            &mut cpu,
            &mut node,
            std::ptr::null_mut::<u8>(),
        )
    })?;
    if p.abi.ulong_arg(a[0]) != 0 {
        p.write_u32(a[0], cpu)?;
    }
    if p.abi.ulong_arg(a[1]) != 0 {
        p.write_u32(a[1], node)?;
    }
    Ok(0)
}

fn sys_sysinfo(p: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: zeroed sysinfo is valid.
    let mut s: libc::sysinfo = unsafe { std::mem::zeroed() };
    // SAFETY: writable sysinfo.
    host(unsafe { libc::sysinfo(&mut s) })?;
    p.write_mem(a[0], &encode_sysinfo(&p.codec(), &s))?;
    Ok(0)
}

const PR_GET_DUMPABLE: i32 = 3;
const PR_SET_DUMPABLE: i32 = 4;
const PR_SET_NAME: i32 = 15;
const PR_GET_NAME: i32 = 16;
const PR_GET_NO_NEW_PRIVS: i32 = 39;
const PR_SET_NO_NEW_PRIVS: i32 = 38;

fn sys_prctl(p: &mut Process, a: [u64; 6]) -> SysResult {
    let op = a[0] as i32;
    // SAFETY (all prctl calls): integer arguments, or a 16-byte local
    // buffer for the name operations.
    match op {
        PR_SET_NAME => {
            let mut name = p.space.read_cstr(p.abi.ulong_arg(a[1]), 15)?;
            name.push(0);
            host(unsafe { libc::prctl(PR_SET_NAME, name.as_ptr()) })
        }
        PR_GET_NAME => {
            let mut name = [0u8; 16];
            host(unsafe { libc::prctl(PR_GET_NAME, name.as_mut_ptr()) })?;
            p.write_mem(a[1], &name)?;
            Ok(0)
        }
        PR_GET_DUMPABLE | PR_GET_NO_NEW_PRIVS => host(unsafe { libc::prctl(op, 0, 0, 0, 0) }),
        PR_SET_DUMPABLE | PR_SET_NO_NEW_PRIVS => {
            host(unsafe { libc::prctl(op, a[1] as libc::c_ulong, 0, 0, 0) })
        }
        _ => {
            tracing::warn!(target: "unimp", "prctl option {op} not supported");
            Err(Errno::EINVAL)
        }
    }
}

fn sys_personality(_: &mut Process, a: [u64; 6]) -> SysResult {
    // Only PER_LINUX exists here; the query value 0xffffffff and setting
    // PER_LINUX both report it.
    match a[0] as u32 {
        0 | 0xffff_ffff => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

/// Guest signal number -> host (identical for the generic ABIs).
pub(crate) fn host_signal(sig: u64) -> Result<i32, Errno> {
    let s = sig as i32;
    if !(0..=64).contains(&s) {
        return Err(Errno::EINVAL);
    }
    Ok(s)
}

fn sys_kill(_: &mut Process, a: [u64; 6]) -> SysResult {
    let sig = host_signal(a[1])?;
    // SAFETY: plain arguments. Signals to ourselves take the host's default
    // action until guest signal delivery exists.
    host(unsafe { libc::kill(a[0] as i32, sig) })
}

fn sys_tgkill(_: &mut Process, a: [u64; 6]) -> SysResult {
    let sig = host_signal(a[2])?;
    // SAFETY: plain arguments.
    host(unsafe { libc::syscall(libc::SYS_tgkill, a[0] as i32, a[1] as i32, sig) })
}

fn sys_tkill(_: &mut Process, a: [u64; 6]) -> SysResult {
    let sig = host_signal(a[1])?;
    // SAFETY: plain arguments.
    host(unsafe { libc::syscall(libc::SYS_tkill, a[0] as i32, sig) })
}

/// Credential changes go straight to the kernel for this thread (raw
/// syscalls: glibc's wrappers would also signal the emulator's own helper
/// threads).
macro_rules! raw_ids {
    ($($name:ident => $sys:ident / $n:literal),* $(,)?) => {
        $(
            fn $name(_: &mut Process, a: [u64; 6]) -> SysResult {
                let a: [u32; 3] = [a[0] as u32, a[1] as u32, a[2] as u32];
                // SAFETY: integer arguments only.
                host(unsafe { match $n {
                    1 => libc::syscall(libc::$sys, a[0]),
                    2 => libc::syscall(libc::$sys, a[0], a[1]),
                    _ => libc::syscall(libc::$sys, a[0], a[1], a[2]),
                } })
            }
        )*
    };
}

raw_ids!(
    sys_setuid => SYS_setuid / 1,
    sys_setgid => SYS_setgid / 1,
    sys_setreuid => SYS_setreuid / 2,
    sys_setregid => SYS_setregid / 2,
    sys_setresuid => SYS_setresuid / 3,
    sys_setresgid => SYS_setresgid / 3,
);

fn sys_getpriority(_: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: integer arguments; the raw syscall returns 20 - nice (>= 1).
    host(unsafe { libc::syscall(libc::SYS_getpriority, a[0] as i32, a[1] as i32) })
}

fn sys_setpriority(_: &mut Process, a: [u64; 6]) -> SysResult {
    // SAFETY: integer arguments.
    host(unsafe { libc::syscall(libc::SYS_setpriority, a[0] as i32, a[1] as i32, a[2] as i32) })
}
