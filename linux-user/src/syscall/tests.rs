//! Syscall tests: each drives [`Process::syscall`] by the guest's number
//! with arguments in guest memory, as translated code would.

use super::*;
use crate::aarch64::ABI;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

const SCRATCH: u64 = 0x10_0000;
const SCRATCH_LEN: u64 = 0x10_0000;

pub(crate) fn process() -> Process {
    let s = GuestSpace::new(40).unwrap();
    let f = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED;
    s.mmap(
        SCRATCH,
        SCRATCH_LEN,
        libc::PROT_READ | libc::PROT_WRITE,
        f,
        -1,
        0,
    )
    .unwrap();
    s.set_mmap_window(0x1_0000, 0x80_0000_0000);
    s.set_brk(0x40_0000);
    Process::new(s, &ABI, PathBuf::from("/opt/guest/prog"), None)
}

fn sc(p: &mut Process, name: &str, args: &[u64]) -> i64 {
    let nr = ABI
        .syscalls
        .number(name)
        .unwrap_or_else(|| panic!("no syscall {name}"));
    let mut a = [0u64; 6];
    a[..args.len()].copy_from_slice(args);
    match p.syscall(u64::from(nr), a) {
        SyscallOutcome::Return(v) => v,
        o => panic!("{name}: {o:?}"),
    }
}

fn put(p: &Process, addr: u64, b: &[u8]) {
    p.space.write(addr, b).unwrap();
}

fn get(p: &Process, addr: u64, n: usize) -> Vec<u8> {
    p.space.read_vec(addr, n).unwrap()
}

fn put_cstr(p: &Process, addr: u64, s: &[u8]) -> u64 {
    let mut v = s.to_vec();
    v.push(0);
    put(p, addr, &v);
    addr
}

fn u64_at(p: &Process, addr: u64) -> u64 {
    u64::from_le_bytes(get(p, addr, 8).try_into().unwrap())
}

