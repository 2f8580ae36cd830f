//! Random VFP (and, behind a weight, Advanced SIMD) instructions: the
//! floating-point data-processing, conversion, transfer and load/store
//! forms of ARMv7 VFPv4 (DDI 0406 A7.5-A7.9), as A32 words (T32 uses the
//! same word with condition 1110). Not generated: short vectors (FPSCR.Len
//! and Stride stay 0; VMSR's source is cleared of them) and the ARMv8
//! additions Mimic's decoder does not have (VRINT*, VSEL, VMAXNM, VCVTA..).
//!
//! NEON: `MIMIC_DIFFTEST_NEON=W` gives the Advanced SIMD groups Mimic
//! implements weight W (default 0: another change is completing them).

use super::gen::{Kind, Mem, Set, Tpl, G};

fn ok(_: &mut G) -> bool {
    true
}

fn fma(g: &mut G) -> bool {
    // opc1 1x01 (VFNMA/VFNMS) or 1x10 (VFMA/VFMS).
    let o = g.pick(&[1, 2]);
    g.set("o", o);
    true
}

fn misc(g: &mut G) -> bool {
    let (opc2, op) = *[
        (0, 0),
        (0, 1),
        (1, 0),
        (1, 1),
        (2, 0),
        (2, 1),
        (3, 0),
        (3, 1),
        (4, 0),
        (4, 1),
        (5, 0),
        (5, 1),
        (7, 1),
        (8, 0),
        (8, 1),
        (12, 0),
        (12, 1),
        (13, 0),
        (13, 1),
    ]
    .get(g.below(19) as usize)
    .unwrap();
    g.set("opc2", opc2);
    g.set("op", op);
    if opc2 == 5 {
        // VCMP with #0.0: Vm and M are (0).
        g.set("vm", 0);
        g.set("m", 0);
    }
    true
}

fn fixed(g: &mut G) -> bool {
    if g.get("sx") == 0 {
        // 16-bit fixed point: at most 16 fraction bits.
        let v = g.get("imm4") & 7;
        g.set("imm4", v);
    }
    true
}

fn two_core(g: &mut G) -> bool {
    if g.get("op") == 1 {
        g.distinct("rt2", &["rt"]);
    }
    true
}

fn two_core_s(g: &mut G) -> bool {
    if g.get("vm") == 15 && g.get("m") == 1 {
        g.set("m", 0);
    }
    two_core(g)
}

fn to_scalar(g: &mut G) -> bool {
    if g.get("opc1") & 2 == 0 && g.get("opc2") == 2 {
        g.set("opc2", 0);
    }
    true
}

fn from_scalar(g: &mut G) -> bool {
    to_scalar(g);
    if g.get("opc1") & 2 == 0 && g.get("opc2") == 0 {
        g.set("u", 0);
    }
    true
}

fn vmrs(g: &mut G) -> bool {
    // Rt = PC: APSR_nzcv.
    if g.chance(1, 3) {
        g.set("rt", 15);
    }
    true
}

fn neon_q(g: &mut G) -> bool {
    // Q forms name even D registers.
    if g.get("q") == 1 {
        for f in ["vd", "vn", "vm"] {
            if g.has(f) {
                let v = g.get(f) & !1;
                g.set(f, v);
            }
        }
    }
    !beyond_model(g.w)
}

/// Advanced SIMD forms of features QEMU's `max` has and Mimic's Arm models
/// do not (ARMv8.2 half-precision arithmetic, ARMv8.1 VQRDMLAH/VQRDMLSH):
/// not comparable, so not generated. `w` is in A32 layout.
fn beyond_model(w: u32) -> bool {
    let (u, opc, o1) = (w >> 24 & 1, w >> 8 & 0xf, w >> 4 & 1);
    if w >> 23 & 1 == 0 {
        // Three registers of the same length: sz (bit 20) = 1 is f16.
        let float = matches!(opc, 0xd..=0xf) || (opc == 0xc && o1 == 1 && u == 0);
        return (float && w >> 20 & 1 == 1) || (u == 1 && o1 == 1 && matches!(opc, 0xb | 0xc));
    }
    if w >> 20 & 3 == 3 {
        // Two registers, miscellaneous: size 01 float forms are f16 (the
        // f16 <-> f32 VCVTs excepted).
        let (size, opc1, op) = (w >> 18 & 3, w >> 16 & 3, w >> 7 & 0xf);
        return size == 1
            && match opc1 {
                1 => w >> 10 & 1 == 1,
                2 => op >= 8 && op != 0b1100 && op != 0b1110,
                3 => true,
                _ => false,
            };
    }
    false
}

