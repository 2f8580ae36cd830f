//! The AArch64 register file as GDB sees it: the `org.gnu.gdb.aarch64.core`
//! and `org.gnu.gdb.aarch64.fpu` target features (GDB manual, "AArch64
//! Features"), in their register order: x0-x30, sp, pc, cpsr (32 bits),
//! v0-v31 (128 bits), fpsr, fpcr (32 bits each), little-endian in the `g`
//! packet.

use crate::cpu::CpuState;
use gdbstub::arch::{Arch, RegId, Registers};
use std::num::NonZeroUsize;

/// `gdbstub` architecture description of an AArch64 user-mode cpu.
pub enum GdbAarch64 {}

/// The registers GDB reads and writes with `g`/`G` and `p`/`P`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GdbRegs {
    pub x: [u64; 31],
    pub sp: u64,
    pub pc: u64,
    /// PSTATE as GDB's `cpsr`: N, Z, C, V in bits 31..28 (EL0t: the rest 0).
    pub cpsr: u32,
    pub v: [u128; 32],
    pub fpsr: u32,
    pub fpcr: u32,
}

const CORE_BYTES: usize = 33 * 8 + 4;
const FP_BYTES: usize = 32 * 16 + 8;

impl Registers for GdbRegs {
    type ProgramCounter = u64;

    fn pc(&self) -> u64 {
        self.pc
    }

    fn gdb_serialize(&self, mut write_byte: impl FnMut(Option<u8>)) {
        let mut put = |b: &[u8]| b.iter().for_each(|&b| write_byte(Some(b)));
        for x in &self.x {
            put(&x.to_le_bytes());
        }
        put(&self.sp.to_le_bytes());
        put(&self.pc.to_le_bytes());
        put(&self.cpsr.to_le_bytes());
        for v in &self.v {
            put(&v.to_le_bytes());
        }
        put(&self.fpsr.to_le_bytes());
        put(&self.fpcr.to_le_bytes());
    }

    fn gdb_deserialize(&mut self, bytes: &[u8]) -> Result<(), ()> {
        if bytes.len() < CORE_BYTES + FP_BYTES {
            return Err(());
        }
        let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap_or([0; 8]));
        let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap_or([0; 4]));
        for (n, x) in self.x.iter_mut().enumerate() {
            *x = u64_at(n * 8);
        }
        self.sp = u64_at(31 * 8);
        self.pc = u64_at(32 * 8);
        self.cpsr = u32_at(33 * 8);
        for (n, v) in self.v.iter_mut().enumerate() {
            let i = CORE_BYTES + n * 16;
            *v = u128::from_le_bytes(bytes[i..i + 16].try_into().unwrap_or([0; 16]));
        }
        self.fpsr = u32_at(CORE_BYTES + 512);
        self.fpcr = u32_at(CORE_BYTES + 516);
        Ok(())
    }
}

/// A register by GDB's number (the target description's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GdbRegId {
    X(u8),
    Sp,
    Pc,
    Cpsr,
    V(u8),
    Fpsr,
    Fpcr,
}

impl RegId for GdbRegId {
    fn from_raw_id(id: usize) -> Option<(Self, Option<NonZeroUsize>)> {
        let (reg, size) = match id {
            0..=30 => (GdbRegId::X(id as u8), 8),
            31 => (GdbRegId::Sp, 8),
            32 => (GdbRegId::Pc, 8),
            33 => (GdbRegId::Cpsr, 4),
            34..=65 => (GdbRegId::V((id - 34) as u8), 16),
            66 => (GdbRegId::Fpsr, 4),
            67 => (GdbRegId::Fpcr, 4),
            _ => return None,
        };
        Some((reg, NonZeroUsize::new(size)))
    }
}

impl Arch for GdbAarch64 {
    type Usize = u64;
    type Registers = GdbRegs;
    type BreakpointKind = usize;
    type RegId = GdbRegId;

    fn target_description_xml() -> Option<&'static str> {
        Some(TARGET_XML)
    }
}

