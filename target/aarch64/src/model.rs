//! CPU models selectable with `-cpu`: features, ID register values and the
//! HWCAP bits Linux would report for them.
//!
//! ID registers are derived from `Features`, so what `MRS ID_AA64*_EL1`
//! shows, what AT_HWCAP says and what the decoder accepts always agree.
//! Values follow the kernel's EL0 view ("CPU feature registers" ABI): only
//! the fields Linux makes visible, hidden fields at their safe values.

/// Optional architecture features a model has. Handlers reject (UNDEF)
/// encodings of features the model lacks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Features {
    pub fp16: bool,
    pub crc32: bool,
    pub lse: bool,
    pub aes: bool,
    pub pmull: bool,
    pub sha1: bool,
    pub sha2: bool,
    pub sha512: bool,
    pub sha3: bool,
    pub rcpc: bool,
    pub dotprod: bool,
    pub jscvt: bool,
    /// FEAT_FlagM (CFINV, RMIF, SETF8/16).
    pub flagm: bool,
    /// FEAT_FlagM2 (AXFLAG, XAFLAG).
    pub flagm2: bool,
    pub frint: bool,
    /// FEAT_SB (the SB barrier).
    pub sb: bool,
    /// FEAT_RDM: SQRDMLAH/SQRDMLSH.
    pub rdm: bool,
    /// FEAT_FCMA: FCMLA/FCADD.
    pub fcma: bool,
    /// FEAT_FHM: FMLAL/FMLSL (half-precision products into single).
    pub fhm: bool,
    /// FEAT_LRCPC2: LDAPUR*/STLUR* (unscaled offset acquire/release).
    pub lrcpc2: bool,
    /// FEAT_I8MM: SMMLA/UMMLA/USMMLA, USDOT/SUDOT.
    pub i8mm: bool,
    /// FEAT_BF16: BFDOT, BFMMLA, BFMLALB/T, BFCVT*.
    pub bf16: bool,
    /// FEAT_SM3 and FEAT_SM4.
    pub sm3: bool,
    pub sm4: bool,
    /// FEAT_LSE2: acquire/release and atomic accesses may be misaligned
    /// within 16 bytes (and are then single-copy atomic), 16-byte aligned
    /// LDP/STP of X registers are single-copy atomic (HWCAP_USCAT).
    pub lse2: bool,
}

#[derive(Debug)]
pub struct CpuModel {
    pub name: &'static str,
    pub midr: u64,
    /// CTR_EL0 (cache type: line sizes, IDC/DIC).
    pub ctr: u64,
    pub features: Features,
}

/// DCZID_EL0: DC ZVA allowed, block size 2^4 words = 64 bytes.
pub const DCZID: u64 = 4;
/// Bytes zeroed by DC ZVA.
pub const ZVA_BYTES: u64 = 4 << DCZID;

pub static MAX: CpuModel = CpuModel {
    name: "max",
    midr: 0x000f_0510,
    ctr: 0xb444_c004,
    features: Features {
        fp16: true,
        crc32: true,
        lse: true,
        aes: true,
        pmull: true,
        sha1: true,
        sha2: true,
        sha512: true,
        sha3: true,
        rcpc: true,
        dotprod: true,
        jscvt: true,
        flagm: true,
        flagm2: true,
        frint: true,
        sb: true,
        rdm: true,
        fcma: true,
        fhm: true,
        lrcpc2: true,
        i8mm: true,
        bf16: true,
        sm3: true,
        sm4: true,
        lse2: true,
    },
};

const V8_CRYPTO: Features = Features {
    fp16: false,
    crc32: true,
    lse: false,
    aes: true,
    pmull: true,
    sha1: true,
    sha2: true,
    sha512: false,
    sha3: false,
    rcpc: false,
    dotprod: false,
    jscvt: false,
    flagm: false,
    flagm2: false,
    frint: false,
    sb: false,
    rdm: false,
    fcma: false,
    fhm: false,
    lrcpc2: false,
    i8mm: false,
    bf16: false,
    sm3: false,
    sm4: false,
    lse2: false,
};

pub static CORTEX_A53: CpuModel = CpuModel {
    name: "cortex-a53",
    midr: 0x410f_d034,
    ctr: 0x8444_8004,
    features: V8_CRYPTO,
};

pub static CORTEX_A57: CpuModel = CpuModel {
    name: "cortex-a57",
    midr: 0x411f_d070,
    ctr: 0x8444_c004,
    features: V8_CRYPTO,
};

pub static CORTEX_A72: CpuModel = CpuModel {
    name: "cortex-a72",
    midr: 0x410f_d083,
    ctr: 0x8444_c004,
    features: V8_CRYPTO,
};

pub static NEOVERSE_N1: CpuModel = CpuModel {
    name: "neoverse-n1",
    midr: 0x414f_d0c1,
    ctr: 0xb444_c004,
    features: Features {
        fp16: true,
        lse: true,
        rcpc: true,
        dotprod: true,
        rdm: true,
        ..V8_CRYPTO
    },
};

