//! Text form of IR blocks, for `-d op` and `-d op_opt`.

use super::{ConstKind, Insn, IrBlock, Opcode, Temp, Terminal, NO_TEMP};
use std::fmt::{self, Write};

impl IrBlock {
    fn temp_name(&self, t: Temp) -> String {
        if self.is_global(t) {
            self.globals[t.index()].name.to_string()
        } else {
            format!("t{}", t.0)
        }
    }

    fn fmt_insn(&self, insn: &Insn, out: &mut String) -> fmt::Result {
        if insn.opc == Opcode::Call {
            let h = insn.helper();
            if insn.args[0] != NO_TEMP {
                write!(out, "{} = ", self.temp_name(insn.t(0)))?;
            }
            let args: Vec<String> = insn.ins().map(|t| self.temp_name(t)).collect();
            return write!(out, "call {}({})", h.name, args.join(", "));
        }
        if insn.opc == Opcode::InsnStart {
            return write!(out, " ---- {:#x}", insn.imm);
        }
        let info = insn.info();
        let outs: Vec<String> = insn.outs().map(|t| self.temp_name(t)).collect();
        if !outs.is_empty() {
            write!(out, "{} = ", outs.join(", "))?;
        }
        write!(out, "{}", info.name)?;
        let mut parts: Vec<String> = insn.ins().map(|t| self.temp_name(t)).collect();
        let mut k = 0;
        for c in info.consts {
            parts.push(match c {
                ConstKind::Imm => format!("${:#x}", insn.imm),
                ConstKind::Cond => super::Cond::from_u32(insn.c(k)).name().to_string(),
                ConstKind::Label => format!("L{}", insn.c(k)),
                ConstKind::MemOp => format!("{:?}", super::MemOp(insn.c(k) as u16)),
                ConstKind::U32 => format!("{}", insn.c(k)),
            });
            if *c != ConstKind::Imm {
                k += 1;
            }
        }
        if !parts.is_empty() {
            write!(out, " {}", parts.join(", "))?;
        }
        Ok(())
    }
}

impl fmt::Display for IrBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "IR block pc={:#x} flags={:#x} ({} guest insns, {} ops, {} temps)",
            self.pc,
            self.flags,
            self.guest_insns,
            self.insns.len(),
            self.temps.len()
        )?;
        for insn in &self.insns {
            let mut s = String::new();
            self.fmt_insn(insn, &mut s)?;
            writeln!(f, "  {s}")?;
        }
        match &self.terminal {
            Terminal::Jump(pc) => writeln!(f, "  goto {pc:#x}"),
            Terminal::Indirect(t) => writeln!(f, "  goto_ptr {}", self.temp_name(*t)),
            Terminal::Cond {
                cond,
                a,
                b,
                taken,
                not_taken,
            } => writeln!(
                f,
                "  if {} {}, {} goto {:#x} else goto {:#x}",
                cond.name(),
                self.temp_name(*a),
                self.temp_name(*b),
                taken,
                not_taken
            ),
            Terminal::Exit { pc, reason } => writeln!(f, "  exit reason={reason} pc={pc:#x}"),
        }
    }
}
