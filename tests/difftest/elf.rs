//! A minimal static ELF writer: an ELF header, one PT_LOAD per segment, no
//! sections. Enough for a `-nostdlib` test program that `mimic run` and
//! `qemu-<arch>` both load at fixed addresses.

/// One loadable segment: bytes placed at `vaddr`, `mem_size >= data.len()`
/// (the rest is zero-filled), permissions as PF_R/PF_W/PF_X bits.
pub struct Segment {
    pub vaddr: u64,
    pub data: Vec<u8>,
    pub mem_size: u64,
    pub flags: u32,
}

pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;

/// Segment alignment in the file and in memory (covers 4K..64K pages).
const ALIGN: u64 = 0x1_0000;

/// File offsets of the segments (each `ALIGN`-aligned) after a header
/// of `header_end` bytes, and the total size.
fn layout(header_end: u64, segments: &[Segment]) -> (Vec<u64>, u64) {
    let mut offsets = Vec::new();
    let mut off = header_end.div_ceil(ALIGN) * ALIGN;
    for s in segments {
        assert_eq!(s.vaddr % ALIGN, 0, "segment address must be aligned");
        offsets.push(off);
        off = (off + s.data.len() as u64).div_ceil(ALIGN) * ALIGN;
    }
    (offsets, off)
}

fn put_data(f: &mut Vec<u8>, segments: &[Segment], offsets: &[u64]) {
    for (s, &o) in segments.iter().zip(offsets) {
        f.resize(o as usize, 0);
        f.extend_from_slice(&s.data);
    }
}

/// A little-endian ELF64 executable for `machine` (EM_*) starting at `entry`.
/// Each segment's `vaddr` must be `ALIGN`-aligned.
pub fn write_elf64(machine: u16, entry: u64, segments: &[Segment]) -> Vec<u8> {
    let phoff = 64u64;
    let (offsets, total) = layout(phoff + 56 * segments.len() as u64, segments);
    let mut f = Vec::with_capacity(total as usize);
    f.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    f.extend_from_slice(&machine.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&entry.to_le_bytes());
    f.extend_from_slice(&phoff.to_le_bytes());
    f.extend_from_slice(&0u64.to_le_bytes()); // shoff
    f.extend_from_slice(&0u32.to_le_bytes()); // flags
    f.extend_from_slice(&64u16.to_le_bytes()); // ehsize
    f.extend_from_slice(&56u16.to_le_bytes()); // phentsize
    f.extend_from_slice(&(segments.len() as u16).to_le_bytes());
    f.extend_from_slice(&64u16.to_le_bytes()); // shentsize
    f.extend_from_slice(&0u16.to_le_bytes()); // shnum
    f.extend_from_slice(&0u16.to_le_bytes()); // shstrndx
    for (s, &o) in segments.iter().zip(&offsets) {
        f.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
        f.extend_from_slice(&s.flags.to_le_bytes());
        f.extend_from_slice(&o.to_le_bytes());
        f.extend_from_slice(&s.vaddr.to_le_bytes());
        f.extend_from_slice(&s.vaddr.to_le_bytes());
        f.extend_from_slice(&(s.data.len() as u64).to_le_bytes());
        f.extend_from_slice(&s.mem_size.max(s.data.len() as u64).to_le_bytes());
        f.extend_from_slice(&ALIGN.to_le_bytes());
    }
    put_data(&mut f, segments, &offsets);
    f
}

/// The same as a little-endian ELF32 executable with header flags `flags`
/// (e.g. EF_ARM_EABI_VER5).
pub fn write_elf32(machine: u16, flags: u32, entry: u32, segments: &[Segment]) -> Vec<u8> {
    let phoff = 52u32;
    let (offsets, total) = layout(phoff as u64 + 32 * segments.len() as u64, segments);
    let mut f = Vec::with_capacity(total as usize);
    f.extend_from_slice(&[0x7f, b'E', b'L', b'F', 1, 1, 1, 0]);
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    f.extend_from_slice(&machine.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&entry.to_le_bytes());
    f.extend_from_slice(&phoff.to_le_bytes());
    f.extend_from_slice(&0u32.to_le_bytes()); // shoff
    f.extend_from_slice(&flags.to_le_bytes());
    f.extend_from_slice(&52u16.to_le_bytes()); // ehsize
    f.extend_from_slice(&32u16.to_le_bytes()); // phentsize
    f.extend_from_slice(&(segments.len() as u16).to_le_bytes());
    f.extend_from_slice(&40u16.to_le_bytes()); // shentsize
    f.extend_from_slice(&0u16.to_le_bytes()); // shnum
    f.extend_from_slice(&0u16.to_le_bytes()); // shstrndx
    for (s, &o) in segments.iter().zip(&offsets) {
        f.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
        f.extend_from_slice(&(o as u32).to_le_bytes());
        f.extend_from_slice(&(s.vaddr as u32).to_le_bytes());
        f.extend_from_slice(&(s.vaddr as u32).to_le_bytes());
        f.extend_from_slice(&(s.data.len() as u32).to_le_bytes());
        f.extend_from_slice(&(s.mem_size.max(s.data.len() as u64) as u32).to_le_bytes());
        f.extend_from_slice(&s.flags.to_le_bytes());
        f.extend_from_slice(&(ALIGN as u32).to_le_bytes());
    }
    put_data(&mut f, segments, &offsets);
    f
}
