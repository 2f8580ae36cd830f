/* Alignment of exclusives, acquire/release and atomic accesses, with and
 * without FEAT_LSE2, as Linux user space sees it:
 *   - exclusives (LDXR/STXR, pairs) must be aligned to their whole size;
 *   - acquire/release (LDAR, STLR, LDAPR, LDAPUR) and atomics (LDADD...,
 *     SWP, CAS, CASP) must be aligned without LSE2, and with it must not
 *     cross a 16-byte boundary (SCTLR_EL1.nAA is clear);
 *   - otherwise SIGBUS with si_code BUS_ADRALN and si_addr = the address.
 * With LSE2 (HWCAP_USCAT) it also checks that misaligned atomics inside a
 * 16-byte granule stay atomic under two threads, and that 16-byte aligned
 * LDP/STP pairs are never seen torn.
 * The expected outputs are per CPU model: lse2.<cpu>.expected. */
// guest-cflags: -march=armv8.4-a -pthread
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

/* (Sections a model lacks the instructions of are left out.) */
#ifndef HWCAP_USCAT
#define HWCAP_USCAT (1UL << 25)
#endif

static sigjmp_buf jb;
static volatile long fault_off;
static volatile int fault_code;
static unsigned char buf[64] __attribute__((aligned(64)));

static void on_bus(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    fault_off = (long)((uintptr_t)si->si_addr - (uintptr_t)buf);
    fault_code = si->si_code;
    siglongjmp(jb, 1);
}

static void fill(void)
{
    for (int i = 0; i < 64; i++)
        buf[i] = (unsigned char)(0x10 + i);
}

static uint64_t rd(int off, int n)
{
    uint64_t v = 0;
    memcpy(&v, buf + off, n);
    return v;
}

#define CASE(NAME, OFF, N, ...)                                                                   \
    do {                                                                                          \
        fill();                                                                                   \
        unsigned char *p = buf + (OFF);                                                           \
        uint64_t r = 0;                                                                           \
        (void)p;                                                                                  \
        if (sigsetjmp(jb, 1) == 0) {                                                              \
            __VA_ARGS__;                                                                          \
            printf("%-9s +%-2d ok     r=%016llx mem=%016llx\n", NAME, OFF, (unsigned long long)r, \
                   (unsigned long long)rd(OFF, N));                                               \
        } else {                                                                                  \
            printf("%-9s +%-2d SIGBUS code=%d addr=+%ld mem=%016llx\n", NAME, OFF, fault_code,   \
                   fault_off, (unsigned long long)rd(OFF, N));                                    \
        }                                                                                         \
    } while (0)

#define V8 0xa1a2a3a4a5a6a7a8ULL

static void alignment_cases(void)
{
    /* exclusives */
    CASE("ldxr", 8, 8, asm volatile("ldxr %0, [%1]\n clrex" : "=r"(r) : "r"(p) : "memory"));
    CASE("ldxr", 4, 8, asm volatile("ldxr %0, [%1]\n clrex" : "=r"(r) : "r"(p) : "memory"));
    CASE("ldaxrh", 3, 2, asm volatile("ldaxrh %w0, [%1]\n clrex" : "=r"(r) : "r"(p) : "memory"));
    CASE("stxr", 8, 8, {
        uint32_t st;
        asm volatile("clrex\n stxr %w0, %2, [%1]" : "=&r"(st) : "r"(p), "r"(V8) : "memory");
        r = st;
    });
    CASE("stlxr", 4, 8, {
        uint32_t st;
        asm volatile("ldxr xzr, [%1]\n stlxr %w0, %2, [%1]" : "=&r"(st) : "r"(p), "r"(V8) : "memory");
        r = st;
    });
    CASE("ldxp", 16, 8, {
        uint64_t a, b;
        asm volatile("ldxp %0, %1, [%2]\n clrex" : "=&r"(a), "=&r"(b) : "r"(p) : "memory");
        r = a ^ b;
    });
    CASE("ldxp", 8, 8, {
        uint64_t a, b;
        asm volatile("ldxp %0, %1, [%2]\n clrex" : "=&r"(a), "=&r"(b) : "r"(p) : "memory");
        r = a ^ b;
    });
    CASE("ldxp-w", 4, 8, {
        uint64_t a, b;
        asm volatile("ldxp %w0, %w1, [%2]\n clrex" : "=&r"(a), "=&r"(b) : "r"(p) : "memory");
        r = a << 32 | b;
    });
    /* acquire / release */
    CASE("ldar", 8, 8, asm volatile("ldar %0, [%1]" : "=r"(r) : "r"(p) : "memory"));
    CASE("ldar", 4, 8, asm volatile("ldar %0, [%1]" : "=r"(r) : "r"(p) : "memory"));
    CASE("ldar", 12, 8, asm volatile("ldar %0, [%1]" : "=r"(r) : "r"(p) : "memory"));
    CASE("ldarh", 1, 2, asm volatile("ldarh %w0, [%1]" : "=r"(r) : "r"(p) : "memory"));
    CASE("ldarh", 15, 2, asm volatile("ldarh %w0, [%1]" : "=r"(r) : "r"(p) : "memory"));
    CASE("stlr", 6, 8, asm volatile("stlr %1, [%0]" : : "r"(p), "r"(V8) : "memory"));
    CASE("stlr-w", 14, 4, asm volatile("stlr %w1, [%0]" : : "r"(p), "r"(V8) : "memory"));
    if (!(getauxval(AT_HWCAP) & HWCAP_LRCPC))
        return;
    CASE("ldapr-w", 2, 4, asm volatile("ldapr %w0, [%1]" : "=r"(r) : "r"(p) : "memory"));
    if (getauxval(AT_HWCAP) & HWCAP_ILRCPC) {
    CASE("ldapur", 5, 8, asm volatile("ldapur %0, [%1, #-1]" : "=r"(r) : "r"(p + 1) : "memory"));
    CASE("stlurh", 31, 2, asm volatile("stlurh %w1, [%0, #3]" : : "r"(p - 3), "r"(V8) : "memory"));
    }
    /* atomics */
    if (!(getauxval(AT_HWCAP) & HWCAP_ATOMICS))
        return;
    CASE("ldadd", 16, 8,
         asm volatile("ldadd %2, %0, [%1]" : "=r"(r) : "r"(p), "r"(0x0101010101010101ULL) : "memory"));
    CASE("ldadd", 4, 8,
         asm volatile("ldadd %2, %0, [%1]" : "=r"(r) : "r"(p), "r"(0x0101010101010101ULL) : "memory"));
    CASE("ldadd", 12, 8,
         asm volatile("ldadd %2, %0, [%1]" : "=r"(r) : "r"(p), "r"(0x0101010101010101ULL) : "memory"));
    CASE("ldaddalh", 7, 2,
         asm volatile("ldaddalh %w2, %w0, [%1]" : "=r"(r) : "r"(p), "r"(0x8001) : "memory"));
    CASE("ldsmax-w", 9, 4, asm volatile("ldsmax %w2, %w0, [%1]" : "=r"(r) : "r"(p), "r"(-1) : "memory"));
    CASE("ldclr", 2, 8, asm volatile("ldclr %2, %0, [%1]" : "=r"(r) : "r"(p), "r"(0xff00ff00ff00ff00ULL) : "memory"));
    CASE("swpb", 3, 1, asm volatile("swpb %w2, %w0, [%1]" : "=r"(r) : "r"(p), "r"(0x99) : "memory"));
    CASE("swp-w", 13, 4, asm volatile("swp %w2, %w0, [%1]" : "=r"(r) : "r"(p), "r"(0x99) : "memory"));
    CASE("cas-w", 2, 4, {
        r = rd(2, 4);
        asm volatile("cas %w0, %w2, [%1]" : "+r"(r) : "r"(p), "r"(0x55667788) : "memory");
    });
    CASE("casal", 3, 8, {
        r = 1; /* not what memory holds: no store */
        asm volatile("casal %0, %2, [%1]" : "+r"(r) : "r"(p), "r"(V8) : "memory");
    });
    CASE("casp-w", 4, 8, {
        register uint64_t x0 asm("x0") = rd(4, 4);
        register uint64_t x1 asm("x1") = rd(8, 4);
        register uint64_t x2 asm("x2") = 0x11111111;
        register uint64_t x3 asm("x3") = 0x22222222;
        asm volatile("casp w0, w1, w2, w3, [%4]" : "+r"(x0), "+r"(x1) : "r"(x2), "r"(x3), "r"(p) : "memory");
        r = x1 << 32 | x0;
    });
    CASE("casp-w", 12, 8, {
        register uint64_t x0 asm("x0") = 0;
        register uint64_t x1 asm("x1") = 0;
        register uint64_t x2 asm("x2") = 1;
        register uint64_t x3 asm("x3") = 2;
        asm volatile("casp w0, w1, w2, w3, [%4]" : "+r"(x0), "+r"(x1) : "r"(x2), "r"(x3), "r"(p) : "memory");
        r = x1 << 32 | x0;
    });
}

