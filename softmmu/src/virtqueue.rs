//! Split virtqueues (virtio 1.2, section 2.7): the descriptor table, the
//! driver's available ring and the device's used ring in guest RAM, as a
//! device walks them. Chains may use indirect descriptor tables
//! (VIRTIO_RING_F_INDIRECT_DESC). A malformed chain (out of RAM, a loop,
//! a readable descriptor after a writable one) is an error the transport
//! turns into DEVICE_NEEDS_RESET.

use crate::dma::GuestRam;

const DESC_F_NEXT: u16 = 1;
const DESC_F_WRITE: u16 = 2;
const DESC_F_INDIRECT: u16 = 4;
/// avail.flags: the driver does not want used-buffer interrupts.
const AVAIL_F_NO_INTERRUPT: u16 = 1;

/// Largest queue a device offers (QueueNumMax).
pub const MAX_SIZE: u16 = 256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("virtqueue: {0}")]
pub struct QueueError(pub String);

fn err<T>(s: impl Into<String>) -> Result<T, QueueError> {
    Err(QueueError(s.into()))
}

/// One buffer of a chain: guest physical address and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buf {
    pub addr: u64,
    pub len: u32,
}

/// A descriptor chain popped from the available ring.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chain {
    pub head: u16,
    /// Device-readable buffers, in order.
    pub readable: Vec<Buf>,
    /// Device-writable buffers, in order (all after the readable ones).
    pub writable: Vec<Buf>,
}

impl Chain {
    pub fn readable_len(&self) -> u64 {
        self.readable.iter().map(|b| b.len as u64).sum()
    }
    pub fn writable_len(&self) -> u64 {
        self.writable.iter().map(|b| b.len as u64).sum()
    }

    /// Copies `out.len()` readable bytes starting at byte `skip` of the
    /// readable part; false if the chain is shorter or RAM is missing.
    pub fn read_at(&self, mem: &GuestRam, mut skip: u64, out: &mut [u8]) -> bool {
        let mut done = 0usize;
        for b in &self.readable {
            if done == out.len() {
                break;
            }
            let len = b.len as u64;
            if skip >= len {
                skip -= len;
                continue;
            }
            let n = ((len - skip) as usize).min(out.len() - done);
            if !mem.read(b.addr + skip, &mut out[done..done + n]) {
                return false;
            }
            done += n;
            skip = 0;
        }
        done == out.len()
    }

    /// Copies `data` into the writable part starting at byte `skip`.
    pub fn write_at(&self, mem: &GuestRam, mut skip: u64, data: &[u8]) -> bool {
        let mut done = 0usize;
        for b in &self.writable {
            if done == data.len() {
                break;
            }
            let len = b.len as u64;
            if skip >= len {
                skip -= len;
                continue;
            }
            let n = ((len - skip) as usize).min(data.len() - done);
            if !mem.write(b.addr + skip, &data[done..done + n]) {
                return false;
            }
            done += n;
            skip = 0;
        }
        done == data.len()
    }
}

/// A split virtqueue as the driver configured it, and the device's
/// position in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Queue {
    pub size: u16,
    pub desc: u64,
    pub avail: u64,
    pub used: u64,
    pub indirect: bool,
    last_avail: u16,
    used_idx: u16,
}

impl Queue {
    pub fn new(size: u16, desc: u64, avail: u64, used: u64, indirect: bool) -> Queue {
        Queue {
            size,
            desc,
            avail,
            used,
            indirect,
            last_avail: 0,
            used_idx: 0,
        }
    }

    /// Where the device is in the rings: (next available index to pop,
    /// next used index), for a snapshot.
    pub fn position(&self) -> (u16, u16) {
        (self.last_avail, self.used_idx)
    }

    /// Continues from a `position` (a restored snapshot).
    pub fn at_position(mut self, (last_avail, used_idx): (u16, u16)) -> Queue {
        self.last_avail = last_avail;
        self.used_idx = used_idx;
        self
    }

    fn read_desc(mem: &GuestRam, table: u64, i: u16) -> Result<(u64, u32, u16, u16), QueueError> {
        let a = table + 16 * i as u64;
        let mut d = [0u8; 16];
        if !mem.read(a, &mut d) {
            return err(format!("descriptor {i} at {a:#x} is outside RAM"));
        }
        Ok((
            u64::from_le_bytes(d[0..8].try_into().unwrap_or_default()),
            u32::from_le_bytes(d[8..12].try_into().unwrap_or_default()),
            u16::from_le_bytes([d[12], d[13]]),
            u16::from_le_bytes([d[14], d[15]]),
        ))
    }

