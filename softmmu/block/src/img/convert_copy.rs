//! `convert`'s copy engine: worker threads (`-m N`) over fixed chunks of the
//! concatenated sources.
//!
//! Each worker owns its own handles on the sources, takes the next chunk,
//! reads its allocation status and data, finds zero blocks (`-S`) and, for
//! `-c` into qcow2, compresses its clusters, turning the chunk into a list
//! of target operations. The target is one driver behind a mutex, so its
//! metadata (cluster allocation, L2 and refcount updates) is only ever
//! changed by one thread at a time; only the work before the write runs in
//! parallel. Chunks are written in order (a finished chunk waits until
//! every earlier one is written, and workers stay at most a few chunks
//! ahead), unless `-W` allows out-of-order writes: then each chunk is
//! written as soon as it is ready. A target whose writes touch no metadata
//! (raw) gives each worker a handle of its own
//! (`BlockDriver::concurrent_writer`): the workers then write their chunks
//! themselves, in parallel, and the order does not matter.

use super::map::chain_status;
use super::progress;
use crate::driver::{BlockDriver, Compressor};
use crate::error::{BlockError, Result};
use crate::zero::is_zero;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};

/// What the copy needs to know besides the images.
pub(crate) struct CopyOpts {
    /// Total bytes (sum of the sources' lengths).
    pub total: u64,
    /// The target reads as zeroes already (fresh, without backing).
    pub target_zero: bool,
    /// `-S`: zero blocks of this size are not written (0: write everything).
    pub sparse: u64,
    /// `-c`.
    pub compress: bool,
    /// Target cluster size.
    pub cs: u64,
    /// `-W`.
    pub out_of_order: bool,
    /// `-p`.
    pub progress: bool,
    /// The target's length (a partial last cluster is compressed only when
    /// it ends the target).
    pub target_len: u64,
}

/// One write to the target.
enum Op {
    Zero(u64, u64),
    Data(u64, Vec<u8>),
    /// A whole cluster for the target's own `write_compressed`.
    Compress(u64, Vec<u8>),
    /// A cluster compressed by the worker with the target's compressor.
    Precompressed(u64, Vec<u8>),
}

/// Copies the sources (one handle set per worker; all sets show the same
/// data) into `target`.
pub(crate) fn copy(
    workers: Vec<Vec<Box<dyn BlockDriver>>>,
    target: Box<dyn BlockDriver>,
    o: &CopyOpts,
) -> Result<Box<dyn BlockDriver>> {
    let chunk = if o.compress {
        (o.cs * 16).max(1 << 20).div_ceil(o.cs) * o.cs
    } else {
        (2u64 << 20).div_ceil(o.cs) * o.cs
    };
    let compressor = if o.compress {
        target.compressor()
    } else {
        None
    };
    // Own target handles for the workers, when the target allows them.
    let mut own: Vec<Option<Box<dyn BlockDriver>>> = Vec::new();
    if !o.compress {
        for _ in 0..workers.len() {
            match target.concurrent_writer() {
                Some(w) => own.push(Some(w?)),
                None => {
                    own.clear();
                    break;
                }
            }
        }
    }
    own.resize_with(workers.len(), || None);
    let sh = Shared {
        next: AtomicU64::new(0),
        nchunks: o.total.div_ceil(chunk),
        chunk,
        ahead: 2 * workers.len() as u64,
        compressor,
        failed: AtomicBool::new(false),
        queue: Mutex::new(Queue {
            next_write: 0,
            pending: BTreeMap::new(),
            writing: false,
        }),
        cv: Condvar::new(),
        target: Mutex::new(Target {
            target,
            done: 0,
            last_pct: -1.0,
        }),
        error: Mutex::new(None),
    };
    std::thread::scope(|s| {
        for (mut srcs, own) in workers.into_iter().zip(own) {
            let sh = &sh;
            s.spawn(move || {
                let _guard = FailOnPanic(sh);
                if let Err(e) = work(&mut srcs, own, sh, o) {
                    sh.fail(e);
                }
            });
        }
    });
    if let Some(e) = lock(&sh.error).take() {
        return Err(e);
    }
    Ok(sh
        .target
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .target)
}

/// Ordered mode's queue of finished chunks.
struct Queue {
    /// The chunk whose turn it is.
    next_write: u64,
    /// Finished chunks waiting for their turn: (ops, bytes covered).
    pending: BTreeMap<u64, (Vec<Op>, u64)>,
    /// Some worker is writing queued chunks (the others just queue theirs).
    writing: bool,
}

