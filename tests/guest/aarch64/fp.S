// Scalar FP instructions with architecture-defined corner cases:
// half-precision conversions, every FRINT* mode, saturating FCVT* to
// integers (NaN -> 0), fixed-point conversions, FMAX/FMAXNM with NaN,
// default NaN, fused multiply-add forms, FABD, FRECPE/FRSQRTE estimates,
// FCMP/FCCMP flags, FCSEL, FMOV immediates.
#include "lib/rt.h"

        .macro  SHOWD name, dreg
        fmov    x9, \dreg
        SHOW    "\name", x9
        .endm
        .macro  SHOWS name, sreg
        fmov    w9, \sreg
        SHOW    "\name", x9
        .endm

        .text
        .global main
main:
        stp     x29, x30, [sp, #-16]!
        msr     fpcr, xzr

        // half precision
        fmov    s1, #1.5
        fcvt    h2, s1
        umov    w9, v2.h[0]
        SHOW    "fcvt h(1.5)", x9
        ldr     w1, =0x477fe000         // 65504.0f = max half
        fmov    s1, w1
        fcvt    h2, s1
        umov    w9, v2.h[0]
        SHOW    "fcvt h(65504)", x9
        ldr     w1, =0x47800000         // 65536.0f -> inf
        fmov    s1, w1
        fcvt    h2, s1
        umov    w9, v2.h[0]
        SHOW    "fcvt h(65536)", x9
        ldr     w1, =0x33800000         // 2^-24: smallest half subnormal
        fmov    s1, w1
        fcvt    h2, s1
        umov    w9, v2.h[0]
        SHOW    "fcvt h(2^-24)", x9
        mov     w1, #0x3c01             // 1 + 2^-10
        dup     v2.4h, w1
        fcvt    d3, h2
        SHOWD   "fcvt d(h 0x3c01)", d3
        fcvt    s3, h2
        SHOWS   "fcvt s(h 0x3c01)", s3

        // FRINT* on 2.5, -2.5, 3.5, -0.4
        .macro  RND val
        ldr     x1, =\val
        fmov    d1, x1
        frinta  d2, d1
        SHOWD   "frinta \val", d2
        frintn  d2, d1
        SHOWD   "frintn \val", d2
        frintm  d2, d1
        SHOWD   "frintm \val", d2
        frintp  d2, d1
        SHOWD   "frintp \val", d2
        frintz  d2, d1
        SHOWD   "frintz \val", d2
        frinti  d2, d1
        SHOWD   "frinti \val", d2
        frintx  d2, d1
        SHOWD   "frintx \val", d2
        .endm
        RND     0x4004000000000000      // 2.5
        RND     0xc004000000000000      // -2.5
        RND     0x400c000000000000      // 3.5
        RND     0xbfd999999999999a      // -0.4

        // FCVT to integer: rounding variants and saturation
        .macro  CVT val
        ldr     x1, =\val
        fmov    d1, x1
        fcvtzs  x2, d1
        SHOW    "fcvtzs \val", x2
        fcvtzu  x2, d1
        SHOW    "fcvtzu \val", x2
        fcvtzs  w2, d1
        SHOW    "fcvtzs w \val", x2
        fcvtns  x2, d1
        SHOW    "fcvtns \val", x2
        fcvtas  x2, d1
        SHOW    "fcvtas \val", x2
        fcvtms  x2, d1
        SHOW    "fcvtms \val", x2
        fcvtps  x2, d1
        SHOW    "fcvtps \val", x2
        .endm
        msr     fpsr, xzr
        CVT     0x4004000000000000      // 2.5
        CVT     0xc004000000000000      // -2.5
        CVT     0x44b52d02c7e14af6      // 1e23
        CVT     0xc4b52d02c7e14af6      // -1e23
        CVT     0x7ff8000000000000      // NaN
        CVT     0x41f0000000000000      // 2^32
        mrs     x1, fpsr
        SHOW    "fpsr after conversions", x1

        // fixed point
        mov     x1, #0x180              // 1.5 in Q8
        scvtf   d2, x1, #8
        SHOWD   "scvtf #8", d2
        mov     x1, #-1
        ucvtf   d2, x1
        SHOWD   "ucvtf -1", d2
        scvtf   s2, w1
        SHOWS   "scvtf w -1", s2
        fmov    d1, #-1.25
        fcvtzs  x2, d1, #4
        SHOW    "fcvtzs #4 -1.25", x2

        // FMAX/FMIN vs FMAXNM/FMINNM with a quiet NaN, and signed zeros
        ldr     x1, =0x7ff8000000000000
        fmov    d1, x1
        fmov    d2, #2.0
        fmax    d3, d1, d2
        SHOWD   "fmax(nan,2)", d3
        fmaxnm  d3, d1, d2
        SHOWD   "fmaxnm(nan,2)", d3
        fminnm  d3, d2, d1
        SHOWD   "fminnm(2,nan)", d3
        movi    d4, #0
        fneg    d5, d4
        fmin    d3, d4, d5
        SHOWD   "fmin(+0,-0)", d3
        fmax    d3, d5, d4
        SHOWD   "fmax(-0,+0)", d3
        // default NaN from an invalid operation is positive
        ldr     x1, =0x7ff0000000000000
        fmov    d1, x1
        fsub    d3, d1, d1
        SHOWD   "inf-inf", d3
        fmul    d3, d4, d1
        SHOWD   "0*inf", d3
        // signalling NaN input is quietened
        ldr     x1, =0x7ff0000000000001
        fmov    d1, x1
        fadd    d3, d1, d2
        SHOWD   "snan+2", d3

        // fused forms: 0.1 * 10 - 1 exactly
        ldr     x1, =0x3fb999999999999a // 0.1
        fmov    d1, x1
        fmov    d2, #10.0
        fmov    d3, #1.0
        fmsub   d4, d1, d2, d3          // d3 - d1*d2
        SHOWD   "fmsub 1-0.1*10", d4
        fmadd   d4, d1, d2, d3
        SHOWD   "fmadd 0.1*10+1", d4
        fnmadd  d4, d1, d2, d3          // -(d1*d2) - d3
        SHOWD   "fnmadd", d4
        fnmsub  d4, d1, d2, d3          // d1*d2 - d3
        SHOWD   "fnmsub 0.1*10-1", d4
        fmul    d5, d1, d2
        fsub    d5, d5, d3
        SHOWD   "unfused 0.1*10-1", d5
        fabd    d4, d1, d2
        SHOWD   "fabd", d4
        fnmul   d4, d1, d2
        SHOWD   "fnmul", d4

        // estimates are fully specified by the architecture
        fmov    s1, #3.0
        frecpe  s2, s1
        SHOWS   "frecpe 3", s2
        frsqrte s2, s1
        SHOWS   "frsqrte 3", s2
        frecps  s3, s1, s2
        SHOWS   "frecps", s3
        fmov    d1, #5.0
        frecpe  d2, d1
        SHOWD   "frecpe d 5", d2
        frecpx  d2, d1
        SHOWD   "frecpx d 5", d2
        fsqrt   d2, d1
        SHOWD   "fsqrt 5", d2

        // compares
        fmov    d1, #1.0
        fmov    d2, #2.0
        fcmp    d1, d2
        SHOWFLAGS "fcmp 1,2"
        fcmp    d2, d1
        SHOWFLAGS "fcmp 2,1"
        fcmp    d1, d1
        SHOWFLAGS "fcmp 1,1"
        ldr     x1, =0x7ff8000000000000
        fmov    d3, x1
        fcmp    d1, d3
        SHOWFLAGS "fcmp 1,nan"
        fcmp    d1, #0.0
        SHOWFLAGS "fcmp 1,#0"
        msr     fpsr, xzr
        fcmpe   d1, d3
        mrs     x1, fpsr
        SHOW    "fcmpe nan sets IOC", x1
        fcmp    d1, d2
        fccmp   d2, d1, #0b0011, lt     // taken: compare 2,1
        SHOWFLAGS "fccmp taken"
        fccmp   d2, d1, #0b0011, eq     // not taken: nzcv=0011
        SHOWFLAGS "fccmp not taken"
        fcmp    d1, d2
        fcsel   d4, d1, d2, gt
        SHOWD   "fcsel gt", d4
        fmov    d4, #-0.125
        SHOWD   "fmov #-0.125", d4
        fmov    s4, #31.0
        SHOWS   "fmov s #31", s4

        ldp     x29, x30, [sp], #16
        ret
        .ltorg