    /// The next available chain, if the driver made one available.
    pub fn pop(&mut self, mem: &GuestRam) -> Result<Option<Chain>, QueueError> {
        if self.size == 0 {
            return Ok(None);
        }
        let Some(avail_idx) = mem.read_u16(self.avail + 2) else {
            return err("available ring is outside RAM");
        };
        if avail_idx == self.last_avail {
            return Ok(None);
        }
        if avail_idx.wrapping_sub(self.last_avail) > self.size {
            return err(format!(
                "available index {avail_idx} is more than {} ahead of {}",
                self.size, self.last_avail
            ));
        }
        let slot = self.avail + 4 + 2 * (self.last_avail % self.size) as u64;
        let Some(head) = mem.read_u16(slot) else {
            return err("available ring is outside RAM");
        };
        self.last_avail = self.last_avail.wrapping_add(1);
        self.walk(mem, head).map(Some)
    }

    /// Puts the last popped chain back: the next `pop` returns it again
    /// (a request held back until the VM continues).
    pub fn unpop(&mut self) {
        self.last_avail = self.last_avail.wrapping_sub(1);
    }

    fn walk(&self, mem: &GuestRam, head: u16) -> Result<Chain, QueueError> {
        if head >= self.size {
            return err(format!("head {head} beyond queue size {}", self.size));
        }
        let mut chain = Chain {
            head,
            ..Default::default()
        };
        let (mut table, mut limit) = (self.desc, self.size as u32);
        let mut i = head;
        let mut seen = 0u32;
        let mut in_indirect = false;
        loop {
            let (addr, len, flags, next) = Self::read_desc(mem, table, i)?;
            seen += 1;
            if seen > limit {
                return err("descriptor chain loops");
            }
            if flags & DESC_F_INDIRECT != 0 {
                if !self.indirect || in_indirect || flags & DESC_F_NEXT != 0 {
                    return err("indirect descriptor where none is allowed");
                }
                if len == 0 || !len.is_multiple_of(16) || len / 16 > u16::MAX as u32 + 1 {
                    return err(format!("indirect table of {len} bytes"));
                }
                table = addr;
                limit = len / 16;
                i = 0;
                seen = 0;
                in_indirect = true;
                continue;
            }
            let b = Buf { addr, len };
            if flags & DESC_F_WRITE != 0 {
                chain.writable.push(b);
            } else if chain.writable.is_empty() {
                chain.readable.push(b);
            } else {
                return err("device-readable descriptor after a writable one");
            }
            if flags & DESC_F_NEXT == 0 {
                return Ok(chain);
            }
            if next as u32 >= limit {
                return err(format!("next descriptor {next} beyond table of {limit}"));
            }
            i = next;
        }
    }

    /// Returns a chain to the driver with `len` bytes written into it.
    pub fn push(&mut self, mem: &GuestRam, head: u16, len: u32) -> Result<(), QueueError> {
        let slot = self.used + 4 + 8 * (self.used_idx % self.size) as u64;
        if !mem.write_u32(slot, head as u32) || !mem.write_u32(slot + 4, len) {
            return err("used ring is outside RAM");
        }
        self.used_idx = self.used_idx.wrapping_add(1);
        if !mem.write_u16(self.used + 2, self.used_idx) {
            return err("used ring is outside RAM");
        }
        Ok(())
    }

