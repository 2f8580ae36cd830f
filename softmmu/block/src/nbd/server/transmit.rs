//! The transmission phase of one connection. Worker threads take turns
//! reading requests from the socket (leader/follower: the worker that read
//! a request runs it while the next one reads on), so many requests of one
//! client are in flight at once with no hand-off between threads; replies
//! go out under a writer lock. The bytes held by in-flight requests are
//! bounded, and payload buffers are reused.

use super::export::{Export, NbdErr, NbdResult};
use super::negotiate::Negotiated;
use super::splice::Pipe;
use crate::nbd::proto::*;
use crate::nbd::stream::{write_all_vectored, Stream};
use std::io::{self, BufReader, Read};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

/// Worker threads per connection.
const WORKERS: usize = 8;
/// Socket read buffer (many request headers per system call).
const READ_BUFFER: usize = 64 << 10;
/// Largest scratch buffer a worker keeps between requests.
const KEEP_BUFFER: usize = 4 << 20;
/// Payload bytes (write data read, read data to send) in flight per
/// connection.
const BUDGET: u64 = 96 << 20;
/// Smallest read sent with splice(2) rather than copied.
const SPLICE_MIN: u64 = 128 << 10;
/// Most block-status descriptors in one reply.
const MAX_EXTENTS: usize = 4096;
/// Block-status extents looked at to find holes in one structured read.
const READ_EXTENTS: usize = 256;

/// A counting semaphore over bytes, lock-free unless someone must wait.
pub struct Budget {
    left: AtomicU64,
    waiters: AtomicUsize,
    lock: Mutex<()>,
    cv: Condvar,
    cap: u64,
}

impl Budget {
    pub fn new(cap: u64) -> Budget {
        Budget {
            left: AtomicU64::new(cap),
            waiters: AtomicUsize::new(0),
            lock: Mutex::new(()),
            cv: Condvar::new(),
            cap,
        }
    }

    fn try_take(&self, n: u64) -> bool {
        let mut cur = self.left.load(Ordering::Acquire);
        while cur >= n {
            match self
                .left
                .compare_exchange_weak(cur, cur - n, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return true,
                Err(c) => cur = c,
            }
        }
        false
    }

    fn acquire(&self, n: u64) -> u64 {
        let n = n.min(self.cap);
        if n == 0 || self.try_take(n) {
            return n;
        }
        let mut g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        self.waiters.fetch_add(1, Ordering::AcqRel);
        while !self.try_take(n) {
            g = self.cv.wait(g).unwrap_or_else(|p| p.into_inner());
        }
        self.waiters.fetch_sub(1, Ordering::AcqRel);
        n
    }

    fn release(&self, n: u64) {
        if n == 0 {
            return;
        }
        self.left.fetch_add(n, Ordering::AcqRel);
        if self.waiters.load(Ordering::Acquire) > 0 {
            let _g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
            self.cv.notify_all();
        }
    }
}

/// The sending half: replies from all workers, one at a time.
struct Writer {
    s: Mutex<Stream>,
    dead: AtomicBool,
}

impl Writer {
    fn send(&self, parts: &[&[u8]]) {
        self.with(|s| write_all_vectored(&mut &*s, parts));
    }

    /// Runs `f` on the socket holding the lock; a failure kills the
    /// connection (the stream is no longer in step with the client).
    fn with(&self, f: impl FnOnce(&Stream) -> io::Result<()>) {
        if self.dead.load(Ordering::Acquire) {
            return;
        }
        let g = self.s.lock().unwrap_or_else(|p| p.into_inner());
        if f(&g).is_err() {
            self.dead.store(true, Ordering::Release);
            // Wakes the reader so the connection ends.
            g.shutdown();
        }
    }
}