fn u32_at(p: &Process, addr: u64) -> u32 {
    u32::from_le_bytes(get(p, addr, 4).try_into().unwrap())
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mimic-sys-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const AT_FDCWD: u64 = -100i64 as u64;
const EFAULT: i64 = -14;
const ENOSYS: i64 = -38;

#[test]
fn unknown_and_unimplemented_are_enosys() {
    let mut p = process();
    assert_eq!(p.syscall(5000, [0; 6]), SyscallOutcome::Return(ENOSYS));
    assert_eq!(p.syscall(u64::MAX, [0; 6]), SyscallOutcome::Return(ENOSYS));
    // io_setup exists in the table but has no handler.
    assert_eq!(sc(&mut p, "io_setup", &[]), ENOSYS);
    assert_eq!(sc(&mut p, "rseq", &[]), ENOSYS);
    assert!(p.implements("openat"));
    assert!(!p.implements("io_setup"));
}

#[test]
fn every_required_syscall_has_a_handler() {
    let p = process();
    for name in [
        "openat",
        "read",
        "write",
        "readv",
        "writev",
        "pread64",
        "pwrite64",
        "preadv",
        "pwritev",
        "lseek",
        "close",
        "fstat",
        "newfstatat",
        "statx",
        "getdents64",
        "readlinkat",
        "faccessat",
        "faccessat2",
        "unlinkat",
        "mkdirat",
        "renameat2",
        "ftruncate",
        "truncate",
        "fcntl",
        "dup",
        "dup3",
        "pipe2",
        "ioctl",
        "exit",
        "exit_group",
        "getpid",
        "gettid",
        "getppid",
        "getuid",
        "geteuid",
        "getgid",
        "getegid",
        "getgroups",
        "uname",
        "getrandom",
        "prlimit64",
        "getrlimit",
        "setrlimit",
        "set_tid_address",
        "set_robust_list",
        "rseq",
        "sched_getaffinity",
        "sched_yield",
        "sysinfo",
        "clock_gettime",
        "clock_getres",
        "gettimeofday",
        "nanosleep",
        "clock_nanosleep",
        "brk",
        "mmap",
        "munmap",
        "mprotect",
        "mremap",
        "madvise",
        "getcwd",
        "chdir",
        "umask",
        "kill",
        "tgkill",
        "rt_sigaction",
        "rt_sigprocmask",
        "sigaltstack",
        "futex",
        "getcpu",
        "times",
        "wait4",
        "utimensat",
        "fchmod",
        "fchmodat",
        "fchown",
        "statfs",
        "fstatfs",
        "sync",
        "fsync",
        "fdatasync",
    ] {
        assert!(p.implements(name), "{name}");
    }
}

#[test]
fn exit_group_ends_the_process() {
    let mut p = process();
    let nr = ABI.syscalls.number("exit_group").unwrap() as u64;
    assert_eq!(p.syscall(nr, [3, 0, 0, 0, 0, 0]), SyscallOutcome::Exit(3));
    let nr = ABI.syscalls.number("exit").unwrap() as u64;
    assert_eq!(
        p.syscall(nr, [0, 0, 0, 0, 0, 0]),
        SyscallOutcome::ThreadExit(0),
        "exit ends only the calling thread"
    );
}

#[test]
fn pipe_write_read_and_bad_pointers() {
    let mut p = process();
    assert_eq!(sc(&mut p, "pipe2", &[SCRATCH, 0]), 0);
    let (r, w) = (u32_at(&p, SCRATCH) as u64, u32_at(&p, SCRATCH + 4) as u64);
    put(&p, SCRATCH + 0x100, b"hello guest");
    assert_eq!(sc(&mut p, "write", &[w, SCRATCH + 0x100, 11]), 11);
    assert_eq!(sc(&mut p, "read", &[r, SCRATCH + 0x200, 5]), 5);
    assert_eq!(get(&p, SCRATCH + 0x200, 5), b"hello");
    // writev + readv.
    let c = ABI.codec();
    let mut iov = vec![0u8; 32];
    c.put_word(&mut iov, 0, SCRATCH + 0x300);
    c.put_word(&mut iov, 8, 3);
    c.put_word(&mut iov, 16, SCRATCH + 0x400);
    c.put_word(&mut iov, 24, 100);
    put(&p, SCRATCH + 0x500, &iov);
    assert_eq!(sc(&mut p, "readv", &[r, SCRATCH + 0x500, 2]), 6);
    assert_eq!(get(&p, SCRATCH + 0x300, 3), b" gu");
    assert_eq!(get(&p, SCRATCH + 0x400, 3), b"est");
    // Unmapped buffers: EFAULT, and nothing is consumed.
    assert_eq!(sc(&mut p, "write", &[w, 0x1000, 4]), EFAULT);
    assert_eq!(sc(&mut p, "read", &[r, 0x7_0000_0000, 4]), EFAULT);
    assert_eq!(sc(&mut p, "pipe2", &[0x1000, 0]), EFAULT);
    // A buffer running off the end of the mapping is shortened.
    put(&p, SCRATCH + 0x100, b"xyz");
    assert_eq!(sc(&mut p, "write", &[w, SCRATCH + 0x100, 3]), 3);
    let end = SCRATCH + SCRATCH_LEN - 2;
    assert_eq!(sc(&mut p, "read", &[r, end, 3]), 2);
    assert_eq!(sc(&mut p, "close", &[r]), 0);
    assert_eq!(sc(&mut p, "close", &[w]), 0);
    assert_eq!(sc(&mut p, "close", &[w]), -9, "EBADF");
}

#[test]
fn files_stat_seek_truncate_and_directories() {
    let mut p = process();
    let d = tmpdir("files");
    let path = d.join("f.txt");
    let pa = put_cstr(&p, SCRATCH, path.as_os_str().as_bytes());
    let o_creat_rdwr = 0o100 | 0o2;
    let fd = sc(&mut p, "openat", &[AT_FDCWD, pa, o_creat_rdwr, 0o644]);
    assert!(fd >= 0, "{fd}");
    let fd = fd as u64;
    put(&p, SCRATCH + 0x1000, b"0123456789");
    assert_eq!(sc(&mut p, "write", &[fd, SCRATCH + 0x1000, 10]), 10);
    assert_eq!(sc(&mut p, "lseek", &[fd, 2, 0]), 2);
    assert_eq!(sc(&mut p, "read", &[fd, SCRATCH + 0x2000, 3]), 3);
    assert_eq!(get(&p, SCRATCH + 0x2000, 3), b"234");
    assert_eq!(sc(&mut p, "pread64", &[fd, SCRATCH + 0x2000, 2, 8]), 2);
    assert_eq!(get(&p, SCRATCH + 0x2000, 2), b"89");
    put(&p, SCRATCH + 0x1000, b"AB");
    assert_eq!(sc(&mut p, "pwrite64", &[fd, SCRATCH + 0x1000, 2, 0]), 2);
    // fstat: generic struct stat bytes.
    assert_eq!(sc(&mut p, "fstat", &[fd, SCRATCH + 0x3000]), 0);
    let st = get(&p, SCRATCH + 0x3000, 128);
    let host = std::fs::metadata(&path).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        u64::from_le_bytes(st[8..16].try_into().unwrap()),
        host.ino()
    );
    assert_eq!(
        u32::from_le_bytes(st[16..20].try_into().unwrap()),
        host.mode()
    );
    assert_eq!(u64::from_le_bytes(st[48..56].try_into().unwrap()), 10);
    // newfstatat gives the same bytes (except atime, which may differ).
    assert_eq!(
        sc(&mut p, "newfstatat", &[AT_FDCWD, pa, SCRATCH + 0x3100, 0]),
        0
    );
    assert_eq!(get(&p, SCRATCH + 0x3100, 72), st[..72].to_vec());
    // statx.
    assert_eq!(
        sc(&mut p, "statx", &[AT_FDCWD, pa, 0, 0x7ff, SCRATCH + 0x3200]),
        0
    );
    assert_eq!(
        u64::from_le_bytes(get(&p, SCRATCH + 0x3200 + 40, 8).try_into().unwrap()),
        10
    );
    // AT_EMPTY_PATH on the fd.
    let empty = put_cstr(&p, SCRATCH + 0x3400, b"");
    assert_eq!(
        sc(&mut p, "newfstatat", &[fd, empty, SCRATCH + 0x3500, 0x1000]),
        0
    );
    assert_eq!(get(&p, SCRATCH + 0x3500, 16), st[..16].to_vec());
    // Truncation.
    assert_eq!(sc(&mut p, "ftruncate", &[fd, 4]), 0);
    assert_eq!(std::fs::read(&path).unwrap(), b"AB23");
    assert_eq!(sc(&mut p, "truncate", &[pa, 1]), 0);
    assert_eq!(std::fs::read(&path).unwrap(), b"A");
    // Permissions and access.
    assert_eq!(sc(&mut p, "fchmod", &[fd, 0o600]), 0);
    assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
    assert_eq!(sc(&mut p, "fchmodat", &[AT_FDCWD, pa, 0o640]), 0);
    assert_eq!(sc(&mut p, "faccessat", &[AT_FDCWD, pa, 4]), 0);
    assert_eq!(sc(&mut p, "faccessat2", &[AT_FDCWD, pa, 4, 0]), 0);
    // utimensat with explicit times.
    let c = ABI.codec();
    let mut ts = vec![0u8; 32];
    c.put_word(&mut ts, 0, 1_000_000);
    c.put_word(&mut ts, 16, 2_000_000);
    put(&p, SCRATCH + 0x4000, &ts);
    assert_eq!(
        sc(&mut p, "utimensat", &[AT_FDCWD, pa, SCRATCH + 0x4000, 0]),
        0
    );
    assert_eq!(std::fs::metadata(&path).unwrap().mtime(), 2_000_000);
    // fcntl: F_GETFL reports O_RDWR; guest O_DIRECTORY differs from the host.
    assert_eq!(sc(&mut p, "fcntl", &[fd, 3]) & 3, 2);
    assert_eq!(sc(&mut p, "fcntl", &[fd, 2, 1]), 0);
    assert_eq!(sc(&mut p, "fcntl", &[fd, 1]), 1);
    let dup = sc(&mut p, "fcntl", &[fd, 1030, 100]);
    assert!(dup >= 100);
    let dup3 = sc(&mut p, "dup3", &[fd, 200, 0o2000000]);
    assert_eq!(dup3, 200);
    assert_eq!(sc(&mut p, "fcntl", &[200, 1]), 1, "O_CLOEXEC set by dup3");
    // A lock round trip: F_GETLK on an unlocked file says F_UNLCK.
    let mut fl = vec![0u8; 32];
    fl[0..2].copy_from_slice(&1u16.to_le_bytes()); // F_WRLCK
    put(&p, SCRATCH + 0x4100, &fl);
    assert_eq!(sc(&mut p, "fcntl", &[fd, 5, SCRATCH + 0x4100]), 0);
    assert_eq!(get(&p, SCRATCH + 0x4100, 2), 2u16.to_le_bytes().to_vec());
    for f in [fd, dup as u64, 200] {
        assert_eq!(sc(&mut p, "close", &[f]), 0);
    }

    // Directories: mkdirat, getdents64, renameat2, unlinkat.
    let sub = put_cstr(&p, SCRATCH + 0x5000, d.join("sub").as_os_str().as_bytes());
    assert_eq!(sc(&mut p, "mkdirat", &[AT_FDCWD, sub, 0o755]), 0);
    let o_directory_guest = 0o40000;
    let dfd = sc(&mut p, "openat", &[AT_FDCWD, sub, o_directory_guest, 0]);
    assert!(dfd >= 0);
    assert_eq!(
        sc(&mut p, "fcntl", &[dfd as u64, 3]) & o_directory_guest as i64,
        o_directory_guest as i64,
        "F_GETFL speaks guest O_DIRECTORY"
    );
    // O_DIRECTORY on a regular file fails as it should.
    assert_eq!(
        sc(&mut p, "openat", &[AT_FDCWD, pa, o_directory_guest, 0]),
        -20
    );
    let n = sc(&mut p, "getdents64", &[dfd as u64, SCRATCH + 0x6000, 4096]);
    assert!(n >= 48, "at least . and ..: {n}");
    let names = get(&p, SCRATCH + 0x6000, n as usize);
    assert!(names.windows(3).any(|w| w == b"..\0"));
    sc(&mut p, "close", &[dfd as u64]);
    let newp = put_cstr(&p, SCRATCH + 0x7000, d.join("g.txt").as_os_str().as_bytes());
    assert_eq!(
        sc(&mut p, "renameat2", &[AT_FDCWD, pa, AT_FDCWD, newp, 0]),
        0
    );
    assert!(d.join("g.txt").exists());
    assert_eq!(sc(&mut p, "unlinkat", &[AT_FDCWD, newp, 0]), 0);
    assert_eq!(sc(&mut p, "unlinkat", &[AT_FDCWD, sub, 0x200]), 0);
    assert_eq!(sc(&mut p, "unlinkat", &[AT_FDCWD, sub, 0x200]), -2);
    // statfs.
    let dp = put_cstr(&p, SCRATCH + 0x7100, d.as_os_str().as_bytes());
    assert_eq!(sc(&mut p, "statfs", &[dp, SCRATCH + 0x7200]), 0);
    assert!(u64_at(&p, SCRATCH + 0x7200 + 8) > 0, "f_bsize");
    assert_eq!(sc(&mut p, "openat", &[AT_FDCWD, 0x1000, 0, 0]), EFAULT);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn readlink_proc_self_exe_and_cwd() {
    let mut p = process();
    let a = put_cstr(&p, SCRATCH, b"/proc/self/exe");
    let n = sc(&mut p, "readlinkat", &[AT_FDCWD, a, SCRATCH + 0x100, 256]);
    assert_eq!(n, 15);
    assert_eq!(get(&p, SCRATCH + 0x100, 15), b"/opt/guest/prog");
    // Truncated to the buffer, as readlink does.
    assert_eq!(
        sc(&mut p, "readlinkat", &[AT_FDCWD, a, SCRATCH + 0x100, 4]),
        4
    );
    assert_eq!(
        sc(&mut p, "readlinkat", &[AT_FDCWD, a, SCRATCH + 0x100, 0]),
        -22
    );
    let n = sc(&mut p, "getcwd", &[SCRATCH + 0x200, 4096]);
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(n as usize, cwd.as_os_str().len() + 1);
    assert_eq!(
        get(&p, SCRATCH + 0x200, n as usize - 1),
        cwd.as_os_str().as_bytes()
    );
    assert_eq!(sc(&mut p, "getcwd", &[SCRATCH + 0x200, 1]), -34, "ERANGE");
}

#[test]
fn memory_syscalls() {
    let mut p = process();
    assert_eq!(sc(&mut p, "brk", &[0]), 0x40_0000);
    assert_eq!(sc(&mut p, "brk", &[0x42_1000]), 0x42_1000);
    assert!(p.space.check(0x41_0000, 8, libc::PROT_WRITE));
    let rw = (libc::PROT_READ | libc::PROT_WRITE) as u64;
    let anon = (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS) as u64;
    let a = sc(&mut p, "mmap", &[0, 8192, rw, anon, u64::MAX, 0]);
    assert!(a > 0 && a % 4096 == 0, "{a:#x}");
    let a = a as u64;
    put(&p, a, b"x");
    assert_eq!(
        sc(&mut p, "mprotect", &[a, 4096, libc::PROT_READ as u64]),
        0
    );
    assert_eq!(p.space.write(a, b"y"), Err(crate::errno::Efault));
    // Like Linux, a range spanning two differently protected mappings
    // cannot be remapped.
    assert_eq!(sc(&mut p, "mremap", &[a, 8192, 16384, 1, 0]), EFAULT);
    assert_eq!(sc(&mut p, "mprotect", &[a, 8192, rw]), 0);
    let b = sc(&mut p, "mremap", &[a, 8192, 16384, 1, 0]);
    assert!(b > 0);
    assert_eq!(get(&p, b as u64, 1), b"x");
    assert_eq!(sc(&mut p, "madvise", &[b as u64, 4096, 4]), 0);
    assert_eq!(sc(&mut p, "munmap", &[b as u64, 16384]), 0);
    assert_eq!(sc(&mut p, "munmap", &[b as u64 + 1, 16384]), -22);
    assert_eq!(sc(&mut p, "mmap", &[0, 0, rw, anon, u64::MAX, 0]), -22);
}

#[test]
fn identity_and_system_info() {
    let mut p = process();
    // SAFETY: id getters cannot fail.
    let (pid, uid) = unsafe { (libc::getpid(), libc::getuid()) };
    assert_eq!(sc(&mut p, "getpid", &[]), pid as i64);
    assert_eq!(sc(&mut p, "getuid", &[]), uid as i64);
    assert!(sc(&mut p, "gettid", &[]) > 0);
    assert_eq!(
        sc(&mut p, "set_tid_address", &[SCRATCH]),
        sc(&mut p, "gettid", &[])
    );
    assert_eq!(sc(&mut p, "set_robust_list", &[SCRATCH, 24]), 0);
    assert_eq!(sc(&mut p, "set_robust_list", &[SCRATCH, 16]), -22);
    assert_eq!(sc(&mut p, "uname", &[SCRATCH]), 0);
    let u = get(&p, SCRATCH, 390);
    assert_eq!(&u[..6], b"Linux\0");
    assert_eq!(&u[4 * 65..4 * 65 + 8], b"aarch64\0");
    assert_eq!(sc(&mut p, "getrandom", &[SCRATCH + 0x100, 64, 0]), 64);
    assert_eq!(sc(&mut p, "getrandom", &[0x1000, 64, 0]), EFAULT);
    assert_eq!(sc(&mut p, "sysinfo", &[SCRATCH + 0x200]), 0);
    assert!(u64_at(&p, SCRATCH + 0x200 + 32) > 0, "totalram");
    let n = sc(&mut p, "sched_getaffinity", &[0, 128, SCRATCH + 0x300]);
    assert!(n > 0 && n % 8 == 0);
    assert_ne!(u64_at(&p, SCRATCH + 0x300), 0);
    assert_eq!(sc(&mut p, "getcpu", &[SCRATCH + 0x400, 0, 0]), 0);
    assert_eq!(sc(&mut p, "sched_yield", &[]), 0);
    assert_eq!(
        sc(&mut p, "wait4", &[1, 0, 0, 0]),
        -10,
        "ECHILD: init is not ours"
    );
    let n = sc(&mut p, "getgroups", &[0, 0]);
    assert!(n >= 0);
    assert_eq!(sc(&mut p, "umask", &[0o22]) & !0o777, 0);
    assert!(sc(&mut p, "times", &[SCRATCH + 0x500]) > 0);
    assert_eq!(sc(&mut p, "kill", &[pid as u64, 0]), 0);
}

#[test]
fn rlimits_stack_and_as_are_kept_from_the_host() {
    let mut p = process();
    const RLIMIT_AS: u64 = 9;
    const RLIMIT_NOFILE: u64 = 7;
    let mut lim = vec![0u8; 16];
    lim[..8].copy_from_slice(&(1u64 << 30).to_le_bytes());
    lim[8..].copy_from_slice(&u64::MAX.to_le_bytes());
    put(&p, SCRATCH, &lim);
    assert_eq!(
        sc(
            &mut p,
            "prlimit64",
            &[0, RLIMIT_AS, SCRATCH, SCRATCH + 0x100]
        ),
        0
    );
    assert_eq!(
        sc(&mut p, "prlimit64", &[0, RLIMIT_AS, 0, SCRATCH + 0x100]),
        0
    );
    assert_eq!(u64_at(&p, SCRATCH + 0x100), 1 << 30);
    // The host is unaffected: a 1 TiB reservation still works.
    assert!(GuestSpace::new(40).is_ok());
    assert_eq!(
        sc(&mut p, "getrlimit", &[RLIMIT_NOFILE, SCRATCH + 0x200]),
        0
    );
    assert!(u64_at(&p, SCRATCH + 0x200) > 0);
    assert_eq!(sc(&mut p, "getrlimit", &[99, SCRATCH + 0x200]), -22);
}

#[test]
fn time_syscalls() {
    let mut p = process();
    assert_eq!(sc(&mut p, "clock_gettime", &[1, SCRATCH]), 0);
    let t1 = u64_at(&p, SCRATCH);
    assert_eq!(sc(&mut p, "clock_gettime", &[0, SCRATCH]), 0);
    assert!(u64_at(&p, SCRATCH) > 1_600_000_000, "realtime seconds");
    assert_eq!(sc(&mut p, "clock_getres", &[1, SCRATCH + 0x10]), 0);
    assert_eq!(u64_at(&p, SCRATCH + 0x18), 1, "1 ns resolution");
    assert_eq!(sc(&mut p, "clock_getres", &[1, 0]), 0);
    assert_eq!(sc(&mut p, "gettimeofday", &[SCRATCH + 0x20, 0]), 0);
    assert!(u64_at(&p, SCRATCH + 0x28) < 1_000_000);
    let c = ABI.codec();
    let mut req = vec![0u8; 16];
    c.put_word(&mut req, 8, 2_000_000);
    put(&p, SCRATCH + 0x40, &req);
    assert_eq!(sc(&mut p, "nanosleep", &[SCRATCH + 0x40, 0]), 0);
    assert_eq!(sc(&mut p, "clock_nanosleep", &[1, 0, SCRATCH + 0x40, 0]), 0);
    assert_eq!(sc(&mut p, "clock_gettime", &[1, SCRATCH]), 0);
    assert!(u64_at(&p, SCRATCH) >= t1);
    c.put_word(&mut req, 8, 2_000_000_000);
    put(&p, SCRATCH + 0x40, &req);
    assert_eq!(sc(&mut p, "nanosleep", &[SCRATCH + 0x40, 0]), -22);
    assert_eq!(sc(&mut p, "clock_gettime", &[1, 0x1000]), EFAULT);
}

#[test]
fn signal_state_is_recorded() {
    let mut p = process();
    let c = ABI.codec();
    let act = crate::layout::misc::SigAction {
        handler: 0x40_1234,
        flags: 0x0400_0000,
        restorer: 0,
        mask: 1 << 1 | 1 << 8,
    };
    put(&p, SCRATCH, &act.encode(&c));
    assert_eq!(sc(&mut p, "rt_sigaction", &[10, SCRATCH, 0, 8]), 0);
    assert_eq!(sc(&mut p, "rt_sigaction", &[10, 0, SCRATCH + 0x100, 8]), 0);
    let back = crate::layout::misc::SigAction::decode(&c, &get(&p, SCRATCH + 0x100, 32));
    assert_eq!(back.handler, 0x40_1234);
    assert_eq!(back.mask, 1 << 1, "SIGKILL cannot be masked");
    assert_eq!(sc(&mut p, "rt_sigaction", &[9, SCRATCH, 0, 8]), -22);
    assert_eq!(sc(&mut p, "rt_sigaction", &[10, SCRATCH, 0, 16]), -22);
    assert_eq!(sc(&mut p, "rt_sigaction", &[65, 0, 0, 8]), -22);
    put(&p, SCRATCH + 0x200, &(1u64 << 1).to_le_bytes());
    assert_eq!(sc(&mut p, "rt_sigprocmask", &[0, SCRATCH + 0x200, 0, 8]), 0);
    put(&p, SCRATCH + 0x200, &(1u64 << 3).to_le_bytes());
    assert_eq!(
        sc(
            &mut p,
            "rt_sigprocmask",
            &[0, SCRATCH + 0x200, SCRATCH + 0x300, 8]
        ),
        0
    );
    assert_eq!(u64_at(&p, SCRATCH + 0x300), 1 << 1);
    assert_eq!(p.signals.mask, 1 << 1 | 1 << 3);
    assert_eq!(
        sc(&mut p, "rt_sigprocmask", &[7, SCRATCH + 0x200, 0, 8]),
        -22
    );
    // sigaltstack: too small, then fine, then read back.
    let mut ss = crate::layout::misc::SigStack {
        sp: SCRATCH + 0x8000,
        flags: 0,
        size: 1024,
    };
    put(&p, SCRATCH + 0x400, &ss.encode(&c));
    assert_eq!(sc(&mut p, "sigaltstack", &[SCRATCH + 0x400, 0]), -12);
    ss.size = 0x8000;
    put(&p, SCRATCH + 0x400, &ss.encode(&c));
    assert_eq!(sc(&mut p, "sigaltstack", &[SCRATCH + 0x400, 0]), 0);
    assert_eq!(sc(&mut p, "sigaltstack", &[0, SCRATCH + 0x500]), 0);
    assert_eq!(u64_at(&p, SCRATCH + 0x500), SCRATCH + 0x8000);
}

#[test]
fn futex_wait_wake_requeue_on_guest_words() {
    let mut p = process();
    put(&p, SCRATCH, &5u32.to_le_bytes());
    let private = 128;
    assert_eq!(
        sc(&mut p, "futex", &[SCRATCH, private, 4, 0]),
        -11,
        "EAGAIN"
    );
    // A real wait, woken by another host thread through the guest word.
    let addr = p.space.g2h(SCRATCH) as usize;
    let waker = std::thread::spawn(move || loop {
        std::thread::sleep(std::time::Duration::from_millis(5));
        // SAFETY: the word stays mapped while the test waits.
        let n = unsafe { libc::syscall(libc::SYS_futex, addr, 1 | 128, 1, 0, 0, 0) };
        if n == 1 {
            break;
        }
    });
    assert_eq!(sc(&mut p, "futex", &[SCRATCH, private, 5, 0]), 0, "woken");
    waker.join().unwrap();
    let mut ts = vec![0u8; 16];
    ts[8..].copy_from_slice(&1_000_000u64.to_le_bytes());
    put(&p, SCRATCH + 0x10, &ts);
    assert_eq!(
        sc(&mut p, "futex", &[SCRATCH, private, 5, SCRATCH + 0x10]),
        -110
    );
    assert_eq!(sc(&mut p, "futex", &[SCRATCH, 1 | private, 1]), 0);
    assert_eq!(sc(&mut p, "futex", &[SCRATCH + 1, 1, 1]), -22);
    assert_eq!(sc(&mut p, "futex", &[0x1000, 0, 1]), EFAULT);
    // WAKE_OP: set the second word to 1.
    put(&p, SCRATCH + 0x20, &9u32.to_le_bytes());
    let op = (4 << 24) | (1 << 12) | 1;
    assert_eq!(
        sc(&mut p, "futex", &[SCRATCH, 5, 1, 1, SCRATCH + 0x20, op]),
        0
    );
    assert_eq!(u32_at(&p, SCRATCH + 0x20), 1);
}

#[test]
fn ioctl_on_a_non_terminal() {
    let mut p = process();
    let d = tmpdir("ioctl");
    let f = put_cstr(&p, SCRATCH, d.join("x").as_os_str().as_bytes());
    let fd = sc(&mut p, "openat", &[AT_FDCWD, f, 0o100 | 2, 0o600]) as u64;
    assert_eq!(
        sc(&mut p, "ioctl", &[fd, 0x5401, SCRATCH + 0x100]),
        -25,
        "TCGETS: ENOTTY"
    );
    assert_eq!(
        sc(&mut p, "ioctl", &[fd, 0x5413, SCRATCH + 0x100]),
        -25,
        "TIOCGWINSZ"
    );
    assert_eq!(
        sc(&mut p, "ioctl", &[fd, 0x1234_5678, 0]),
        -25,
        "unknown request"
    );
    put(&p, SCRATCH + 0x200, b"abc");
    sc(&mut p, "write", &[fd, SCRATCH + 0x200, 3]);
    // FIONREAD on a pipe.
    sc(&mut p, "pipe2", &[SCRATCH + 0x300, 0]);
    let (r, w) = (
        u32_at(&p, SCRATCH + 0x300) as u64,
        u32_at(&p, SCRATCH + 0x304) as u64,
    );
    sc(&mut p, "write", &[w, SCRATCH + 0x200, 3]);
    assert_eq!(sc(&mut p, "ioctl", &[r, 0x541B, SCRATCH + 0x400]), 0);
    assert_eq!(u32_at(&p, SCRATCH + 0x400), 3);
    for x in [fd, r, w] {
        sc(&mut p, "close", &[x]);
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn terminal_ioctls_on_a_pty() {
    let mut p = process();
    // SAFETY: plain libc pty calls on fds this test owns.
    let m = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY) };
    if m < 0 {
        eprintln!("skipped: no pty available");
        return;
    }
    // SAFETY: `m` is a pty master we opened.
    unsafe {
        libc::grantpt(m);
        libc::unlockpt(m);
    }
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: buffer of 128 bytes.
    unsafe { libc::ptsname_r(m, name.as_mut_ptr(), 128) };
    // SAFETY: NUL-terminated by ptsname_r.
    let sname = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) };
    let a = put_cstr(&p, SCRATCH, sname.to_bytes());
    let s = sc(&mut p, "openat", &[AT_FDCWD, a, 2 | 0o400, 0]);
    assert!(s >= 0);
    let s = s as u64;
    assert_eq!(sc(&mut p, "ioctl", &[s, 0x5401, SCRATCH + 0x100]), 0);
    let t = get(&p, SCRATCH + 0x100, 36);
    // SAFETY: zeroed termios then tcgetattr fills it.
    let mut ht: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: valid fd and termios pointer.
    unsafe { libc::tcgetattr(s as i32, &mut ht) };
    assert_eq!(
        u32::from_le_bytes(t[12..16].try_into().unwrap()),
        ht.c_lflag
    );
    assert_eq!(t[17 + libc::VINTR], ht.c_cc[libc::VINTR]);
    // Clear ECHO through TCSETS and see it on the host.
    let mut t2 = t.clone();
    let lflag = u32::from_le_bytes(t[12..16].try_into().unwrap()) & !(libc::ECHO);
    t2[12..16].copy_from_slice(&lflag.to_le_bytes());
    put(&p, SCRATCH + 0x200, &t2);
    assert_eq!(sc(&mut p, "ioctl", &[s, 0x5402, SCRATCH + 0x200]), 0);
    // SAFETY: as above.
    unsafe { libc::tcgetattr(s as i32, &mut ht) };
    assert_eq!(ht.c_lflag & libc::ECHO, 0);
    // Window size round trip.
    put(&p, SCRATCH + 0x300, &[24, 0, 80, 0, 0, 0, 0, 0]);
    assert_eq!(sc(&mut p, "ioctl", &[s, 0x5414, SCRATCH + 0x300]), 0);
    assert_eq!(sc(&mut p, "ioctl", &[s, 0x5413, SCRATCH + 0x400]), 0);
    assert_eq!(get(&p, SCRATCH + 0x400, 4), vec![24, 0, 80, 0]);
    sc(&mut p, "close", &[s]);
    // SAFETY: closing our own fd.
    unsafe { libc::close(m) };
}

