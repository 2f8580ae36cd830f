//! A32/T32 disassembly for `-d in_asm`, by capstone.

use capstone::arch::arm::ArchMode;
use capstone::arch::BuildsCapstone;
use capstone::Capstone;
use std::cell::RefCell;
use std::fmt::Write;

thread_local! {
    static CS: RefCell<[Option<Capstone>; 2]> = const { RefCell::new([None, None]) };
}

/// One line per instruction: `0x<pc>:  <hex>  <mnemonic> <operands>`.
pub fn disas(pc: u64, bytes: &[u8], thumb: bool) -> String {
    let mut out = String::new();
    CS.with(|cs| {
        let mut cs = cs.borrow_mut();
        let slot = &mut cs[usize::from(thumb)];
        if slot.is_none() {
            let mode = if thumb {
                ArchMode::Thumb
            } else {
                ArchMode::Arm
            };
            *slot = Capstone::new().arm().mode(mode).build().ok();
        }
        let mut off = 0usize;
        while off < bytes.len() {
            let addr = pc.wrapping_add(off as u64);
            let rest = &bytes[off..];
            let one = slot
                .as_ref()
                .and_then(|c| c.disasm_count(rest, addr, 1).ok())
                .and_then(|insns| {
                    insns.iter().next().map(|i| {
                        let m = i.mnemonic().unwrap_or("?");
                        let text = match i.op_str() {
                            Some(o) if !o.is_empty() => format!("{m} {o}"),
                            _ => m.to_string(),
                        };
                        (i.bytes().len(), text)
                    })
                });
            let (len, text) = one.unwrap_or_else(|| {
                let n = if thumb { 2 } else { 4 }.min(rest.len());
                (n, format!(".byte {:02x?}", &rest[..n]))
            });
            let hex: String = rest[..len]
                .iter()
                .rev()
                .map(|b| format!("{b:02x}"))
                .collect();
            let _ = writeln!(out, "{addr:#010x}:  {hex:>8}  {text}");
            off += len.max(1);
        }
    });
    out
}
