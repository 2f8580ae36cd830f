//! The GICv3 CPU interface system registers (ICC_*_EL1, Arm IHI 0069).
//! Their state lives in the interrupt controller, which the machine
//! installs once per run with [`install`]; without one (GICv2) the
//! registers do not exist and MRS/MSR of them is UNDEF.

use std::sync::OnceLock;

macro_rules! regs {
    ($($name:ident = ($a:expr, $b:expr, $c:expr, $d:expr, $e:expr);)*) => {
        $(pub const $name: u32 = super::regs::key($a, $b, $c, $d, $e);)*
    };
}

regs! {
    ICC_PMR_EL1 = (3, 0, 4, 6, 0);
    ICC_IAR0_EL1 = (3, 0, 12, 8, 0);
    ICC_EOIR0_EL1 = (3, 0, 12, 8, 1);
    ICC_HPPIR0_EL1 = (3, 0, 12, 8, 2);
    ICC_BPR0_EL1 = (3, 0, 12, 8, 3);
    ICC_AP0R0_EL1 = (3, 0, 12, 8, 4);
    ICC_AP0R1_EL1 = (3, 0, 12, 8, 5);
    ICC_AP0R2_EL1 = (3, 0, 12, 8, 6);
    ICC_AP0R3_EL1 = (3, 0, 12, 8, 7);
    ICC_AP1R0_EL1 = (3, 0, 12, 9, 0);
    ICC_AP1R1_EL1 = (3, 0, 12, 9, 1);
    ICC_AP1R2_EL1 = (3, 0, 12, 9, 2);
    ICC_AP1R3_EL1 = (3, 0, 12, 9, 3);
    ICC_DIR_EL1 = (3, 0, 12, 11, 1);
    ICC_RPR_EL1 = (3, 0, 12, 11, 3);
    ICC_SGI1R_EL1 = (3, 0, 12, 11, 5);
    ICC_ASGI1R_EL1 = (3, 0, 12, 11, 6);
    ICC_SGI0R_EL1 = (3, 0, 12, 11, 7);
    ICC_IAR1_EL1 = (3, 0, 12, 12, 0);
    ICC_EOIR1_EL1 = (3, 0, 12, 12, 1);
    ICC_HPPIR1_EL1 = (3, 0, 12, 12, 2);
    ICC_BPR1_EL1 = (3, 0, 12, 12, 3);
    ICC_CTLR_EL1 = (3, 0, 12, 12, 4);
    ICC_SRE_EL1 = (3, 0, 12, 12, 5);
    ICC_IGRPEN0_EL1 = (3, 0, 12, 12, 6);
    ICC_IGRPEN1_EL1 = (3, 0, 12, 12, 7);
}

/// The interrupt controller's side of the CPU interface. Calls come from
/// the vCPU's own thread (which cpu is the implementation's business).
pub trait CpuInterface: Send + Sync {
    /// MRS of a readable ICC register (`key` as in `regs::key`).
    fn read(&self, key: u32) -> u64;
    /// MSR of a writable ICC register.
    fn write(&self, key: u32, value: u64);
}

static ICC: OnceLock<&'static dyn CpuInterface> = OnceLock::new();

/// Makes the ICC registers exist and routes them to `i` (once per
/// process; a second call is ignored and returns false).
pub fn install(i: &'static dyn CpuInterface) -> bool {
    ICC.set(i).is_ok()
}

/// The installed CPU interface (None: no GICv3, the registers UNDEF).
pub fn get() -> Option<&'static dyn CpuInterface> {
    ICC.get().copied()
}

/// Whether `k` is an ICC register MRS may read.
pub fn readable(k: u32) -> bool {
    get().is_some()
        && matches!(
            k,
            ICC_PMR_EL1
                | ICC_IAR0_EL1
                | ICC_HPPIR0_EL1
                | ICC_BPR0_EL1
                | ICC_AP0R0_EL1
                | ICC_AP0R1_EL1
                | ICC_AP0R2_EL1
                | ICC_AP0R3_EL1
                | ICC_AP1R0_EL1
                | ICC_AP1R1_EL1
                | ICC_AP1R2_EL1
                | ICC_AP1R3_EL1
                | ICC_RPR_EL1
                | ICC_IAR1_EL1
                | ICC_HPPIR1_EL1
                | ICC_BPR1_EL1
                | ICC_CTLR_EL1
                | ICC_SRE_EL1
                | ICC_IGRPEN0_EL1
                | ICC_IGRPEN1_EL1
        )
}

/// Whether `k` is an ICC register MSR may write.
pub fn writable(k: u32) -> bool {
    get().is_some()
        && matches!(
            k,
            ICC_PMR_EL1
                | ICC_EOIR0_EL1
                | ICC_BPR0_EL1
                | ICC_AP0R0_EL1
                | ICC_AP0R1_EL1
                | ICC_AP0R2_EL1
                | ICC_AP0R3_EL1
                | ICC_AP1R0_EL1
                | ICC_AP1R1_EL1
                | ICC_AP1R2_EL1
                | ICC_AP1R3_EL1
                | ICC_DIR_EL1
                | ICC_SGI1R_EL1
                | ICC_ASGI1R_EL1
                | ICC_SGI0R_EL1
                | ICC_EOIR1_EL1
                | ICC_BPR1_EL1
                | ICC_CTLR_EL1
                | ICC_SRE_EL1
                | ICC_IGRPEN0_EL1
                | ICC_IGRPEN1_EL1
        )
}
