// Exception, MMU and timer paths of `mimic system -M virt` (see README.md).
        .equ UART,      0x09000000
        .equ GICD,      0x08000000
        .equ GICC,      0x08010000
        .equ TESTVA,    0x80000000

// check REG, VALUE, CODE: fail with CODE unless REG == VALUE (x9-x15 clobbered).
        .macro check reg, val, code
        ldr     x9, =\val
        cmp     \reg, x9
        b.eq    1f
        mov     x1, \reg
        mov     x0, #\code
        b       fail
1:
        .endm

// checkr REG, REG2, CODE: the same against a register.
        .macro checkr reg, reg2, code
        cmp     \reg, \reg2
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

        .section .text.boot
        .global _start
_start:
        ldr     x0, =stack_top
        mov     sp, x0
        adr     x0, vectors
        msr     vbar_el1, x0
        isb
        puts    msg_hello

        // CurrentEL is EL1.
        mrs     x1, CurrentEL
        check   x1, 4, 1

        // SVC at EL1: EC 0x15, IL, imm16; ELR is the next instruction.
        svc     #0x42
svc_next:
        ldr     x2, =rec
        ldr     x1, [x2]
        check   x1, 0x56000042, 2
        ldr     x1, [x2, #16]
        adr     x3, svc_next
        checkr  x1, x3, 3
        puts    msg_svc

        // UDF: EC 0, ELR the instruction (the handler skips it).
udf_at:
        .word   0
        ldr     x2, =rec
        ldr     x1, [x2]
        check   x1, 0x02000000, 4
        ldr     x1, [x2, #16]
        adr     x3, udf_at
        checkr  x1, x3, 5
        puts    msg_udf

        // Nothing at 0x0b000000: synchronous external abort, FAR set.
        ldr     x3, =0x0b000000
        ldr     x4, [x3]
        ldr     x2, =rec
        ldr     x1, [x2]
        check   x1, 0x96000010, 6
        ldr     x1, [x2, #8]
        check   x1, 0x0b000000, 7
        puts    msg_ext

        // Stage-1 MMU, 4K granule, 39-bit VA (start at level 1).
        ldr     x0, =0xff00             // attr0 device, attr1 normal WB
        msr     mair_el1, x0
        ldr     x0, =(25 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (5 << 32))
        msr     tcr_el1, x0
        adr     x0, l1
        msr     ttbr0_el1, x0
        bl      build_tables
        tlbi    vmalle1
        dsb     sy
        isb
        mrs     x0, sctlr_el1
        orr     x0, x0, #1
        orr     x0, x0, #(1 << 2)
        orr     x0, x0, #(1 << 12)
        msr     sctlr_el1, x0
        isb
        puts    msg_mmu

        // A write through the remapped page lands in data_page.
        ldr     x3, =TESTVA
        ldr     x4, =0x1122334455667788
        str     x4, [x3, #8]
        adr     x5, data_page
        ldr     x1, [x5, #8]
        check   x1, 0x1122334455667788, 8
        // The read-only alias reads the same data...
        ldr     x3, =(TESTVA + 0x1000)
        ldr     x1, [x3, #8]
        check   x1, 0x1122334455667788, 9
        // ...and a write to it is a level-3 permission fault (WnR set).
        str     x4, [x3, #16]
        ldr     x2, =rec
        ldr     x1, [x2]
        check   x1, 0x9600004f, 10
        ldr     x1, [x2, #8]
        check   x1, (TESTVA + 0x1010), 11
        // An invalid entry: level-3 translation fault.
        ldr     x3, =(TESTVA + 0x2000)
        ldr     x4, [x3]
        ldr     x2, =rec
        ldr     x1, [x2]
        check   x1, 0x96000007, 12
        // Precise state at a fault in mid-block: what earlier instructions
        // of the block wrote (registers, NZCV) reaches the handler and its
        // ERET, and a faulting post-indexed load leaves its base alone.
        ldr     x3, =(TESTVA + 0x2000)
        mov     x5, #0x55
        mov     x6, #0x66
        cmp     x5, #0x55
        ldr     x7, [x3], #8
        cset    x8, eq
        check   x8, 1, 30
        check   x5, 0x55, 31
        check   x6, 0x66, 32
        ldr     x8, =(TESTVA + 0x2000)
        checkr  x3, x8, 33
        ldr     x2, =rec
        ldr     x1, [x2]
        check   x1, 0x96000007, 34
        // Access flag clear: level-3 access flag fault.
        ldr     x3, =(TESTVA + 0x4000)
        ldr     x4, [x3]
        ldr     x2, =rec
        ldr     x1, [x2]
        check   x1, 0x9600000b, 13
        // After remapping entry 2 to data_page and TLBI, the access works.
        adr     x3, l3
        ldr     x4, [x3]
        str     x4, [x3, #16]
        tlbi    vmalle1
        dsb     sy
        isb
        ldr     x3, =(TESTVA + 0x2000)
        ldr     x1, [x3, #8]
        check   x1, 0x1122334455667788, 14
        // TLBI by VA: map entry 9 (TLB slot 9, which no other page of this
        // program uses) and read through it, so its translation is cached;
        // with the entry invalid again and just that page dropped, the
        // access faults, and page 0 still translates.
        adr     x3, l3
        ldr     x4, [x3]
        str     x4, [x3, #72]
        tlbi    vmalle1
        dsb     sy
        isb
        ldr     x3, =(TESTVA + 0x9000)
        ldr     x1, [x3, #8]
        check   x1, 0x1122334455667788, 20
        adr     x3, l3
        str     xzr, [x3, #72]
        dsb     sy
        ldr     x4, =((TESTVA + 0x9000) >> 12)
        tlbi    vae1, x4
        dsb     sy
        isb
        ldr     x3, =(TESTVA + 0x9000)
        ldr     x4, [x3]
        ldr     x2, =rec
        ldr     x1, [x2]
        check   x1, 0x96000007, 21
        ldr     x3, =TESTVA
        ldr     x1, [x3, #8]
        check   x1, 0x1122334455667788, 22
        puts    msg_faults

        // EL0: ERET to the user page, which does SVC #1 with x0 = 7.
        ldr     x0, =(TESTVA + 0x3000)
        msr     elr_el1, x0
        msr     spsr_el1, xzr
        mov     x0, #0
        eret
el0_back:
        ldr     x2, =rec
        ldr     x1, [x2]
        check   x1, 0x56000001, 15
        ldr     x1, [x2, #24]
        check   x1, 7, 16
        mrs     x1, CurrentEL
        check   x1, 4, 17
        puts    msg_el0

        // Virtual timer PPI 27 through the GICv2, taken out of WFI.
        ldr     x0, =GICD
        mov     w1, #1
        str     w1, [x0]                // GICD_CTLR
        mov     w1, #(1 << 27)
        str     w1, [x0, #0x100]        // ISENABLER0
        strb    wzr, [x0, #0x41b]       // IPRIORITYR27 = 0
        ldr     x0, =GICC
        mov     w1, #0xff
        str     w1, [x0, #4]            // PMR
        mov     w1, #1
        str     w1, [x0]                // GICC_CTLR
        mrs     x1, cntfrq_el0
        mov     x2, #100
        udiv    x1, x1, x2
        msr     cntv_tval_el0, x1       // 10 ms
        mov     x1, #1
        msr     cntv_ctl_el0, x1
        msr     daifclr, #2
2:      wfi
        ldr     x2, =rec
        ldr     x1, [x2, #32]
        cbz     x1, 2b
        msr     daifset, #2
        ldr     x1, [x2, #40]
        check   x1, 27, 18
        // The handler disabled the timer.
        mrs     x1, cntv_ctl_el0
        and     x1, x1, #1
        check   x1, 0, 19
        puts    msg_timer

        puts    msg_ok
        ldr     x0, =0x84000008         // PSCI SYSTEM_OFF
        hvc     #0
        b       .

// Fail: print "FAIL <code> <x1 in hex>" and power off.
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

print:                                  // x0 = NUL-terminated string
        ldr     x1, =UART
1:      ldrb    w2, [x0], #1
        cbz     w2, 2f
        strb    w2, [x1]
        b       1b
2:      ret

print_hex:                              // x0 = value, 16 hex digits
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

build_tables:
        adr     x0, l1
        // [0]: 0-1 GiB device block (UART, GIC), EL1 only, never executable.
        ldr     x1, =(1 | (1 << 10) | (3 << 53))
        str     x1, [x0]
        // [1]: RAM through l2.
        adr     x1, l2
        orr     x1, x1, #3
        str     x1, [x0, #8]
        // [2]: TESTVA through l2t.
        adr     x1, l2t
        orr     x1, x1, #3
        str     x1, [x0, #16]
        // l2: 64 x 2 MiB normal blocks from 0x40000000, EL1 RW, UXN.
        adr     x0, l2
        ldr     x1, =(0x40000000 | 1 | (1 << 2) | (3 << 8) | (1 << 10) | (1 << 54))
        mov     x2, #64
        ldr     x3, =0x200000
1:      str     x1, [x0], #8
        add     x1, x1, x3
        subs    x2, x2, #1
        b.ne    1b
        adr     x0, l2t
        adr     x1, l3
        orr     x1, x1, #3
        str     x1, [x0]
        adr     x0, l3
        adr     x1, data_page
        ldr     x2, =(3 | (1 << 2) | (3 << 8) | (1 << 10) | (1 << 54))
        orr     x3, x1, x2
        str     x3, [x0]                // [0] RW
        orr     x3, x3, #(1 << 7)
        str     x3, [x0, #8]            // [1] read-only
        str     xzr, [x0, #16]          // [2] invalid
        adr     x1, el0_page            // [3] EL0 code: AP=11, PXN, UXN clear
        ldr     x2, =(3 | (1 << 2) | (3 << 8) | (1 << 10) | (3 << 6) | (1 << 53))
        orr     x3, x1, x2
        str     x3, [x0, #24]
        adr     x1, data_page           // [4] access flag clear
        ldr     x2, =(3 | (1 << 2) | (3 << 8))
        orr     x3, x1, x2
        str     x3, [x0, #32]
        ret

// Vectors: current EL with SP_ELx (0x200) and lower EL AArch64 (0x400).
        .balign 2048
vectors:
        .skip   0x200
        b       el1_sync                // 0x200
        .balign 0x80
        b       el1_irq                 // 0x280
        .balign 0x80
        b       .                       // 0x300 FIQ
        .balign 0x80
        b       .                       // 0x380 SError
        .balign 0x80
        b       el0_sync                // 0x400
        .balign 0x80
        b       .                       // 0x480 IRQ from EL0
        .skip   0x380

// Records ESR, FAR, ELR; skips the instruction unless it was an SVC.
el1_sync:
        ldr     x10, =rec
        mrs     x9, esr_el1
        str     x9, [x10]
        mrs     x11, far_el1
        str     x11, [x10, #8]
        mrs     x12, elr_el1
        str     x12, [x10, #16]
        lsr     x9, x9, #26
        cmp     x9, #0x15
        b.eq    1f
        add     x12, x12, #4
        msr     elr_el1, x12
1:      eret

// From EL0: record ESR and x0, return to el0_back at EL1h.
el0_sync:
        ldr     x10, =rec
        mrs     x9, esr_el1
        str     x9, [x10]
        str     x0, [x10, #24]
        adr     x9, el0_back
        msr     elr_el1, x9
        mov     x9, #0x3c5
        msr     spsr_el1, x9
        eret

// IRQ: acknowledge, stop the timer, EOI, count.
el1_irq:
        ldr     x10, =GICC
        ldr     w11, [x10, #0xc]        // IAR
        msr     cntv_ctl_el0, xzr
        str     w11, [x10, #0x10]       // EOIR
        ldr     x10, =rec
        str     x11, [x10, #40]
        mov     x9, #1
        str     x9, [x10, #32]
        eret

        .balign 4096
el0_page:
        mov     x0, #7
        svc     #1
        b       .

        .section .rodata
msg_hello:  .asciz "hello from EL1\n"
msg_svc:    .asciz "svc ok\n"
msg_udf:    .asciz "udf ok\n"
msg_ext:    .asciz "external abort ok\n"
msg_mmu:    .asciz "mmu on\n"
msg_faults: .asciz "mmu faults ok\n"
msg_el0:    .asciz "el0 svc ok\n"
msg_timer:  .asciz "timer irq ok\n"
msg_ok:     .asciz "ALL OK\n"
msg_fail:   .asciz "FAIL "

        .data
        .balign 4096
l1:         .skip 4096
l2:         .skip 4096
l2t:        .skip 4096
l3:         .skip 4096
data_page:  .skip 4096
rec:        .skip 64
