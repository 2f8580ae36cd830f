//! A tiny, obviously-correct IR interpreter used as an oracle by the
//! per-instruction tests (independent of tcg's backends). Globals are read
//! and written straight in the env on every access, so helpers always see
//! current state. i32 values are kept zero-extended in u64 slots.

use tcg::helper::Env;
use tcg::ir::{Cond, IrBlock, MemOp, Opcode, Temp, TempKind, Terminal};

pub enum Exit {
    Jump(u64),
    Guest(u32),
}

fn sx(v: u64, bits: u32) -> u64 {
    (((v << (64 - bits)) as i64) >> (64 - bits)) as u64
}

fn mask(bits: u32) -> u64 {
    if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

struct St<'a> {
    b: &'a IrBlock,
    env: *mut u8,
    loc: Vec<u64>,
}

impl St<'_> {
    fn get(&self, t: Temp) -> u64 {
        match self.b.temps[t.index()].kind {
            // SAFETY: offsets come from the guest's GlobalDefs into a live CpuState.
            TempKind::Global(off) => unsafe {
                (self.env.add(off as usize) as *const u64).read_unaligned()
            },
            TempKind::Local => self.loc[t.index()],
        }
    }
    fn set(&mut self, t: Temp, v: u64) {
        let v = if self.b.ty(t) == tcg::ir::Type::I32 {
            v & 0xffff_ffff
        } else {
            v
        };
        match self.b.temps[t.index()].kind {
            // SAFETY: as in get.
            TempKind::Global(off) => unsafe {
                (self.env.add(off as usize) as *mut u64).write_unaligned(v)
            },
            TempKind::Local => self.loc[t.index()] = v,
        }
    }
}

fn mem_load(base: u64, addr: u64, m: MemOp) -> u64 {
    let n = m.bytes() as usize;
    let mut buf = [0u8; 8];
    // SAFETY: tests map every address they touch inside the guest buffer.
    unsafe {
        std::ptr::copy_nonoverlapping(base.wrapping_add(addr) as *const u8, buf.as_mut_ptr(), n)
    };
    let v = u64::from_le_bytes(buf);
    if m.is_signed() {
        sx(v, 8 * n as u32)
    } else {
        v
    }
}

fn mem_store(base: u64, addr: u64, v: u64, m: MemOp) {
    let n = m.bytes() as usize;
    // SAFETY: as in mem_load.
    unsafe {
        std::ptr::copy_nonoverlapping(
            v.to_le_bytes().as_ptr(),
            base.wrapping_add(addr) as *mut u8,
            n,
        )
    };
}