fn strv(p: &Process, at: u64, items: &[&[u8]]) -> u64 {
    // Strings after the pointer array.
    let mut ptrs = Vec::new();
    let mut s = at + 8 * (items.len() as u64 + 1);
    for it in items {
        put_cstr(p, s, it);
        ptrs.push(s);
        s += it.len() as u64 + 1;
    }
    ptrs.push(0);
    let b: Vec<u8> = ptrs.iter().flat_map(|v| v.to_le_bytes()).collect();
    put(p, at, &b);
    at
}

/// Run the clone syscall as glibc's fork does; in the child, run `child`
/// and `_exit` with its result (never returning to the test harness).
fn fork_with(p: &mut Process, child: impl FnOnce(&mut Process) -> i32) -> i64 {
    // Forking from a multi-threaded test harness: keep forks one at a time
    // so no child inherits another test's half-done state.
    static FORK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = FORK.lock().unwrap_or_else(|e| e.into_inner());
    const SIGCHLD: u64 = 17;
    let flags = SIGCHLD | 0x100_0000 | 0x20_0000; // CHILD_SETTID | CHILD_CLEARTID
    let pid = sc(p, "clone", &[flags, 0, 0, 0, SCRATCH + 0xf000]);
    if pid == 0 {
        let code = child(p);
        // SAFETY: leave the forked test process at once.
        unsafe { libc::_exit(code) };
    }
    pid
}

