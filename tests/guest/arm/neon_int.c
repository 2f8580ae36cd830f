// guest-cflags: -mfpu=neon
/* Advanced SIMD integer groups through arm_neon.h (and inline asm for
 * forms the intrinsics do not reach): three registers of the same and of
 * different lengths, by-scalar, shifts by immediate (counts 0/1/max),
 * two-register misc, permutes, VEXT, VTBL/VTBX, VDUP, with saturating
 * inputs; FPSCR.QC after each saturating group. */
#include "neon_common.h"

int8_t a8[16] = {0, 1, -1, 127, -128, 0x55, -0x56, 64, 3, -3, 100, -100, 17, -17, 126, -127};
int8_t b8[16] = {1, -1, 127, 127, -128, -128, 2, 64, 7, 9, -100, 100, 0, 1, 2, -2};
int16_t a16[8] = {0, 1, -1, 0x7fff, -0x8000, 0x1234, -300, 256};
int16_t b16[8] = {-0x8000, 2, 0x7fff, 0x7fff, -0x8000, -7, 300, 3};
int32_t a32[4] = {0x7fffffff, -0x7fffffff - 1, 0x12345678, -1000000};
int32_t b32[4] = {0x7fffffff, -0x7fffffff - 1, -2, 65536};
int64_t a64[2] = {0x7fffffffffffffffLL, -0x123456789LL};
int64_t b64[2] = {1, -0x7fffffffffffffffLL - 1};
int8_t sh8[16] = {0, 1, 7, 8, 9, -1, -7, -8, -9, 127, -128, 3, -3, 16, -16, 2};
int16_t sh16[8] = {0, 1, 15, 16, -1, -15, -16, -17};
int32_t sh32[4] = {31, 32, -31, -32};
uint8_t idx8[8] = {0, 7, 8, 15, 16, 31, 32, 255};

static void same(void)
{
    int8x8_t a = vld1_s8(a8), b = vld1_s8(b8);
    int8x16_t qa = vld1q_s8(a8), qb = vld1q_s8(b8);
    int16x4_t h = vld1_s16(a16), hb = vld1_s16(b16);
    int16x8_t qh = vld1q_s16(a16), qhb = vld1q_s16(b16);
    int32x2_t s = vld1_s32(a32), sb = vld1_s32(b32);
    int32x4_t qs = vld1q_s32(a32), qsb = vld1q_s32(b32);
    int64x2_t qd = vld1q_s64(a64), qdb = vld1q_s64(b64);
    uint8x8_t ua = vreinterpret_u8_s8(a), ub = vreinterpret_u8_s8(b);
    PD("vhadd.s8", vhadd_s8(a, b));
    PD("vrhadd.u8", vrhadd_u8(ua, ub));
    PD("vhsub.s16", vhsub_s16(h, hb));
    PQ("vqadd.s8", vqaddq_s8(qa, qb));
    flags("qc vqadd.s8");
    PQ("vqadd.u16", vqaddq_u16(vreinterpretq_u16_s16(qh), vreinterpretq_u16_s16(qhb)));
    PQ("vqsub.s64", vqsubq_s64(qd, qdb));
    flags("qc vqsub");
    PQ("vqadd.u64", vqaddq_u64(vreinterpretq_u64_s64(qd), vreinterpretq_u64_s64(qdb)));
    flags("qc vqadd.u64");
    PD("vqshl.s8 reg", vqshl_s8(a, vld1_s8(sh8)));
    PD("vqshl.u8 reg", vqshl_u8(ua, vld1_s8(sh8 + 8)));
    flags("qc vqshl reg");
    PQ("vrshl.s16", vrshlq_s16(qh, vld1q_s16(sh16)));
    PQ("vrshl.u32", vrshlq_u32(vreinterpretq_u32_s32(qs), vld1q_s32(sh32)));
    PQ("vqrshl.s32", vqrshlq_s32(qs, vld1q_s32(sh32)));
    PQ("vqrshl.u16", vqrshlq_u16(vreinterpretq_u16_s16(qh), vld1q_s16(sh16)));
    PQ("vqshl.s64 reg", vqshlq_s64(qd, vdupq_n_s64(1)));
    PQ("vrshl.s64", vrshlq_s64(qd, vdupq_n_s64(-3)));
    flags("qc shifts");
    PD("vshl.s8 reg", vshl_s8(a, vld1_s8(sh8)));
    PD("vmul.p8", vmul_p8(vreinterpret_p8_s8(a), vreinterpret_p8_s8(b)));
    PD("vqdmulh.s16", vqdmulh_s16(h, hb));
    PQ("vqrdmulh.s32", vqrdmulhq_s32(qs, qsb));
    PQ("vqrdmulh.s16", vqrdmulhq_s16(qh, qhb));
    flags("qc vqdmulh");
    PD("vmax.s8", vmax_s8(a, b));
    PD("vmin.u16", vmin_u16(vreinterpret_u16_s16(h), vreinterpret_u16_s16(hb)));
    PD("vabd.s32", vabd_s32(s, sb));
    PQ("vaba.u8", vabaq_u8(vreinterpretq_u8_s8(qa), vreinterpretq_u8_s8(qb), vreinterpretq_u8_s8(qa)));
    PD("vtst.8", vtst_s8(a, b));
    PD("vpadd.i16", vpadd_s16(h, hb));
    PD("vpmax.s8", vpmax_s8(a, b));
    PD("vpmin.u32", vpmin_u32(vreinterpret_u32_s32(s), vreinterpret_u32_s32(sb)));
    PQ("vmla.i32", vmlaq_s32(qs, qsb, qs));
    PQ("vmls.i16", vmlsq_s16(qh, qhb, qh));
    PD("vbsl", vbsl_s8(vreinterpret_u8_s8(b), a, vdup_n_s8(0x33)));
    PQ("vadd.i64", vaddq_s64(qd, qdb));
}