/// Sends `b` with MSG_MORE (it is a header; its data follows at once).
fn send_more(s: &Stream, mut b: &[u8]) -> io::Result<()> {
    while !b.is_empty() {
        let n = unsafe {
            libc::send(
                s.raw_fd(),
                b.as_ptr() as *const libc::c_void,
                b.len(),
                libc::MSG_MORE | libc::MSG_NOSIGNAL,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        b = &b[n as usize..];
    }
    Ok(())
}

/// A worker's reusable resources.
#[derive(Default)]
struct Scratch {
    buf: Vec<u8>,
    pipe: Option<Pipe>,
    /// splice(2) does not work here (file system or socket type).
    no_splice: bool,
}

struct Conn<'a> {
    export: &'a Export,
    structured: bool,
    base_allocation: Option<u32>,
    writer: Writer,
    budget: Budget,
    /// Shared by every connection of the server.
    global: &'a Budget,
}

struct Job {
    req: Request,
    /// Budget bytes to give back when done.
    held: u64,
}

impl Conn<'_> {
    fn error_reply(&self, cookie: u64, e: &NbdErr) {
        let code = if e.code == 0 { EIO } else { e.code };
        if self.structured {
            let msg = &e.msg.as_bytes()[..e.msg.len().min(MAX_STRING)];
            let mut p = Vec::with_capacity(6 + msg.len());
            p.extend_from_slice(&code.to_be_bytes());
            p.extend_from_slice(&(msg.len() as u16).to_be_bytes());
            p.extend_from_slice(msg);
            let h = chunk_header(REPLY_FLAG_DONE, REPLY_TYPE_ERROR, cookie, p.len() as u32);
            self.writer.send(&[&h, &p]);
        } else {
            self.writer.send(&[&simple_reply(code, cookie)]);
        }
    }

    fn ok_reply(&self, cookie: u64) {
        self.writer.send(&[&simple_reply(0, cookie)]);
    }

    /// Reserves `n` payload bytes (this connection's and the server's).
    fn take(&self, n: u64) -> u64 {
        let n = self.budget.acquire(n);
        self.global.acquire(n)
    }

    fn give(&self, n: u64) {
        self.global.release(n);
        self.budget.release(n);
    }

    fn check_flags(&self, r: &Request) -> NbdResult<()> {
        let allowed = CMD_FLAG_FUA
            | match r.typ {
                CMD_READ if self.structured => CMD_FLAG_DF,
                CMD_WRITE_ZEROES => CMD_FLAG_NO_HOLE | CMD_FLAG_FAST_ZERO,
                CMD_BLOCK_STATUS => CMD_FLAG_REQ_ONE,
                _ => 0,
            };
        if r.flags & !allowed != 0 {
            return Err(NbdErr::new(
                EINVAL,
                format!("invalid flags {:#x} for {}", r.flags, cmd_name(r.typ)),
            ));
        }
        Ok(())
    }

    /// Runs one request; `buf` is the worker's scratch buffer, holding the
    /// payload of a write.
    fn run(&self, job: Job, sc: &mut Scratch) {
        let r = job.req;
        let fua = r.flags & CMD_FLAG_FUA != 0;
        let res = self.check_flags(&r).and_then(|()| match r.typ {
            CMD_READ => self.read(&r, sc).map(|()| false),
            CMD_WRITE => self
                .export
                .write(r.offset, &sc.buf[..r.len as usize], fua)
                .map(|()| true),
            CMD_FLUSH => self.export.flush().map(|()| true),
            CMD_TRIM => self.export.trim(r.offset, r.len as u64, fua).map(|()| true),
            CMD_WRITE_ZEROES => self
                .export
                .write_zeroes(
                    r.offset,
                    r.len as u64,
                    r.flags & CMD_FLAG_NO_HOLE != 0,
                    r.flags & CMD_FLAG_FAST_ZERO != 0,
                    fua,
                )
                .map(|()| true),
            CMD_CACHE => self.export.cache(r.offset, r.len as u64).map(|()| true),
            CMD_BLOCK_STATUS => self.block_status(&r).map(|()| false),
            t => Err(NbdErr::new(EINVAL, format!("unknown command {t}"))),
        });
        match res {
            Ok(true) => self.ok_reply(r.cookie),
            Ok(false) => {}
            Err(e) => self.error_reply(r.cookie, &e),
        }
        self.give(job.held);
    }

    fn read(&self, r: &Request, sc: &mut Scratch) -> NbdResult<()> {
        let len = r.len as u64;
        if r.len > MAX_PAYLOAD {
            return Err(NbdErr::new(
                EINVAL,
                format!("read of {len} bytes is too large"),
            ));
        }
        if r.offset
            .checked_add(len)
            .is_none_or(|e| e > self.export.size)
        {
            return Err(NbdErr::new(EINVAL, "read beyond the end of the export"));
        }
        if !self.structured {
            let buf = sized(&mut sc.buf, r.len as usize);
            self.export.read(r.offset, buf)?;
            self.writer.send(&[&simple_reply(0, r.cookie), buf]);
            return Ok(());
        }
        if len == 0 {
            let h = chunk_header(REPLY_FLAG_DONE, REPLY_TYPE_NONE, r.cookie, 0);
            self.writer.send(&[&h]);
            return Ok(());
        }
        // Holes (ranges known to read as zero) are sent as hole chunks
        // unless the client asked for one piece.
        let extents = if r.flags & CMD_FLAG_DF != 0 {
            Vec::new()
        } else {
            self.export
                .block_status(r.offset, len, READ_EXTENTS)
                .unwrap_or_default()
        };
        let mut spans: Vec<(u64, u64, bool)> = Vec::new(); // (offset, len, hole)
        let mut off = r.offset;
        for e in &extents {
            let n = e.len.min(r.offset + len - off);
            if n == 0 {
                break;
            }
            let hole = e.flags & STATE_ZERO != 0;
            match spans.last_mut() {
                Some(l) if l.2 == hole => l.1 += n,
                _ => spans.push((off, n, hole)),
            }
            off += n;
        }
        if off < r.offset + len {
            match spans.last_mut() {
                Some(l) if !l.2 => l.1 += r.offset + len - off,
                _ => spans.push((off, r.offset + len - off, false)),
            }
        }
        // Small reads are cheaper copied than spliced (fewer system calls).
        if r.flags & CMD_FLAG_DF == 0 && len >= SPLICE_MIN {
            if let Some(fd) = self.export.raw_fd() {
                if let Some(res) = self.read_spliced(r, &spans, fd, sc) {
                    return res;
                }
            }
        }
        // Stale bytes of earlier requests stay only where holes are, which
        // are not sent.
        let buf = sized(&mut sc.buf, r.len as usize);
        for &(o, n, hole) in &spans {
            if !hole {
                let s = (o - r.offset) as usize;
                self.export.read(o, &mut buf[s..s + n as usize])?;
            }
        }
        let mut heads: Vec<Vec<u8>> = Vec::with_capacity(spans.len());
        for (i, &(o, n, hole)) in spans.iter().enumerate() {
            let flags = if i + 1 == spans.len() {
                REPLY_FLAG_DONE
            } else {
                0
            };
            let mut h = Vec::with_capacity(32);
            if hole {
                h.extend_from_slice(&chunk_header(flags, REPLY_TYPE_OFFSET_HOLE, r.cookie, 12));
                h.extend_from_slice(&o.to_be_bytes());
                h.extend_from_slice(&(n as u32).to_be_bytes());
            } else {
                let clen = 8 + n as u32;
                h.extend_from_slice(&chunk_header(flags, REPLY_TYPE_OFFSET_DATA, r.cookie, clen));
                h.extend_from_slice(&o.to_be_bytes());
            }
            heads.push(h);
        }
        let mut parts: Vec<&[u8]> = Vec::with_capacity(spans.len() * 2);
        for (h, &(o, n, hole)) in heads.iter().zip(&spans) {
            parts.push(h);
            if !hole {
                let s = (o - r.offset) as usize;
                parts.push(&buf[s..s + n as usize]);
            }
        }
        self.writer.send(&parts);
        Ok(())
    }

    /// A structured read reply from a raw file without copying: data
    /// chunks first (each moved into the worker's pipe before the writer
    /// lock is taken), then hole chunks; the last chunk is marked done.
    /// `None`: splicing is not possible, nothing was sent.
    fn read_spliced(
        &self,
        r: &Request,
        spans: &[(u64, u64, bool)],
        fd: i32,
        sc: &mut Scratch,
    ) -> Option<NbdResult<()>> {
        if sc.no_splice {
            return None;
        }
        if sc.pipe.is_none() {
            match Pipe::new() {
                Ok(p) => sc.pipe = Some(p),
                Err(_) => {
                    sc.no_splice = true;
                    return None;
                }
            }
        }
        let cap = sc.pipe.as_ref()?.cap as u64;
        let mut pieces: Vec<(u64, u64)> = Vec::new();
        let mut holes: Vec<(u64, u64)> = Vec::new();
        for &(o, n, hole) in spans {
            if hole {
                holes.push((o, n));
                continue;
            }
            let mut done = 0;
            while done < n {
                let k = (n - done).min(cap);
                pieces.push((o + done, k));
                done += k;
            }
        }
        let total = pieces.len() + holes.len();
        let mut sent = 0;
        for (o, n) in pieces {
            let pipe = sc.pipe.as_mut()?;
            if let Err(e) = pipe.fill(fd, o, n as usize) {
                sc.pipe = None;
                if sent == 0 {
                    // Nothing sent: the copying path reads (and reports) it.
                    if matches!(e.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS)) {
                        sc.no_splice = true;
                    }
                    return None;
                }
                return Some(Err(NbdErr::new(EIO, format!("read failed: {e}"))));
            }
            sent += 1;
            let flags = if sent == total { REPLY_FLAG_DONE } else { 0 };
            let mut h = [0u8; 28];
            h[..20].copy_from_slice(&chunk_header(
                flags,
                REPLY_TYPE_OFFSET_DATA,
                r.cookie,
                8 + n as u32,
            ));
            h[20..].copy_from_slice(&o.to_be_bytes());
            self.writer.with(|s| {
                send_more(s, &h)?;
                pipe.drain(s.raw_fd())
            });
            if !pipe.is_clean() {
                sc.pipe = None;
            }
        }
        for (o, n) in holes {
            sent += 1;
            let flags = if sent == total { REPLY_FLAG_DONE } else { 0 };
            let mut h = [0u8; 32];
            h[..20].copy_from_slice(&chunk_header(flags, REPLY_TYPE_OFFSET_HOLE, r.cookie, 12));
            h[20..28].copy_from_slice(&o.to_be_bytes());
            h[28..].copy_from_slice(&(n as u32).to_be_bytes());
            self.writer.send(&[&h]);
        }
        Some(Ok(()))
    }

    fn block_status(&self, r: &Request) -> NbdResult<()> {
        let Some(id) = self.base_allocation.filter(|_| self.structured) else {
            return Err(NbdErr::new(EINVAL, "no metadata context was negotiated"));
        };
        if r.len == 0 {
            return Err(NbdErr::new(EINVAL, "block status of an empty range"));
        }
        let max = if r.flags & CMD_FLAG_REQ_ONE != 0 {
            1
        } else {
            MAX_EXTENTS
        };
        let ext = self.export.block_status(r.offset, r.len as u64, max)?;
        let mut p = Vec::with_capacity(4 + 8 * ext.len());
        p.extend_from_slice(&id.to_be_bytes());
        for e in &ext {
            p.extend_from_slice(&(e.len as u32).to_be_bytes());
            p.extend_from_slice(&e.flags.to_be_bytes());
        }
        let h = chunk_header(
            REPLY_FLAG_DONE,
            REPLY_TYPE_BLOCK_STATUS,
            r.cookie,
            p.len() as u32,
        );
        self.writer.send(&[&h, &p]);
        Ok(())
    }
}

