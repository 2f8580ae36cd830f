//! virtio-blk (virtio 1.2, section 5.2) over a `Drive`: read, write,
//! flush, get-id, discard and write-zeroes on one request queue. Requests
//! run on a worker thread of the device, so a slow or throttled disk
//! never holds up a vCPU: a queue notification only wakes the worker.
//! A block-layer error goes through the drive's werror/rerror policy
//! (`Drive::io_error`): `report` completes the request with
//! VIRTIO_BLK_S_IOERR, `ignore` with VIRTIO_BLK_S_OK, `stop` puts the
//! request back on the ring and holds the queue until `cont`
//! (`Drive::retry`) resubmits it. Unknown request types get
//! VIRTIO_BLK_S_UNSUPP. A resize (QMP block_resize) updates the capacity
//! and sends a configuration-change interrupt.

use crate::block_error::Action;
use crate::devices::virtio_mmio::{Activation, VirtioDevice, VirtioIrq, INT_CONFIG, INT_USED};
use crate::dma::GuestRam;
use crate::drive::Drive;
use crate::virtqueue::{self, Chain, Queue};
use block::BlockError;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

pub const DEVICE_ID: u32 = 2;
const SECTOR: u64 = 512;

const F_SEG_MAX: u64 = 1 << 2;
const F_RO: u64 = 1 << 5;
const F_BLK_SIZE: u64 = 1 << 6;
const F_FLUSH: u64 = 1 << 9;
const F_DISCARD: u64 = 1 << 13;
const F_WRITE_ZEROES: u64 = 1 << 14;

const T_IN: u32 = 0;
const T_OUT: u32 = 1;
const T_FLUSH: u32 = 4;
const T_GET_ID: u32 = 8;
const T_DISCARD: u32 = 11;
const T_WRITE_ZEROES: u32 = 13;

pub const S_OK: u8 = 0;
pub const S_IOERR: u8 = 1;
pub const S_UNSUPP: u8 = 2;

/// Most sectors in one discard or write-zeroes segment, and segments per
/// request.
const MAX_DISCARD_SECTORS: u32 = 0x3f_ffff;
const MAX_SEGMENTS: u32 = 32;
const WRITE_ZEROES_F_UNMAP: u32 = 1;
const GET_ID_BYTES: usize = 20;
/// Reads and writes go through a buffer of at most this many bytes (a
/// request's length comes from the guest's descriptors).
const CHUNK: u64 = 1 << 20;

enum Msg {
    Kick,
    /// The VM continues: resubmit the request a stop held back.
    Retry,
    /// Finish what is available and report the queue position.
    Quiesce(Sender<(u16, u16)>),
    Stop,
}

pub struct VirtioBlk {
    drive: Arc<Drive>,
    irq: Arc<VirtioIrq>,
    generation: Arc<AtomicU32>,
    worker: Option<(Sender<Msg>, JoinHandle<()>)>,
    /// The running worker's channel, for the drive's retry hook.
    retry_tx: Arc<Mutex<Option<Sender<Msg>>>>,
}

impl VirtioBlk {
    pub fn new(drive: Arc<Drive>, irq: Arc<VirtioIrq>) -> VirtioBlk {
        let generation = Arc::new(AtomicU32::new(0));
        let (g, i) = (generation.clone(), irq.clone());
        drive.on_resize(Box::new(move || {
            g.fetch_add(1, Ordering::SeqCst);
            i.raise(INT_CONFIG);
        }));
        let retry_tx: Arc<Mutex<Option<Sender<Msg>>>> = Arc::default();
        let t = retry_tx.clone();
        drive.on_retry(Box::new(move || {
            if let Ok(Some(tx)) = t.lock().as_deref() {
                let _ = tx.send(Msg::Retry);
            }
        }));
        VirtioBlk {
            drive,
            irq,
            generation,
            worker: None,
            retry_tx,
        }
    }

    fn stop_worker(&mut self) {
        if let Ok(mut t) = self.retry_tx.lock() {
            *t = None;
        }
        if let Some((tx, h)) = self.worker.take() {
            let _ = tx.send(Msg::Stop);
            let _ = h.join();
        }
    }

