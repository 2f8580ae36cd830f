//! Host code disassembly for `-d out_asm` (capstone, x86-64 hosts).

use capstone::prelude::*;

/// One line per host instruction of `bytes` placed at `addr`.
pub fn host(addr: u64, bytes: &[u8]) -> String {
    let cs = match Capstone::new()
        .x86()
        .mode(arch::x86::ArchMode::Mode64)
        .syntax(arch::x86::ArchSyntax::Att)
        .build()
    {
        Ok(cs) => cs,
        Err(e) => return format!("  (no disassembler: {e})\n"),
    };
    let result = match cs.disasm_all(bytes, addr) {
        Ok(insns) => {
            let mut s = String::new();
            for i in insns.iter() {
                s.push_str(&format!(
                    "  {:#x}: {} {}\n",
                    i.address(),
                    i.mnemonic().unwrap_or("?"),
                    i.op_str().unwrap_or("")
                ));
            }
            s
        }
        Err(e) => format!("  (disassembly failed: {e})\n"),
    };
    result
}
