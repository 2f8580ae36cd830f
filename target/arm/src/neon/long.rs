//! "Three registers of different lengths" (`1111 001U 1Dss nnnn dddd oooo
//! N0M0 mmmm`, size != 11): lengthening (VADDL, VSUBL, VABDL, VABAL,
//! VMLAL, VMLSL, VMULL incl. polynomial, VQDMLAL, VQDMLSL, VQDMULL), wide
//! (VADDW, VSUBW) and narrowing high-half (VADDHN, VRADDHN, VSUBHN,
//! VRSUBHN) forms, and the lengthening "two registers and a scalar" forms
//! (`1111 001U 1Dss nnnn dddd oooo N1M0 mmmm`, opc 2, 3, 6, 7, 10, 11):
//! VMLAL, VMLSL, VMULL, VQDMLAL, VQDMLSL, VQDMULL by scalar.

use super::misc2::{get, put};
use super::{clmul, lane, mask, sat, sext};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpL {
    Addl,
    Addw,
    Subl,
    Subw,
    Addhn {
        round: bool,
    },
    Subhn {
        round: bool,
    },
    Abal,
    Abdl,
    Mlal,
    Mlsl,
    Mull,
    Qdmlal,
    Qdmlsl,
    Qdmull,
    /// VMULL.P8 (size 0) and VMULL.P64 (size 2, the ARMv8 crypto form).
    Pmull,
}

#[derive(Clone, Copy, Debug)]
pub struct EncL {
    pub op: OpL,
    pub unsigned: bool,
    /// log2 bytes of the narrow elements (0..=2).
    pub size: u32,
    pub d: usize,
    pub n: usize,
    pub m: usize,
    /// By-scalar forms: the element index in Dm.
    pub index: Option<u32>,
}

impl EncL {
    /// Decodes either group (bit 6 tells them apart); `None` when
    /// UNDEFINED.
    pub fn decode(insn: u32) -> Option<EncL> {
        let u = insn >> 24 & 1 != 0;
        let size = insn >> 20 & 3;
        let opc = insn >> 8 & 15;
        let d = ((insn >> 22 & 1) << 4 | (insn >> 12 & 15)) as usize;
        let n = ((insn >> 7 & 1) << 4 | (insn >> 16 & 15)) as usize;
        let m = ((insn >> 5 & 1) << 4 | (insn & 15)) as usize;
        if size == 3 {
            return None;
        }
        use OpL::*;
        if insn >> 6 & 1 != 0 {
            let op = match opc {
                2 => Mlal,
                3 if !u => Qdmlal,
                6 => Mlsl,
                7 if !u => Qdmlsl,
                10 => Mull,
                11 if !u => Qdmull,
                _ => return None,
            };
            let (vm, mbit) = (insn & 15, insn >> 5 & 1);
            let (m, index) = match size {
                1 => ((vm & 7) as usize, mbit << 1 | vm >> 3),
                2 => (vm as usize, mbit),
                _ => return None,
            };
            if d & 1 != 0 {
                return None;
            }
            return Some(EncL {
                op,
                unsigned: u,
                size,
                d,
                n,
                m,
                index: Some(index),
            });
        }
        let op = match opc {
            0 => Addl,
            1 => Addw,
            2 => Subl,
            3 => Subw,
            4 => Addhn { round: u },
            5 => Abal,
            6 => Subhn { round: u },
            7 => Abdl,
            8 => Mlal,
            9 if !u && size != 0 => Qdmlal,
            10 => Mlsl,
            11 if !u && size != 0 => Qdmlsl,
            12 => Mull,
            13 if !u && size != 0 => Qdmull,
            14 if !u && (size == 0 || size == 2) => Pmull,
            _ => return None,
        };
        let bad = match op {
            Addw | Subw => (d | n) & 1 != 0,
            Addhn { .. } | Subhn { .. } => (n | m) & 1 != 0,
            _ => d & 1 != 0,
        };
        if bad {
            return None;
        }
        Some(EncL {
            op,
            unsigned: u,
            size,
            d,
            n,
            m,
            index: None,
        })
    }

    /// VMULL.P64 needs the ARMv8 crypto extension.
    pub fn is_v8(&self) -> bool {
        self.op == OpL::Pmull && self.size == 2
    }
}

/// Runs `e`; returns whether a saturating form saturated (FPSCR.QC).
pub fn run(regs: &mut [u64; 32], e: &EncL) -> bool {
    use OpL::*;
    let bits = 8u32 << e.size;
    let wide = 2 * bits;
    if e.op == Pmull && bits == 32 {
        // VMULL.P64: the 128-bit carry-less product of Dn and Dm.
        let p = clmul(regs[e.n], regs[e.m]);
        regs[e.d] = p as u64;
        regs[e.d + 1] = (p >> 64) as u64;
        return false;
    }
    let lanes = (64 / bits) as usize;
    let ext = |x: u64| -> i128 {
        if e.unsigned {
            i128::from(x)
        } else {
            i128::from(sext(x, bits))
        }
    };
    // Narrow operands (of `bits`), wide operands (of `wide`).
    let m_el: Vec<u64> = match e.index {
        Some(i) => vec![lane(regs[e.m], i, bits); lanes],
        None if matches!(e.op, Addhn { .. } | Subhn { .. }) => get(regs, e.m, 2, wide),
        None => get(regs, e.m, 1, bits),
    };
    let n_el: Vec<u64> = match e.op {
        Addw | Subw | Addhn { .. } | Subhn { .. } => get(regs, e.n, 2, wide),
        _ => get(regs, e.n, 1, bits),
    };
    if let Addhn { round } | Subhn { round } = e.op {
        let out: Vec<u64> = (0..lanes)
            .map(|i| {
                let (a, b) = (n_el[i], m_el[i]);
                let v = if matches!(e.op, Addhn { .. }) {
                    a.wrapping_add(b)
                } else {
                    a.wrapping_sub(b)
                } & mask(wide);
                let r = if round { 1u64 << (bits - 1) } else { 0 };
                (v.wrapping_add(r) & mask(wide)) >> bits
            })
            .collect();
        put(regs, e.d, bits, &out);
        return false;
    }
    let acc = get(regs, e.d, 2, wide);
    let mut qc = false;
    let out: Vec<u64> = (0..lanes)
        .map(|i| {
            let b = ext(m_el[i]);
            let a = match e.op {
                Addw | Subw => {
                    if e.unsigned {
                        i128::from(n_el[i])
                    } else {
                        i128::from(sext(n_el[i], wide))
                    }
                }
                _ => ext(n_el[i]),
            };
            let c = i128::from(sext(acc[i], wide));
            let dbl = |qc: &mut bool| {
                let (p, q) = sat(2 * a * b, wide, false);
                *qc |= q;
                i128::from(sext(p, wide))
            };
            let v: i128 = match e.op {
                Addl | Addw => a + b,
                Subl | Subw => a - b,
                Abal => c + (a - b).abs(),
                Abdl => (a - b).abs(),
                Mlal => c + a * b,
                Mlsl => c - a * b,
                Mull => a * b,
                Pmull => clmul(n_el[i], m_el[i]) as i128,
                Qdmull => dbl(&mut qc),
                Qdmlal | Qdmlsl => {
                    let p = dbl(&mut qc);
                    let s = if e.op == Qdmlal { c + p } else { c - p };
                    let (r, q) = sat(s, wide, false);
                    qc |= q;
                    return r;
                }
                Addhn { .. } | Subhn { .. } => 0,
            };
            v as u64 & mask(wide)
        })
        .collect();
    put(regs, e.d, wide, &out);
    qc
}
