//! PSCI (Arm DEN 0022) as the `virt` machine's firmware, called with HVC:
//! version, features, CPU_ON/CPU_OFF/AFFINITY_INFO, SYSTEM_OFF and
//! SYSTEM_RESET. Function IDs with the SMC64 bit set and clear are both
//! accepted where PSCI defines both.

pub const VERSION: u32 = 0x8400_0000;
pub const CPU_SUSPEND: u32 = 0x8400_0001;
pub const CPU_OFF: u32 = 0x8400_0002;
pub const CPU_ON: u32 = 0x8400_0003;
pub const AFFINITY_INFO: u32 = 0x8400_0004;
pub const MIGRATE_INFO_TYPE: u32 = 0x8400_0006;
pub const SYSTEM_OFF: u32 = 0x8400_0008;
pub const SYSTEM_RESET: u32 = 0x8400_0009;
pub const FEATURES: u32 = 0x8400_000a;

pub const SUCCESS: i64 = 0;
pub const NOT_SUPPORTED: i64 = -1;
pub const INVALID_PARAMETERS: i64 = -2;
pub const ALREADY_ON: i64 = -4;

/// PSCI 1.0.
pub const VERSION_1_0: u64 = 0x0001_0000;

/// A call, decoded: the function without the SMC64 bit (bit 30).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    Version,
    CpuSuspend,
    CpuOff,
    CpuOn {
        mpidr: u64,
        entry: u64,
        context: u64,
    },
    AffinityInfo {
        mpidr: u64,
    },
    MigrateInfoType,
    SystemOff,
    SystemReset,
    Features {
        func: u32,
    },
    Unknown,
}

/// Decodes x0..x3 of an HVC.
pub fn decode(x: &[u64]) -> Call {
    let f = x[0] as u32 & !(1 << 30);
    match f {
        VERSION => Call::Version,
        CPU_SUSPEND => Call::CpuSuspend,
        CPU_OFF => Call::CpuOff,
        CPU_ON => Call::CpuOn {
            mpidr: x[1],
            entry: x[2],
            context: x[3],
        },
        AFFINITY_INFO => Call::AffinityInfo { mpidr: x[1] },
        MIGRATE_INFO_TYPE => Call::MigrateInfoType,
        SYSTEM_OFF => Call::SystemOff,
        SYSTEM_RESET => Call::SystemReset,
        FEATURES => Call::Features { func: x[1] as u32 },
        _ => Call::Unknown,
    }
}

/// PSCI_FEATURES: which functions exist.
pub fn features(func: u32) -> i64 {
    match func & !(1 << 30) {
        VERSION | CPU_SUSPEND | CPU_OFF | CPU_ON | AFFINITY_INFO | MIGRATE_INFO_TYPE
        | SYSTEM_OFF | SYSTEM_RESET | FEATURES => SUCCESS,
        _ => NOT_SUPPORTED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_smc64_and_smc32_ids() {
        assert_eq!(
            decode(&[0xc400_0003, 1, 0x4008_0000, 7]),
            Call::CpuOn {
                mpidr: 1,
                entry: 0x4008_0000,
                context: 7
            }
        );
        assert_eq!(decode(&[0x8400_0008, 0, 0, 0]), Call::SystemOff);
        assert_eq!(decode(&[0x8400_00ff, 0, 0, 0]), Call::Unknown);
        assert_eq!(features(0xc400_0003), SUCCESS);
        assert_eq!(features(0x8000_0000), NOT_SUPPORTED);
    }
}
