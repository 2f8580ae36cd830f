//! CPU models selectable with `-cpu`: features, ID register values and the
//! HWCAP bits Linux would report for them.

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
    pub flagm: bool,
    pub frint: bool,
}

#[derive(Debug)]
pub struct CpuModel {
    pub name: &'static str,
    pub midr: u64,
    pub features: Features,
}

pub static MAX: CpuModel = CpuModel {
    name: "max",
    midr: 0x000f_0510,
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
        frint: true,
    },
};

pub static MODELS: &[&CpuModel] = &[&MAX];

pub fn find(name: &str) -> Option<&'static CpuModel> {
    MODELS.iter().copied().find(|m| m.name == name)
}