static void lengths(void)
{
    int8x8_t a = vld1_s8(a8), b = vld1_s8(b8);
    int16x4_t h = vld1_s16(a16), hb = vld1_s16(b16);
    int16x8_t qh = vld1q_s16(a16), qhb = vld1q_s16(b16);
    int32x2_t s = vld1_s32(a32), sb = vld1_s32(b32);
    int32x4_t qs = vld1q_s32(a32), qsb = vld1q_s32(b32);
    int64x2_t qd = vld1q_s64(a64);
    uint8x8_t ua = vreinterpret_u8_s8(a), ub = vreinterpret_u8_s8(b);
    PQ("vaddl.s8", vaddl_s8(a, b));
    PQ("vaddl.u8", vaddl_u8(ua, ub));
    PQ("vaddw.s16", vaddw_s16(qs, h));
    PQ("vaddw.u32", vaddw_u32(vreinterpretq_u64_s64(qd), vreinterpret_u32_s32(s)));
    PQ("vsubl.s16", vsubl_s16(h, hb));
    PQ("vsubw.u8", vsubw_u8(vreinterpretq_u16_s16(qh), ua));
    PD("vaddhn.i16", vaddhn_s16(qh, qhb));
    PD("vraddhn.i32", vraddhn_s32(qs, qsb));
    PD("vsubhn.i64", vsubhn_s64(qd, vld1q_s64(b64)));
    PD("vrsubhn.i16", vrsubhn_s16(qh, qhb));
    PQ("vabal.s8", vabal_s8(qh, a, b));
    PQ("vabdl.u16", vabdl_u16(vreinterpret_u16_s16(h), vreinterpret_u16_s16(hb)));
    PQ("vmlal.s16", vmlal_s16(qs, h, hb));
    PQ("vmlsl.u32", vmlsl_u32(vreinterpretq_u64_s64(qd), vreinterpret_u32_s32(s), vreinterpret_u32_s32(sb)));
    PQ("vmull.s8", vmull_s8(a, b));
    PQ("vmull.u32", vmull_u32(vreinterpret_u32_s32(s), vreinterpret_u32_s32(sb)));
    PQ("vmull.p8", vmull_p8(vreinterpret_p8_s8(a), vreinterpret_p8_s8(b)));
    PQ("vqdmull.s16", vqdmull_s16(h, hb));
    PQ("vqdmull.s32", vqdmull_s32(s, sb));
    flags("qc vqdmull");
    PQ("vqdmlal.s16", vqdmlal_s16(qs, h, hb));
    PQ("vqdmlsl.s32", vqdmlsl_s32(qd, s, sb));
    flags("qc vqdmlal");
    /* by scalar */
    PD("vmul.i16 lane", vmul_lane_s16(h, hb, 3));
    PQ("vmla.i32 lane", vmlaq_lane_s32(qs, qsb, s, 1));
    PQ("vmls.i16 lane", vmlsq_lane_s16(qh, qhb, h, 2));
    PD("vqdmulh.s16 lane", vqdmulh_lane_s16(h, hb, 0));
    PQ("vqrdmulh.s32 lane", vqrdmulhq_lane_s32(qs, sb, 1));
    flags("qc vqdmulh lane");
    PQ("vmlal.s16 lane", vmlal_lane_s16(qs, h, hb, 1));
    PQ("vmlsl.u32 lane", vmlsl_lane_u32(vreinterpretq_u64_s64(qd), vreinterpret_u32_s32(s), vreinterpret_u32_s32(sb), 0));
    PQ("vmull.s16 lane", vmull_lane_s16(h, hb, 3));
    PQ("vmull.u32 lane", vmull_lane_u32(vreinterpret_u32_s32(s), vreinterpret_u32_s32(sb), 1));
    PQ("vqdmull.s16 lane", vqdmull_lane_s16(h, hb, 0));
    PQ("vqdmlal.s32 lane", vqdmlal_lane_s32(qd, s, sb, 1));
    PQ("vqdmlsl.s16 lane", vqdmlsl_lane_s16(qs, h, h, 0));
    flags("qc vqdmlal lane");
}

