// guest-cflags: -mfpu=neon-vfpv4 -mfp16-format=ieee
/* Advanced SIMD single precision under the Standard FPSCR value (flush to
 * zero, default NaN, round to nearest, whatever FPSCR says): arithmetic,
 * fused and unfused multiply-add, compares (also with zero, absolute),
 * pairwise max/min/add, VRECPE/VRSQRTE and their steps, conversions to
 * and from integers and fixed point, half precision, on NaNs, infinities,
 * denormals and out-of-range values; the cumulative flags after each. */
#include "neon_common.h"

uint32_t fa[8] = {0x3f800000, 0xbfc00000, 0x7f800000, 0x7fc00001, /* 1 -1.5 inf qnan */
                  0x00000001, 0x80400000, 0x7f7fffff, 0x4f000000}; /* denorm -denorm max 2^31 */
uint32_t fb[8] = {0x40000000, 0x00000000, 0xff800000, 0x7f800001, /* 2 0 -inf snan */
                  0x00800000, 0x3f000000, 0x7f7fffff, 0xcf000001};
uint32_t fc[4] = {0x4b800001, 0xc2c80000, 0x3eaaaaab, 0x80000000};
int32_t iv[4] = {0x7fffffff, -0x7fffffff - 1, 1000001, -3};
uint16_t hv[4] = {0x3c00, 0x7c00, 0x0001, 0xfe01};

#define F(p) vreinterpretq_f32_u32(vld1q_u32(p))

int main(void)
{
    OPAQUE();
    float32x4_t a = F(fa), a2 = F(fa + 4), b = F(fb), b2 = F(fb + 4), c = F(fc);
    /* FPSCR's own FZ/DN/RMode must not matter to NEON. */
    set_fpscr(0x00c00000);
    flags("start");
    PQ("vadd", vaddq_f32(a, b));
    flags("vadd");
    PQ("vadd2", vaddq_f32(a2, b2));
    flags("vadd2");
    PQ("vsub", vsubq_f32(a2, c));
    PQ("vmul", vmulq_f32(a2, b2));
    flags("vmul");
    PQ("vmla", vmlaq_f32(c, a2, b2));
    PQ("vmls", vmlsq_f32(c, a, c));
    flags("vmla/vmls");
    PQ("vfma", vfmaq_f32(c, a2, b2));
    PQ("vfms", vfmsq_f32(c, a, c));
    flags("vfma/vfms");
    PQ("vabd", vabdq_f32(a, c));
    PQ("vmax", vmaxq_f32(a, b));
    PQ("vmin", vminq_f32(a2, b2));
    flags("vmax/vmin");
    PD("vpadd", vpadd_f32(vget_low_f32(a), vget_high_f32(a2)));
    PD("vpmax", vpmax_f32(vget_low_f32(c), vget_high_f32(b)));
    PD("vpmin", vpmin_f32(vget_low_f32(a2), vget_high_f32(c)));
    flags("pairwise");
    PQ("vceq", vceqq_f32(a, b));
    PQ("vcge", vcgeq_f32(a2, b2));
    PQ("vcgt", vcgtq_f32(c, a));
    flags("compares");
    PQ("vacge", vcageq_f32(a2, c));
    PQ("vacgt", vcagtq_f32(b, c));
    flags("abs compares");
    uint32x4_t r;
    __asm__("vcgt.f32 %q0, %q1, #0" : "=w"(r) : "w"(a));
    PQ("vcgt #0", r);
    __asm__("vcge.f32 %q0, %q1, #0" : "=w"(r) : "w"(a2));
    PQ("vcge #0", r);
    __asm__("vceq.f32 %q0, %q1, #0" : "=w"(r) : "w"(c));
    PQ("vceq #0", r);
    __asm__("vcle.f32 %q0, %q1, #0" : "=w"(r) : "w"(b));
    PQ("vcle #0", r);
    __asm__("vclt.f32 %q0, %q1, #0" : "=w"(r) : "w"(b2));
    PQ("vclt #0", r);
    flags("compares with zero");
    PQ("vabs", vabsq_f32(b));
    PQ("vneg", vnegq_f32(a2));
    PQ("vrecpe", vrecpeq_f32(a));
    PQ("vrecpe2", vrecpeq_f32(c));
    flags("vrecpe");
    PQ("vrsqrte", vrsqrteq_f32(a2));
    PQ("vrsqrte2", vrsqrteq_f32(c));
    flags("vrsqrte");
    PQ("vrecpe.u32", vrecpeq_u32(vld1q_u32(fa)));
    PQ("vrsqrte.u32", vrsqrteq_u32(vld1q_u32(fb)));
    PQ("vrecps", vrecpsq_f32(a, c));
    PQ("vrsqrts", vrsqrtsq_f32(a2, b2));
    flags("steps");
    PQ("vcvt.s32.f32", vcvtq_s32_f32(a2));
    PQ("vcvt.u32.f32", vcvtq_u32_f32(c));
    flags("to int");
    PQ("vcvt.f32.s32", vcvtq_f32_s32(vld1q_s32(iv)));
    PQ("vcvt.f32.u32", vcvtq_f32_u32(vld1q_u32((uint32_t *)iv)));
    flags("from int");
    PQ("vcvt.s32.f32 #16", vcvtq_n_s32_f32(c, 16));
    PQ("vcvt.u32.f32 #1", vcvtq_n_u32_f32(a, 1));
    PQ("vcvt.f32.s32 #32", vcvtq_n_f32_s32(vld1q_s32(iv), 32));
    PQ("vcvt.f32.u32 #3", vcvtq_n_f32_u32(vld1q_u32((uint32_t *)iv), 3));
    flags("fixed point");
    float16x4_t h = vcvt_f16_f32(c);
    PD("vcvt.f16.f32", h);
    PD("vcvt.f16.f32 b", vcvt_f16_f32(b2));
    PQ("vcvt.f32.f16", vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(hv))));
    flags("half");
    set_fpscr(0x04000000); /* AHP */
    PD("vcvt.f16.f32 ahp", vcvt_f16_f32(b));
    flags("half ahp");
    return 0;
}
