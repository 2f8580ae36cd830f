/* Bit manipulation: clz/ctz/popcount/parity/bswap builtins, rotates, bit-field
 * extract/insert idioms, masks, bit reversal. */
#include <stdio.h>
#include <stdint.h>
#include <inttypes.h>

static inline uint32_t rotl32(uint32_t x, unsigned r) { r &= 31; return r ? (x << r) | (x >> (32 - r)) : x; }
static inline uint32_t rotr32(uint32_t x, unsigned r) { return (x >> (r & 31)) | (x << ((32 - r) & 31)); }
static inline uint64_t rotl64(uint64_t x, unsigned r) { return (x << (r & 63)) | (x >> ((64 - r) & 63)); }
static inline uint64_t rotr64(uint64_t x, unsigned r) { r &= 63; return r ? (x >> r) | (x << (64 - r)) : x; }

static uint32_t rev32(uint32_t x)
{
    uint32_t r = 0;
    for (int i = 0; i < 32; i++) { r = (r << 1) | (x & 1); x >>= 1; }
    return r;
}

struct bf { unsigned a : 3; unsigned b : 7; signed c : 5; unsigned d : 17; };

int main(void)
{
    uint64_t x = 0x0123456789abcdefULL;
    uint64_t h = 0;
    for (int i = 0; i < 200; i++) {
        uint32_t lo = (uint32_t)x;
        int clz64 = x ? __builtin_clzll(x) : 64;
        int ctz64 = x ? __builtin_ctzll(x) : 64;
        int clz32 = lo ? __builtin_clz(lo) : 32;
        int ctz32 = lo ? __builtin_ctz(lo) : 32;
        int pc64 = __builtin_popcountll(x), pc32 = __builtin_popcount(lo);
        int par = __builtin_parityll(x);
        int clrsb = __builtin_clrsbll((int64_t)x);
        uint64_t bs64 = __builtin_bswap64(x);
        uint32_t bs32 = __builtin_bswap32(lo);
        uint16_t bs16 = __builtin_bswap16((uint16_t)lo);
        if (i % 10 == 0)
            printf("x=%016" PRIx64 " clz=%d/%d ctz=%d/%d pop=%d/%d par=%d clrsb=%d bs=%016" PRIx64 "/%08x/%04x\n",
                   x, clz64, clz32, ctz64, ctz32, pc64, pc32, par, clrsb, bs64, bs32, bs16);
        h = h * 31 + (uint64_t)(clz64 + ctz64 * 3 + clz32 * 5 + ctz32 * 7 + pc64 * 11 + pc32 * 13 + par + clrsb);
        h ^= bs64 + bs32 + bs16;
        h += rotl32(lo, (unsigned)i) + rotr32(lo, (unsigned)i * 7);
        h ^= rotl64(x, (unsigned)i) ^ rotr64(x, (unsigned)i * 3);
        h += rev32(lo);
        /* bit-field extracts: ubfx/sbfx style */
        h += (x >> 13) & 0x7ff;
        h += (uint64_t)(((int64_t)(x << 20)) >> 44);
        /* insert */
        uint64_t ins = (x & ~(0xffULL << 24)) | ((h & 0xff) << 24);
        h ^= ins;
        /* lowest set bit, clear lowest, isolate, power-of-two tests */
        h += (x & -x) ^ (x & (x - 1)) ^ (uint64_t)((x & (x - 1)) == 0);
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        if (i % 17 == 0) x >>= (i % 60);
        if (i % 23 == 0) x = 0;
    }
    printf("h=%016" PRIx64 "\n", h);
    /* edge values */
    uint64_t edges[] = { 1, 2, 0x80000000ULL, 0xffffffffULL, 0x100000000ULL, 1ULL << 63, ~0ULL };
    for (unsigned i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        uint64_t e = edges[i];
        printf("%016" PRIx64 ": clz=%d ctz=%d pop=%d ffs=%d rev=%08x\n", e,
               __builtin_clzll(e), __builtin_ctzll(e), __builtin_popcountll(e),
               __builtin_ffsll((long long)e), rev32((uint32_t)e));
    }
    /* bit-fields in a struct */
    volatile struct bf s = { 5, 100, -9, 99999 };
    s.b += 30; s.c -= 5; s.d ^= 0x10101;
    printf("bf: a=%u b=%u c=%d d=%u\n", s.a, s.b, (int)s.c, s.d);
    s.c = 15; s.c += 1; /* wraps to -16 in a 5-bit signed field (implementation-defined; gcc wraps) */
    printf("bf: c=%d\n", (int)s.c);
    return 0;
}