static void shifts(void)
{
    int8x8_t a = vld1_s8(a8);
    int16x8_t qh = vld1q_s16(a16);
    int32x4_t qs = vld1q_s32(a32);
    int64x2_t qd = vld1q_s64(a64);
    uint8x8_t ua = vreinterpret_u8_s8(a);
    PD("vshr.s8 #1", vshr_n_s8(a, 1));
    PD("vshr.s8 #8", vshr_n_s8(a, 8));
    PD("vshr.u8 #8", vshr_n_u8(ua, 8));
    PQ("vsra.s64 #64", vsraq_n_s64(qd, qd, 64));
    PQ("vrshr.s16 #16", vrshrq_n_s16(qh, 16));
    PQ("vrshr.u32 #3", vrshrq_n_u32(vreinterpretq_u32_s32(qs), 3));
    PQ("vrsra.s32 #32", vrsraq_n_s32(qs, qs, 32));
    PD("vsri.8 #8", vsri_n_s8(a, vdup_n_s8(-1), 8));
    PD("vsri.8 #3", vsri_n_s8(a, vdup_n_s8(-1), 3));
    PD("vshl.i8 #7", vshl_n_s8(a, 7));
    PD("vsli.8 #0", vsli_n_s8(a, vdup_n_s8(0x5a), 0));
    PD("vsli.8 #7", vsli_n_s8(a, vdup_n_s8(0x5b), 7));
    PD("vqshl.s8 #0", vqshl_n_s8(a, 0));
    PD("vqshl.s8 #7", vqshl_n_s8(a, 7));
    PD("vqshl.u8 #7", vqshl_n_u8(ua, 7));
    PQ("vqshl.s64 #63", vqshlq_n_s64(qd, 63));
    flags("qc vqshl imm");
    PD("vqshlu.s8 #2", vqshlu_n_s8(a, 2));
    PQ("vqshlu.s32 #0", vqshluq_n_s32(qs, 0));
    flags("qc vqshlu");
    PD("vshrn.i16 #8", vshrn_n_s16(qh, 8));
    PD("vrshrn.i32 #1", vrshrn_n_s32(qs, 1));
    PD("vqshrn.s16 #1", vqshrn_n_s16(qh, 1));
    PD("vqrshrn.u32 #16", vqrshrn_n_u32(vreinterpretq_u32_s32(qs), 16));
    PD("vqshrn.s64 #32", vqshrn_n_s64(qd, 32));
    PD("vqshrun.s16 #3", vqshrun_n_s16(qh, 3));
    PD("vqrshrun.s32 #8", vqrshrun_n_s32(qs, 8));
    flags("qc vqshrn");
    PQ("vshll.s8 #8", vshll_n_s8(a, 8));
    PQ("vshll.u8 #3", vshll_n_u8(ua, 3));
    PQ("vshll.s16 #16", vshll_n_s16(vget_low_s16(qh), 16));
    PQ("vshll.u32 #32", vshll_n_u32(vreinterpret_u32_s32(vget_high_s32(qs)), 32));
    PQ("vmovl.s32", vmovl_s32(vget_low_s32(qs)));
    PQ("vmovl.u8", vmovl_u8(ua));
}

