//! `-strace`: one line per guest syscall on stderr, in strace's shape.

use crate::abi::GuestAbi;
use crate::syscall::SyscallOutcome;

/// Logs one syscall: `PID name(args...) = result` (or `-1 errno=N (NAME)`).
pub fn log(abi: &GuestAbi, pid: u32, nr: u64, args: &[u64; 6], out: SyscallOutcome) {
    let name = abi.syscalls.name(nr).unwrap_or("unknown");
    let args: Vec<String> = args.iter().map(|a| format!("{a:#x}")).collect();
    let res = match out {
        SyscallOutcome::Return(v) if (-4095..0).contains(&v) => {
            let e = crate::errno::Errno(abi.errno.to_host(-v as i32).0);
            format!("-1 errno={} ({})", -v, e.name().unwrap_or("?"))
        }
        SyscallOutcome::Return(v) => format!("{v:#x}"),
        SyscallOutcome::Exit(code) => format!("? (exit_group {code})"),
        SyscallOutcome::ThreadExit(code) => format!("? (exit {code})"),
        SyscallOutcome::NewThread(_) => "? (new thread)".to_string(),
        SyscallOutcome::Sigreturn => "? (sigreturn)".to_string(),
        SyscallOutcome::Restart => "? ERESTARTSYS (interrupted by a signal)".to_string(),
    };
    eprintln!("{pid} {name}({}) = {res}", args.join(","));
}