struct Target {
    target: Box<dyn BlockDriver>,
    done: u64,
    last_pct: f64,
}

struct Shared {
    /// Next chunk to hand out.
    next: AtomicU64,
    nchunks: u64,
    chunk: u64,
    /// How many chunks workers may run ahead of the writer (ordered mode).
    ahead: u64,
    compressor: Option<Compressor>,
    failed: AtomicBool,
    queue: Mutex<Queue>,
    cv: Condvar,
    target: Mutex<Target>,
    error: Mutex<Option<BlockError>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    fn fail(&self, e: BlockError) {
        self.failed.store(true, Ordering::SeqCst);
        lock(&self.error).get_or_insert(e);
        let _q = lock(&self.queue);
        self.cv.notify_all();
    }

    fn failed(&self) -> bool {
        self.failed.load(Ordering::SeqCst)
    }
}

/// Marks the copy failed if its worker panics, so no other worker waits
/// for the chunk it will never finish (the scope then re-raises the panic).
struct FailOnPanic<'a>(&'a Shared);

impl Drop for FailOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0
                .fail(BlockError::Other("a convert worker panicked".into()));
        }
    }
}

fn work(
    srcs: &mut [Box<dyn BlockDriver>],
    mut own: Option<Box<dyn BlockDriver>>,
    sh: &Shared,
    o: &CopyOpts,
) -> Result<()> {
    loop {
        if sh.failed() {
            return Ok(());
        }
        let i = sh.next.fetch_add(1, Ordering::SeqCst);
        if i >= sh.nchunks {
            return Ok(());
        }
        if !o.out_of_order && own.is_none() {
            // Stay a bounded distance ahead of the writer (memory).
            let mut q = lock(&sh.queue);
            while i >= q.next_write + sh.ahead && !sh.failed() {
                q = sh.cv.wait(q).unwrap_or_else(|p| p.into_inner());
            }
        }
        let start = i * sh.chunk;
        let end = (start + sh.chunk).min(o.total);
        let mut ops = Vec::new();
        if o.compress {
            compressed_ops(srcs, start, end, o, sh.compressor, &mut ops)?;
        } else {
            plain_ops(srcs, start, end, o, &mut ops)?;
        }
        if let Some(d) = own.as_deref_mut() {
            write_ops(d, ops)?;
            account(&mut lock(&sh.target), end - start, o);
            continue;
        }
        if o.out_of_order {
            apply(&mut lock(&sh.target), ops, end - start, o)?;
            continue;
        }
        let mut q = lock(&sh.queue);
        q.pending.insert(i, (ops, end - start));
        if q.writing {
            // The active writer picks it up in turn.
            continue;
        }
        q.writing = true;
        loop {
            let k = q.next_write;
            let Some((ops, n)) = q.pending.remove(&k) else {
                q.writing = false;
                break;
            };
            drop(q);
            let r = apply(&mut lock(&sh.target), ops, n, o);
            q = lock(&sh.queue);
            if let Err(e) = r {
                q.writing = false;
                drop(q);
                return Err(e);
            }
            q.next_write += 1;
            sh.cv.notify_all();
        }
    }
}

fn apply(t: &mut Target, ops: Vec<Op>, bytes: u64, o: &CopyOpts) -> Result<()> {
    write_ops(t.target.as_mut(), ops)?;
    account(t, bytes, o);
    Ok(())
}

fn write_ops(d: &mut dyn BlockDriver, ops: Vec<Op>) -> Result<()> {
    for op in ops {
        match op {
            Op::Zero(off, n) => d.write_zeroes(off, n, true)?,
            Op::Data(off, b) => d.write(off, &b)?,
            Op::Compress(off, b) => d.write_compressed(off, &b)?,
            Op::Precompressed(off, b) => d.write_precompressed(off, &b)?,
        }
    }
    Ok(())
}

/// Counts `bytes` as copied (progress bar).
fn account(t: &mut Target, bytes: u64, o: &CopyOpts) {
    t.done += bytes;
    if o.progress && o.total > 0 {
        let pct = t.done as f64 * 100.0 / o.total as f64;
        if pct - t.last_pct >= 1.0 {
            progress(pct);
            t.last_pct = pct;
        }
    }
}

/// Finds the source holding concatenated offset `off`: (index, local offset).
fn locate(sources: &[Box<dyn BlockDriver>], off: u64) -> (usize, u64) {
    let mut base = 0;
    for (i, s) in sources.iter().enumerate() {
        if off < base + s.length() {
            return (i, off - base);
        }
        base += s.length();
    }
    (sources.len(), 0)
}

