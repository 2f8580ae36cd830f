//! The interrupt registers the distributor (for SPIs) and each
//! redistributor's SGI_base frame (for SGIs and PPIs) lay out alike:
//! IGROUPR 0x080, ISENABLER 0x100, ICENABLER 0x180, ISPENDR 0x200,
//! ICPENDR 0x280, ISACTIVER 0x300, ICACTIVER 0x380, IPRIORITYR 0x400,
//! ICFGR 0xc00. `irqs` holds the interrupts from id `base` on; ids
//! outside it read as zero and ignore writes.

use super::{Irq, PRI_MASK};

fn get(irqs: &[Irq], base: usize, id: usize) -> Option<&Irq> {
    irqs.get(id.checked_sub(base)?)
}

fn get_mut(irqs: &mut [Irq], base: usize, id: usize) -> Option<&mut Irq> {
    irqs.get_mut(id.checked_sub(base)?)
}

/// The first interrupt id of a bit-per-interrupt register at `off` in
/// the block starting at `start`.
fn first_bit(start: u64, off: u64) -> usize {
    ((off - start) * 8) as usize
}

/// Reads a register of the block; None: not one of its registers.
pub(super) fn read(irqs: &[Irq], base: usize, off: u64, size: u32) -> Option<u64> {
    let bits = |start: u64, f: &dyn Fn(&Irq) -> bool| -> u64 {
        let first = first_bit(start, off);
        (0..size * 8)
            .filter(|&b| get(irqs, base, first + b as usize).is_some_and(f))
            .fold(0, |v, b| v | 1 << b)
    };
    Some(match off {
        0x080..=0x0ff => bits(0x080, &|i| i.group1),
        0x100..=0x17f => bits(0x100, &|i| i.enabled),
        0x180..=0x1ff => bits(0x180, &|i| i.enabled),
        0x200..=0x27f => bits(0x200, &|i| i.is_pending()),
        0x280..=0x2ff => bits(0x280, &|i| i.is_pending()),
        0x300..=0x37f => bits(0x300, &|i| i.active),
        0x380..=0x3ff => bits(0x380, &|i| i.active),
        0x400..=0x7ff => (0..size as u64).fold(0, |v, k| {
            let id = (off - 0x400 + k) as usize;
            v | (get(irqs, base, id).map_or(0, |i| i.priority) as u64) << (8 * k)
        }),
        0xc00..=0xcff => {
            let first = ((off - 0xc00) * 4) as usize;
            (0..(size * 4) as usize)
                .filter(|&k| get(irqs, base, first + k).is_some_and(|i| i.edge))
                .fold(0, |v, k| v | 2 << (2 * k))
        }
        _ => return None,
    })
}

/// Writes a register of the block; false: not one of its registers.
pub(super) fn write(irqs: &mut [Irq], base: usize, off: u64, size: u32, v: u64) -> bool {
    let mut bits = |start: u64, f: &dyn Fn(&mut Irq, bool)| {
        let first = first_bit(start, off);
        for b in 0..size * 8 {
            if let Some(i) = get_mut(irqs, base, first + b as usize) {
                f(i, v >> b & 1 != 0);
            }
        }
    };
    match off {
        0x080..=0x0ff => bits(0x080, &|i, on| i.group1 = on),
        0x100..=0x17f => bits(0x100, &|i, on| i.enabled |= on),
        0x180..=0x1ff => bits(0x180, &|i, on| i.enabled &= !on),
        0x200..=0x27f => bits(0x200, &|i, on| i.pending |= on),
        0x280..=0x2ff => bits(0x280, &|i, on| i.pending &= !on),
        0x300..=0x37f => bits(0x300, &|i, on| i.active |= on),
        0x380..=0x3ff => bits(0x380, &|i, on| i.active &= !on),
        0x400..=0x7ff => {
            for k in 0..size as u64 {
                let id = (off - 0x400 + k) as usize;
                if let Some(i) = get_mut(irqs, base, id) {
                    i.priority = (v >> (8 * k)) as u8 & PRI_MASK;
                }
            }
        }
        0xc00..=0xcff => {
            let first = ((off - 0xc00) * 4) as usize;
            for k in 0..(size * 4) as usize {
                // SGIs are always edge-triggered.
                if first + k < 16 {
                    continue;
                }
                if let Some(i) = get_mut(irqs, base, first + k) {
                    i.edge = v >> (2 * k) & 2 != 0;
                }
            }
        }
        _ => return false,
    }
    true
}