    fn config(&self) -> [u8; 60] {
        let mut c = [0u8; 60];
        let mut put = |off: usize, b: &[u8]| c[off..off + b.len()].copy_from_slice(b);
        put(0, &(self.drive.length() / SECTOR).to_le_bytes());
        put(12, &(virtqueue::MAX_SIZE as u32 - 2).to_le_bytes()); // seg_max
        put(20, &(SECTOR as u32).to_le_bytes()); // blk_size
        put(34, &1u16.to_le_bytes()); // num_queues
        put(36, &MAX_DISCARD_SECTORS.to_le_bytes());
        put(40, &MAX_SEGMENTS.to_le_bytes());
        put(44, &1u32.to_le_bytes()); // discard_sector_alignment
        put(48, &MAX_DISCARD_SECTORS.to_le_bytes());
        put(52, &MAX_SEGMENTS.to_le_bytes());
        c[56] = 1; // write_zeroes_may_unmap
        c
    }
}

impl Drop for VirtioBlk {
    fn drop(&mut self) {
        self.stop_worker();
    }
}

impl VirtioDevice for VirtioBlk {
    fn name(&self) -> &'static str {
        "virtio-blk"
    }
    fn device_id(&self) -> u32 {
        DEVICE_ID
    }
    fn features(&self) -> u64 {
        let mut f = F_SEG_MAX | F_BLK_SIZE | F_FLUSH;
        if self.drive.read_only {
            f |= F_RO;
        } else {
            f |= F_DISCARD | F_WRITE_ZEROES;
        }
        f
    }
    fn num_queues(&self) -> usize {
        1
    }
    fn read_config(&self, off: u64, size: u32) -> u64 {
        let c = self.config();
        let mut v = [0u8; 8];
        for (i, b) in v.iter_mut().enumerate().take(size.min(8) as usize) {
            *b = c.get(off as usize + i).copied().unwrap_or(0);
        }
        u64::from_le_bytes(v)
    }
    fn config_generation(&self) -> u32 {
        self.generation.load(Ordering::SeqCst)
    }
    fn activate(&mut self, a: Activation) {
        self.stop_worker();
        let Some(queue) = a.queues.into_iter().next().filter(|q| q.size > 0) else {
            return;
        };
        let (tx, rx) = channel();
        let mut w = Worker {
            drive: self.drive.clone(),
            irq: self.irq.clone(),
            mem: a.mem,
            queue,
        };
        let h = std::thread::Builder::new()
            .name(format!("virtio-blk {}", self.drive.id))
            .spawn(move || {
                // Once the queue is broken, wait for the driver's reset;
                // while a stop holds a request back, wait for the retry.
                let mut state = Drained::Idle;
                while let Ok(m) = rx.recv() {
                    match m {
                        Msg::Kick if state == Drained::Idle => state = w.drain(),
                        Msg::Kick => {}
                        Msg::Retry if state == Drained::Held => state = w.drain(),
                        Msg::Retry => {}
                        Msg::Quiesce(reply) => {
                            if state == Drained::Idle {
                                state = w.drain();
                            }
                            let _ = reply.send(w.queue.position());
                        }
                        Msg::Stop => return,
                    }
                }
            });
        match h {
            Ok(h) => {
                if let Ok(mut t) = self.retry_tx.lock() {
                    *t = Some(tx.clone());
                }
                self.worker = Some((tx, h))
            }
            Err(e) => self.irq.fail(&format!("cannot start the worker: {e}")),
        }
    }
    fn notify(&mut self, _q: usize) {
        if let Some((tx, _)) = &self.worker {
            let _ = tx.send(Msg::Kick);
        }
    }
    fn reset(&mut self) {
        self.stop_worker();
    }
    fn quiesce(&mut self) -> Vec<(u16, u16)> {
        let Some((tx, _)) = &self.worker else {
            return Vec::new();
        };
        let (rtx, rrx) = channel();
        if tx.send(Msg::Quiesce(rtx)).is_err() {
            return Vec::new();
        }
        rrx.recv().map(|p| vec![p]).unwrap_or_default()
    }
}

/// Where a worker's `drain` left the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drained {
    /// Every available request completed.
    Idle,
    /// A stop holds the next request back until `Msg::Retry`.
    Held,
    /// The ring is malformed (DEVICE_NEEDS_RESET).
    Broken,
}

/// Why a request failed.
enum Fail {
    /// The guest's request itself is bad (range, buffers): this status.
    Guest(u8),
    /// The host failed it: the drive's policy decides.
    Host(BlockError),
}

