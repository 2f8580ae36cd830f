//! Structural checks of an IR block: temp indices and types match the op
//! table, labels are defined once and in range, helper arity is right.
//! Run in debug builds after translation and after optimization.

use super::{ConstKind, IrBlock, Opcode, Terminal, Type, NO_TEMP};

#[derive(Debug, thiserror::Error)]
#[error("IR verify failed at op {index} ({op}): {msg}")]
pub struct VerifyError {
    pub index: usize,
    pub op: &'static str,
    pub msg: String,
}

pub fn verify(b: &IrBlock) -> Result<(), VerifyError> {
    let n = b.temps.len() as u32;
    let mut label_defined = vec![false; b.n_labels as usize];
    for (index, insn) in b.insns.iter().enumerate() {
        let info = insn.info();
        let err = |msg: String| VerifyError {
            index,
            op: info.name,
            msg,
        };
        if insn.opc == Opcode::Call {
            let h = insn.helper();
            if insn.nargs != h.nargs {
                return Err(err(format!("{} takes {} args", h.name, h.nargs)));
            }
            if insn.args[0] != NO_TEMP && insn.args[0] >= n {
                return Err(err("bad result temp".into()));
            }
            for t in insn.ins() {
                if t.0 >= n {
                    return Err(err(format!("bad temp {}", t.0)));
                }
            }
            continue;
        }
        for (t, ty) in insn.outs().zip(info.outs).chain(insn.ins().zip(info.ins)) {
            if t.0 >= n {
                return Err(err(format!("temp {} out of range", t.0)));
            }
            if b.ty(t) != *ty {
                return Err(err(format!(
                    "temp {} is {:?}, expected {:?}",
                    t.0,
                    b.ty(t),
                    ty
                )));
            }
        }
        let mut k = 0;
        for c in info.consts {
            match c {
                ConstKind::Imm => continue,
                ConstKind::Label => {
                    let l = insn.c(k) as usize;
                    if l >= label_defined.len() {
                        return Err(err(format!("label {l} out of range")));
                    }
                    if insn.opc == Opcode::SetLabel {
                        if label_defined[l] {
                            return Err(err(format!("label {l} defined twice")));
                        }
                        label_defined[l] = true;
                    }
                }
                ConstKind::U32
                    if matches!(
                        insn.opc,
                        Opcode::ExtractI32
                            | Opcode::SextractI32
                            | Opcode::DepositI32
                            | Opcode::ExtractI64
                            | Opcode::SextractI64
                            | Opcode::DepositI64
                    ) =>
                {
                    let bits = info.outs[0].bits();
                    let (pos, len) = (insn.c(0), insn.c(1));
                    if len == 0 || pos + len > bits {
                        return Err(err(format!("bad field pos={pos} len={len}")));
                    }
                }
                _ => {}
            }
            k += 1;
        }
    }
    if let Some(l) = label_defined.iter().position(|d| !d) {
        return Err(VerifyError {
            index: b.insns.len(),
            op: "end",
            msg: format!("label {l} never defined"),
        });
    }
    let check_t = |t: super::Temp| t.0 < n;
    match &b.terminal {
        Terminal::Indirect(t) if !check_t(*t) || b.ty(*t) != Type::I64 => Err(VerifyError {
            index: b.insns.len(),
            op: "terminal",
            msg: "indirect target must be an i64 temp".into(),
        }),
        Terminal::Cond { a, b: bt, .. }
            if !check_t(*a) || !check_t(*bt) || b.ty(*a) != b.ty(*bt) =>
        {
            Err(VerifyError {
                index: b.insns.len(),
                op: "terminal",
                msg: "cond operands must be temps of one type".into(),
            })
        }
        _ => Ok(()),
    }
}