/// Whether `[off, off+n)` reads as zeroes by allocation status alone, and
/// how far that answer extends (at most `max`, within one source).
fn status(sources: &mut [Box<dyn BlockDriver>], off: u64, max: u64) -> Result<(bool, u64)> {
    let (i, lo) = locate(sources, off);
    if i >= sources.len() {
        return Ok((true, max));
    }
    let l = sources[i].length();
    let (e, _, _) = chain_status(sources[i].as_mut(), lo, (l - lo).min(max), 0)?;
    Ok((e.zero && !e.data, e.len.clamp(1, (l - lo).min(max))))
}

fn read_concat(sources: &mut [Box<dyn BlockDriver>], mut off: u64, buf: &mut [u8]) -> Result<()> {
    let mut pos = 0;
    while pos < buf.len() {
        let (i, lo) = locate(sources, off);
        if i >= sources.len() {
            buf[pos..].fill(0);
            break;
        }
        let n = ((sources[i].length() - lo) as usize).min(buf.len() - pos);
        sources[i].read(lo, &mut buf[pos..pos + n])?;
        pos += n;
        off += n as u64;
    }
    Ok(())
}

fn plain_ops(
    srcs: &mut [Box<dyn BlockDriver>],
    start: u64,
    end: u64,
    o: &CopyOpts,
    ops: &mut Vec<Op>,
) -> Result<()> {
    let mut off = start;
    while off < end {
        let (zero, n) = status(srcs, off, end - off)?;
        if zero {
            if !o.target_zero {
                ops.push(Op::Zero(off, n));
            }
        } else {
            let mut buf = vec![0u8; n as usize];
            read_concat(srcs, off, &mut buf)?;
            sparse_ops(off, buf, o.sparse, o.target_zero, ops);
        }
        off += n;
    }
    Ok(())
}

/// Splits `buf` (at `off`) into data writes and zeroings of `sparse`-sized
/// all-zero blocks aligned to the target offset (skipped on a zero target).
fn sparse_ops(off: u64, buf: Vec<u8>, sparse: u64, target_zero: bool, ops: &mut Vec<Op>) {
    if sparse == 0 {
        ops.push(Op::Data(off, buf));
        return;
    }
    let bs = sparse as usize;
    let mut i = 0usize;
    while i < buf.len() {
        let blk_end = (((off as usize + i) / bs + 1) * bs - off as usize).min(buf.len());
        let zero = is_zero(&buf[i..blk_end]);
        let mut j = blk_end;
        while j < buf.len() {
            let e = (j + bs).min(buf.len());
            if is_zero(&buf[j..e]) != zero {
                break;
            }
            j = e;
        }
        if zero {
            if !target_zero {
                ops.push(Op::Zero(off + i as u64, (j - i) as u64));
            }
        } else if i == 0 && j == buf.len() {
            ops.push(Op::Data(off, buf));
            return;
        } else {
            ops.push(Op::Data(off + i as u64, buf[i..j].to_vec()));
        }
        i = j;
    }
}

fn compressed_ops(
    srcs: &mut [Box<dyn BlockDriver>],
    start: u64,
    end: u64,
    o: &CopyOpts,
    compressor: Option<Compressor>,
    ops: &mut Vec<Op>,
) -> Result<()> {
    let cs = o.cs;
    let mut off = start;
    while off < end {
        let n = cs.min(end - off);
        let (zero, z) = status(srcs, off, end - off)?;
        if zero && z >= n {
            // Whole clusters of zeroes (or the rest of the image).
            let skip = if off + z >= end {
                end - off
            } else {
                z / cs * cs
            };
            if !o.target_zero {
                ops.push(Op::Zero(off, skip));
            }
            off += skip;
            continue;
        }
        let mut buf = vec![0u8; n as usize];
        read_concat(srcs, off, &mut buf)?;
        if is_zero(&buf) {
            if !o.target_zero {
                ops.push(Op::Zero(off, n));
            }
        } else if n == cs || off + n == o.target_len {
            match compressor {
                Some(c) => match c(cs, &buf) {
                    Some(data) => ops.push(Op::Precompressed(off, data)),
                    None => ops.push(Op::Data(off, buf)),
                },
                None => ops.push(Op::Compress(off, buf)),
            }
        } else {
            ops.push(Op::Data(off, buf));
        }
        off += n;
    }
    Ok(())
}
