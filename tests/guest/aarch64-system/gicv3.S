// GICv3 of `mimic system -M virt,gic-version=3 -smp 2` (see README.md):
// identification, redistributor wake-up, SGIs to self with priorities,
// preemption, PMR masking, EOImode 1 with ICC_DIR, SPI routing through
// GICD_IROUTER, the virtual timer PPI taken as an IRQ out of WFI, and an
// SGI round trip with the second cpu started through PSCI CPU_ON.
// mimic-args: -M virt,gic-version=3 -smp 2
        .equ UART,      0x09000000
        .equ GICD,      0x08000000
        .equ GICR0,     0x080a0000
        .equ GICR1,     0x080c0000
        .equ SGI_BASE,  0x10000

        .macro check reg, val, code
        ldr     x9, =\val
        cmp     \reg, x9
        b.eq    1f
        mov     x1, \reg
        mov     x0, #\code
        b       fail
1:
        .endm

        .macro puts label
        adr     x0, \label
        bl      print
        .endm

// Wakes redistributor \base, puts its SGIs/PPIs in group 1, enables them.
        .macro rd_init base
        ldr     x0, =\base
        ldr     w1, [x0, #0x14]         // GICR_WAKER
        bic     w1, w1, #2              // ProcessorSleep = 0
        str     w1, [x0, #0x14]
1:      ldr     w1, [x0, #0x14]
        tbnz    w1, #2, 1b              // ChildrenAsleep
        add     x0, x0, #SGI_BASE
        mov     w1, #-1
        str     w1, [x0, #0x80]         // IGROUPR0
        str     w1, [x0, #0x100]        // ISENABLER0
        .endm

        .macro cpuif_init
        mov     x1, #0xf0
        msr     icc_pmr_el1, x1
        msr     icc_bpr1_el1, xzr
        mov     x1, #1
        msr     icc_igrpen1_el1, x1
        isb
        .endm

        .section .text.boot
        .global _start
_start:
        ldr     x0, =stack_top
        mov     sp, x0
        adr     x0, vectors
        msr     vbar_el1, x0
        isb

        // ID_AA64PFR0_EL1.GIC = 1, ICC_SRE_EL1.SRE = 1, PIDR2.ArchRev = 3.
        mrs     x1, id_aa64pfr0_el1
        ubfx    x1, x1, #24, #4
        check   x1, 1, 1
        mrs     x1, icc_sre_el1
        and     x1, x1, #1
        check   x1, 1, 2
        ldr     x0, =(GICD + 0xffe8)
        ldr     w1, [x0]                // GICD_PIDR2
        ubfx    w1, w1, #4, #4
        check   x1, 3, 3
        ldr     x0, =GICD
        // GICD_CTLR: enable both groups; ARE and DS read as one.
        mov     w1, #3
        str     w1, [x0]
        ldr     w1, [x0]
        check   x1, 0x53, 4
        // GICR_TYPER: cpu 0 not last, cpu 1 last with affinity 1.
        ldr     x0, =GICR0
        ldr     x1, [x0, #8]
        ubfx    x1, x1, #4, #1
        check   x1, 0, 5
        ldr     x0, =GICR1
        ldr     x1, [x0, #8]
        lsr     x2, x1, #32
        check   x2, 1, 6
        ubfx    x1, x1, #4, #1
        check   x1, 1, 7
        puts    msg_id

        rd_init GICR0
        cpuif_init
        // SGI 1 at priority 0x80, SGI 2 at 0x40.
        ldr     x0, =(GICR0 + SGI_BASE)
        mov     w1, #0x80
        strb    w1, [x0, #0x401]
        mov     w1, #0x40
        strb    w1, [x0, #0x402]

        // SGI 1 to self (Aff3.Aff2.Aff1 = 0, TargetList bit 0).
        ldr     x1, =((1 << 24) | 1)
        msr     icc_sgi1r_el1, x1
        isb
        mrs     x1, isr_el1
        ubfx    x1, x1, #7, #1
        check   x1, 1, 10
        mrs     x1, icc_hppir1_el1
        check   x1, 1, 11
        mrs     x1, icc_iar1_el1
        check   x1, 1, 12
        mrs     x1, icc_rpr_el1
        check   x1, 0x80, 13
        // SGI 2 (higher priority) preempts the active SGI 1.
        ldr     x1, =((2 << 24) | 1)
        msr     icc_sgi1r_el1, x1
        isb
        mrs     x1, icc_iar1_el1
        check   x1, 2, 14
        mrs     x1, icc_rpr_el1
        check   x1, 0x40, 15
        mrs     x1, icc_ap1r0_el1
        check   x1, ((1 << 8) | (1 << 16)), 16
        mov     x1, #2
        msr     icc_eoir1_el1, x1
        mrs     x1, icc_rpr_el1
        check   x1, 0x80, 17
        mov     x1, #1
        msr     icc_eoir1_el1, x1
        mrs     x1, icc_rpr_el1
        check   x1, 0xff, 18
        mrs     x1, icc_iar1_el1
        check   x1, 1023, 19
        puts    msg_sgi

        // PMR 0x40 masks priority 0x40; lowering the mask lets it in.
        mov     x1, #0x40
        msr     icc_pmr_el1, x1
        ldr     x1, =((2 << 24) | 1)
        msr     icc_sgi1r_el1, x1
        isb
        mrs     x1, isr_el1
        check   x1, 0, 20
        mrs     x1, icc_iar1_el1
        check   x1, 1023, 21
        mov     x1, #0xf0
        msr     icc_pmr_el1, x1
        isb
        mrs     x1, icc_iar1_el1
        check   x1, 2, 22
        msr     icc_eoir1_el1, x1
        puts    msg_pmr

        // EOImode 1: EOIR drops the priority, DIR deactivates.
        mov     x1, #2
        msr     icc_ctlr_el1, x1
        ldr     x1, =((1 << 24) | 1)
        msr     icc_sgi1r_el1, x1
        isb
        mrs     x1, icc_iar1_el1
        check   x1, 1, 23
        msr     icc_eoir1_el1, x1
        mrs     x1, icc_rpr_el1
        check   x1, 0xff, 24
        ldr     x0, =(GICR0 + SGI_BASE)
        ldr     w1, [x0, #0x300]        // ISACTIVER0
        check   x1, 2, 25
        mov     x1, #1
        msr     icc_dir_el1, x1
        ldr     w1, [x0, #0x300]
        check   x1, 0, 26
        msr     icc_ctlr_el1, xzr
        puts    msg_eoi

        // SPI 40: group 1, enabled, made pending; routed to cpu 1 it is
        // not cpu 0's, routed to cpu 0 it is.
        ldr     x0, =GICD
        mov     w1, #(1 << 8)
        str     w1, [x0, #0x84]         // IGROUPR1
        str     w1, [x0, #0x104]        // ISENABLER1
        mov     x1, #1
        str     x1, [x0, #(0x6000 + 8 * 40)]    // IROUTER40 = Aff0 1
        mov     w1, #(1 << 8)
        str     w1, [x0, #0x204]        // ISPENDR1
        isb
        mrs     x1, icc_iar1_el1
        check   x1, 1023, 30
        str     xzr, [x0, #(0x6000 + 8 * 40)]   // IROUTER40 = cpu 0
        isb
        mrs     x1, icc_iar1_el1
        check   x1, 40, 31
        msr     icc_eoir1_el1, x1
        puts    msg_spi

        // Virtual timer PPI 27 as an IRQ exception out of WFI.
        mrs     x1, cntfrq_el0
        mov     x2, #100
        udiv    x1, x1, x2
        msr     cntv_tval_el0, x1       // 10 ms
        mov     x1, #1
        msr     cntv_ctl_el0, x1
        msr     daifclr, #2
2:      wfi
        ldr     x2, =rec
        ldr     x1, [x2]
        cbz     x1, 2b
        msr     daifset, #2
        ldr     x1, [x2, #8]
        check   x1, 27, 32
        mrs     x1, icc_rpr_el1
        check   x1, 0xff, 33
        puts    msg_timer

        // Start cpu 1 (PSCI CPU_ON), wait until it is ready, send it SGI 8
        // and expect SGI 9 back.
        ldr     x0, =0xc4000003
        mov     x1, #1
        adr     x2, cpu1_entry
        mov     x3, #0
        hvc     #0
        check   x0, 0, 40
        ldr     x2, =rec
        ldr     x3, =100000000
3:      ldr     x1, [x2, #16]
        cbnz    x1, 4f
        subs    x3, x3, #1
        b.ne    3b
        mov     x0, #41
        b       fail
4:      ldr     x1, =((8 << 24) | 2)    // SGI 8, TargetList bit 1
        msr     icc_sgi1r_el1, x1
        ldr     x3, =100000000
5:      mrs     x1, icc_iar1_el1
        cmp     x1, #1023
        b.ne    6f
        subs    x3, x3, #1
        b.ne    5b
        mov     x0, #42
        b       fail
6:      check   x1, 9, 43
        msr     icc_eoir1_el1, x1
        ldr     x1, [x2, #24]
        check   x1, 8, 44
        puts    msg_smp

        puts    msg_ok
        ldr     x0, =0x84000008         // PSCI SYSTEM_OFF
        hvc     #0
        b       .

// The second cpu: its own redistributor and interface, then it waits for
// an SGI (polling IAR1 with IRQs masked), records it and answers with SGI 9
// to cpu 0.
cpu1_entry:
        ldr     x0, =stack1_top
        mov     sp, x0
        rd_init GICR1
        cpuif_init
        ldr     x2, =rec
        mov     x1, #1
        str     x1, [x2, #16]           // ready
1:      mrs     x1, icc_iar1_el1
        cmp     x1, #1023
        b.eq    1b
        str     x1, [x2, #24]
        msr     icc_eoir1_el1, x1
        ldr     x1, =((9 << 24) | 1)    // SGI 9, TargetList bit 0
        msr     icc_sgi1r_el1, x1
2:      wfi
        b       2b

fail:
        mov     x20, x0
        mov     x21, x1
        puts    msg_fail
        mov     x0, x20
        bl      print_hex
        mov     x0, #' '
        bl      putc
        mov     x0, x21
        bl      print_hex
        mov     x0, #'\n'
        bl      putc
        ldr     x0, =0x84000008
        hvc     #0
        b       .

putc:
        ldr     x1, =UART
        strb    w0, [x1]
        ret

print:
        ldr     x1, =UART
1:      ldrb    w2, [x0], #1
        cbz     w2, 2f
        strb    w2, [x1]
        b       1b
2:      ret

print_hex:
        ldr     x1, =UART
        mov     x3, #60
1:      lsr     x2, x0, x3
        and     x2, x2, #15
        cmp     x2, #10
        add     x4, x2, #'0'
        add     x5, x2, #('a' - 10)
        csel    x2, x4, x5, lo
        strb    w2, [x1]
        subs    x3, x3, #4
        b.ge    1b
        ret

        .balign 2048
vectors:
        .skip   0x200
        b       el1_sync                // 0x200
        .balign 0x80
        b       el1_irq                 // 0x280
        .skip   0x580

// Unexpected (an ICC register that UNDEFs without a GICv3): FAIL 99 ESR.
el1_sync:
        mrs     x1, esr_el1
        mov     x0, #99
        b       fail

// IRQ: acknowledge, stop the timer, EOI, record the id.
el1_irq:
        mrs     x11, icc_iar1_el1
        msr     cntv_ctl_el0, xzr
        msr     icc_eoir1_el1, x11
        ldr     x10, =rec
        str     x11, [x10, #8]
        mov     x9, #1
        str     x9, [x10]
        eret

        .section .rodata
msg_id:     .asciz "gicv3 id ok\n"
msg_sgi:    .asciz "sgi priorities ok\n"
msg_pmr:    .asciz "pmr ok\n"
msg_eoi:    .asciz "eoimode ok\n"
msg_spi:    .asciz "spi routing ok\n"
msg_timer:  .asciz "timer irq ok\n"
msg_smp:    .asciz "cross-cpu sgi ok\n"
msg_ok:     .asciz "ALL OK\n"
msg_fail:   .asciz "FAIL "

        .data
        .balign 16
rec:        .skip 64
        .balign 16
            .skip 4096
stack1_top:
