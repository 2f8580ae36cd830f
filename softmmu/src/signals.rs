//! SIGINT, SIGTERM and SIGHUP end a system-mode run the orderly way (as a
//! QMP `quit` does): the vCPUs stop, the SHUTDOWN event goes out with
//! reason "host-signal", and the disks are flushed and closed. The signals
//! are blocked in every thread and taken by one thread with sigwait.

use crate::machine::{Machine, Shutdown};
use std::sync::Arc;

fn set() -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset initialise the set we own.
    unsafe {
        let mut s: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut s);
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaddset(&mut s, sig);
        }
        s
    }
}

/// Blocks the signals in the calling thread, so that threads it starts
/// afterwards inherit the mask. Call before starting any thread.
pub fn block() {
    let s = set();
    // SAFETY: a valid set; changes only this thread's mask.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &s, std::ptr::null_mut()) };
}

/// Starts the thread that turns the signals into a shutdown request.
pub fn spawn_handler(m: &Arc<Machine>) {
    let m = m.clone();
    let r = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || loop {
            let s = set();
            let mut sig = 0;
            // SAFETY: a valid set and out pointer.
            if unsafe { libc::sigwait(&s, &mut sig) } == 0 {
                eprintln!("mimic: terminating on signal {sig}");
                m.request_shutdown(Shutdown::Signal);
            }
        });
    if let Err(e) = r {
        tracing::warn!(target: "unimp", "cannot start the signal thread: {e}");
    }
}
