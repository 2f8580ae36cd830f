//! CPU models selectable with `-cpu`, the features the decoder accepts for
//! them, and the AT_HWCAP/AT_HWCAP2 bits Linux reports (arch/arm's
//! `HWCAP_*` from `asm/hwcap.h`).

/// Optional architecture features a model has.
#[derive(Debug, Clone, Copy, Default)]
pub struct Features {
    /// ARMv7 (Thumb-2, MOVW/MOVT, bitfields, LDREXB/H/D ...).
    pub v7: bool,
    /// Hardware divide (SDIV/UDIV) in both instruction sets.
    pub idiv: bool,
    /// VFPv4 (fused multiply-add) with 32 D registers.
    pub vfpv4: bool,
    pub d32: bool,
    /// Advanced SIMD (NEON).
    pub neon: bool,
    /// The ARMv8 AArch32 additions to Advanced SIMD Mimic implements
    /// (VRINT*, VCVT{A,N,P,M}, VMAXNM/VMINNM) and the crypto extension
    /// (AES, SHA1, SHA256, VMULL.P64; AT_HWCAP2 AES/PMULL/SHA1/SHA2).
    pub v8: bool,
}

#[derive(Debug)]
pub struct CpuModel {
    pub name: &'static str,
    /// MIDR (for /proc/cpuinfo).
    pub midr: u32,
    /// The "CPU architecture" /proc/cpuinfo line.
    pub arch: u32,
    pub features: Features,
}

pub mod hwcap {
    pub const SWP: u64 = 1 << 0;
    pub const HALF: u64 = 1 << 1;
    pub const THUMB: u64 = 1 << 2;
    pub const FAST_MULT: u64 = 1 << 4;
    pub const VFP: u64 = 1 << 6;
    pub const EDSP: u64 = 1 << 7;
    pub const NEON: u64 = 1 << 12;
    pub const VFPV3: u64 = 1 << 13;
    pub const TLS: u64 = 1 << 15;
    pub const VFPV4: u64 = 1 << 16;
    pub const IDIVA: u64 = 1 << 17;
    pub const IDIVT: u64 = 1 << 18;
    pub const VFPD32: u64 = 1 << 19;
    pub const LPAE: u64 = 1 << 20;
    /// AT_HWCAP2 bits.
    pub const AES2: u64 = 1 << 0;
    pub const PMULL2: u64 = 1 << 1;
    pub const SHA1_2: u64 = 1 << 2;
    pub const SHA2_2: u64 = 1 << 3;
}

const V7: Features = Features {
    v7: true,
    idiv: true,
    vfpv4: true,
    d32: true,
    neon: true,
    v8: false,
};

pub static MAX: CpuModel = CpuModel {
    name: "max",
    midr: 0x410f_c0f1,
    arch: 7,
    features: Features { v8: true, ..V7 },
};
pub static CORTEX_A15: CpuModel = CpuModel {
    name: "cortex-a15",
    midr: 0x412f_c0f1,
    arch: 7,
    features: V7,
};
pub static CORTEX_A7: CpuModel = CpuModel {
    name: "cortex-a7",
    midr: 0x410f_c075,
    arch: 7,
    features: V7,
};
pub static CORTEX_A9: CpuModel = CpuModel {
    name: "cortex-a9",
    midr: 0x410f_c090,
    arch: 7,
    features: Features {
        v7: true,
        idiv: false,
        vfpv4: false,
        d32: true,
        neon: true,
        v8: false,
    },
};
pub static ARM1176: CpuModel = CpuModel {
    name: "arm1176",
    midr: 0x410f_b767,
    arch: 6,
    features: Features {
        v7: false,
        idiv: false,
        vfpv4: false,
        d32: false,
        neon: false,
        v8: false,
    },
};

pub static MODELS: &[&CpuModel] = &[&MAX, &CORTEX_A15, &CORTEX_A7, &CORTEX_A9, &ARM1176];

pub fn find(name: &str) -> Option<&'static CpuModel> {
    MODELS.iter().copied().find(|m| m.name == name)
}

impl CpuModel {
    /// (AT_HWCAP, AT_HWCAP2).
    pub fn hwcap(&self) -> (u64, u64) {
        use hwcap::*;
        let f = &self.features;
        let mut h = SWP | HALF | THUMB | FAST_MULT | VFP | EDSP | TLS;
        if f.v7 {
            h |= VFPV3 | LPAE;
        }
        if f.vfpv4 {
            h |= VFPV4;
        }
        if f.idiv {
            h |= IDIVA | IDIVT;
        }
        if f.d32 {
            h |= VFPD32;
        }
        if f.neon {
            h |= NEON;
        }
        let h2 = if f.v8 {
            AES2 | PMULL2 | SHA1_2 | SHA2_2
        } else {
            0
        };
        (h, h2)
    }

    /// The /proc/cpuinfo "Features" names of `hwcap`, in the kernel's order.
    pub fn feature_names(&self) -> Vec<&'static str> {
        use hwcap::*;
        let (h, h2) = self.hwcap();
        let names: [(u64, &str); 14] = [
            (SWP, "swp"),
            (HALF, "half"),
            (THUMB, "thumb"),
            (FAST_MULT, "fastmult"),
            (VFP, "vfp"),
            (EDSP, "edsp"),
            (NEON, "neon"),
            (VFPV3, "vfpv3"),
            (TLS, "tls"),
            (VFPV4, "vfpv4"),
            (IDIVA, "idiva"),
            (IDIVT, "idivt"),
            (VFPD32, "vfpd32"),
            (LPAE, "lpae"),
        ];
        let names2: [(u64, &str); 4] = [
            (AES2, "aes"),
            (PMULL2, "pmull"),
            (SHA1_2, "sha1"),
            (SHA2_2, "sha2"),
        ];
        let mut v: Vec<&str> = names
            .iter()
            .filter(|(b, _)| h & b != 0)
            .map(|(_, n)| *n)
            .collect();
        v.extend(names2.iter().filter(|(b, _)| h2 & b != 0).map(|(_, n)| *n));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The HWCAPs Linux reports for these cores (arch/arm/kernel/setup.c
    /// from the cores' ID registers): NEON on the v7 cores, not on the
    /// ARM1176; the crypto HWCAP2 bits only on `max`.
    #[test]
    fn hwcaps_per_model() {
        use hwcap::*;
        let (h, h2) = ARM1176.hwcap();
        assert_eq!(h & (NEON | VFPD32 | VFPV3), 0);
        assert_ne!(h & VFP, 0);
        assert_eq!(h2, 0);
        let (h, h2) = CORTEX_A9.hwcap();
        assert_eq!(h & (NEON | VFPD32 | VFPV3), NEON | VFPD32 | VFPV3);
        assert_eq!(h & (VFPV4 | IDIVA), 0);
        assert_eq!(h2, 0);
        let (h, h2) = CORTEX_A15.hwcap();
        assert_ne!(h & NEON, 0);
        assert_eq!(h2, 0);
        let (h, h2) = MAX.hwcap();
        assert_ne!(h & NEON, 0);
        assert_eq!(h2, AES2 | PMULL2 | SHA1_2 | SHA2_2);
        let names = MAX.feature_names();
        assert!(names.contains(&"neon") && names.ends_with(&["aes", "pmull", "sha1", "sha2"]));
        assert!(!ARM1176.feature_names().contains(&"neon"));
    }
}
