use super::*;
use crate::ir::{Builder, Cond, GlobalDef, Opcode, Terminal, Type};

static GLOBALS: [GlobalDef; 3] = [
    GlobalDef {
        name: "r0",
        offset: 4096 * 8 + 64,
        ty: Type::I64,
    },
    GlobalDef {
        name: "flag",
        offset: 4096 * 8 + 72,
        ty: Type::I64,
    },
    GlobalDef {
        name: "pc",
        offset: 4096 * 8 + 80,
        ty: Type::I64,
    },
];

fn ops(b: &crate::ir::IrBlock) -> Vec<Opcode> {
    b.insns.iter().map(|i| i.opc).collect()
}

#[test]
fn folds_constants_into_one_movi() {
    let mut b = Builder::new(&GLOBALS, 2);
    let x = b.const_i64(40);
    let y = b.const_i64(2);
    let z = b.temp_i64();
    b.add_i64(z, x, y);
    let r0 = b.global(0);
    b.mov_i64(r0, z);
    let mut ir = b.finish(0, 0, 4, 1, Terminal::Jump(4));
    optimize(&mut ir);
    assert_eq!(ops(&ir), vec![Opcode::MoviI64]);
    assert_eq!(ir.insns[0].imm, 42);
    assert_eq!(ir.insns[0].t(0), r0);
}

#[test]
fn drops_overwritten_flag_computation() {
    let mut b = Builder::new(&GLOBALS, 2);
    let r0 = b.global(0);
    let flag = b.global(1);
    b.add_i64(flag, r0, r0); // dead: overwritten below with no reader
    b.sub_i64(flag, r0, r0);
    let mut ir = b.finish(0, 0, 4, 1, Terminal::Jump(4));
    optimize(&mut ir);
    assert_eq!(ops(&ir), vec![Opcode::SubI64]);
}

#[test]
fn keeps_flag_read_between_writes() {
    let mut b = Builder::new(&GLOBALS, 2);
    let r0 = b.global(0);
    let flag = b.global(1);
    b.add_i64(flag, r0, r0);
    b.mov_i64(r0, flag);
    b.sub_i64(flag, r0, r0);
    let mut ir = b.finish(0, 0, 4, 1, Terminal::Jump(4));
    optimize(&mut ir);
    assert_eq!(ops(&ir).len(), 3);
}

#[test]
fn labels_stop_constant_propagation() {
    let mut b = Builder::new(&GLOBALS, 2);
    let r0 = b.global(0);
    let t = b.const_i64(1);
    let l = b.new_label();
    b.brcond_i64(r0, r0, Cond::Ne, l);
    b.movi_i64(t, 2);
    b.set_label(l);
    b.mov_i64(r0, t); // t is 1 or 2: must not be folded
    let mut ir = b.finish(0, 0, 4, 1, Terminal::Jump(4));
    optimize(&mut ir);
    assert!(ir.insns.iter().any(|i| i.opc == Opcode::MovI64));
}

#[test]
fn known_branch_becomes_jump() {
    let mut b = Builder::new(&GLOBALS, 2);
    let x = b.const_i64(3);
    let y = b.const_i64(3);
    let mut ir = {
        b.movi_i64(GLOBALS_R0, 0);
        b.finish(
            0,
            0,
            4,
            1,
            Terminal::Cond {
                cond: Cond::Eq,
                a: x,
                b: y,
                taken: 100,
                not_taken: 200,
            },
        )
    };
    optimize(&mut ir);
    assert_eq!(ir.terminal, Terminal::Jump(100));
}

const GLOBALS_R0: crate::ir::Temp = crate::ir::Temp(0);

#[test]
fn copy_is_invalidated_by_write_of_source() {
    let mut b = Builder::new(&GLOBALS, 2);
    let r0 = b.global(0);
    let t = b.temp_i64();
    b.mov_i64(t, r0);
    let one = b.const_i64(1);
    b.add_i64(r0, r0, one);
    let flag = b.global(1);
    b.mov_i64(flag, t); // must read the old r0 through t, not r0
    let mut ir = b.finish(0, 0, 4, 1, Terminal::Jump(4));
    optimize(&mut ir);
    let last = ir.insns.last().unwrap();
    assert_eq!(last.opc, Opcode::MovI64);
    assert_eq!(last.t(1), t);
}

/// `orr x1, xzr, x0` (AArch64's `mov`) is a copy: the constant on the left
/// of a commutative op is an identity as well as on the right; not for
/// `sub`, which is not commutative.
#[test]
fn identity_on_the_left_of_commutative_ops_is_a_copy() {
    for (opc, k, copy) in [
        (Opcode::OrI64, 0, true),
        (Opcode::AddI64, 0, true),
        (Opcode::XorI64, 0, true),
        (Opcode::AndI64, u64::MAX, true),
        (Opcode::MulI64, 1, true),
        (Opcode::SubI64, 0, false),
    ] {
        let mut b = Builder::new(&GLOBALS, 2);
        let r0 = b.global(0);
        let flag = b.global(1);
        let z = b.const_i64(k);
        let t = b.temp_i64();
        match opc {
            Opcode::OrI64 => b.or_i64(t, z, r0),
            Opcode::AddI64 => b.add_i64(t, z, r0),
            Opcode::XorI64 => b.xor_i64(t, z, r0),
            Opcode::AndI64 => b.and_i64(t, z, r0),
            Opcode::MulI64 => b.mul_i64(t, z, r0),
            _ => b.sub_i64(t, z, r0),
        }
        b.mov_i64(flag, t);
        let mut ir = b.finish(0, 0, 4, 1, Terminal::Jump(4));
        optimize(&mut ir);
        if copy {
            assert_eq!(ops(&ir), vec![Opcode::MovI64], "{opc:?}");
            assert_eq!(ir.insns[0].t(0), flag);
            assert_eq!(ir.insns[0].t(1), r0);
        } else {
            assert!(ops(&ir).contains(&opc), "{opc:?}: {:?}", ops(&ir));
        }
    }
}