pub static MODELS: &[&CpuModel] = &[&MAX, &CORTEX_A53, &CORTEX_A57, &CORTEX_A72, &NEOVERSE_N1];

pub fn find(name: &str) -> Option<&'static CpuModel> {
    MODELS.iter().copied().find(|m| m.name == name)
}

/// The model whose `features` these are (the translator only gets the
/// features); `MAX` for features not belonging to a listed model.
pub fn model_of(features: &crate::Features) -> &'static CpuModel {
    MODELS
        .iter()
        .copied()
        .find(|m| std::ptr::eq(&m.features, features))
        .unwrap_or(&MAX)
}

/// AT_HWCAP bits (arch/arm64 uapi hwcap.h numbering).
pub mod hwcap {
    pub const FP: u64 = 1 << 0;
    pub const ASIMD: u64 = 1 << 1;
    pub const AES: u64 = 1 << 3;
    pub const PMULL: u64 = 1 << 4;
    pub const SHA1: u64 = 1 << 5;
    pub const SHA2: u64 = 1 << 6;
    pub const CRC32: u64 = 1 << 7;
    pub const ATOMICS: u64 = 1 << 8;
    pub const FPHP: u64 = 1 << 9;
    pub const ASIMDHP: u64 = 1 << 10;
    pub const CPUID: u64 = 1 << 11;
    pub const ASIMDRDM: u64 = 1 << 12;
    pub const JSCVT: u64 = 1 << 13;
    pub const FCMA: u64 = 1 << 14;
    pub const LRCPC: u64 = 1 << 15;
    pub const SHA3: u64 = 1 << 17;
    pub const SM3: u64 = 1 << 18;
    pub const SM4: u64 = 1 << 19;
    pub const ASIMDDP: u64 = 1 << 20;
    pub const SHA512: u64 = 1 << 21;
    pub const ASIMDFHM: u64 = 1 << 23;
    pub const USCAT: u64 = 1 << 25;
    pub const ILRCPC: u64 = 1 << 26;
    pub const FLAGM: u64 = 1 << 27;
    pub const SB: u64 = 1 << 29;
    /// AT_HWCAP2 bits.
    pub const FLAGM2: u64 = 1 << 7;
    pub const FRINT: u64 = 1 << 8;
    pub const I8MM: u64 = 1 << 13;
    pub const BF16: u64 = 1 << 14;
}

impl CpuModel {
    /// (AT_HWCAP, AT_HWCAP2) as Linux reports them for this model.
    pub fn hwcap(&self) -> (u64, u64) {
        use hwcap::*;
        let f = &self.features;
        let mut h = FP | ASIMD | CPUID;
        let mut h2 = 0;
        for (on, bit) in [
            (f.aes, AES),
            (f.pmull, PMULL),
            (f.sha1, SHA1),
            (f.sha2, SHA2),
            (f.crc32, CRC32),
            (f.lse, ATOMICS),
            (f.fp16, FPHP | ASIMDHP),
            (f.jscvt, JSCVT),
            (f.rcpc, LRCPC),
            (f.sha3, SHA3),
            (f.dotprod, ASIMDDP),
            (f.sha512, SHA512),
            (f.flagm, FLAGM),
            (f.rdm, ASIMDRDM),
            (f.fcma, FCMA),
            (f.sm3, SM3),
            (f.sm4, SM4),
            (f.fhm, ASIMDFHM),
            (f.lrcpc2, ILRCPC),
            (f.sb, SB),
            (f.lse2, USCAT),
        ] {
            if on {
                h |= bit;
            }
        }
        if f.flagm2 {
            h2 |= FLAGM2;
        }
        if f.frint {
            h2 |= FRINT;
        }
        if f.i8mm {
            h2 |= I8MM;
        }
        if f.bf16 {
            h2 |= BF16;
        }
        (h, h2)
    }

    /// ID_AA64ISAR0_EL1 as EL0 sees it.
    pub fn id_aa64isar0(&self) -> u64 {
        let f = &self.features;
        let mut v = 0u64;
        let field = |v: &mut u64, shift: u32, val: u64| *v |= val << shift;
        if f.aes {
            field(&mut v, 4, if f.pmull { 2 } else { 1 });
        }
        if f.sha1 {
            field(&mut v, 8, 1);
        }
        if f.sha2 {
            field(&mut v, 12, if f.sha512 { 2 } else { 1 });
        }
        if f.crc32 {
            field(&mut v, 16, 1);
        }
        if f.lse {
            field(&mut v, 20, 2);
        }
        if f.rdm {
            field(&mut v, 28, 1);
        }
        if f.sha3 {
            field(&mut v, 32, 1);
        }
        if f.sm3 {
            field(&mut v, 36, 1);
        }
        if f.sm4 {
            field(&mut v, 40, 1);
        }
        if f.dotprod {
            field(&mut v, 44, 1);
        }
        if f.fhm {
            field(&mut v, 48, 1);
        }
        if f.flagm {
            field(&mut v, 52, if f.flagm2 { 2 } else { 1 });
        }
        v
    }