/// The request loop of one activated device.
struct Worker {
    drive: Arc<Drive>,
    irq: Arc<VirtioIrq>,
    mem: GuestRam,
    queue: Queue,
}

impl Worker {
    /// Completes every available request, up to one a stop holds back.
    fn drain(&mut self) -> Drained {
        loop {
            let chain = match self.queue.pop(&self.mem) {
                Ok(Some(c)) => c,
                Ok(None) => return Drained::Idle,
                Err(e) => {
                    self.irq.fail(&e.to_string());
                    return Drained::Broken;
                }
            };
            let Some(written) = self.request(&chain) else {
                self.queue.unpop();
                return Drained::Held;
            };
            if let Err(e) = self.queue.push(&self.mem, chain.head, written) {
                self.irq.fail(&e.to_string());
                return Drained::Broken;
            }
            if self.queue.wants_interrupt(&self.mem) {
                self.irq.raise(INT_USED);
            }
        }
    }

    /// The status of a request that ended with `r`, after the drive's
    /// error policy (None: a stop holds the request back).
    fn outcome(&self, r: Result<(), Fail>, write: bool) -> Option<u8> {
        match r {
            Ok(()) => Some(S_OK),
            Err(Fail::Guest(s)) => Some(s),
            Err(Fail::Host(e)) => match self.drive.io_error(write, &e) {
                Action::Report => Some(S_IOERR),
                Action::Ignore => Some(S_OK),
                Action::Stop => None,
            },
        }
    }

    /// Runs one request; returns the bytes written into the chain, or
    /// None if a stop holds it back (nothing was completed).
    fn request(&mut self, c: &Chain) -> Option<u32> {
        let mut hdr = [0u8; 16];
        let wlen = c.writable_len();
        if wlen == 0 || !c.read_at(&self.mem, 0, &mut hdr) {
            tracing::debug!(target: "unimp", "virtio-blk: request without header or status byte");
            return Some(0);
        }
        let kind = u32::from_le_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
        let sector = u64::from_le_bytes(hdr[8..16].try_into().unwrap_or_default());
        let data_in = wlen - 1;
        let (status, written) = match kind {
            T_IN => {
                let r = self.read(c, sector, data_in);
                match self.outcome(r, false)? {
                    S_OK => (S_OK, data_in),
                    s => (s, 0),
                }
            }
            T_OUT => {
                let r = self.write(c, sector);
                (self.outcome(r, true)?, 0)
            }
            T_FLUSH => {
                let r = match self.drive.driver.lock().map(|mut d| d.flush()) {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(Fail::Host(e)),
                    Err(_) => Err(Fail::Guest(S_IOERR)),
                };
                (self.outcome(r, true)?, 0)
            }
            T_GET_ID => {
                let mut id = [0u8; GET_ID_BYTES];
                let s = self.drive.serial.as_bytes();
                let n = s.len().min(GET_ID_BYTES);
                id[..n].copy_from_slice(&s[..n]);
                let n = (data_in as usize).min(GET_ID_BYTES);
                if c.write_at(&self.mem, 0, &id[..n]) {
                    (S_OK, n as u64)
                } else {
                    (S_IOERR, 0)
                }
            }
            T_DISCARD | T_WRITE_ZEROES => {
                let r = self.segments(c, kind == T_DISCARD);
                (self.outcome(r, true)?, 0)
            }
            _ => (S_UNSUPP, 0),
        };
        if !c.write_at(&self.mem, wlen - 1, &[status]) {
            return Some(0);
        }
        Some((written + 1).min(u32::MAX as u64) as u32)
    }

    /// Byte range of `len` bytes at `sector`, if inside the disk.
    fn range(&self, sector: u64, len: u64) -> Option<u64> {
        let off = sector.checked_mul(SECTOR)?;
        (off.checked_add(len)? <= self.drive.length()).then_some(off)
    }

