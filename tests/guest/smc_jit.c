// guest-32bit: skip (emits AArch64 or x86-64 machine code only)
/* A tiny JIT inside the guest: machine code is written into mmap'd memory,
 * made executable, called, then patched in place and called again (the
 * emulator must notice the writes and drop stale translations). The code
 * bytes are per-architecture (x86-64 natively, AArch64 under emulation);
 * the printed results are the same on both. */
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/mman.h>

typedef int (*fn0)(void);
typedef int (*fn2)(int, int);

/* emit "return imm" (imm < 65536) at p; returns bytes written */
static size_t emit_ret_imm(uint8_t *p, unsigned imm)
{
#if defined(__aarch64__)
    uint32_t insn[2] = { 0x52800000u | (imm << 5), 0xd65f03c0u }; /* movz w0, #imm; ret */
    memcpy(p, insn, 8);
    return 8;
#elif defined(__x86_64__)
    p[0] = 0xb8; memcpy(p + 1, &imm, 4); p[5] = 0xc3; /* mov eax, imm; ret */
    return 6;
#else
#error "unsupported host"
#endif
}

/* emit "return a OP b" for OP in {add, sub} */
static size_t emit_binop(uint8_t *p, int sub)
{
#if defined(__aarch64__)
    uint32_t insn[2] = { sub ? 0x4b010000u : 0x0b010000u, 0xd65f03c0u }; /* add/sub w0, w0, w1; ret */
    memcpy(p, insn, 8);
    return 8;
#else
    if (sub) { static const uint8_t c[] = { 0x89, 0xf8, 0x29, 0xf0, 0xc3 }; memcpy(p, c, sizeof c); return sizeof c; } /* mov eax,edi; sub eax,esi; ret */
    static const uint8_t c[] = { 0x8d, 0x04, 0x37, 0xc3 }; /* lea eax,[rdi+rsi]; ret */
    memcpy(p, c, sizeof c);
    return sizeof c;
#endif
}

static void sync_code(void *p, size_t n) { __builtin___clear_cache((char *)p, (char *)p + n); }

int main(void)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    uint8_t *rwx = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (rwx == MAP_FAILED) { printf("mmap rwx failed\n"); return 1; }

    size_t n = emit_ret_imm(rwx, 42);
    sync_code(rwx, n);
    fn0 f = (fn0)(void *)rwx;
    printf("first call=%d\n", f());

    /* patch the immediate many times, calling after each patch */
    long sum = 0;
    for (unsigned i = 0; i < 2000; i++) {
        n = emit_ret_imm(rwx, i * 31 % 65536);
        sync_code(rwx, n);
        sum += f();
    }
    printf("patched calls sum=%ld\n", sum);

    /* switch the same address between two different functions */
    fn2 g = (fn2)(void *)(rwx + 64);
    long acc = 0;
    for (int i = 0; i < 500; i++) {
        n = emit_binop(rwx + 64, i & 1);
        sync_code(rwx + 64, n);
        acc += g(1000 + i, 7 * i);
    }
    printf("binop switch acc=%ld\n", acc);

    /* many functions on the second page, then overwrite them all */
    for (unsigned k = 0; k < 64; k++) emit_ret_imm(rwx + pg + 16 * k, k * 3);
    sync_code(rwx + pg, pg);
    long s1 = 0, s2 = 0;
    for (unsigned k = 0; k < 64; k++) s1 += ((fn0)(void *)(rwx + pg + 16 * k))();
    for (unsigned k = 0; k < 64; k++) emit_ret_imm(rwx + pg + 16 * k, 1000 + k);
    sync_code(rwx + pg, pg);
    for (unsigned k = 0; k < 64; k++) s2 += ((fn0)(void *)(rwx + pg + 16 * k))();
    printf("page of functions: %ld then %ld\n", s1, s2);

    /* W^X discipline: RW to write, RX to run */
    uint8_t *wx = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long t = 0;
    for (unsigned i = 0; i < 50; i++) {
        mprotect(wx, pg, PROT_READ | PROT_WRITE);
        n = emit_ret_imm(wx + (i % 4) * 32, 100 + i);
        mprotect(wx, pg, PROT_READ | PROT_EXEC);
        sync_code(wx, pg);
        t += ((fn0)(void *)(wx + (i % 4) * 32))();
    }
    printf("w^x total=%ld\n", t);

    /* unmap and map again at (possibly) the same address with new code */
    munmap(wx, pg);
    uint8_t *again = mmap(NULL, pg, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    n = emit_ret_imm(again, 777);
    sync_code(again, n);
    printf("after remap=%d\n", ((fn0)(void *)again)());
    munmap(again, pg);
    munmap(rwx, 2 * pg);
    return 0;
}