/// The target description GDB asks for with `qXfer:features:read`.
const TARGET_XML: &str = r#"<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
<architecture>aarch64</architecture>
<feature name="org.gnu.gdb.aarch64.core">
<reg name="x0" bitsize="64"/><reg name="x1" bitsize="64"/><reg name="x2" bitsize="64"/>
<reg name="x3" bitsize="64"/><reg name="x4" bitsize="64"/><reg name="x5" bitsize="64"/>
<reg name="x6" bitsize="64"/><reg name="x7" bitsize="64"/><reg name="x8" bitsize="64"/>
<reg name="x9" bitsize="64"/><reg name="x10" bitsize="64"/><reg name="x11" bitsize="64"/>
<reg name="x12" bitsize="64"/><reg name="x13" bitsize="64"/><reg name="x14" bitsize="64"/>
<reg name="x15" bitsize="64"/><reg name="x16" bitsize="64"/><reg name="x17" bitsize="64"/>
<reg name="x18" bitsize="64"/><reg name="x19" bitsize="64"/><reg name="x20" bitsize="64"/>
<reg name="x21" bitsize="64"/><reg name="x22" bitsize="64"/><reg name="x23" bitsize="64"/>
<reg name="x24" bitsize="64"/><reg name="x25" bitsize="64"/><reg name="x26" bitsize="64"/>
<reg name="x27" bitsize="64"/><reg name="x28" bitsize="64"/><reg name="x29" bitsize="64"/>
<reg name="x30" bitsize="64"/>
<reg name="sp" bitsize="64" type="data_ptr"/>
<reg name="pc" bitsize="64" type="code_ptr"/>
<flags id="cpsr_flags" size="4">
<field name="SP" start="0" end="0"/><field name="EL" start="2" end="3"/>
<field name="V" start="28" end="28"/><field name="C" start="29" end="29"/>
<field name="Z" start="30" end="30"/><field name="N" start="31" end="31"/>
</flags>
<reg name="cpsr" bitsize="32" type="cpsr_flags"/>
</feature>
<feature name="org.gnu.gdb.aarch64.fpu">
<vector id="v2d" type="ieee_double" count="2"/>
<vector id="v2u" type="uint64" count="2"/>
<vector id="v2i" type="int64" count="2"/>
<vector id="v4f" type="ieee_single" count="4"/>
<vector id="v4u" type="uint32" count="4"/>
<vector id="v4i" type="int32" count="4"/>
<vector id="v8f" type="ieee_half" count="8"/>
<vector id="v8u" type="uint16" count="8"/>
<vector id="v8i" type="int16" count="8"/>
<vector id="v16u" type="uint8" count="16"/>
<vector id="v16i" type="int8" count="16"/>
<vector id="v1u" type="uint128" count="1"/>
<vector id="v1i" type="int128" count="1"/>
<union id="vnd"><field name="f" type="v2d"/><field name="u" type="v2u"/><field name="s" type="v2i"/></union>
<union id="vns"><field name="f" type="v4f"/><field name="u" type="v4u"/><field name="s" type="v4i"/></union>
<union id="vnh"><field name="f" type="v8f"/><field name="u" type="v8u"/><field name="s" type="v8i"/></union>
<union id="vnb"><field name="u" type="v16u"/><field name="s" type="v16i"/></union>
<union id="vnq"><field name="u" type="v1u"/><field name="s" type="v1i"/></union>
<union id="aarch64v"><field name="d" type="vnd"/><field name="s" type="vns"/><field name="h" type="vnh"/><field name="b" type="vnb"/><field name="q" type="vnq"/></union>
<reg name="v0" bitsize="128" type="aarch64v" regnum="34"/><reg name="v1" bitsize="128" type="aarch64v"/>
<reg name="v2" bitsize="128" type="aarch64v"/><reg name="v3" bitsize="128" type="aarch64v"/>
<reg name="v4" bitsize="128" type="aarch64v"/><reg name="v5" bitsize="128" type="aarch64v"/>
<reg name="v6" bitsize="128" type="aarch64v"/><reg name="v7" bitsize="128" type="aarch64v"/>
<reg name="v8" bitsize="128" type="aarch64v"/><reg name="v9" bitsize="128" type="aarch64v"/>
<reg name="v10" bitsize="128" type="aarch64v"/><reg name="v11" bitsize="128" type="aarch64v"/>
<reg name="v12" bitsize="128" type="aarch64v"/><reg name="v13" bitsize="128" type="aarch64v"/>
<reg name="v14" bitsize="128" type="aarch64v"/><reg name="v15" bitsize="128" type="aarch64v"/>
<reg name="v16" bitsize="128" type="aarch64v"/><reg name="v17" bitsize="128" type="aarch64v"/>
<reg name="v18" bitsize="128" type="aarch64v"/><reg name="v19" bitsize="128" type="aarch64v"/>
<reg name="v20" bitsize="128" type="aarch64v"/><reg name="v21" bitsize="128" type="aarch64v"/>
<reg name="v22" bitsize="128" type="aarch64v"/><reg name="v23" bitsize="128" type="aarch64v"/>
<reg name="v24" bitsize="128" type="aarch64v"/><reg name="v25" bitsize="128" type="aarch64v"/>
<reg name="v26" bitsize="128" type="aarch64v"/><reg name="v27" bitsize="128" type="aarch64v"/>
<reg name="v28" bitsize="128" type="aarch64v"/><reg name="v29" bitsize="128" type="aarch64v"/>
<reg name="v30" bitsize="128" type="aarch64v"/><reg name="v31" bitsize="128" type="aarch64v"/>
<reg name="fpsr" bitsize="32"/>
<reg name="fpcr" bitsize="32"/>
</feature>
</target>"#;

