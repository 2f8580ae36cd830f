//! VTBL, VTBX (`1111 0011 1D11 nnnn dddd 10 len:2 N op M 0 mmmm`): each
//! byte of Dm indexes the bytes of the 1-4 table registers from Dn; an
//! index past the table gives 0 (VTBL) or keeps Dd's byte (VTBX).

#[derive(Clone, Copy, Debug)]
pub struct EncTbl {
    pub extension: bool,
    pub d: usize,
    pub n: usize,
    pub m: usize,
    pub len: usize,
}

impl EncTbl {
    /// `None` when the table runs past D31 (UNPREDICTABLE, refused).
    pub fn decode(insn: u32) -> Option<EncTbl> {
        let d = ((insn >> 22 & 1) << 4 | (insn >> 12 & 15)) as usize;
        let n = ((insn >> 7 & 1) << 4 | (insn >> 16 & 15)) as usize;
        let m = ((insn >> 5 & 1) << 4 | (insn & 15)) as usize;
        let len = (insn >> 8 & 3) as usize + 1;
        if n + len > 32 {
            return None;
        }
        Some(EncTbl {
            extension: insn >> 6 & 1 != 0,
            d,
            n,
            m,
            len,
        })
    }
}

pub fn run(regs: &mut [u64; 32], e: &EncTbl) {
    let table: Vec<u8> = (0..e.len)
        .flat_map(|k| regs[e.n + k].to_le_bytes())
        .collect();
    let idx = regs[e.m].to_le_bytes();
    let old = regs[e.d].to_le_bytes();
    let mut out = [0u8; 8];
    for i in 0..8 {
        out[i] = match table.get(idx[i] as usize) {
            Some(&b) => b,
            None if e.extension => old[i],
            None => 0,
        };
    }
    regs[e.d] = u64::from_le_bytes(out);
}
