/* Integer loops that gcc -O3 autovectorizes with AdvSIMD: elementwise
 * arithmetic on 8/16/32/64-bit lanes, widening and narrowing, saturation
 * idioms, shifts, selects, reductions (sum, min, max, xor), and loops with
 * odd trip counts (vector body plus scalar tail). */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define N 4099

static int32_t a[N], b[N], c[N];
static int64_t l1[N], l2[N];
static uint8_t u8a[N], u8b[N], u8c[N];
static int16_t s16a[N], s16b[N];
static uint16_t u16[N];
static uint32_t u32[N];

static uint64_t h = 14695981039346656037ULL;
static void mix(const void *p, size_t n) { const uint8_t *q = p; for (size_t i = 0; i < n; i++) h = (h ^ q[i]) * 1099511628211ULL; }

__attribute__((noinline)) static void init(unsigned seed)
{
    uint32_t x = seed;
    for (int i = 0; i < N; i++) {
        x = x * 1664525u + 1013904223u;
        a[i] = (int32_t)(x >> 3) - (1 << 27);
        b[i] = (int32_t)(x % 2001) - 1000;
        l1[i] = (int64_t)x * 2654435761LL - (1LL << 40);
        l2[i] = (int64_t)(x >> 7);
        u8a[i] = (uint8_t)(x >> 24);
        u8b[i] = (uint8_t)(x >> 9);
        s16a[i] = (int16_t)(x >> 11);
        s16b[i] = (int16_t)(x >> 5);
    }
}

__attribute__((noinline)) static void kernels(int n)
{
    for (int i = 0; i < n; i++) c[i] = a[i] + b[i] * 3;
    mix(c, sizeof c);
    for (int i = 0; i < n; i++) c[i] = (a[i] >> 3) ^ (b[i] << 2);
    mix(c, sizeof c);
    for (int i = 0; i < n; i++) c[i] = a[i] > b[i] ? a[i] : b[i];
    mix(c, sizeof c);
    for (int i = 0; i < n; i++) c[i] = (a[i] & 1) ? -b[i] : b[i] * b[i];
    mix(c, sizeof c);
    for (int i = 0; i < n; i++) u32[i] = (uint32_t)a[i] >> (i & 7);
    mix(u32, sizeof u32);
    for (int i = 0; i < n; i++) l1[i] = l1[i] * 3 + l2[i];
    mix(l1, sizeof l1);
    for (int i = 0; i < n; i++) l2[i] = (int64_t)a[i] * b[i]; /* widening multiply */
    mix(l2, sizeof l2);
    for (int i = 0; i < n; i++) { unsigned s = u8a[i] + u8b[i]; u8c[i] = (uint8_t)(s > 255 ? 255 : s); } /* uqadd */
    mix(u8c, sizeof u8c);
    for (int i = 0; i < n; i++) u8c[i] = (uint8_t)((u8a[i] + u8b[i] + 1) >> 1); /* urhadd */
    mix(u8c, sizeof u8c);
    for (int i = 0; i < n; i++) u8c[i] = u8a[i] > u8b[i] ? (uint8_t)(u8a[i] - u8b[i]) : (uint8_t)(u8b[i] - u8a[i]); /* uabd */
    mix(u8c, sizeof u8c);
    for (int i = 0; i < n; i++) u16[i] = (uint16_t)(u8a[i] * u8b[i]); /* umull */
    mix(u16, sizeof u16);
    for (int i = 0; i < n; i++) {
        int v = s16a[i] + s16b[i];
        s16a[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v); /* sqadd */
    }
    mix(s16a, sizeof s16a);
    for (int i = 0; i < n; i++) c[i] = s16a[i] * s16b[i] + c[i]; /* smlal */
    mix(c, sizeof c);
    for (int i = 0; i < n; i++) u8c[i] = (uint8_t)(a[i] >> 8); /* narrowing */
    mix(u8c, sizeof u8c);
    for (int i = 0; i < n; i++) c[i] = a[n - 1 - i]; /* reverse */
    mix(c, sizeof c);
    for (int i = 0; i < n / 2; i++) c[i] = a[2 * i] + a[2 * i + 1]; /* de-interleave (ld2) */
    mix(c, sizeof c);
    for (int i = 0; i < n / 3; i++) { c[3 * i] = b[i]; c[3 * i + 1] = -b[i]; c[3 * i + 2] = b[i] * 2; } /* st3 */
    mix(c, sizeof c);
    for (int i = 0; i < n; i++) c[i] = __builtin_popcount((unsigned)a[i]) + __builtin_clz((unsigned)a[i] | 1);
    mix(c, sizeof c);
    for (int i = 0; i < n; i++) c[i] = b[i] / 7; /* division by constant */
    mix(c, sizeof c);
    for (int i = 0; i < n; i++) c[i] = b[i] < 0 ? -b[i] : b[i]; /* abs */
    mix(c, sizeof c);
}

__attribute__((noinline)) static void reductions(int n)
{
    int64_t sum = 0;
    int32_t mn = INT32_MAX, mx = INT32_MIN;
    uint32_t x = 0, o = 0;
    uint32_t bytesum = 0;
    int64_t dot = 0;
    for (int i = 0; i < n; i++) sum += a[i];
    for (int i = 0; i < n; i++) mn = a[i] < mn ? a[i] : mn;
    for (int i = 0; i < n; i++) mx = b[i] > mx ? b[i] : mx;
    for (int i = 0; i < n; i++) x ^= (uint32_t)a[i];
    for (int i = 0; i < n; i++) o |= (uint32_t)b[i] & 0xf0f0;
    for (int i = 0; i < n; i++) bytesum += u8a[i];
    for (int i = 0; i < n; i++) dot += (int64_t)s16a[i] * s16b[i];
    int cnt = 0;
    for (int i = 0; i < n; i++) cnt += a[i] > 0;
    printf("n=%d sum=%lld min=%d max=%d xor=%08x or=%08x bytes=%u dot=%lld pos=%d\n", n, (long long)sum, mn, mx, x,
           o, bytesum, (long long)dot, cnt);
}

int main(void)
{
    static const int sizes[] = { 0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100, 1000, N };
    for (unsigned k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        init(k * 7 + 1);
        memset(c, 0, sizeof c); memset(u8c, 0, sizeof u8c); memset(u16, 0, sizeof u16); memset(u32, 0, sizeof u32);
        kernels(sizes[k]);
        reductions(sizes[k]);
        printf("  hash=%016llx\n", (unsigned long long)h);
    }
    return 0;
}
