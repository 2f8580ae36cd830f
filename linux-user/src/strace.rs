//! `-strace`: one line per guest syscall on stderr, in QEMU's shape:
//! `PID name(args...) = result`, or `= -1 errno=N (message)` on failure.
//! Arguments are decoded by kind for the common calls (descriptors, paths
//! as quoted strings, open/mmap/prot flags by name, signals, modes in
//! octal); other calls show their six raw arguments in hex.

use crate::abi::GuestAbi;
use crate::space::GuestSpace;
use crate::syscall::SyscallOutcome;
use std::fmt::Write as _;

/// Logs one syscall without looking at guest memory (raw arguments).
pub fn log(abi: &GuestAbi, pid: u32, nr: u64, args: &[u64; 6], out: SyscallOutcome) {
    let name = abi.syscalls.name(nr).unwrap_or("unknown");
    let args: Vec<String> = args.iter().map(|a| format!("{a:#x}")).collect();
    eprintln!(
        "{pid} {name}({}) = {}",
        args.join(","),
        result(abi, name, out)
    );
}

/// Logs one syscall with its arguments decoded (strings read from `space`
/// after the call, as QEMU's strace does).
pub fn log_decoded(
    abi: &GuestAbi,
    space: &GuestSpace,
    pid: u32,
    nr: u64,
    args: &[u64; 6],
    out: SyscallOutcome,
) {
    let name = abi.syscalls.name(nr).unwrap_or("unknown");
    let line = format!(
        "{pid} {name}({}) = {}",
        decode_args(abi, space, name, args),
        result(abi, name, out)
    );
    eprintln!("{line}");
}

/// Logs an `execve`/`execveat` before it runs (its result line follows
/// only if it fails: a successful exec replaces the process).
pub fn log_exec(abi: &GuestAbi, space: &GuestSpace, pid: u32, nr: u64, args: &[u64; 6]) {
    let name = abi.syscalls.name(nr).unwrap_or("unknown");
    if matches!(name, "execve" | "execveat") {
        eprintln!("{pid} {name}({}) ...", decode_args(abi, space, name, args));
    }
}

/// The result column: decimal, hex for address-returning calls, or
/// `-1 errno=N (message)`.
fn result(abi: &GuestAbi, name: &str, out: SyscallOutcome) -> String {
    match out {
        SyscallOutcome::Return(v) if (-4095..0).contains(&v) => {
            let host = abi.errno.to_host(-v as i32).0;
            format!("-1 errno={} ({})", -v, strerror(host))
        }
        SyscallOutcome::Return(v)
            if matches!(name, "mmap" | "mmap2" | "mremap" | "brk" | "shmat") =>
        {
            format!("{v:#x}")
        }
        SyscallOutcome::Return(v) => format!("{v}"),
        SyscallOutcome::Exit(code) => format!("? (exit_group {code})"),
        SyscallOutcome::ThreadExit(code) => format!("? (exit {code})"),
        SyscallOutcome::NewThread(_) => "? (new thread)".to_string(),
        SyscallOutcome::Sigreturn => "? (sigreturn)".to_string(),
        SyscallOutcome::Restart => "? ERESTARTSYS (interrupted by a signal)".to_string(),
    }
}