/// The registers of `cpu` in GDB's layout.
pub fn read_regs(cpu: &CpuState) -> GdbRegs {
    let mut v = [0u128; 32];
    for (d, s) in v.iter_mut().zip(cpu.v.iter()) {
        *d = u128::from(s[0]) | (u128::from(s[1]) << 64);
    }
    GdbRegs {
        x: cpu.x,
        sp: cpu.sp,
        pc: cpu.pc,
        cpsr: cpu.nzcv(),
        v,
        fpsr: cpu.fpsr as u32,
        fpcr: cpu.fpcr as u32,
    }
}

/// Writes GDB's register values back into `cpu`. Only the NZCV bits of
/// `cpsr` are guest-writable at EL0; the rest are ignored.
pub fn write_regs(cpu: &mut CpuState, r: &GdbRegs) {
    cpu.x = r.x;
    cpu.sp = r.sp;
    cpu.pc = r.pc;
    cpu.set_nzcv(r.cpsr & 0xf000_0000);
    for (d, s) in cpu.v.iter_mut().zip(r.v.iter()) {
        *d = [*s as u64, (*s >> 64) as u64];
    }
    cpu.fpsr = u64::from(r.fpsr);
    cpu.fpcr = u64::from(r.fpcr);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_packet_round_trips_in_gdb_order() {
        let mut cpu = CpuState::default();
        cpu.x[3] = 0x1122_3344_5566_7788;
        cpu.sp = 0x7fff_0000;
        cpu.pc = 0x40_0000;
        cpu.set_nzcv(0x6000_0000);
        cpu.v[1] = [1, 2];
        cpu.fpsr = 0x10;
        cpu.fpcr = 0x0300_0000;
        let r = read_regs(&cpu);
        let mut bytes = Vec::new();
        r.gdb_serialize(|b| bytes.push(b.unwrap_or(0)));
        assert_eq!(bytes.len(), CORE_BYTES + FP_BYTES);
        assert_eq!(&bytes[24..32], &0x1122_3344_5566_7788u64.to_le_bytes());
        assert_eq!(&bytes[264..268], &0x6000_0000u32.to_le_bytes());
        // fpsr precedes fpcr, as in GDB's aarch64-fpu feature.
        assert_eq!(
            &bytes[CORE_BYTES + 512..CORE_BYTES + 516],
            &0x10u32.to_le_bytes()
        );
        let mut back = GdbRegs::default();
        back.gdb_deserialize(&bytes).unwrap();
        assert_eq!(back, r);
        let mut cpu2 = CpuState::default();
        write_regs(&mut cpu2, &back);
        assert_eq!(read_regs(&cpu2), r);
        assert_eq!(GdbRegId::from_raw_id(34).map(|r| r.0), Some(GdbRegId::V(0)));
        assert_eq!(GdbRegId::from_raw_id(67).map(|r| r.0), Some(GdbRegId::Fpcr));
        assert!(GdbRegId::from_raw_id(68).is_none());
    }
}