    /// Whether the driver wants an interrupt for used buffers now.
    pub fn wants_interrupt(&self, mem: &GuestRam) -> bool {
        mem.fence();
        mem.read_u16(self.avail)
            .is_none_or(|f| f & AVAIL_F_NO_INTERRUPT == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::Ram;
    use std::sync::Arc;

    const BASE: u64 = 0x4000_0000;

    fn mem() -> GuestRam {
        GuestRam::new(
            Arc::new(Ram::new(BASE, 1 << 20).unwrap()),
            Arc::new(Default::default()),
        )
    }

    fn desc(m: &GuestRam, table: u64, i: u16, addr: u64, len: u32, flags: u16, next: u16) {
        let mut d = Vec::new();
        d.extend_from_slice(&addr.to_le_bytes());
        d.extend_from_slice(&len.to_le_bytes());
        d.extend_from_slice(&flags.to_le_bytes());
        d.extend_from_slice(&next.to_le_bytes());
        assert!(m.write(table + 16 * i as u64, &d));
    }

    fn offer(m: &GuestRam, q: &Queue, n: u16, head: u16) {
        assert!(m.write_u16(q.avail + 4 + 2 * (n % q.size) as u64, head));
        assert!(m.write_u16(q.avail + 2, n + 1));
    }

    fn queue() -> Queue {
        Queue::new(8, BASE, BASE + 0x1000, BASE + 0x2000, true)
    }

    #[test]
    fn pops_a_chain_and_pushes_it_back() {
        let m = mem();
        let mut q = queue();
        assert_eq!(q.pop(&m), Ok(None));
        desc(&m, q.desc, 0, BASE + 0x8000, 16, DESC_F_NEXT, 3);
        desc(
            &m,
            q.desc,
            3,
            BASE + 0x9000,
            512,
            DESC_F_NEXT | DESC_F_WRITE,
            5,
        );
        desc(&m, q.desc, 5, BASE + 0xa000, 1, DESC_F_WRITE, 0);
        offer(&m, &q, 0, 0);
        let c = q.pop(&m).unwrap().unwrap();
        assert_eq!(c.head, 0);
        assert_eq!(c.readable_len(), 16);
        assert_eq!(c.writable.len(), 2);
        assert_eq!(c.writable_len(), 513);
        assert!(c.write_at(&m, 510, &[1, 2, 3]));
        let mut b = [0u8; 2];
        assert!(m.read(BASE + 0x9000 + 510, &mut b));
        assert_eq!(b, [1, 2]);
        assert!(m.read(BASE + 0xa000, &mut b[..1]));
        assert_eq!(b[0], 3);
        assert!(!c.write_at(&m, 512, &[0, 0]), "past the chain's end");
        assert_eq!(q.pop(&m), Ok(None));
        q.push(&m, 0, 513).unwrap();
        assert_eq!(m.read_u16(q.used + 2), Some(1));
        assert_eq!(m.read_u32(q.used + 4), Some(0));
        assert_eq!(m.read_u32(q.used + 8), Some(513));
        assert!(q.wants_interrupt(&m));
        m.write_u16(q.avail, AVAIL_F_NO_INTERRUPT);
        assert!(!q.wants_interrupt(&m));
    }

    #[test]
    fn follows_indirect_tables() {
        let m = mem();
        let mut q = queue();
        let table = BASE + 0x4000;
        desc(&m, q.desc, 2, table, 32, DESC_F_INDIRECT, 0);
        desc(&m, table, 0, BASE + 0x8000, 4, DESC_F_NEXT, 1);
        desc(&m, table, 1, BASE + 0x9000, 8, DESC_F_WRITE, 0);
        offer(&m, &q, 0, 2);
        let c = q.pop(&m).unwrap().unwrap();
        assert_eq!((c.head, c.readable_len(), c.writable_len()), (2, 4, 8));
        q.indirect = false;
        offer(&m, &q, 1, 2);
        assert!(q.pop(&m).is_err(), "indirect without the feature");
    }

    #[test]
    fn rejects_malformed_chains() {
        let m = mem();
        let mut q = queue();
        desc(&m, q.desc, 0, BASE, 4, DESC_F_NEXT, 1);
        desc(&m, q.desc, 1, BASE, 4, DESC_F_NEXT, 0);
        offer(&m, &q, 0, 0);
        assert!(q.pop(&m).is_err(), "loop");
        desc(&m, q.desc, 0, BASE, 4, DESC_F_WRITE | DESC_F_NEXT, 1);
        desc(&m, q.desc, 1, BASE, 4, 0, 0);
        offer(&m, &q, 1, 0);
        assert!(q.pop(&m).is_err(), "readable after writable");
        offer(&m, &q, 2, 9);
        assert!(q.pop(&m).is_err(), "head beyond the queue");
        desc(&m, q.desc, 0, 0x10, 4, 0, 0);
        offer(&m, &q, 3, 0);
        let c = q.pop(&m).unwrap().unwrap();
        let mut b = [0u8; 4];
        assert!(!c.read_at(&m, 0, &mut b), "buffer outside RAM");
        assert!(m.write_u16(q.avail + 2, 100));
        assert!(q.pop(&m).is_err(), "index too far ahead");
    }
}
