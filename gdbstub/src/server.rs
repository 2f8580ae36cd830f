//! The GDB server: a TCP listener, and the `gdbstub` target that turns
//! GDB's requests into [`Debugger`] calls. Runs on its own host thread.

use crate::control::{Debugger, Event, StopKind};
use gdbstub::arch::Arch;
use gdbstub::common::{Signal, Tid};
use gdbstub::conn::{Connection, ConnectionExt};
use gdbstub::stub::run_blocking::{BlockingEventLoop, Event as LoopEvent, WaitForStopReasonError};
use gdbstub::stub::{DisconnectReason, GdbStub, MultiThreadStopReason};
use gdbstub::target::ext::base::multithread::{
    MultiThreadBase, MultiThreadResume, MultiThreadResumeOps, MultiThreadSchedulerLocking,
    MultiThreadSchedulerLockingOps, MultiThreadSingleStep, MultiThreadSingleStepOps,
};
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::ext::breakpoints::{
    Breakpoints, BreakpointsOps, HwBreakpoint, HwBreakpointOps, HwWatchpoint, HwWatchpointOps,
    SwBreakpoint, SwBreakpointOps, WatchKind,
};
use gdbstub::target::{Target, TargetError, TargetResult};
use std::marker::PhantomData;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

/// Binds the GDB port (on all local addresses, as QEMU's `-g` does).
pub fn listen(port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind(("0.0.0.0", port))
}

/// Starts the server thread: accepts one GDB connection on `listener`
/// (stopping a running guest) and serves it; when GDB detaches or disconnects the guest runs on freely;
/// a GDB `kill` ends the process.
pub fn serve<A>(listener: TcpListener, dbg: Arc<Debugger<A::Registers>>) -> std::io::Result<()>
where
    A: Arch<Usize = u64> + 'static,
    A::Registers: Send + 'static,
{
    std::thread::Builder::new()
        .name("gdbstub".into())
        .spawn(move || {
            let stream = match listener.accept() {
                Ok((s, _)) => s,
                Err(e) => {
                    eprintln!("mimic: gdbstub: accept failed: {e}");
                    dbg.detach();
                    return;
                }
            };
            drop(listener);
            let _ = stream.set_nodelay(true);
            dbg.stop_for_attach();
            dbg.wait_stopped();
            let mut target = GdbTarget::<A> {
                dbg: dbg.clone(),
                _arch: PhantomData,
            };
            let result = GdbStub::new(stream).run_blocking::<EventLoop<A>>(&mut target);
            match result {
                Ok(DisconnectReason::TargetExited(_) | DisconnectReason::TargetTerminated(_)) => {
                    dbg.exit_reported()
                }
                Ok(DisconnectReason::Kill) => {
                    // SAFETY: ending the whole process, as GDB asked.
                    unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
                }
                Ok(DisconnectReason::Disconnect) => dbg.detach(),
                Err(e) => {
                    eprintln!("mimic: gdbstub: {e}");
                    dbg.detach();
                    dbg.exit_reported();
                }
            }
        })
        .map(|_| ())
}

struct GdbTarget<A: Arch> {
    dbg: Arc<Debugger<A::Registers>>,
    _arch: PhantomData<A>,
}

fn tid_of(tid: Tid) -> u32 {
    tid.get() as u32
}

fn gdb_tid(tid: u32) -> Tid {
    Tid::new(tid as usize).unwrap_or(Tid::MIN)
}

impl<A> Target for GdbTarget<A>
where
    A: Arch<Usize = u64>,
    A::Registers: Send,
{
    type Arch = A;
    type Error = &'static str;

    fn base_ops(&mut self) -> BaseOps<'_, A, Self::Error> {
        BaseOps::MultiThread(self)
    }

    fn support_breakpoints(&mut self) -> Option<BreakpointsOps<'_, Self>> {
        Some(self)
    }
}

impl<A> MultiThreadBase for GdbTarget<A>
where
    A: Arch<Usize = u64>,
    A::Registers: Send,
{
    fn read_registers(&mut self, regs: &mut A::Registers, tid: Tid) -> TargetResult<(), Self> {
        match self.dbg.regs(tid_of(tid)) {
            Some(r) => {
                *regs = r;
                Ok(())
            }
            None => Err(TargetError::NonFatal),
        }
    }

    fn write_registers(&mut self, regs: &A::Registers, tid: Tid) -> TargetResult<(), Self> {
        if self.dbg.set_regs(tid_of(tid), regs.clone()) {
            Ok(())
        } else {
            Err(TargetError::NonFatal)
        }
    }

    fn read_addrs(&mut self, start: u64, data: &mut [u8], tid: Tid) -> TargetResult<usize, Self> {
        match self.dbg.read_memory(tid_of(tid), start, data) {
            0 if !data.is_empty() => Err(TargetError::Errno(14)),
            n => Ok(n),
        }
    }

    fn write_addrs(&mut self, start: u64, data: &[u8], tid: Tid) -> TargetResult<(), Self> {
        if self.dbg.write_memory(tid_of(tid), start, data) {
            Ok(())
        } else {
            Err(TargetError::Errno(14))
        }
    }

    fn list_active_threads(&mut self, f: &mut dyn FnMut(Tid)) -> Result<(), Self::Error> {
        for t in self.dbg.threads() {
            f(gdb_tid(t));
        }
        Ok(())
    }

    fn support_resume(&mut self) -> Option<MultiThreadResumeOps<'_, Self>> {
        Some(self)
    }
}