fn strerror(e: i32) -> String {
    // SAFETY: strerror returns a static or thread-local string.
    unsafe {
        let p = libc::strerror(e);
        if p.is_null() {
            return format!("error {e}");
        }
        std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

/// Argument kinds per call, one letter each: `d` fd (AT_FDCWD by name),
/// `s` string, `O` open flags, `o` octal mode, `i` signed, `u` unsigned,
/// `x` hex, `P` mmap prot, `M` mmap flags, `S` signal, `A` *at flags.
fn kinds(name: &str) -> Option<&'static str> {
    Some(match name {
        "openat" => "dsOo",
        "open" => "sOo",
        "close" | "fsync" | "fdatasync" | "fchdir" | "dup" => "d",
        "read" | "write" | "getdents64" => "dxu",
        "pread64" | "pwrite64" => "dxui",
        "readv" | "writev" => "dxu",
        "lseek" => "diu",
        "mmap" | "mmap2" => "xuPMdx",
        "munmap" => "xu",
        "mprotect" => "xuP",
        "brk" => "x",
        "exit" | "exit_group" => "i",
        "fstat" => "dx",
        "newfstatat" | "fstatat64" => "dsxA",
        "statx" => "dsAux",
        "faccessat" | "faccessat2" => "dsoA",
        "readlinkat" => "dsxu",
        "unlinkat" => "dsA",
        "mkdirat" => "dso",
        "fchmodat" => "dso",
        "renameat" | "renameat2" => "dsds",
        "linkat" => "dsdsA",
        "symlinkat" => "sds",
        "chdir" | "chroot" | "unlink" | "rmdir" => "s",
        "getcwd" => "xu",
        "ioctl" | "fcntl" => "dxx",
        "execve" => "sxx",
        "execveat" => "dsxxA",
        "kill" | "tkill" => "iS",
        "tgkill" => "iiS",
        "rt_sigaction" => "Sxxu",
        "rt_sigprocmask" => "ixxu",
        "wait4" => "ixxx",
        "dup2" | "dup3" => "ddx",
        "pipe2" => "xO",
        "uname" | "set_tid_address" => "x",
        "truncate" => "si",
        "ftruncate" => "di",
        "socket" => "iii",
        "connect" | "bind" => "dxu",
        "getrandom" => "xux",
        "futex" => "xixxxi",
        "clock_gettime" | "clock_getres" => "ix",
        "nanosleep" => "xx",
        _ => return None,
    })
}

fn decode_args(abi: &GuestAbi, space: &GuestSpace, name: &str, args: &[u64; 6]) -> String {
    let Some(mut k) = kinds(name) else {
        let a: Vec<String> = args.iter().map(|a| format!("{a:#x}")).collect();
        return a.join(",");
    };
    // open's mode only means something with O_CREAT or O_TMPFILE.
    const O_CREAT: u64 = 0o100;
    const O_TMPFILE: u64 = 0o20000000;
    let flags_at = k.find('O');
    if let (Some(i), true) = (flags_at, matches!(name, "open" | "openat")) {
        if args[i] & (O_CREAT | O_TMPFILE) == 0 {
            k = &k[..=i];
        }
    }
    let mut out = String::new();
    for (i, kind) in k.chars().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let v = args[i];
        let s32 = v as u32 as i32;
        match kind {
            'd' if s32 == -100 => out.push_str("AT_FDCWD"),
            'd' | 'i' => {
                let _ = write!(
                    out,
                    "{}",
                    if abi.bits == 32 {
                        i64::from(s32)
                    } else {
                        v as i64
                    }
                );
            }
            'u' => {
                let _ = write!(out, "{v}");
            }
            'o' => {
                let _ = write!(out, "0{v:o}");
            }
            's' => out.push_str(&quoted(space, v)),
            'O' => out.push_str(&flag_names(v, OPEN_FLAGS, Some(("O_RDONLY", 3)))),
            'P' => out.push_str(&flag_names(v, PROT_FLAGS, Some(("PROT_NONE", 0)))),
            'M' => out.push_str(&flag_names(v, MMAP_FLAGS, None)),
            'A' => out.push_str(&flag_names(v, AT_FLAGS, Some(("0", 0)))),
            'S' => out.push_str(&signal_name(v)),
            _ => {
                let _ = write!(out, "{v:#x}");
            }
        }
    }
    out
}

/// A guest C string as `"..."` (at most 64 bytes shown), or its address
/// when unreadable.
fn quoted(space: &GuestSpace, addr: u64) -> String {
    if addr == 0 {
        return "NULL".into();
    }
    match space.read_cstr(addr, 65) {
        Ok(b) => {
            let more = b.len() > 64;
            let mut s = String::from("\"");
            for &c in b.iter().take(64) {
                match c {
                    b'"' => s.push_str("\\\""),
                    b'\\' => s.push_str("\\\\"),
                    b'\n' => s.push_str("\\n"),
                    b'\t' => s.push_str("\\t"),
                    0x20..=0x7e => s.push(c as char),
                    _ => {
                        let _ = write!(s, "\\{c:03o}");
                    }
                }
            }
            s.push('"');
            if more {
                s.push_str("...");
            }
            s
        }
        Err(_) => format!("{addr:#x}"),
    }
}

