//! Background compilation: a worker thread with its own Cranelift context
//! turns hot blocks and regions into machine code while the engine's thread
//! keeps interpreting them; the engine places the bytes in its own code
//! arena when they arrive (`Engine` polls between blocks). Generated code
//! holds only absolute addresses that outlive the job (chain slots and
//! blocks in the cache, helpers, the guest base), so it runs wherever it is
//! copied. A job carries the engine's flush generation: results computed
//! before a flush are dropped, and the engine drops results whose blocks
//! died meanwhile.

use super::jit::{BlockLinks, Jit, JitError};
use crate::ir::IrBlock;
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One compilation request.
pub struct Job {
    /// The block whose code this becomes (`*const Tb`).
    pub tb: usize,
    /// Every block compiled (`*const Tb`, `tb` first).
    pub members: Vec<usize>,
    pub irs: Vec<IrBlock>,
    pub links: BlockLinks,
    pub region: bool,
    pub gen: u64,
}

/// A finished job.
pub struct Done {
    pub tb: usize,
    pub members: Vec<usize>,
    /// Guest code ranges of the members after the first (a region's code
    /// must die with them).
    pub ranges: Vec<(u64, u64)>,
    pub region: bool,
    pub gen: u64,
    pub code: Result<Vec<u8>, String>,
    /// Time the worker spent on it.
    pub elapsed: Duration,
}

/// The worker thread and its queues.
pub struct Worker {
    tx: Option<Sender<Job>>,
    /// Dropped by hand (see `Drop`).
    rx: ManuallyDrop<Receiver<Done>>,
    handle: Option<JoinHandle<()>>,
    /// Jobs submitted and not taken back yet.
    pub pending: usize,
    /// Jobs the thread finished (bumped after each send), and how many of
    /// them were taken: polling is one atomic load while nothing is ready.
    finished: Arc<AtomicUsize>,
    taken: usize,
    /// [`FORK_GEN`] when the thread started: a forked child has the queues
    /// but not the thread.
    fork_gen: u32,
}

/// Bumped in every child a fork creates (a `pthread_atfork` handler), so
/// telling a forked child takes no system call.
static FORK_GEN: AtomicU32 = AtomicU32::new(0);

extern "C" fn forked_child() {
    FORK_GEN.fetch_add(1, Ordering::Relaxed);
}

fn watch_forks() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: registering a handler that only touches an atomic.
    ONCE.call_once(|| unsafe {
        libc::pthread_atfork(None, None, Some(forked_child));
    });
}

/// Runs the compile thread 10 nice levels below its creator: when the
/// guest's cpus keep every host core busy (a 2-cpu guest on a 2-core
/// host), compiling yields to running guest code, which template code can
/// go on doing meanwhile, instead of taking a core's share from it (a
/// `-smp 2` boot took about 8% less wall time this way; alone on a core
/// it runs as before). Best effort: an error leaves the priority as it is.
fn lower_priority() {
    // SAFETY: getpriority/setpriority on the calling thread's own id.
    unsafe {
        let tid = libc::gettid() as libc::id_t;
        *libc::__errno_location() = 0;
        let now = libc::getpriority(libc::PRIO_PROCESS, tid);
        if now == -1 && *libc::__errno_location() != 0 {
            return;
        }
        libc::setpriority(libc::PRIO_PROCESS, tid, (now + 10).min(19));
    }
}

impl Worker {
    /// Starts a worker compiling for guest memory at `guest_base`.
    pub fn spawn(guest_base: u64) -> Result<Worker, JitError> {
        // Fail here, not in the thread, if Cranelift cannot target the host.
        let mut jit = Jit::new(guest_base)?;
        let (tx, jobs) = channel::<Job>();
        let (done, rx) = channel::<Done>();
        watch_forks();
        let finished = Arc::new(AtomicUsize::new(0));
        let finished_w = finished.clone();
        // The thread starts with every signal blocked (a new thread inherits
        // its creator's mask), so signals meant for the guest never land on
        // it: guest threads alone decide what they block.
        // SAFETY: plain sigset manipulation on locals; the old mask is
        // restored right after the spawn.
        let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
        unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old);
        }
        let handle = std::thread::Builder::new()
            .name("mimic-compile".into())
            .spawn(move || {
                lower_priority();
                for job in jobs {
                    let t0 = Instant::now();
                    let refs: Vec<&IrBlock> = job.irs.iter().collect();
                    // A code generator panic must not take the guest down.
                    let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        jit.compile_to_bytes(&refs, &job.links, job.region)
                    }))
                    .unwrap_or_else(|_| Err(JitError::Codegen("code generator panicked".into())))
                    .map_err(|e| e.to_string());
                    let ranges = job.irs[1..]
                        .iter()
                        .map(|b| (b.pc, b.pc + b.guest_size.max(1) as u64))
                        .collect();
                    let d = Done {
                        tb: job.tb,
                        members: job.members,
                        ranges,
                        region: job.region,
                        gen: job.gen,
                        code,
                        elapsed: t0.elapsed(),
                    };
                    if done.send(d).is_err() {
                        break;
                    }
                    finished_w.fetch_add(1, Ordering::Release);
                }
            });
        // SAFETY: restores the mask saved above.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
        let handle = handle?;
        Ok(Worker {
            tx: Some(tx),
            rx: ManuallyDrop::new(rx),
            handle: Some(handle),
            pending: 0,
            finished,
            taken: 0,
            fork_gen: FORK_GEN.load(Ordering::Relaxed),
        })
    }

    /// False in a child forked after the worker started (its thread did
    /// not survive the fork): start a new worker there.
    pub fn alive_here(&self) -> bool {
        self.fork_gen == FORK_GEN.load(Ordering::Relaxed)
    }

    /// Queues a job; false if the worker is gone.
    pub fn submit(&mut self, job: Job) -> bool {
        match &self.tx {
            Some(tx) if tx.send(job).is_ok() => {
                self.pending += 1;
                true
            }
            _ => false,
        }
    }

    /// A finished job, if one is ready.
    pub fn try_take(&mut self) -> Option<Done> {
        if self.finished.load(Ordering::Acquire) == self.taken {
            return None;
        }
        let d = self.rx.try_recv().ok()?;
        self.pending -= 1;
        self.taken += 1;
        Some(d)
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if !self.alive_here() {
            // A forked child: the thread exists only in the parent, and it
            // may have held the queues' locks at the fork. Touch nothing.
            std::mem::forget(self.tx.take());
            std::mem::forget(self.handle.take());
            return;
        }
        // Closing the queue ends the thread after its current job.
        self.tx = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        // SAFETY: `rx` is not used after this.
        unsafe { ManuallyDrop::drop(&mut self.rx) };
    }
}
