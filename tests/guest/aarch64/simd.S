// AdvSIMD instructions glibc's string functions and gcc's vectorizer use,
// checked on fixed inputs: structure loads/stores, permutes, table lookup,
// across-lane reductions, widening/narrowing, saturation with FPSR.QC,
// compares and bitwise selects, shifts, vector FP.
#include "lib/rt.h"

        .text
        .global main
main:
        stp     x29, x30, [sp, #-16]!
        adrp    x19, bytes
        add     x19, x19, :lo12:bytes    // 0, 1, 2, ..., 63
        adrp    x20, out
        add     x20, x20, :lo12:out

        ld1     {v0.16b, v1.16b, v2.16b, v3.16b}, [x19]
        SHOWV   "ld1x4 v0", 0
        SHOWV   "ld1x4 v3", 3
        ld2     {v4.8h, v5.8h}, [x19]
        SHOWV   "ld2 v4", 4
        SHOWV   "ld2 v5", 5
        ld3     {v4.4s, v5.4s, v6.4s}, [x19]
        SHOWV   "ld3 v6", 6
        ld4     {v4.16b, v5.16b, v6.16b, v7.16b}, [x19]
        SHOWV   "ld4 v4", 4
        SHOWV   "ld4 v7", 7
        st4     {v4.16b, v5.16b, v6.16b, v7.16b}, [x20]
        ld1     {v8.2d, v9.2d}, [x20]
        SHOWV   "st4 roundtrip v8", 8
        ld1r    {v8.8h}, [x19]
        SHOWV   "ld1r", 8
        mov     x1, x19
        ld1     {v8.b}[3], [x1], #1
        ld1     {v8.s}[3], [x1], #4
        SHOWV   "ld1 lanes", 8
        sub     x1, x1, x19
        SHOW    "post-index", x1

        // permutes
        zip1    v8.16b, v0.16b, v1.16b
        SHOWV   "zip1", 8
        zip2    v8.8h, v0.8h, v1.8h
        SHOWV   "zip2", 8
        uzp1    v8.4s, v0.4s, v1.4s
        SHOWV   "uzp1", 8
        uzp2    v8.16b, v0.16b, v1.16b
        SHOWV   "uzp2", 8
        trn1    v8.8h, v0.8h, v1.8h
        SHOWV   "trn1", 8
        trn2    v8.2d, v0.2d, v1.2d
        SHOWV   "trn2", 8
        ext     v8.16b, v0.16b, v1.16b, #5
        SHOWV   "ext #5", 8
        rev64   v8.16b, v0.16b
        SHOWV   "rev64", 8
        rev32   v8.8h, v0.8h
        SHOWV   "rev32", 8
        rev16   v8.16b, v0.16b
        SHOWV   "rev16", 8

        // table lookups: indices beyond the table give 0 (tbl) or keep (tbx)
        movi    v9.16b, #0x3c
        ldr     q10, tblidx
        tbl     v8.16b, {v0.16b, v1.16b}, v10.16b
        SHOWV   "tbl2", 8
        mov     v8.16b, v9.16b
        tbx     v8.16b, {v0.16b}, v10.16b
        SHOWV   "tbx1", 8
        tbl     v8.16b, {v0.16b, v1.16b, v2.16b, v3.16b}, v10.16b
        SHOWV   "tbl4", 8

        // element moves
        dup     v8.4s, v1.s[2]
        SHOWV   "dup lane", 8
        mov     x1, #-2
        dup     v8.2d, x1
        SHOWV   "dup gpr", 8
        mov     v8.16b, v0.16b
        ins     v8.h[5], v3.h[1]
        SHOWV   "ins", 8
        smov    x2, v3.b[15]
        SHOW    "smov b15", x2
        umov    w2, v3.h[7]
        SHOW    "umov h7", x2
        movi    v8.2d, #0xff00ff0000ffff00
        SHOWV   "movi 2d", 8
        mvni    v8.4s, #0x12, lsl #8
        SHOWV   "mvni", 8
        movi    v8.8b, #7
        SHOWV   "movi 8b clears top", 8

        // reductions and counts
        addv    b8, v3.16b
        SHOWV   "addv b", 8
        uaddlv  h8, v3.16b
        SHOWV   "uaddlv", 8
        umaxv   s8, v1.4s
        SHOWV   "umaxv", 8
        sminv   b8, v3.16b
        SHOWV   "sminv b", 8
        cnt     v8.16b, v3.16b
        SHOWV   "cnt", 8
        addp    v8.16b, v0.16b, v1.16b
        SHOWV   "addp", 8
        uaddlp  v8.8h, v3.16b
        SHOWV   "uaddlp", 8
        umaxp   v8.16b, v0.16b, v3.16b
        SHOWV   "umaxp", 8

        // widening / narrowing / saturating
        umull   v8.8h, v3.8b, v3.8b
        SHOWV   "umull", 8
        smull2  v8.4s, v3.8h, v2.8h
        SHOWV   "smull2", 8
        uaddl   v8.8h, v0.8b, v3.8b
        SHOWV   "uaddl", 8
        xtn     v8.8b, v3.8h
        SHOWV   "xtn", 8
        shrn    v8.8b, v3.8h, #4
        SHOWV   "shrn", 8
        msr     fpsr, xzr
        sqxtn   v8.8b, v3.8h
        SHOWV   "sqxtn", 8
        mrs     x1, fpsr
        SHOW    "fpsr.qc after sqxtn", x1
        msr     fpsr, xzr
        uqadd   v8.16b, v3.16b, v3.16b
        SHOWV   "uqadd", 8
        sqsub   v8.16b, v0.16b, v3.16b
        SHOWV   "sqsub", 8
        mrs     x1, fpsr
        SHOW    "fpsr.qc after uqadd", x1
        msr     fpsr, xzr
        sqdmulh v8.8h, v3.8h, v3.8h
        SHOWV   "sqdmulh", 8
        uabd    v8.16b, v0.16b, v3.16b
        SHOWV   "uabd", 8
        urhadd  v8.16b, v0.16b, v3.16b
        SHOWV   "urhadd", 8
        mul     v8.4s, v1.4s, v3.4s
        SHOWV   "mul 4s", 8
        mla     v8.8h, v0.8h, v1.8h
        SHOWV   "mla 8h", 8
        pmul    v8.16b, v1.16b, v3.16b
        SHOWV   "pmul", 8

        // compares, bitwise selects
        movi    v9.16b, #20
        cmhi    v8.16b, v1.16b, v9.16b
        SHOWV   "cmhi", 8
        cmeq    v10.16b, v0.16b, #0
        SHOWV   "cmeq #0", 10
        cmtst   v11.16b, v0.16b, v9.16b
        SHOWV   "cmtst", 11
        mov     v12.16b, v8.16b
        bsl     v12.16b, v0.16b, v3.16b
        SHOWV   "bsl", 12
        mov     v12.16b, v0.16b
        bit     v12.16b, v3.16b, v8.16b
        SHOWV   "bit", 12
        mov     v12.16b, v0.16b
        bif     v12.16b, v3.16b, v8.16b
        SHOWV   "bif", 12
        orn     v12.16b, v0.16b, v8.16b
        SHOWV   "orn", 12
        bic     v12.8h, #0xff
        SHOWV   "bic imm", 12
        umaxp   v12.16b, v8.16b, v8.16b
        fmov    x1, d12
        SHOW    "umaxp any-set (strchr idiom)", x1
        shrn    v12.8b, v8.8h, #4
        fmov    x1, d12
        SHOW    "shrn nibble mask (memchr idiom)", x1

        // shifts
        movi    v9.16b, #3
        ushl    v8.16b, v3.16b, v9.16b
        SHOWV   "ushl +3", 8
        movi    v9.16b, #0xfd            // -3
        ushl    v8.16b, v3.16b, v9.16b
        SHOWV   "ushl -3", 8
        sshl    v8.8h, v3.8h, v9.8h
        SHOWV   "sshl", 8
        sshr    v8.4s, v3.4s, #7
        SHOWV   "sshr", 8
        usra    v8.2d, v3.2d, #60
        SHOWV   "usra", 8
        sli     v8.16b, v0.16b, #4
        SHOWV   "sli", 8
        sri     v8.8h, v1.8h, #9
        SHOWV   "sri", 8
        ushll2  v8.2d, v3.4s, #3
        SHOWV   "ushll2", 8
        rshrn   v8.8b, v3.8h, #8
        SHOWV   "rshrn", 8

        // vector floating point
        ldr     q12, fvals
        ldr     q13, fvals2
        fadd    v8.4s, v12.4s, v13.4s
        SHOWV   "fadd 4s", 8
        fmul    v8.4s, v12.4s, v13.4s
        SHOWV   "fmul 4s", 8
        fdiv    v8.4s, v12.4s, v13.4s
        SHOWV   "fdiv 4s", 8
        fmla    v8.4s, v12.4s, v13.s[1]
        SHOWV   "fmla elem", 8
        faddp   v8.4s, v12.4s, v13.4s
        SHOWV   "faddp", 8
        fmaxnmv s8, v12.4s
        SHOWV   "fmaxnmv", 8
        fcvtzs  v8.4s, v12.4s
        SHOWV   "fcvtzs 4s", 8
        scvtf   v8.4s, v3.4s
        SHOWV   "scvtf 4s", 8
        fcvtl   v8.2d, v12.2s
        SHOWV   "fcvtl", 8
        fcvtn2  v8.4s, v8.2d
        SHOWV   "fcvtn2", 8
        fcmgt   v8.4s, v12.4s, v13.4s
        SHOWV   "fcmgt", 8
        fabs    v8.4s, v13.4s
        SHOWV   "fabs", 8
        fsqrt   v8.2d, v8.2d
        SHOWV   "fsqrt 2d", 8
        frecpe  v8.4s, v12.4s
        SHOWV   "frecpe 4s", 8
        frintn  v8.4s, v13.4s
        SHOWV   "frintn 4s", 8

        ldp     x29, x30, [sp], #16
        ret

        .balign 16
tblidx: .byte   0, 31, 16, 15, 32, 255, 7, 8, 17, 63, 1, 2, 48, 47, 3, 64
fvals:  .float  1.5, -2.25, 3.0, 1000.75
fvals2: .float  0.5, 4.0, -3.0, 2.5

        .data
        .balign 16
bytes:
        .irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .byte   \i
        .endr
        .byte   0x80, 0x81, 0x7f, 0xfe, 0xff, 0x01, 0x40, 0xc0, 0x11, 0x22, 0x33, 0x44, 0x55, 0xaa, 0x0f, 0xf0
        .byte   0xff, 0xff, 0x00, 0x80, 0x01, 0x7f, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0
        .bss
        .balign 16
out:    .space  128