/* Two threads add to a misaligned counter inside one granule while a third
 * keeps storing to the granule's first byte. */
static volatile int stop_poke;
#define ADDS 100000
static void *adder(void *arg)
{
    (void)arg;
    for (int i = 0; i < ADDS; i++) {
        uint64_t old;
        asm volatile("ldadd %2, %0, [%1]" : "=r"(old) : "r"(buf + 4), "r"(1ULL) : "memory");
    }
    return NULL;
}
static void *poker(void *arg)
{
    (void)arg;
    for (unsigned i = 0; !stop_poke; i++)
        asm volatile("strb %w0, [%1]" : : "r"(i & 0x7f), "r"(buf) : "memory");
    asm volatile("strb %w0, [%1]" : : "r"(0xee), "r"(buf) : "memory");
    return NULL;
}

/* A writer stores (i, ~i) with STP at a 16-byte aligned slot; a reader
 * loads with LDP and counts pairs whose halves do not match. */
static volatile int stop_pairs;
static void *pair_writer(void *arg)
{
    (void)arg;
    for (uint64_t i = 0; !stop_pairs; i++)
        asm volatile("stp %0, %1, [%2]" : : "r"(i), "r"(~i), "r"(buf + 32) : "memory");
    return NULL;
}

static void concurrency(void)
{
    memset(buf, 0, sizeof buf);
    pthread_t a, b, c;
    pthread_create(&c, NULL, poker, NULL);
    pthread_create(&a, NULL, adder, NULL);
    pthread_create(&b, NULL, adder, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    stop_poke = 1;
    pthread_join(c, NULL);
    printf("misaligned ldadd x2 threads: %llu (want %d), poked byte %#x\n",
           (unsigned long long)rd(4, 8), 2 * ADDS, buf[0]);

    uint64_t init[2] = {0, ~0ULL};
    memcpy(buf + 32, init, sizeof init);
    pthread_t w;
    pthread_create(&w, NULL, pair_writer, NULL);
    long torn = 0, changes = 0;
    uint64_t last = 0;
    /* until the writer has stored 100000 different pairs (or a bound) */
    for (long i = 0; i < 200000000 && changes < 100000; i++) {
        uint64_t lo, hi;
        asm volatile("ldp %0, %1, [%2]" : "=&r"(lo), "=&r"(hi) : "r"(buf + 32) : "memory");
        if (hi != ~lo)
            torn++;
        if (lo != last)
            changes++;
        last = lo;
    }
    stop_pairs = 1;
    pthread_join(w, NULL);
    printf("ldp/stp pairs: %s\n", torn ? "TORN" : "never torn");
    if (changes < 100000)
        printf("(the writer barely ran: %ld changes)\n", changes);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_bus;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);
    uint64_t mmfr2;
    asm volatile("mrs %0, S3_0_C0_C7_2" : "=r"(mmfr2));
    int uscat = (getauxval(AT_HWCAP) & HWCAP_USCAT) != 0;
    printf("HWCAP_USCAT=%d ID_AA64MMFR2_EL1.AT=%llu\n", uscat, (unsigned long long)(mmfr2 >> 32 & 15));
    alignment_cases();
    if (uscat)
        concurrency();
    return 0;
}