static void misc(void)
{
    int8x8_t a = vld1_s8(a8), b = vld1_s8(b8);
    int8x16_t qa = vld1q_s8(a8);
    int16x8_t qh = vld1q_s16(a16);
    int32x4_t qs = vld1q_s32(a32);
    int64x2_t qd = vld1q_s64(a64);
    PD("vrev16.8", vrev16_s8(a));
    PQ("vrev32.16", vrev32q_s16(qh));
    PQ("vrev64.32", vrev64q_s32(qs));
    PD("vpaddl.s8", vpaddl_s8(a));
    PQ("vpaddl.u16", vpaddlq_u16(vreinterpretq_u16_s16(qh)));
    PQ("vpaddl.s32", vpaddlq_s32(qs));
    PQ("vpadal.s8", vpadalq_s8(qh, qa));
    PD("vpadal.u32", vpadal_u32(vget_low_u64(vreinterpretq_u64_s64(qd)), vreinterpret_u32_s8(a)));
    PQ("vcls.s8", vclsq_s8(qa));
    PQ("vclz.i16", vclzq_s16(qh));
    PQ("vcnt.8", vcntq_s8(qa));
    PQ("vmvn", vmvnq_s32(qs));
    PQ("vqabs.s8", vqabsq_s8(qa));
    PQ("vqneg.s16", vqnegq_s16(qh));
    PQ("vqabs.s32", vqabsq_s32(qs));
    flags("qc vqabs");
    PQ("vabs.s8", vabsq_s8(qa));
    PQ("vneg.s32", vnegq_s32(qs));
    PD("vmovn.i16", vmovn_s16(qh));
    PD("vqmovn.s16", vqmovn_s16(qh));
    PD("vqmovn.u32", vqmovn_u32(vreinterpretq_u32_s32(qs)));
    PD("vqmovun.s32", vqmovun_s32(qs));
    PD("vqmovn.s64", vqmovn_s64(qd));
    flags("qc vqmovn");
    uint8x8_t r;
    __asm__("vcgt.s8 %P0, %P1, #0" : "=w"(r) : "w"(a));
    PD("vcgt.s8 #0", r);
    __asm__("vcge.s8 %P0, %P1, #0" : "=w"(r) : "w"(a));
    PD("vcge.s8 #0", r);
    __asm__("vceq.i16 %P0, %P1, #0" : "=w"(r) : "w"(vget_low_s16(qh)));
    PD("vceq.i16 #0", r);
    __asm__("vcle.s32 %P0, %P1, #0" : "=w"(r) : "w"(vget_low_s32(qs)));
    PD("vcle.s32 #0", r);
    __asm__("vclt.s8 %P0, %P1, #0" : "=w"(r) : "w"(b));
    PD("vclt.s8 #0", r);
    int8x8_t x = a, y = b;
    __asm__("vswp %P0, %P1" : "+w"(x), "+w"(y));
    PD("vswp d", x);
    PD("vswp m", y);
    int8x8x2_t t = vtrn_s8(a, b);
    PD("vtrn.8 d", t.val[0]);
    PD("vtrn.8 m", t.val[1]);
    int16x8x2_t z = vzipq_s16(qh, vrev64q_s16(qh));
    PQ("vzip.16 d", z.val[0]);
    PQ("vzip.16 m", z.val[1]);
    int32x4x2_t u = vuzpq_s32(qs, vrev64q_s32(qs));
    PQ("vuzp.32 d", u.val[0]);
    PQ("vuzp.32 m", u.val[1]);
    int8x8x2_t u8 = vuzp_s8(a, b);
    PD("vuzp.8 d", u8.val[0]);
    PD("vuzp.8 m", u8.val[1]);
    int16x4x2_t t16 = vtrn_s16(vget_low_s16(qh), vget_high_s16(qh));
    PD("vtrn.16 d", t16.val[0]);
    PD("vtrn.16 m", t16.val[1]);
}