/// Runs one block; `guest_base` is the host address of guest address 0.
pub fn run_block(b: &IrBlock, env: Env, guest_base: u64) -> Exit {
    let mut s = St {
        b,
        env,
        loc: vec![0; b.temps.len()],
    };
    let mut labels = vec![usize::MAX; b.n_labels as usize];
    for (k, i) in b.insns.iter().enumerate() {
        if i.opc == Opcode::SetLabel {
            labels[i.c(0) as usize] = k;
        }
    }
    let pcg = b.pc_global;
    let mut ip = 0;
    while ip < b.insns.len() {
        let i = &b.insns[ip];
        ip += 1;
        use Opcode::*;
        let a = |s: &St, k: usize| s.get(i.t(k));
        macro_rules! bin {
            ($f:expr) => {{
                let (x, y) = (a(&s, 1), a(&s, 2));
                let f: fn(u64, u64) -> u64 = $f;
                s.set(i.t(0), f(x, y));
            }};
        }
        macro_rules! un {
            ($f:expr) => {{
                let x = a(&s, 1);
                let f: fn(u64) -> u64 = $f;
                s.set(i.t(0), f(x));
            }};
        }
        let w32 = |x: u64| x as u32;
        match i.opc {
            MovI32 | MovI64 => un!(|x| x),
            MoviI32 | MoviI64 => s.set(i.t(0), i.imm),
            AddI32 | AddI64 => bin!(|x, y| x.wrapping_add(y)),
            SubI32 | SubI64 => bin!(|x, y| x.wrapping_sub(y)),
            MulI32 | MulI64 => bin!(|x, y| x.wrapping_mul(y)),
            AndI32 | AndI64 => bin!(|x, y| x & y),
            OrI32 | OrI64 => bin!(|x, y| x | y),
            XorI32 | XorI64 => bin!(|x, y| x ^ y),
            AndcI32 | AndcI64 => bin!(|x, y| x & !y),
            OrcI32 | OrcI64 => bin!(|x, y| x | !y),
            EqvI32 | EqvI64 => bin!(|x, y| !(x ^ y)),
            ShlI32 => bin!(|x, y| {
                assert!(y < 32);
                (x as u32).wrapping_shl(y as u32) as u64
            }),
            ShrI32 => bin!(|x, y| {
                assert!(y < 32);
                (x as u32 >> y) as u64
            }),
            SarI32 => bin!(|x, y| {
                assert!(y < 32);
                (x as i32 >> y) as u32 as u64
            }),
            RotlI32 => bin!(|x, y| (x as u32).rotate_left(y as u32) as u64),
            RotrI32 => bin!(|x, y| (x as u32).rotate_right(y as u32) as u64),
            ShlI64 => bin!(|x, y| {
                assert!(y < 64);
                x << y
            }),
            ShrI64 => bin!(|x, y| {
                assert!(y < 64);
                x >> y
            }),
            SarI64 => bin!(|x, y| {
                assert!(y < 64);
                (x as i64 >> y) as u64
            }),
            RotlI64 => bin!(|x, y| x.rotate_left(y as u32)),
            RotrI64 => bin!(|x, y| x.rotate_right(y as u32)),
            DivsI32 => bin!(|x, y| (x as i32).wrapping_div(y as i32) as u32 as u64),
            DivuI32 => bin!(|x, y| (x as u32 / y as u32) as u64),
            RemsI32 => bin!(|x, y| (x as i32).wrapping_rem(y as i32) as u32 as u64),
            RemuI32 => bin!(|x, y| (x as u32 % y as u32) as u64),
            DivsI64 => bin!(|x, y| {
                assert!(!(x as i64 == i64::MIN && y as i64 == -1));
                (x as i64 / y as i64) as u64
            }),
            DivuI64 => bin!(|x, y| x / y),
            RemsI64 => bin!(|x, y| (x as i64).wrapping_rem(y as i64) as u64),
            RemuI64 => bin!(|x, y| x % y),
            MulhsI64 => bin!(|x, y| ((x as i64 as i128 * y as i64 as i128) >> 64) as u64),
            MulhuI64 => bin!(|x, y| ((x as u128 * y as u128) >> 64) as u64),
            FaddF64 => bin!(|x, y| (f64::from_bits(x) + f64::from_bits(y)).to_bits()),
            FsubF64 => bin!(|x, y| (f64::from_bits(x) - f64::from_bits(y)).to_bits()),
            FmulF64 => bin!(|x, y| (f64::from_bits(x) * f64::from_bits(y)).to_bits()),
            FdivF64 => bin!(|x, y| (f64::from_bits(x) / f64::from_bits(y)).to_bits()),
            FaddF32 => bin!(|x, y| f32op(x, y, |a, b| a + b)),
            FsubF32 => bin!(|x, y| f32op(x, y, |a, b| a - b)),
            FmulF32 => bin!(|x, y| f32op(x, y, |a, b| a * b)),
            FdivF32 => bin!(|x, y| f32op(x, y, |a, b| a / b)),
            NegI32 | NegI64 => un!(|x| x.wrapping_neg()),
            NotI32 | NotI64 => un!(|x| !x),
            // clz of zero: deliberately garbage, the frontend must not depend on it.
            ClzI32 => un!(|x| if x as u32 == 0 {
                0xbad
            } else {
                (x as u32).leading_zeros() as u64
            }),
            ClzI64 => un!(|x| if x == 0 {
                0xbad
            } else {
                x.leading_zeros() as u64
            }),
            CtzI32 => un!(|x| (x as u32).trailing_zeros() as u64),
            CtzI64 => un!(|x| x.trailing_zeros() as u64),
            CtpopI32 | CtpopI64 => un!(|x| x.count_ones() as u64),
            Bswap16I32 | Bswap16I64 => un!(|x| (x as u16).swap_bytes() as u64),
            Bswap32I32 | Bswap32I64 => un!(|x| (x as u32).swap_bytes() as u64),
            Bswap64I64 => un!(|x| x.swap_bytes()),
            Ext8sI32 | Ext8sI64 => un!(|x| sx(x, 8)),
            Ext8uI32 | Ext8uI64 => un!(|x| x & 0xff),
            Ext16sI32 | Ext16sI64 => un!(|x| sx(x, 16)),
            Ext16uI32 | Ext16uI64 => un!(|x| x & 0xffff),
            Ext32sI64 | ExtsI32I64 => un!(|x| sx(x, 32)),
            Ext32uI64 | ExtuI32I64 | ExtrlI64I32 => un!(|x| x & 0xffff_ffff),
            ExtrhI64I32 => un!(|x| x >> 32),
            ExtractI32 | ExtractI64 => {
                let (pos, len) = (i.c(0), i.c(1));
                let v = a(&s, 1) >> pos & mask(len);
                s.set(i.t(0), v);
            }
            SextractI32 | SextractI64 => {
                let (pos, len) = (i.c(0), i.c(1));
                let v = sx(a(&s, 1) >> pos & mask(len), len);
                s.set(i.t(0), v);
            }
            DepositI32 | DepositI64 => {
                let (pos, len) = (i.c(0), i.c(1));
                let m = mask(len) << pos;
                let v = (a(&s, 1) & !m) | ((a(&s, 2) << pos) & m);
                s.set(i.t(0), v);
            }
            SetcondI32 | SetcondI64 => {
                let c = Cond::from_u32(i.c(0));
                let r = if i.opc == SetcondI32 {
                    c.eval32(w32(a(&s, 1)), w32(a(&s, 2)))
                } else {
                    c.eval64(a(&s, 1), a(&s, 2))
                };
                s.set(i.t(0), r as u64);
            }
            MovcondI32 | MovcondI64 => {
                let c = Cond::from_u32(i.c(0));
                let r = if i.opc == MovcondI32 {
                    c.eval32(w32(a(&s, 1)), w32(a(&s, 2)))
                } else {
                    c.eval64(a(&s, 1), a(&s, 2))
                };
                let v = if r { a(&s, 3) } else { a(&s, 4) };
                s.set(i.t(0), v);
            }
            SetLabel | InsnStart => {}
            Br => ip = labels[i.c(0) as usize],
            BrcondI32 | BrcondI64 => {
                let c = Cond::from_u32(i.c(0));
                let r = if i.opc == BrcondI32 {
                    c.eval32(w32(a(&s, 0)), w32(a(&s, 1)))
                } else {
                    c.eval64(a(&s, 0), a(&s, 1))
                };
                if r {
                    ip = labels[i.c(1) as usize];
                }
            }
            Exit => return self::Exit::Guest(i.imm as u32),
            LdI32 | LdI64 => {
                let m = MemOp(i.c(0) as u16);
                let addr = a(&s, 1);
                if m.is_aligned() {
                    assert_eq!(addr % m.bytes() as u64, 0, "unaligned access");
                }
                s.set(i.t(0), mem_load(guest_base, addr, m));
            }
            StI32 | StI64 => {
                let m = MemOp(i.c(0) as u16);
                mem_store(guest_base, a(&s, 1), a(&s, 0), m);
            }
            Ld2I64 => {
                let m = MemOp(i.c(0) as u16);
                let addr = a(&s, 2);
                s.set(i.t(0), mem_load(guest_base, addr, m));
                s.set(i.t(1), mem_load(guest_base, addr.wrapping_add(8), m));
            }
            St2I64 => {
                let m = MemOp(i.c(0) as u16);
                let addr = a(&s, 2);
                mem_store(guest_base, addr, a(&s, 0), m);
                mem_store(guest_base, addr.wrapping_add(8), a(&s, 1), m);
            }
            LdEnvI32 | LdEnvI64 => {
                let m = MemOp(i.c(1) as u16);
                let v = mem_load(env as u64, i.c(0) as u64, m);
                s.set(i.t(0), v);
            }
            StEnvI32 | StEnvI64 => {
                let m = MemOp(i.c(1) as u16);
                mem_store(env as u64, i.c(0) as u64, a(&s, 0), m);
            }
            Call => {
                let h = i.helper();
                let mut args = [0u64; 5];
                for (k, t) in i.ins().enumerate() {
                    args[k] = s.get(t);
                }
                let r = h.invoke(env, &args);
                if i.args[0] != tcg::ir::NO_TEMP {
                    s.set(i.t(0), r);
                }
            }
        }
    }
    match &b.terminal {
        Terminal::Jump(pc) => Exit::Jump(*pc),
        Terminal::Indirect(t) => Exit::Jump(s.get(*t)),
        Terminal::Cond {
            cond,
            a,
            b: bb,
            taken,
            not_taken,
        } => {
            let r = if b.ty(*a) == tcg::ir::Type::I32 {
                cond.eval32(s.get(*a) as u32, s.get(*bb) as u32)
            } else {
                cond.eval64(s.get(*a), s.get(*bb))
            };
            Exit::Jump(if r { *taken } else { *not_taken })
        }
        Terminal::Exit { pc, reason } => {
            s.set(pcg, *pc);
            Exit::Guest(*reason)
        }
    }
}

fn f32op(x: u64, y: u64, f: fn(f32, f32) -> f32) -> u64 {
    f(f32::from_bits(x as u32), f32::from_bits(y as u32)).to_bits() as u64
}
