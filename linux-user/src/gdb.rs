//! `-g PORT`: user mode's side of the GDB server (`mimic_gdb`). Guest
//! memory for the debugger, and the process-wide hooks the exit paths and
//! `fork` use; the per-guest cpu loop calls the `Debugger` at every
//! instruction while a debugger is attached.

use crate::space::GuestSpace;
use crate::thread::{self, Inval};
use mimic_gdb::control::Event;
use std::sync::{Arc, Mutex};

/// Guest memory as GDB sees it: what the guest can read, and writes to
/// what the guest can write (translations of the bytes are dropped).
pub struct SpaceMemory(pub Arc<GuestSpace>);

impl mimic_gdb::Memory for SpaceMemory {
    fn read(&self, addr: u64, buf: &mut [u8]) -> usize {
        let n = self.0.accessible(addr, buf.len() as u64, libc::PROT_READ) as usize;
        let n = n.min(buf.len());
        if n == 0 || self.0.read(addr, &mut buf[..n]).is_err() {
            return 0;
        }
        n
    }

    fn write(&self, addr: u64, data: &[u8]) -> bool {
        if self.0.write(addr, data).is_err() {
            return false;
        }
        let end = addr.saturating_add(data.len() as u64);
        thread::post([Inval::Range(addr & !0xfff, (end + 0xfff) & !0xfff)]);
        true
    }
}

/// What the process-wide paths need from the debugger, whatever the guest.
pub trait Session: Send + Sync {
    fn process_exit(&self, ev: Event);
    fn detach(&self);
}

impl<R> Session for mimic_gdb::Debugger<R>
where
    R: gdbstub::arch::Registers<ProgramCounter = u64> + Send,
{
    fn process_exit(&self, ev: Event) {
        mimic_gdb::Debugger::process_exit(self, ev)
    }
    fn detach(&self) {
        mimic_gdb::Debugger::detach(self)
    }
}

static SESSION: Mutex<Option<Arc<dyn Session>>> = Mutex::new(None);

/// Installs the debugger of this process.
pub fn set_session(s: Arc<dyn Session>) {
    *SESSION.lock().unwrap_or_else(|e| e.into_inner()) = Some(s);
}

/// The session, taken: the process ends, and only the first exit path to
/// get here tells GDB.
fn take_session() -> Option<Arc<dyn Session>> {
    SESSION.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// The process exits with `code`: GDB hears of it first.
pub fn report_exit(code: i32) {
    if let Some(s) = take_session() {
        s.process_exit(Event::Exited(code));
    }
}

/// The process dies by host signal `sig`: GDB hears of it first.
pub fn report_killed(sig: i32) {
    if let Some(s) = take_session() {
        s.process_exit(Event::Killed(sig));
    }
}

/// In a forked child: the debugger belongs to the parent (its server
/// thread does not exist here), so the child runs undebugged.
pub fn forked_child() {
    if let Some(s) = take_session() {
        s.detach();
    }
}