static void perm(void)
{
    int8x8_t a = vld1_s8(a8), b = vld1_s8(b8);
    int8x16_t qa = vld1q_s8(a8), qb = vld1q_s8(b8);
    uint8x8_t ix = vld1_u8(idx8);
    PD("vext.8 #0", vext_s8(a, b, 0));
    PD("vext.8 #3", vext_s8(a, b, 3));
    PD("vext.8 #7", vext_s8(a, b, 7));
    PQ("vext.8 q #15", vextq_s8(qa, qb, 15));
    PQ("vext.32 q #1", vextq_s32(vreinterpretq_s32_s8(qa), vreinterpretq_s32_s8(qb), 1));
    PQ("vext.64 q #1", vextq_s64(vreinterpretq_s64_s8(qa), vreinterpretq_s64_s8(qb), 1));
    PD("vtbl1", vtbl1_u8(vreinterpret_u8_s8(a), ix));
    uint8x8x2_t t2 = {{vreinterpret_u8_s8(a), vreinterpret_u8_s8(b)}};
    PD("vtbl2", vtbl2_u8(t2, ix));
    uint8x8x3_t t3 = {{vreinterpret_u8_s8(a), vreinterpret_u8_s8(b), vdup_n_u8(0xee)}};
    PD("vtbl3", vtbl3_u8(t3, ix));
    uint8x8x4_t t4 = {{vreinterpret_u8_s8(a), vreinterpret_u8_s8(b), vdup_n_u8(0xee), vdup_n_u8(0x77)}};
    PD("vtbl4", vtbl4_u8(t4, ix));
    PD("vtbx1", vtbx1_u8(vdup_n_u8(0xcc), vreinterpret_u8_s8(a), ix));
    PD("vtbx2", vtbx2_u8(vdup_n_u8(0xcc), t2, ix));
    PD("vtbx3", vtbx3_u8(vdup_n_u8(0xcc), t3, ix));
    PD("vtbx4", vtbx4_u8(vdup_n_u8(0xcc), t4, ix));
    PD("vdup.8 lane", vdup_lane_s8(a, 7));
    PQ("vdup.16 lane", vdupq_lane_s16(vreinterpret_s16_s8(b), 3));
    PQ("vdup.32 lane", vdupq_lane_s32(vreinterpret_s32_s8(a), 1));
    PQ("vdup.32 r", vdupq_n_s32(a32[3]));
    PD("vmov.8 lane", vset_lane_s8(a16[5], a, 5));
    printf("%-28s %d %d %u\n", "vmov.s8/u16 to core", vget_lane_s8(a, 4), vgetq_lane_s16(vld1q_s16(a16), 6),
           vget_lane_u16(vreinterpret_u16_s8(a), 1));
    PQ("vbic imm", vbicq_s32(vreinterpretq_s32_s8(qa), vdupq_n_s32(0xff00)));
}

int main(void)
{
    OPAQUE();
    flags("start");
    same();
    lengths();
    shifts();
    misc();
    perm();
    return 0;
}