/// Reads until `buf` is full or the peer closes; returns the bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The receiving half, taken in turn by the workers (leader/follower: the
/// worker that reads a request runs it, while the next one reads on).
struct Reader<'a> {
    r: BufReader<&'a Stream>,
    /// Set once the connection is over; `Err` carries the log reason.
    end: Option<Result<(), String>>,
}

/// The worker's scratch buffer sized to `len` (contents stale but
/// initialized: every byte sent or written is overwritten first).
fn sized(buf: &mut Vec<u8>, len: usize) -> &mut [u8] {
    if buf.capacity() > KEEP_BUFFER && len <= KEEP_BUFFER {
        *buf = Vec::new();
    }
    buf.resize(len, 0);
    &mut buf[..]
}

/// Serves one negotiated connection until NBD_CMD_DISC, a disconnect or a
/// protocol violation. `Ok` for a clean end; `Err` carries the reason for
/// the log line. In-flight requests complete and written data is flushed
/// before this returns.
pub fn serve(s: Stream, n: Negotiated, stop: &AtomicBool, global: &Budget) -> Result<(), String> {
    let rs = s
        .try_clone()
        .map_err(|e| format!("cannot clone socket: {e}"))?;
    let conn = Conn {
        export: &n.export,
        structured: n.structured,
        base_allocation: n.base_allocation,
        writer: Writer {
            s: Mutex::new(s),
            dead: AtomicBool::new(false),
        },
        budget: Budget::new(BUDGET),
        global,
    };
    let reader = Mutex::new(Reader {
        r: BufReader::with_capacity(READ_BUFFER, &rs),
        end: None,
    });
    std::thread::scope(|sc| {
        for _ in 1..WORKERS {
            sc.spawn(|| worker(&conn, &reader, &rs, stop));
        }
        worker(&conn, &reader, &rs, stop);
    });
    let result = reader
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .end
        .unwrap_or(Ok(()));
    // Close first, then flush: the client does not wait for the flush
    // (it sends NBD_CMD_FLUSH when it needs one), but the data is made
    // durable before this connection counts as gone, so a server that
    // exits after its last client still flushes first.
    rs.shutdown();
    let flushed = n.export.flush_if_dirty();
    result?;
    flushed.map_err(|e| format!("flush on disconnect failed: {}", e.msg))
}