/// Generic Linux flag values (AArch64, ARM, x86 share these).
const OPEN_FLAGS: &[(&str, u64)] = &[
    ("O_WRONLY", 0o1),
    ("O_RDWR", 0o2),
    ("O_CREAT", 0o100),
    ("O_EXCL", 0o200),
    ("O_NOCTTY", 0o400),
    ("O_TRUNC", 0o1000),
    ("O_APPEND", 0o2000),
    ("O_NONBLOCK", 0o4000),
    ("O_DSYNC", 0o10000),
    ("O_DIRECTORY", 0o40000),
    ("O_NOFOLLOW", 0o100000),
    ("O_DIRECT", 0o200000),
    ("O_LARGEFILE", 0o400000),
    ("O_NOATIME", 0o1000000),
    ("O_CLOEXEC", 0o2000000),
    ("O_PATH", 0o10000000),
];

const PROT_FLAGS: &[(&str, u64)] = &[("PROT_READ", 1), ("PROT_WRITE", 2), ("PROT_EXEC", 4)];

const MMAP_FLAGS: &[(&str, u64)] = &[
    ("MAP_SHARED", 0x1),
    ("MAP_PRIVATE", 0x2),
    ("MAP_FIXED", 0x10),
    ("MAP_ANONYMOUS", 0x20),
    ("MAP_GROWSDOWN", 0x100),
    ("MAP_DENYWRITE", 0x800),
    ("MAP_EXECUTABLE", 0x1000),
    ("MAP_LOCKED", 0x2000),
    ("MAP_NORESERVE", 0x4000),
    ("MAP_POPULATE", 0x8000),
    ("MAP_NONBLOCK", 0x10000),
    ("MAP_STACK", 0x20000),
    ("MAP_HUGETLB", 0x40000),
    ("MAP_FIXED_NOREPLACE", 0x100000),
];

const AT_FLAGS: &[(&str, u64)] = &[
    ("AT_SYMLINK_NOFOLLOW", 0x100),
    ("AT_REMOVEDIR", 0x200),
    ("AT_SYMLINK_FOLLOW", 0x400),
    ("AT_NO_AUTOMOUNT", 0x800),
    ("AT_EMPTY_PATH", 0x1000),
];

/// `A|B|0x...` for the bits of `v`; `zero` names the value 0 (and for
/// open flags, the access mode 0 when `zero.1` masks it).
fn flag_names(v: u64, table: &[(&str, u64)], zero: Option<(&str, u64)>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut rest = v;
    if let Some((z, mask)) = zero {
        if mask != 0 && v & mask == 0 {
            parts.push(z.to_string());
        }
    }
    for &(n, bit) in table {
        if v & bit == bit && bit != 0 {
            parts.push(n.to_string());
            rest &= !bit;
        }
    }
    if rest != 0 {
        parts.push(format!("{rest:#x}"));
    }
    if parts.is_empty() {
        return zero.map_or_else(|| "0".to_string(), |(z, _)| z.to_string());
    }
    parts.join("|")
}

fn signal_name(v: u64) -> String {
    const NAMES: [&str; 32] = [
        "0",
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    match NAMES.get(v as usize) {
        Some(n) => n.to_string(),
        None => format!("{}", v as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_decode_by_name() {
        assert_eq!(
            flag_names(0o2000000, OPEN_FLAGS, Some(("O_RDONLY", 3))),
            "O_RDONLY|O_CLOEXEC"
        );
        assert_eq!(
            flag_names(0o101 | 0x4000_0000, OPEN_FLAGS, Some(("O_RDONLY", 3))),
            "O_WRONLY|O_CREAT|0x40000000"
        );
        assert_eq!(
            flag_names(0, PROT_FLAGS, Some(("PROT_NONE", 0))),
            "PROT_NONE"
        );
        assert_eq!(
            flag_names(3, PROT_FLAGS, Some(("PROT_NONE", 0))),
            "PROT_READ|PROT_WRITE"
        );
        assert_eq!(
            flag_names(0x22, MMAP_FLAGS, None),
            "MAP_PRIVATE|MAP_ANONYMOUS"
        );
        assert_eq!(signal_name(11), "SIGSEGV");
        assert_eq!(strerror(2), "No such file or directory");
    }
}