impl<A> MultiThreadResume for GdbTarget<A>
where
    A: Arch<Usize = u64>,
    A::Registers: Send,
{
    fn resume(&mut self) -> Result<(), Self::Error> {
        self.dbg.resume();
        Ok(())
    }

    fn clear_resume_actions(&mut self) -> Result<(), Self::Error> {
        self.dbg.clear_actions();
        Ok(())
    }

    fn set_resume_action_continue(
        &mut self,
        tid: Tid,
        signal: Option<Signal>,
    ) -> Result<(), Self::Error> {
        self.dbg
            .set_action(tid_of(tid), false, signal.and_then(linux_signal));
        Ok(())
    }

    fn support_single_step(&mut self) -> Option<MultiThreadSingleStepOps<'_, Self>> {
        Some(self)
    }

    fn support_scheduler_locking(&mut self) -> Option<MultiThreadSchedulerLockingOps<'_, Self>> {
        Some(self)
    }
}

impl<A> MultiThreadSchedulerLocking for GdbTarget<A>
where
    A: Arch<Usize = u64>,
    A::Registers: Send,
{
    fn set_resume_action_scheduler_lock(&mut self) -> Result<(), Self::Error> {
        self.dbg.lock_scheduler();
        Ok(())
    }
}

impl<A> MultiThreadSingleStep for GdbTarget<A>
where
    A: Arch<Usize = u64>,
    A::Registers: Send,
{
    fn set_resume_action_step(
        &mut self,
        tid: Tid,
        signal: Option<Signal>,
    ) -> Result<(), Self::Error> {
        self.dbg
            .set_action(tid_of(tid), true, signal.and_then(linux_signal));
        Ok(())
    }
}

impl<A> Breakpoints for GdbTarget<A>
where
    A: Arch<Usize = u64>,
    A::Registers: Send,
{
    fn support_sw_breakpoint(&mut self) -> Option<SwBreakpointOps<'_, Self>> {
        Some(self)
    }

    fn support_hw_breakpoint(&mut self) -> Option<HwBreakpointOps<'_, Self>> {
        Some(self)
    }

    fn support_hw_watchpoint(&mut self) -> Option<HwWatchpointOps<'_, Self>> {
        Some(self)
    }
}

impl<A> SwBreakpoint for GdbTarget<A>
where
    A: Arch<Usize = u64>,
    A::Registers: Send,
{
    fn add_sw_breakpoint(
        &mut self,
        addr: u64,
        _kind: A::BreakpointKind,
    ) -> TargetResult<bool, Self> {
        Ok(self.dbg.add_breakpoint(addr))
    }

    fn remove_sw_breakpoint(
        &mut self,
        addr: u64,
        _kind: A::BreakpointKind,
    ) -> TargetResult<bool, Self> {
        Ok(self.dbg.remove_breakpoint(addr))
    }
}

/// Hardware breakpoints are the same pc checks as software ones (no guest
/// memory is patched for either).
impl<A> HwBreakpoint for GdbTarget<A>
where
    A: Arch<Usize = u64>,
    A::Registers: Send,
{
    fn add_hw_breakpoint(
        &mut self,
        addr: u64,
        _kind: A::BreakpointKind,
    ) -> TargetResult<bool, Self> {
        Ok(self.dbg.add_breakpoint(addr))
    }

    fn remove_hw_breakpoint(
        &mut self,
        addr: u64,
        _kind: A::BreakpointKind,
    ) -> TargetResult<bool, Self> {
        Ok(self.dbg.remove_breakpoint(addr))
    }
}

