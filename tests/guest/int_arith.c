/* Integer arithmetic: 8/16/32/64-bit add, sub, mul, negation, sign and zero
 * extension, mixed-width expressions, unsigned wrap-around, comparisons. */
#include <stdio.h>
#include <stdint.h>
#include <inttypes.h>

static volatile int64_t vals64[] = {
    0, 1, -1, 2, -2, 7, -7, 127, -128, 255, 256, 32767, -32768, 65535, 65536,
    2147483647LL, -2147483647LL - 1, 4294967295LL, 4294967296LL,
    0x123456789abcdefLL, -0x123456789abcdefLL, INT64_MAX, INT64_MIN,
    0x7fffffff00000000LL, 0x00000000ffffffffLL, 0x5555555555555555LL,
};
#define N (sizeof(vals64) / sizeof(vals64[0]))

static uint64_t mix;
static void fold(uint64_t v) { mix = (mix ^ v) * 0x100000001b3ULL; }

__attribute__((noinline)) static int32_t add32(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
__attribute__((noinline)) static int64_t widen_mul(int32_t a, int32_t b) { return (int64_t)a * b; }
__attribute__((noinline)) static uint64_t uwiden_mul(uint32_t a, uint32_t b) { return (uint64_t)a * b; }
__attribute__((noinline)) static int64_t sext8(int64_t x) { return (int8_t)x; }
__attribute__((noinline)) static int64_t sext16(int64_t x) { return (int16_t)x; }
__attribute__((noinline)) static int64_t sext32(int64_t x) { return (int32_t)x; }
__attribute__((noinline)) static uint64_t zext8(int64_t x) { return (uint8_t)x; }
__attribute__((noinline)) static uint64_t zext16(int64_t x) { return (uint16_t)x; }
__attribute__((noinline)) static uint64_t zext32(int64_t x) { return (uint32_t)x; }

int main(void)
{
    for (unsigned i = 0; i < N; i++) {
        int64_t a = vals64[i];
        printf("%2u: %" PRId64 " sx8=%" PRId64 " sx16=%" PRId64 " sx32=%" PRId64
               " zx8=%" PRIu64 " zx16=%" PRIu64 " zx32=%" PRIu64 "\n",
               i, a, sext8(a), sext16(a), sext32(a), zext8(a), zext16(a), zext32(a));
    }
    for (unsigned i = 0; i < N; i++) {
        for (unsigned j = 0; j < N; j++) {
            uint64_t a = (uint64_t)vals64[i], b = (uint64_t)vals64[j];
            fold(a + b); fold(a - b); fold(a * b); fold(-a); fold(~a & b);
            fold((uint32_t)a + (uint32_t)b);
            fold((uint32_t)a * (uint32_t)b);
            fold((uint64_t)add32((int32_t)a, (int32_t)b));
            fold((uint64_t)widen_mul((int32_t)a, (int32_t)b));
            fold(uwiden_mul((uint32_t)a, (uint32_t)b));
            fold((int64_t)a < (int64_t)b); fold(a < b);
            fold((int32_t)a < (int32_t)b); fold((uint32_t)a < (uint32_t)b);
            fold((int64_t)a == (int64_t)b); fold((int16_t)a <= (int16_t)b);
            fold((uint8_t)a > (uint8_t)b);
            fold((uint64_t)((int64_t)a >> (j % 64)));
            fold(a >> (j % 64)); fold(a << (i % 64));
            fold((uint32_t)a >> (j % 32)); fold((uint64_t)((int32_t)a >> (j % 32)));
            fold((uint32_t)a << (i % 32));
        }
        printf("row %2u mix=%016" PRIx64 "\n", i, mix);
    }
    /* signed 32-bit loop counter used to index (sign extension in address
     * computation), and a countdown with unsigned wrap */
    static int arr[64];
    for (int i = -32; i < 32; i++) arr[i + 32] = i * 3;
    long s = 0;
    for (int i = 63; i >= 0; i--) s += arr[i] * (long)(i - 20);
    unsigned u = 5, cnt = 0;
    while (u-- > 0) cnt += u;
    printf("s=%ld cnt=%u u=%u\n", s, cnt, u);
    /* absolute value, min/max idioms that gcc turns into csel/cneg */
    int64_t acc = 0;
    for (unsigned i = 0; i < N; i++) {
        int64_t a = vals64[i];
        if (a == INT64_MIN) continue;
        int64_t ab = a < 0 ? -a : a;
        acc += ab % 1000;
        int32_t a32 = (int32_t)a;
        if (a32 != INT32_MIN) acc += (a32 < 0 ? -a32 : a32) % 77;
    }
    printf("acc=%" PRId64 "\n", acc);
    return 0;
}