fn worker(conn: &Conn, reader: &Mutex<Reader>, rs: &Stream, stop: &AtomicBool) {
    let mut sc = Scratch::default();
    loop {
        let job = {
            let mut g = reader.lock().unwrap_or_else(|p| p.into_inner());
            if g.end.is_some() {
                return;
            }
            match next_request(&mut g.r, conn, stop, &mut sc.buf) {
                Ok(Some(j)) => j,
                Ok(None) => {
                    g.end = Some(Ok(()));
                    return;
                }
                Err(e) => {
                    g.end = Some(Err(e));
                    // Replies to a client being dropped are useless:
                    // unblock any worker sending one (its I/O completes).
                    rs.shutdown();
                    return;
                }
            }
        };
        conn.run(job, &mut sc);
    }
}

/// Reads the next request (and a write's payload). `Ok(None)` on
/// NBD_CMD_DISC or server shutdown.
fn next_request(
    r: &mut impl Read,
    conn: &Conn,
    stop: &AtomicBool,
    buf: &mut Vec<u8>,
) -> Result<Option<Job>, String> {
    let mut h = [0u8; REQUEST_LEN];
    let got = read_full(r, &mut h).map_err(|e| {
        if conn.writer.dead.load(Ordering::Acquire) {
            "client stopped reading replies".to_string()
        } else {
            format!("read error: {e}")
        }
    })?;
    if stop.load(Ordering::Acquire) {
        return Ok(None);
    }
    if got == 0 {
        if conn.writer.dead.load(Ordering::Acquire) {
            return Err("client stopped reading replies".into());
        }
        return Err("client disconnected without NBD_CMD_DISC".into());
    }
    if got < REQUEST_LEN {
        return Err(format!(
            "client disconnected in the middle of a request header ({got} of {REQUEST_LEN} bytes)"
        ));
    }
    let Some(req) = Request::decode(&h) else {
        return Err(format!("bad request magic {:#x}", be32(&h[0..4])));
    };
    let job = |held| Ok(Some(Job { req, held }));
    match req.typ {
        CMD_DISC => Ok(None),
        CMD_WRITE => {
            if req.len > MAX_PAYLOAD {
                return Err(format!(
                    "write of {} bytes exceeds the {MAX_PAYLOAD}-byte limit",
                    req.len
                ));
            }
            let held = conn.take(req.len as u64);
            let payload = sized(buf, req.len as usize);
            match read_full(r, payload) {
                Ok(g) if g == payload.len() => job(held),
                Ok(g) => {
                    conn.give(held);
                    Err(format!(
                        "client disconnected in the middle of a write payload ({g} of {} bytes)",
                        req.len
                    ))
                }
                Err(e) => {
                    conn.give(held);
                    Err(format!("read error: {e}"))
                }
            }
        }
        CMD_READ if req.len <= MAX_PAYLOAD => job(conn.take(req.len as u64)),
        _ => job(0),
    }
}