    /// ID_AA64ISAR1_EL1 as EL0 sees it.
    pub fn id_aa64isar1(&self) -> u64 {
        let f = &self.features;
        let mut v = 0u64;
        if f.jscvt {
            v |= 1 << 12;
        }
        if f.fcma {
            v |= 1 << 16;
        }
        if f.rcpc {
            v |= (if f.lrcpc2 { 2 } else { 1 }) << 20;
        }
        if f.frint {
            v |= 1 << 32;
        }
        if f.sb {
            v |= 1 << 36;
        }
        if f.bf16 {
            v |= 1 << 44;
        }
        if f.i8mm {
            v |= 1 << 52;
        }
        v
    }

    /// ID_AA64PFR0_EL1 as EL0 sees it: EL0/EL1 AArch64-only, FP and AdvSIMD
    /// implemented (with half precision when fp16).
    pub fn id_aa64pfr0(&self) -> u64 {
        let hp = u64::from(self.features.fp16);
        0x11 | hp << 16 | hp << 20
    }

    /// ID_AA64MMFR2_EL1 as EL0 sees it: only AT (FEAT_LSE2) is visible.
    pub fn id_aa64mmfr2(&self) -> u64 {
        u64::from(self.features.lse2) << 32
    }

    /// Value of the ID-space register (op0=3, op1=0, CRn=0, `crm`, `op2`) as
    /// Linux's MRS emulation returns it to EL0, or `None` where the kernel
    /// would send SIGILL.
    pub fn id_reg(&self, crm: u32, op2: u32) -> Option<u64> {
        Some(match (crm, op2) {
            (0, 0) => self.midr,
            (0, 5) => 0x8000_0000, // MPIDR_EL1: the kernel's safe value
            (0, 6) => 0,           // REVIDR_EL1
            (0, _) => return None,
            (1, _) => return None,
            (4, 0) => self.id_aa64pfr0(),
            (5, 0) => 0x6, // ID_AA64DFR0_EL1: DebugVer at its safe value
            (6, 0) => self.id_aa64isar0(),
            (6, 1) => self.id_aa64isar1(),
            (7, 2) => self.id_aa64mmfr2(),
            (2..=7, _) => 0,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hwcaps_follow_features() {
        let (h, h2) = MAX.hwcap();
        assert_ne!(h & hwcap::ATOMICS, 0);
        assert_ne!(h2 & hwcap::FRINT, 0);
        let (h, _) = CORTEX_A53.hwcap();
        assert_eq!(h & hwcap::ATOMICS, 0);
        assert_ne!(h & hwcap::CRC32, 0);
        assert_eq!(CORTEX_A53.id_aa64isar0() >> 20 & 0xf, 0);
        assert_eq!(NEOVERSE_N1.id_aa64isar0() >> 20 & 0xf, 2);
        assert!(std::ptr::eq(model_of(&NEOVERSE_N1.features), &NEOVERSE_N1));
        assert_eq!(find("cortex-a72").unwrap().midr, 0x410f_d083);
        // The Armv8.2+ features: max has them all, N1 only RDM, A53 none.
        let (h, h2) = MAX.hwcap();
        for bit in [
            hwcap::ASIMDRDM,
            hwcap::FCMA,
            hwcap::ASIMDFHM,
            hwcap::ILRCPC,
            hwcap::SM3,
            hwcap::SM4,
            hwcap::SB,
        ] {
            assert_ne!(h & bit, 0, "{bit:#x}");
        }
        assert_eq!(
            h2 & (hwcap::I8MM | hwcap::BF16 | hwcap::FLAGM2),
            hwcap::I8MM | hwcap::BF16 | hwcap::FLAGM2
        );
        assert_eq!(MAX.id_aa64isar1() >> 20 & 0xf, 2); // LRCPC2
        assert_eq!(MAX.id_aa64isar1() >> 52 & 0xf, 1); // I8MM
        assert_eq!(MAX.id_aa64isar0() >> 28 & 0xf, 1); // RDM
        let (h, h2) = NEOVERSE_N1.hwcap();
        assert_ne!(h & hwcap::ASIMDRDM, 0);
        assert_eq!(h & (hwcap::FCMA | hwcap::ILRCPC | hwcap::SB), 0);
        assert_eq!(h2, 0);
        assert_eq!(NEOVERSE_N1.id_aa64isar1() >> 20 & 0xf, 1);
        assert_eq!(CORTEX_A53.id_aa64isar0() >> 28 & 0xf, 0);
        // FEAT_LSE2 on max only.
        assert_ne!(MAX.hwcap().0 & hwcap::USCAT, 0);
        assert_eq!(MAX.id_reg(7, 2), Some(1 << 32));
        assert_eq!(NEOVERSE_N1.hwcap().0 & hwcap::USCAT, 0);
        assert_eq!(CORTEX_A72.id_reg(7, 2), Some(0));
    }
}