/// Write watchpoints compare the watched bytes after every instruction;
/// read and access watchpoints are refused (GDB says so to the user).
impl<A> HwWatchpoint for GdbTarget<A>
where
    A: Arch<Usize = u64>,
    A::Registers: Send,
{
    fn add_hw_watchpoint(
        &mut self,
        addr: u64,
        len: u64,
        kind: WatchKind,
    ) -> TargetResult<bool, Self> {
        if kind != WatchKind::Write || len == 0 || len > 4096 {
            return Ok(false);
        }
        Ok(self.dbg.add_watch(addr, len as usize))
    }

    fn remove_hw_watchpoint(
        &mut self,
        addr: u64,
        len: u64,
        kind: WatchKind,
    ) -> TargetResult<bool, Self> {
        if kind != WatchKind::Write {
            return Ok(false);
        }
        Ok(self.dbg.remove_watch(addr, len as usize))
    }
}

enum EventLoop<A> {
    _Never(PhantomData<A>),
}

/// GDB's own signal numbers (gdb/signals.def) for Linux signals 0..=31.
const GDB_OF_LINUX: [u8; 32] = [
    0, 1, 2, 3, 4, 5, 6, 10, 8, 9, 30, 11, 31, 13, 14, 15, 143, 20, 19, 17, 18, 21, 22, 16, 24, 25,
    26, 27, 28, 23, 32, 12,
];

/// GDB's own signal number for a Linux signal.
fn gdb_signal(linux: i32) -> Signal {
    Signal(match linux {
        0..=31 => GDB_OF_LINUX[linux as usize],
        32 => 76,
        33..=63 => (linux + 12) as u8,
        64 => 78,
        _ => 143,
    })
}

/// The Linux signal for GDB's signal number (`None` for 0, "no signal",
/// and for numbers Linux has no signal for).
fn linux_signal(g: Signal) -> Option<i32> {
    match g.0 {
        0 | 143 => None,
        76 => Some(32),
        78 => Some(64),
        45..=75 => Some(g.0 as i32 - 12),
        n => GDB_OF_LINUX
            .iter()
            .position(|&x| x == n)
            .map(|i| i as i32)
            .filter(|&i| i > 0),
    }
}

fn stop_reason(ev: Event) -> MultiThreadStopReason<u64> {
    match ev {
        Event::Exited(code) => MultiThreadStopReason::Exited(code as u8),
        Event::Killed(sig) => MultiThreadStopReason::Terminated(gdb_signal(sig)),
        Event::Stopped { tid, kind } => {
            let tid = gdb_tid(tid);
            match kind {
                StopKind::Breakpoint => MultiThreadStopReason::SwBreak(tid),
                StopKind::Step => MultiThreadStopReason::SignalWithThread {
                    tid,
                    signal: Signal::SIGTRAP,
                },
                StopKind::Watch(addr) => MultiThreadStopReason::Watch {
                    tid,
                    kind: WatchKind::Write,
                    addr,
                },
                StopKind::Interrupt => MultiThreadStopReason::SignalWithThread {
                    tid,
                    signal: Signal::SIGINT,
                },
                StopKind::Signal(sig) => MultiThreadStopReason::SignalWithThread {
                    tid,
                    signal: gdb_signal(sig),
                },
            }
        }
    }
}

impl<A> BlockingEventLoop for EventLoop<A>
where
    A: Arch<Usize = u64>,
    A::Registers: Send,
{
    type Target = GdbTarget<A>;
    type Connection = TcpStream;
    type StopReason = MultiThreadStopReason<u64>;

    #[allow(clippy::type_complexity)]
    fn wait_for_stop_reason(
        target: &mut GdbTarget<A>,
        conn: &mut TcpStream,
    ) -> Result<
        LoopEvent<Self::StopReason>,
        WaitForStopReasonError<&'static str, <TcpStream as Connection>::Error>,
    > {
        let ev = target.dbg.wait_stop(|| {
            ConnectionExt::peek(conn)
                .map(|b| b.is_some())
                .unwrap_or(true)
        });
        match ev {
            Some(ev) => Ok(LoopEvent::TargetStopped(stop_reason(ev))),
            None => {
                let byte = ConnectionExt::read(conn).map_err(WaitForStopReasonError::Connection)?;
                Ok(LoopEvent::IncomingData(byte))
            }
        }
    }

    fn on_interrupt(
        target: &mut GdbTarget<A>,
    ) -> Result<Option<MultiThreadStopReason<u64>>, &'static str> {
        // Reported by wait_for_stop_reason once every thread has stopped.
        target.dbg.interrupt();
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_numbers_round_trip() {
        // SIGSTKFLT (16) has no GDB number.
        for linux in (1..=64).filter(|&s| s != 16) {
            assert_eq!(linux_signal(gdb_signal(linux)), Some(linux), "{linux}");
        }
        assert_eq!(linux_signal(Signal(0)), None);
        assert_eq!(gdb_signal(10), Signal::SIGUSR1);
        assert_eq!(linux_signal(Signal::SIGSEGV), Some(11));
    }
}
