// guest-cflags: -march=armv8-a -mfpu=crypto-neon-fp-armv8
/* The ARMv8 AArch32 crypto instructions (needs -cpu max): AESE/AESD/AESMC/
 * AESIMC, SHA1C/P/M/H/SU0/SU1, SHA256H/H2/SU0/SU1 and VMULL.P64, chained
 * over several rounds so every output feeds the next input; also the
 * AT_HWCAP2 bits the kernel reports for them. */
#include "neon_common.h"
#include <sys/auxv.h>

uint8_t key[16] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                   0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
uint8_t blk[16] = {0x32, 0x43, 0xf6, 0xa8, 0x88, 0x5a, 0x30, 0x8d,
                   0x31, 0x31, 0x98, 0xa2, 0xe0, 0x37, 0x07, 0x34};
uint32_t w[16] = {0x61626380, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x18};

int main(void)
{
    OPAQUE();
    printf("hwcap2 aes pmull sha1 sha2: %lu %lu %lu %lu\n", getauxval(AT_HWCAP2) & 1,
           getauxval(AT_HWCAP2) >> 1 & 1, getauxval(AT_HWCAP2) >> 2 & 1,
           getauxval(AT_HWCAP2) >> 3 & 1);
    uint8x16_t k = vld1q_u8(key), s = vld1q_u8(blk);
    for (int r = 0; r < 4; r++) {
        s = vaeseq_u8(s, k);
        PQ("aese", s);
        s = vaesmcq_u8(s);
        PQ("aesmc", s);
        k = veorq_u8(k, vextq_u8(k, k, 3));
    }
    for (int r = 0; r < 4; r++) {
        s = vaesimcq_u8(s);
        PQ("aesimc", s);
        s = vaesdq_u8(s, k);
        PQ("aesd", s);
    }
    uint32x4_t abcd = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    uint32_t e = 0xc3d2e1f0;
    uint32x4_t w0 = vld1q_u32(w), w1 = vld1q_u32(w + 4), w2 = vld1q_u32(w + 8), w3 = vld1q_u32(w + 12);
    for (int r = 0; r < 3; r++) {
        uint32x4_t x = vsha1cq_u32(abcd, e, w0);
        PQ("sha1c", x);
        uint32x4_t y = vsha1pq_u32(x, e + 1, w1);
        PQ("sha1p", y);
        abcd = vsha1mq_u32(y, e + 2, w2);
        PQ("sha1m", abcd);
        e = vsha1h_u32(vgetq_lane_u32(abcd, 0));
        printf("%-28s %08x\n", "sha1h", e);
        w0 = vsha1su0q_u32(w0, w1, w2);
        PQ("sha1su0", w0);
        w1 = vsha1su1q_u32(w1, w3);
        PQ("sha1su1", w1);
    }
    uint32x4_t st0 = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a};
    uint32x4_t st1 = {0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    for (int r = 0; r < 3; r++) {
        uint32x4_t t = st0;
        st0 = vsha256hq_u32(st0, st1, w0);
        PQ("sha256h", st0);
        st1 = vsha256h2q_u32(st1, t, w0);
        PQ("sha256h2", st1);
        w0 = vsha256su0q_u32(w0, w1);
        PQ("sha256su0", w0);
        w1 = vsha256su1q_u32(w1, w2, w3);
        PQ("sha256su1", w1);
    }
    poly64_t a = vgetq_lane_u64(vreinterpretq_u64_u32(st0), 1), b = vgetq_lane_u64(vreinterpretq_u64_u32(st1), 0);
    PQ("vmull.p64", vmull_p64(a, b));
    PQ("vmull.p64 max", vmull_p64(~0ULL, ~0ULL));
    return 0;
}