#[test]
fn fork_wait4_and_exit_status() {
    let mut p = process();
    let pid = fork_with(&mut p, |p| {
        // The child sees its own tid written by CLONE_CHILD_SETTID.
        // SAFETY: gettid cannot fail.
        let tid = unsafe { libc::gettid() } as u32;
        if u32_at(p, SCRATCH + 0xf000) == tid && p.clear_child_tid == SCRATCH + 0xf000 {
            7
        } else {
            1
        }
    });
    assert!(pid > 0);
    assert_eq!(
        sc(&mut p, "wait4", &[pid as u64, SCRATCH, 0, SCRATCH + 0x100]),
        pid
    );
    assert_eq!(u32_at(&p, SCRATCH), 7 << 8, "exited with 7");
    assert_eq!(
        sc(&mut p, "wait4", &[pid as u64, SCRATCH, 0, 0]),
        -10,
        "ECHILD"
    );
    // Threads are started by the cpu loop; inconsistent flags are EINVAL.
    let nr = u64::from(ABI.syscalls.number("clone").unwrap());
    let flags = 0x100 | 0x10000 | 0x800 | 0x8_0000;
    assert_eq!(
        p.syscall(nr, [flags, SCRATCH, 1, 2, 3, 0]),
        SyscallOutcome::NewThread(ThreadRequest {
            flags,
            stack: SCRATCH,
            parent_tid: 1,
            child_tid: 3,
            tls: 2,
        })
    );
    assert_eq!(
        sc(&mut p, "clone", &[0x100 | 0x10000, SCRATCH, 0, 0, 0]),
        -22
    );
    assert_eq!(sc(&mut p, "clone", &[0x100 | 0x800, SCRATCH, 0, 0, 0]), -22);
}