fn neon_weight() -> u32 {
    std::env::var("MIMIC_DIFFTEST_NEON")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

const fn t(pat: &'static str, weight: u32, kind: Kind, fix: fn(&mut G) -> bool) -> Tpl {
    Tpl {
        set: Set::Vfp,
        pat,
        weight,
        kind,
        fix,
    }
}

pub fn templates() -> Vec<Tpl> {
    let mut v = vec![
        // VMLA/VMLS, VNMLA/VNMLS, VMUL/VNMUL, VADD/VSUB.
        t(
            "cond:4 1110 0 d:1 xx vn:4 vd:4 101 sz:1 n:1 x m:1 0 vm:4",
            40,
            Kind::Plain,
            ok,
        ),
        t(
            "cond:4 1110 1 d:1 00 vn:4 vd:4 101 sz:1 n:1 0 m:1 0 vm:4",
            8,
            Kind::Plain,
            ok,
        ), // VDIV
        t(
            "cond:4 1110 1 d:1 o:2 vn:4 vd:4 101 sz:1 n:1 x m:1 0 vm:4",
            10,
            Kind::Plain,
            fma,
        ),
        t(
            "cond:4 1110 1 d:1 11 opc2:4 vd:4 101 sz:1 op:1 1 m:1 0 vm:4",
            40,
            Kind::Plain,
            misc,
        ),
        t(
            "cond:4 1110 1 d:1 111 x 1 x vd:4 101 x sx:1 1 x 0 imm4:4",
            8,
            Kind::Plain,
            fixed,
        ), // VCVT fixed point
        t(
            "cond:4 1110 1 d:1 11 xxxx vd:4 101 x 0000 xxxx",
            5,
            Kind::Plain,
            ok,
        ), // VMOV immediate
        t(
            "cond:4 1110 000 x vn:4 rt:4 1010 n:1 001 0000",
            8,
            Kind::Plain,
            ok,
        ), // VMOV Sn <-> Rt
        t(
            "cond:4 1100 010 op:1 rt2:4 rt:4 1011 00 m:1 1 vm:4",
            6,
            Kind::Plain,
            two_core,
        ),
        t(
            "cond:4 1100 010 op:1 rt2:4 rt:4 1010 00 m:1 1 vm:4",
            4,
            Kind::Plain,
            two_core_s,
        ),
        t(
            "cond:4 1110 0 opc1:2 0 vd:4 rt:4 1011 d:1 opc2:2 1 0000",
            5,
            Kind::Plain,
            to_scalar,
        ),
        t(
            "cond:4 1110 u:1 opc1:2 1 vn:4 rt:4 1011 n:1 opc2:2 1 0000",
            5,
            Kind::Plain,
            from_scalar,
        ),
        t(
            "cond:4 1110 1111 0001 rt:4 1010 0001 0000",
            6,
            Kind::Plain,
            vmrs,
        ),
        t(
            "cond:4 1110 1110 0001 rt:4 1010 0001 0000",
            4,
            Kind::Vmsr,
            ok,
        ),
        t(
            "cond:4 1101 u:1 d:1 0 l:1 rn:4 vd:4 101 sz:1 imm8:8",
            15,
            Kind::Mem(Mem::Vldr),
            ok,
        ),
        t(
            "cond:4 110 p:1 u:1 d:1 w:1 l:1 rn:4 vd:4 101 sz:1 imm8:8",
            10,
            Kind::Mem(Mem::Vldm),
            ok,
        ),
    ];
    let nw = neon_weight();
    if nw > 0 {
        let neon = |pat: &'static str, w: u32| Tpl {
            set: Set::Neon,
            pat,
            weight: w,
            kind: Kind::Plain,
            fix: neon_q,
        };
        v.extend([
            // Three registers of the same length.
            neon("1111 001 x 0 x xx vn:4 vd:4 xxxx x q:1 x x vm:4", nw * 4),
            // Two registers, miscellaneous.
            neon("1111 001 1 1 x 11 xx 00 vd:4 0 xxxx q:1 x 0 vm:4", nw * 2),
            // One register and a modified immediate.
            neon("1111 001 x 1 x 000 xxx vd:4 xxxx 0 q:1 0 1 xxxx", nw),
        ]);
    }
    v
}
