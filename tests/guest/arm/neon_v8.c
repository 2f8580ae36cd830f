// guest-cflags: -march=armv8-a -mfpu=neon-fp-armv8
/* The ARMv8 AArch32 Advanced SIMD additions (needs -cpu max): VRINT{N,X,A,
 * Z,M,P}, VCVT{A,N,P,M}.{S32,U32}.F32, VMAXNM/VMINNM, on ties, NaNs,
 * denormals and out-of-range values, with the cumulative flags. */
#include "neon_common.h"

uint32_t fa[8] = {0x3fc00000, 0xc0200000, 0x3f000000, 0xbf000000, /* 1.5 -2.5 0.5 -0.5 */
                  0x7fc00000, 0x00000001, 0x4f800000, 0xcf000001}; /* qnan denorm 2^32 <-2^31 */
uint32_t fb[8] = {0x7f800001, 0x80000000, 0x40200000, 0x3f400000, /* snan -0 2.5 0.75 */
                  0x00000000, 0xff800000, 0x4e800000, 0x3fffffff};

#define F(p) vreinterpretq_f32_u32(vld1q_u32(p))
/* arm_neon.h (GCC 12) has no AArch32 VCVT{A,N,P,M} intrinsics. */
#define CVT(insn, x)                                                         \
    ({                                                                       \
        uint32x4_t _r;                                                       \
        __asm__(insn " %q0, %q1" : "=w"(_r) : "w"(x));                       \
        _r;                                                                  \
    })

int main(void)
{
    OPAQUE();
    float32x4_t v[4] = {F(fa), F(fa + 4), F(fb), F(fb + 4)};
    flags("start");
    for (int i = 0; i < 4; i++) {
        PQ("vrintn", vrndnq_f32(v[i]));
        PQ("vrintx", vrndxq_f32(v[i]));
        PQ("vrinta", vrndaq_f32(v[i]));
        PQ("vrintz", vrndq_f32(v[i]));
        PQ("vrintm", vrndmq_f32(v[i]));
        PQ("vrintp", vrndpq_f32(v[i]));
        flags("vrint");
        PQ("vcvta.s32", CVT("vcvta.s32.f32", v[i]));
        PQ("vcvtn.u32", CVT("vcvtn.u32.f32", v[i]));
        PQ("vcvtp.s32", CVT("vcvtp.s32.f32", v[i]));
        PQ("vcvtm.u32", CVT("vcvtm.u32.f32", v[i]));
        PQ("vcvtm.s32", CVT("vcvtm.s32.f32", v[i]));
        PQ("vcvtn.s32", CVT("vcvtn.s32.f32", v[i]));
        PQ("vcvta.u32", CVT("vcvta.u32.f32", v[i]));
        PQ("vcvtp.u32", CVT("vcvtp.u32.f32", v[i]));
        flags("vcvt[anpm]");
        PQ("vmaxnm", vmaxnmq_f32(v[i], v[(i + 1) & 3]));
        PQ("vminnm", vminnmq_f32(v[i], v[(i + 2) & 3]));
        flags("vmaxnm/vminnm");
    }
    return 0;
}
