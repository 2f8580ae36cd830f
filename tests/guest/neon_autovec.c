// guest-cflags-arm: -O3 -mfpu=neon -funsafe-math-optimizations
/* Loops a compiler vectorizes: on armhf this is built at -O3 with NEON
 * (and -funsafe-math-optimizations, without which GCC keeps float loops
 * scalar, NEON not being IEEE), elsewhere it is plain C. Integer loops of
 * every element size (add, multiply, shifts, saturating-like clamps,
 * min/max, widening sums, byte shuffles), float loops (element-wise
 * multiply-add, min/max, conversions) with values that stay normal, so
 * every build prints the same. */
#include <stdint.h>
#include <stdio.h>

#define N 1003

static uint8_t u8a[N], u8b[N], u8c[N];
static int16_t s16a[N], s16b[N], s16c[N];
static int32_t s32a[N], s32b[N], s32c[N];
static uint32_t u32c[N];
static int64_t s64a[N];
static float fa[N], fb[N], fc[N];

static uint64_t hash;
static void mix(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        hash = (hash ^ b[i]) * 0x100000001b3ULL;
}

__attribute__((noinline)) static void int_loops(int round)
{
    for (int i = 0; i < N; i++)
        u8c[i] = (uint8_t)(u8a[i] + u8b[i] * 3);
    mix(u8c, sizeof u8c);
    for (int i = 0; i < N; i++) {
        int v = u8a[i] + u8b[i];
        u8c[i] = v > 255 ? 255 : (uint8_t)v;
    }
    mix(u8c, sizeof u8c);
    for (int i = 0; i < N; i++)
        u8c[i] = (uint8_t)((u8a[i] + u8b[i] + 1) >> 1);
    mix(u8c, sizeof u8c);
    for (int i = 0; i < N; i++)
        u8c[i] = u8a[i] > u8b[i] ? u8a[i] - u8b[i] : u8b[i] - u8a[i];
    mix(u8c, sizeof u8c);
    for (int i = 0; i < N; i++)
        s16c[i] = (int16_t)((s16a[i] * s16b[i]) >> 7);
    mix(s16c, sizeof s16c);
    for (int i = 0; i < N; i++)
        s16c[i] = s16a[i] < s16b[i] ? s16a[i] : s16b[i];
    mix(s16c, sizeof s16c);
    for (int i = 0; i < N; i++)
        s32c[i] = s32a[i] * s32b[i] + (s32a[i] >> 3) - (s32b[i] << 2);
    mix(s32c, sizeof s32c);
    for (int i = 0; i < N; i++)
        s32c[i] = (int32_t)s16a[i] * s16b[i];
    mix(s32c, sizeof s32c);
    for (int i = 0; i < N; i++)
        u32c[i] = (uint32_t)s32a[i] >> (i & 7);
    mix(u32c, sizeof u32c);
    for (int i = 0; i < N; i++)
        s64a[i] += (int64_t)s32a[i] * round;
    mix(s64a, sizeof s64a);
    int32_t sum = 0;
    for (int i = 0; i < N; i++)
        sum += u8a[i] * s16b[i];
    uint32_t bytes = 0;
    for (int i = 0; i < N; i++)
        bytes += u8c[i];
    int16_t mx = -32768;
    for (int i = 0; i < N; i++)
        mx = s16a[i] > mx ? s16a[i] : mx;
    for (int i = 0; i < N / 2; i++) {
        u8c[2 * i] = u8a[2 * i + 1];
        u8c[2 * i + 1] = u8a[2 * i];
    }
    mix(u8c, sizeof u8c);
    printf("int round %d: hash %016llx sum %ld bytes %lu max %d\n", round,
           (unsigned long long)hash, (long)sum, (unsigned long)bytes, mx);
}

__attribute__((noinline)) static void float_loops(int round)
{
    for (int i = 0; i < N; i++)
        fc[i] = fa[i] * fb[i] + fc[i];
    mix(fc, sizeof fc);
    for (int i = 0; i < N; i++)
        fc[i] = fa[i] * 0.5f - fb[i];
    mix(fc, sizeof fc);
    for (int i = 0; i < N; i++)
        fc[i] = fa[i] > fb[i] ? fa[i] : fb[i];
    mix(fc, sizeof fc);
    for (int i = 0; i < N; i++)
        fc[i] = (float)s32a[i] * 0.25f;
    mix(fc, sizeof fc);
    for (int i = 0; i < N; i++)
        s32c[i] = (int32_t)(fa[i] * 3.0f);
    mix(s32c, sizeof s32c);
    for (int i = 0; i < N; i++)
        fc[i] = fa[i] < 0.0f ? -fa[i] : fa[i];
    mix(fc, sizeof fc);
    printf("float round %d: hash %016llx c[7] %a c[500] %a\n", round,
           (unsigned long long)hash, fc[7], fc[500]);
}

int main(void)
{
    uint32_t x = 12345;
    for (int i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        u8a[i] = (uint8_t)(x >> 16);
        u8b[i] = (uint8_t)(x >> 24);
        s16a[i] = (int16_t)(x >> 8);
        s16b[i] = (int16_t)(x >> 13);
        s32a[i] = (int32_t)(x ^ (x << 7)) >> 4;
        s32b[i] = (int32_t)(x >> 3) - 0x10000000;
        fa[i] = (float)(int)(x % 20001u - 10000u) / 64.0f;
        fb[i] = (float)(int)((x >> 9) % 2001u - 1000u) / 16.0f;
        fc[i] = 1.0f;
    }
    for (int r = 0; r < 3; r++) {
        int_loops(r);
        float_loops(r);
    }
    return 0;
}