#[test]
fn waitid_reports_the_child() {
    let mut p = process();
    let pid = fork_with(&mut p, |_| 3);
    const P_PID: u64 = 1;
    const WEXITED: u64 = 4;
    assert_eq!(
        sc(&mut p, "waitid", &[P_PID, pid as u64, SCRATCH, WEXITED, 0]),
        0
    );
    let si = get(&p, SCRATCH, 28);
    assert_eq!(
        u32::from_le_bytes(si[0..4].try_into().unwrap()),
        17,
        "SIGCHLD"
    );
    assert_eq!(
        u32::from_le_bytes(si[8..12].try_into().unwrap()),
        1,
        "CLD_EXITED"
    );
    assert_eq!(
        i32::from_le_bytes(si[16..20].try_into().unwrap()),
        pid as i32
    );
    assert_eq!(u32::from_le_bytes(si[24..28].try_into().unwrap()), 3);
}

#[test]
fn execve_native_and_foreign() {
    let mut p = process();
    // A host program runs natively.
    let pid = fork_with(&mut p, |p| {
        let path = put_cstr(p, SCRATCH + 0x1000, b"/bin/sh");
        let argv = strv(p, SCRATCH + 0x2000, &[b"sh", b"-c", b"exit $X"]);
        let envp = strv(p, SCRATCH + 0x3000, &[b"X=4"]);
        sc(p, "execve", &[path, argv, envp]) as i32
    });
    sc(&mut p, "wait4", &[pid as u64, SCRATCH, 0, 0]);
    assert_eq!(u32_at(&p, SCRATCH), 4 << 8);

    // A foreign ELF goes through the emulator prefix; here a stand-in
    // command that checks what it was given.
    let hello = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/aarch64/hello");
    if !hello.exists() {
        eprintln!("skipped: examples/aarch64/hello missing");
        return;
    }
    p.exec_prefix = vec![
        "/bin/sh".into(),
        "-c".into(),
        r#"[ "$1" = -0 ] && [ "$2" = myname ] && [ "$4" = arg1 ] && exit 6; exit 1"#.into(),
        "stub".into(),
    ];
    let pid = fork_with(&mut p, |p| {
        let path = put_cstr(p, SCRATCH + 0x1000, hello.as_os_str().as_bytes());
        let argv = strv(p, SCRATCH + 0x2000, &[b"myname", b"arg1"]);
        sc(p, "execve", &[path, argv, 0]) as i32
    });
    sc(&mut p, "wait4", &[pid as u64, SCRATCH, 0, 0]);
    assert_eq!(u32_at(&p, SCRATCH), 6 << 8);

    // Missing programs fail in the caller, as on Linux.
    let path = put_cstr(&p, SCRATCH + 0x1000, b"/nonexistent/prog");
    let argv = strv(&p, SCRATCH + 0x2000, &[b"x"]);
    assert_eq!(sc(&mut p, "execve", &[path, argv, 0]), -2);
}

