//! A64 disassembly for `-d in_asm`, by capstone. Words capstone does not
//! know print as `.word`.

use capstone::arch::arm64::ArchMode;
use capstone::arch::BuildsCapstone;
use capstone::Capstone;
use std::cell::RefCell;
use std::fmt::Write;

thread_local! {
    static CS: RefCell<Option<Capstone>> = const { RefCell::new(None) };
}

/// One line per instruction: `0x<pc>:  <hex word>  <mnemonic> <operands>`.
pub fn disas(pc: u64, bytes: &[u8]) -> String {
    let mut out = String::new();
    CS.with(|cs| {
        let mut cs = cs.borrow_mut();
        if cs.is_none() {
            *cs = Capstone::new().arm64().mode(ArchMode::Arm).build().ok();
        }
        for (k, w) in bytes.chunks(4).enumerate() {
            let addr = pc.wrapping_add(4 * k as u64);
            if w.len() < 4 {
                let _ = writeln!(out, "{addr:#018x}:  {w:02x?}");
                continue;
            }
            let word = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
            let text = cs
                .as_ref()
                .and_then(|c| c.disasm_count(w, addr, 1).ok())
                .and_then(|insns| {
                    insns.iter().next().map(|i| {
                        let m = i.mnemonic().unwrap_or("?");
                        match i.op_str() {
                            Some(o) if !o.is_empty() => format!("{m} {o}"),
                            _ => m.to_string(),
                        }
                    })
                })
                .unwrap_or_else(|| format!(".word {word:#010x}"));
            let _ = writeln!(out, "{addr:#018x}:  {word:08x}  {text}");
        }
    });
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn disassembles() {
        // add x0, x1, #1 ; udf #0
        let s = super::disas(0x1000, &[0x20, 0x04, 0x00, 0x91, 0, 0, 0, 0]);
        assert!(s.contains("add x0, x1, #1"), "{s}");
        assert_eq!(s.lines().count(), 2);
    }
}