    fn read(&mut self, c: &Chain, sector: u64, len: u64) -> Result<(), Fail> {
        let off = self.range(sector, len).ok_or(Fail::Guest(S_IOERR))?;
        let mut buf = vec![0u8; len.min(CHUNK) as usize];
        let mut done = 0;
        while done < len {
            let n = (len - done).min(CHUNK) as usize;
            let r = self
                .drive
                .driver
                .lock()
                .map(|mut d| d.read(off + done, &mut buf[..n]));
            match r {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::warn!(target: "unimp", "virtio-blk {}: read at {}: {e}", self.drive.id, off + done);
                    return Err(Fail::Host(e));
                }
                Err(_) => return Err(Fail::Guest(S_IOERR)),
            }
            if !c.write_at(&self.mem, done, &buf[..n]) {
                return Err(Fail::Guest(S_IOERR));
            }
            done += n as u64;
        }
        Ok(())
    }

    fn write(&mut self, c: &Chain, sector: u64) -> Result<(), Fail> {
        if self.drive.read_only {
            return Err(Fail::Guest(S_IOERR));
        }
        let len = c.readable_len().saturating_sub(16);
        let Some(off) = self.range(sector, len) else {
            return Err(Fail::Guest(S_IOERR));
        };
        let mut buf = vec![0u8; len.min(CHUNK) as usize];
        let mut done = 0;
        while done < len {
            let n = (len - done).min(CHUNK) as usize;
            if !c.read_at(&self.mem, 16 + done, &mut buf[..n]) {
                return Err(Fail::Guest(S_IOERR));
            }
            let r = self
                .drive
                .driver
                .lock()
                .map(|mut d| d.write(off + done, &buf[..n]));
            match r {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::warn!(target: "unimp", "virtio-blk {}: write at {}: {e}", self.drive.id, off + done);
                    return Err(Fail::Host(e));
                }
                Err(_) => return Err(Fail::Guest(S_IOERR)),
            }
            done += n as u64;
        }
        Ok(())
    }

    /// Discard or write-zeroes: segments of (sector u64, sectors u32, flags u32).
    fn segments(&mut self, c: &Chain, discard: bool) -> Result<(), Fail> {
        if self.drive.read_only {
            return Err(Fail::Guest(S_IOERR));
        }
        let bytes = c.readable_len().saturating_sub(16);
        if bytes == 0 || !bytes.is_multiple_of(16) || bytes / 16 > MAX_SEGMENTS as u64 {
            return Err(Fail::Guest(S_UNSUPP));
        }
        let mut segs = vec![0u8; bytes as usize];
        if !c.read_at(&self.mem, 16, &mut segs) {
            return Err(Fail::Guest(S_IOERR));
        }
        for s in segs.chunks_exact(16) {
            let sector = u64::from_le_bytes(s[0..8].try_into().unwrap_or_default());
            let n = u32::from_le_bytes(s[8..12].try_into().unwrap_or_default());
            let flags = u32::from_le_bytes(s[12..16].try_into().unwrap_or_default());
            // Discard defines no flags; write-zeroes only UNMAP.
            let allowed = if discard { 0 } else { WRITE_ZEROES_F_UNMAP };
            if flags & !allowed != 0 || n > MAX_DISCARD_SECTORS {
                return Err(Fail::Guest(S_UNSUPP));
            }
            let len = n as u64 * SECTOR;
            let Some(off) = self.range(sector, len) else {
                return Err(Fail::Guest(S_IOERR));
            };
            let r = self.drive.driver.lock().map(|mut d| {
                if discard {
                    d.discard(off, len)
                } else {
                    d.write_zeroes(off, len, flags & WRITE_ZEROES_F_UNMAP != 0)
                }
            });
            match r {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::warn!(target: "unimp", "virtio-blk {}: discard/zero at {off}: {e}", self.drive.id);
                    return Err(Fail::Host(e));
                }
                Err(_) => return Err(Fail::Guest(S_IOERR)),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::Device;
    use crate::devices::virtio_mmio::{VirtioMmio, F_VERSION_1};
    use crate::drive::{DriveSpec, Interface};
    use crate::irq::{IrqLine, IrqSink};
    use crate::memory::Ram;
    use std::sync::atomic::AtomicBool;
    use std::time::{Duration, Instant};

    const BASE: u64 = 0x4000_0000;
    const DESC: u64 = BASE;
    const AVAIL: u64 = BASE + 0x1000;
    const USED: u64 = BASE + 0x2000;
    const HDR: u64 = BASE + 0x3000;
    const DATA: u64 = BASE + 0x4000;
    const STATUS: u64 = BASE + 0x3800;

    struct Line(AtomicBool);
    impl IrqSink for Line {
        fn set_level(&self, _intid: u32, level: bool) {
            self.0.store(level, Ordering::SeqCst);
        }
    }

    struct Rig {
        t: VirtioMmio,
        mem: GuestRam,
        line: Arc<Line>,
        drive: Arc<Drive>,
        n: u16,
        _dir: std::path::PathBuf,
    }

    fn rig(tag: &str) -> Rig {
        rig_with(tag, false)
    }

    fn rig_with(tag: &str, read_only: bool) -> Rig {
        rig_spec(tag, |img| DriveSpec {
            id: "d".into(),
            file: img.to_path_buf(),
            format: Some("raw".into()),
            interface: Interface::Virtio,
            read_only,
            snapshot: false,
            serial: Some("SER-42".into()),
            throttle: None,
            throttle_group: None,
            on_error: Default::default(),
        })
    }

    /// A rig over a 4 MiB raw image in its own directory, opened as `spec`
    /// says.
    fn rig_spec(tag: &str, spec: impl FnOnce(&std::path::Path) -> DriveSpec) -> Rig {
        let dir = std::env::temp_dir().join(format!("mimic-vblk-{tag}-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let img = dir.join("d.raw");
        std::fs::write(&img, vec![0u8; 4 << 20]).unwrap();
        let drive = Arc::new(Drive::open(&spec(&img)).unwrap());
        let line = Arc::new(Line(AtomicBool::new(false)));
        let irq = VirtioIrq::new(IrqLine {
            sink: line.clone(),
            intid: 48,
        });
        let mem = GuestRam::new(
            Arc::new(Ram::new(BASE, 4 << 20).unwrap()),
            Arc::new(Default::default()),
        );
        let dev = Box::new(VirtioBlk::new(drive.clone(), irq.clone()));
        let t = VirtioMmio::new(Some(dev), irq, mem.clone());
        Rig {
            t,
            mem,
            line,
            drive,
            n: 0,
            _dir: dir,
        }
    }

    impl Drop for Rig {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self._dir);
        }
    }

    impl Rig {
        /// The driver's side of initialisation; true if FEATURES_OK stuck.
        fn init(&mut self, features: u64) -> bool {
            let t = &mut self.t;
            t.write(0x070, 4, 1 | 2);
            t.write(0x024, 4, 0);
            t.write(0x020, 4, features & 0xffff_ffff);
            t.write(0x024, 4, 1);
            t.write(0x020, 4, features >> 32);
            t.write(0x070, 4, 1 | 2 | 8);
            if t.read(0x070, 4) & 8 == 0 {
                return false;
            }
            t.write(0x030, 4, 0);
            t.write(0x038, 4, 8);
            for (off, v) in [(0x080, DESC), (0x090, AVAIL), (0x0a0, USED)] {
                t.write(off, 4, v & 0xffff_ffff);
                t.write(off + 4, 4, v >> 32);
            }
            t.write(0x044, 4, 1);
            t.write(0x070, 4, 1 | 2 | 8 | 4);
            true
        }

        fn desc(&self, i: u64, addr: u64, len: u32, flags: u16, next: u16) {
            let mut d = addr.to_le_bytes().to_vec();
            d.extend_from_slice(&len.to_le_bytes());
            d.extend_from_slice(&flags.to_le_bytes());
            d.extend_from_slice(&next.to_le_bytes());
            assert!(self.mem.write(DESC + 16 * i, &d));
        }

        /// Submits header + data (device-writable when `into`) + status;
        /// returns (status, used length).
        fn request(&mut self, kind: u32, sector: u64, data: &[u8], into: bool) -> (u8, u32) {
            self.submit(kind, sector, data, into);
            self.complete()
        }

        /// Makes the request available and notifies the device.
        fn submit(&mut self, kind: u32, sector: u64, data: &[u8], into: bool) {
            let mut h = kind.to_le_bytes().to_vec();
            h.extend_from_slice(&[0; 4]);
            h.extend_from_slice(&sector.to_le_bytes());
            assert!(self.mem.write(HDR, &h));
            assert!(self.mem.write(DATA, data));
            assert!(self.mem.write(STATUS, &[0xff]));
            self.desc(0, HDR, 16, 1, 1);
            self.desc(1, DATA, data.len() as u32, 1 | if into { 2 } else { 0 }, 2);
            self.desc(2, STATUS, 1, 2, 0);
            assert!(self.mem.write_u16(AVAIL + 4 + 2 * (self.n % 8) as u64, 0));
            self.n += 1;
            assert!(self.mem.write_u16(AVAIL + 2, self.n));
            self.t.write(0x050, 4, 0);
        }

        /// Waits for the last submitted request; (status, used length).
        fn complete(&mut self) -> (u8, u32) {
            let end = Instant::now() + Duration::from_secs(10);
            while self.mem.read_u16(USED + 2) != Some(self.n) {
                assert!(Instant::now() < end, "request not completed");
                std::thread::sleep(Duration::from_millis(1));
            }
            // The worker raises the interrupt just after publishing the
            // used entry: give it that moment.
            while !self.line.0.load(Ordering::SeqCst) {
                assert!(Instant::now() < end, "no used-buffer interrupt");
                std::thread::sleep(Duration::from_millis(1));
            }
            assert_eq!(self.t.read(0x060, 4) & INT_USED as u64, INT_USED as u64);
            self.t.write(0x064, 4, INT_USED as u64);
            let mut st = [0u8];
            assert!(self.mem.read(STATUS, &mut st));
            let len = self
                .mem
                .read_u32(USED + 4 + 8 * ((self.n - 1) % 8) as u64 + 4);
            (st[0], len.unwrap())
        }
    }

    #[test]
    fn requests_and_their_errors() {
        let mut r = rig("req");
        assert_eq!(r.t.read(0x000, 4), 0x7472_6976);
        assert_eq!(r.t.read(0x008, 4), DEVICE_ID as u64);
        assert_eq!(r.t.read(0x100, 4), 8192, "capacity in sectors");
        assert!(!r.init(0), "a legacy driver (no VERSION_1) is refused");
        r.t.write(0x070, 4, 0);
        assert!(r.init(F_VERSION_1 | F_FLUSH | F_DISCARD | F_WRITE_ZEROES));

        assert_eq!(r.request(T_OUT, 1, &[0xab; 512], false), (S_OK, 1));
        assert_eq!(r.request(T_IN, 1, &[0; 512], true), (S_OK, 513));
        let mut b = [0u8; 512];
        assert!(r.mem.read(DATA, &mut b));
        assert!(b.iter().all(|&x| x == 0xab));
        assert_eq!(
            r.request(T_IN, 8191, &[0; 1024], true).0,
            S_IOERR,
            "past the end"
        );
        // Larger than the copy buffer: goes through in chunks.
        let big: Vec<u8> = (0..3 << 19).map(|i: u32| (i % 251) as u8).collect();
        assert_eq!(r.request(T_OUT, 8, &big, false), (S_OK, 1));
        assert_eq!(
            r.request(T_IN, 8, &vec![0; big.len()], true),
            (S_OK, big.len() as u32 + 1)
        );
        let mut back = vec![0u8; big.len()];
        assert!(r.mem.read(DATA, &mut back));
        assert!(back == big, "multi-chunk read returns what was written");
        assert_eq!(r.request(T_OUT, 1 << 60, &[0; 512], false).0, S_IOERR);
        assert_eq!(r.request(99, 0, &[0; 512], true).0, S_UNSUPP);
        assert_eq!(r.request(T_FLUSH, 0, &[0; 512], false).0, S_OK);
        assert_eq!(r.request(T_GET_ID, 0, &[0; 20], true), (S_OK, 21));
        assert!(r.mem.read(DATA, &mut b[..20]));
        assert_eq!(&b[..8], b"SER-42\0\0");
        let mut seg = 1u64.to_le_bytes().to_vec();
        seg.extend_from_slice(&1u32.to_le_bytes());
        seg.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(r.request(T_WRITE_ZEROES, 0, &seg, false).0, S_OK);
        assert_eq!(r.request(T_IN, 1, &[0xff; 512], true).0, S_OK);
        assert!(r.mem.read(DATA, &mut b));
        assert!(b.iter().all(|&x| x == 0), "zeroed");
        seg[12] = 0x80; // unknown flag
        assert_eq!(r.request(T_DISCARD, 0, &seg, false).0, S_UNSUPP);

        // A resize changes the capacity and raises a config interrupt.
        let gen = r.t.read(0x0fc, 4);
        r.drive.resize(8 << 20).unwrap();
        assert_eq!(r.t.read(0x100, 4), 16384);
        assert_ne!(r.t.read(0x0fc, 4), gen);
        assert_eq!(r.t.read(0x060, 4) & INT_CONFIG as u64, INT_CONFIG as u64);
        r.t.write(0x064, 4, INT_CONFIG as u64);
        assert!(!r.line.0.load(Ordering::SeqCst));
    }

    #[test]
    fn error_policies_ignore_and_stop_until_retry() {
        use crate::block_error::{Action, ErrorPolicies, ErrorPolicy, IoFailure};
        let rules = std::env::temp_dir().join(format!("mimic-vblk-rules-{}", std::process::id()));
        std::fs::write(
            &rules,
            "[inject-error]\nevent = \"read_aio\"\nsector = \"4\"\n\
             [inject-error]\nevent = \"write_aio\"\nerrno = \"28\"\nsector = \"8\"\nonce = \"on\"\n",
        )
        .unwrap();
        let r_ = rules.clone();
        let mut r = rig_spec("policies", move |img| DriveSpec {
            id: "d".into(),
            file: format!("blkdebug:{}:{}", r_.display(), img.display()).into(),
            format: Some("raw".into()),
            interface: Interface::Virtio,
            read_only: false,
            snapshot: false,
            serial: None,
            throttle: None,
            throttle_group: None,
            on_error: ErrorPolicies {
                werror: ErrorPolicy::Stop,
                rerror: ErrorPolicy::Ignore,
            },
        });
        let seen: Arc<Mutex<Vec<IoFailure>>> = Arc::default();
        let s2 = seen.clone();
        r.drive
            .set_error_handler(Box::new(move |f| s2.lock().unwrap().push(f.clone())));
        assert!(r.init(F_VERSION_1 | F_FLUSH));
        // rerror=ignore: the failed read completes as if it worked.
        assert_eq!(r.request(T_IN, 4, &[0; 512], true), (S_OK, 513));
        assert_eq!(seen.lock().unwrap()[0].action, Action::Ignore);
        assert!(!seen.lock().unwrap()[0].write);
        // werror=stop: the write is held back until the retry.
        r.submit(T_OUT, 8, &[0x5a; 512], false);
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(r.mem.read_u16(USED + 2), Some(r.n - 1), "held back");
        {
            let s = seen.lock().unwrap();
            assert_eq!(s.len(), 2);
            assert_eq!(
                (s[1].action, s[1].nospace, s[1].write),
                (Action::Stop, true, true)
            );
            assert_eq!(s[1].reason, "No space left on device");
        }
        assert_eq!(r.drive.io_status(), "nospace");
        r.drive.retry();
        assert_eq!(r.complete(), (S_OK, 1), "the retry succeeds (once)");
        assert_eq!(r.drive.io_status(), "ok");
        assert_eq!(r.request(T_IN, 8, &[0; 512], true), (S_OK, 513));
        let mut b = [0u8; 512];
        assert!(r.mem.read(DATA, &mut b));
        assert!(b.iter().all(|&x| x == 0x5a));
        assert_eq!(seen.lock().unwrap().len(), 2);
        std::fs::remove_file(&rules).ok();
    }

    #[test]
    fn read_only_drives_say_so_and_refuse_writes() {
        let mut r = rig_with("ro", true);
        r.t.write(0x014, 4, 0);
        let f = r.t.read(0x010, 4);
        assert_ne!(f & F_RO, 0);
        assert_eq!(f & (F_DISCARD | F_WRITE_ZEROES), 0);
        assert!(r.init(F_VERSION_1 | F_RO));
        assert_eq!(r.request(T_OUT, 0, &[1; 512], false).0, S_IOERR);
        assert_eq!(r.request(T_IN, 0, &[1; 512], true), (S_OK, 513));
    }

    #[test]
    fn a_broken_chain_asks_for_a_reset() {
        let mut r = rig("broken");
        assert!(r.init(F_VERSION_1));
        r.desc(0, HDR, 16, 1, 0); // loops onto itself
        assert!(r.mem.write_u16(AVAIL + 4, 0));
        assert!(r.mem.write_u16(AVAIL + 2, 1));
        r.t.write(0x050, 4, 0);
        let end = Instant::now() + Duration::from_secs(10);
        while r.t.read(0x070, 4) & 0x40 == 0 {
            assert!(Instant::now() < end, "no DEVICE_NEEDS_RESET");
            std::thread::sleep(Duration::from_millis(1));
        }
        r.t.write(0x070, 4, 0);
        assert_eq!(r.t.read(0x070, 4), 0, "reset clears it");
        assert!(r.init(F_VERSION_1));
        r.n = 0;
        assert_eq!(r.request(T_FLUSH, 0, &[0; 8], false).0, S_OK);
    }
}