#[test]
fn shebang_with_a_foreign_interpreter_is_planned_through_the_emulator() {
    let mut p = process();
    let d = tmpdir("shebang");
    let hello = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/aarch64/hello");
    if !hello.exists() {
        eprintln!("skipped: examples/aarch64/hello missing");
        return;
    }
    let script = d.join("s");
    std::fs::write(&script, format!("#!{} -x\necho\n", hello.display())).unwrap();
    p.exec_prefix = vec!["/usr/bin/mimic".into(), "run".into()];
    let plan = exec::plan_exec(&p, &script, vec![b"s".to_vec(), b"a".to_vec()], 0).unwrap();
    assert_eq!(plan.path, PathBuf::from("/usr/bin/mimic"));
    let h = hello.as_os_str().as_bytes().to_vec();
    let sp = script.as_os_str().as_bytes().to_vec();
    assert_eq!(
        plan.argv,
        vec![
            b"/usr/bin/mimic".to_vec(),
            b"run".to_vec(),
            b"-0".to_vec(),
            h.clone(),
            h,
            b"-x".to_vec(),
            sp,
            b"a".to_vec()
        ]
    );
    // A script for a host interpreter runs natively.
    std::fs::write(&script, "#!/bin/sh\n").unwrap();
    let plan = exec::plan_exec(&p, &script, vec![b"s".to_vec()], 0).unwrap();
    assert_eq!(plan.path, PathBuf::from("/bin/sh"));
    // A script naming itself loops and is refused.
    std::fs::write(&script, format!("#!{}\n", script.display())).unwrap();
    assert_eq!(
        exec::plan_exec(&p, &script, vec![b"s".to_vec()], 0),
        Err(Errno::ELOOP)
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn ppoll_and_pselect6_on_a_pipe() {
    let mut p = process();
    sc(&mut p, "pipe2", &[SCRATCH, 0]);
    let (r, w) = (u32_at(&p, SCRATCH) as u64, u32_at(&p, SCRATCH + 4) as u64);
    // pollfd { fd, events = POLLIN, revents }
    let mut pfd = vec![0u8; 8];
    pfd[..4].copy_from_slice(&(r as u32).to_le_bytes());
    pfd[4..6].copy_from_slice(&1u16.to_le_bytes());
    put(&p, SCRATCH + 0x100, &pfd);
    put(&p, SCRATCH + 0x200, &[0u8; 16]); // zero timeout
    assert_eq!(
        sc(
            &mut p,
            "ppoll",
            &[SCRATCH + 0x100, 1, SCRATCH + 0x200, 0, 8]
        ),
        0
    );
    put(&p, SCRATCH + 0x300, b"z");
    sc(&mut p, "write", &[w, SCRATCH + 0x300, 1]);
    assert_eq!(
        sc(
            &mut p,
            "ppoll",
            &[SCRATCH + 0x100, 1, SCRATCH + 0x200, 0, 8]
        ),
        1
    );
    assert_eq!(
        get(&p, SCRATCH + 0x106, 2),
        1u16.to_le_bytes().to_vec(),
        "POLLIN"
    );
    // pselect6 with the read end in the read set.
    let mut set = [0u8; 128];
    set[(r / 8) as usize] |= 1 << (r % 8);
    put(&p, SCRATCH + 0x400, &set);
    let n = r + 1;
    assert_eq!(
        sc(
            &mut p,
            "pselect6",
            &[n, SCRATCH + 0x400, 0, 0, SCRATCH + 0x200, 0]
        ),
        1
    );
    let back = get(&p, SCRATCH + 0x400, 8);
    assert_ne!(back[(r / 8) as usize] & (1 << (r % 8)), 0);
    assert_eq!(sc(&mut p, "ppoll", &[0x1000, 1, 0, 0, 8]), EFAULT);
    sc(&mut p, "close", &[r]);
    sc(&mut p, "close", &[w]);
}

#[test]
fn xattr_and_priority() {
    let mut p = process();
    let d = tmpdir("xattr");
    let f = put_cstr(&p, SCRATCH, d.as_os_str().as_bytes());
    let n = sc(&mut p, "llistxattr", &[f, SCRATCH + 0x100, 0]);
    assert!(n >= 0 || n == -95, "{n}");
    let name = put_cstr(&p, SCRATCH + 0x200, b"user.mimic-none");
    let r = sc(&mut p, "lgetxattr", &[f, name, SCRATCH + 0x300, 64]);
    assert!(r == -61 || r == -95, "ENODATA or EOPNOTSUPP: {r}");
    assert!(sc(&mut p, "getpriority", &[0, 0]) >= 1);
    std::fs::remove_dir_all(&d).unwrap();
}
