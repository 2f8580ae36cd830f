/* Division and remainder: signed/unsigned, 32/64-bit, by variables and by
 * constants (which gcc turns into multiply-high sequences), avoiding the
 * undefined cases (x/0 and MIN/-1). */
#include <stdio.h>
#include <stdint.h>
#include <inttypes.h>

static volatile int64_t nums[] = {
    0, 1, -1, 2, -2, 3, -3, 7, -7, 10, -10, 99, -99, 1000, -1000, 65535, -65536,
    2147483647LL, -2147483647LL - 1, 4294967295LL, 1LL << 40, -(1LL << 40),
    INT64_MAX, INT64_MIN, 0x123456789abcdefLL, -987654321987LL,
};
static volatile int64_t dens[] = {
    1, -1, 2, -2, 3, -3, 5, 7, -7, 10, 16, -16, 60, 100, 255, 1000, 65536,
    1000000007LL, -2147483647LL - 1, 4294967296LL, INT64_MAX, INT64_MIN,
};
#define NN (sizeof(nums) / sizeof(nums[0]))
#define ND (sizeof(dens) / sizeof(dens[0]))

static uint64_t h = 1469598103934665603ULL;
static void fold(uint64_t v) { h = (h ^ v) * 1099511628211ULL; }

#define CONSTDIV(k) do { \
    fold((uint64_t)(a / (k))); fold((uint64_t)(a % (k))); \
    fold(ua / (uint64_t)(k)); fold(ua % (uint64_t)(k)); \
    fold((uint64_t)(int64_t)(a32 / (k))); fold((uint64_t)(int64_t)(a32 % (k))); \
    fold(ua32 / (uint32_t)(k)); fold(ua32 % (uint32_t)(k)); \
} while (0)

int main(void)
{
    for (unsigned i = 0; i < NN; i++) {
        int64_t a = nums[i];
        uint64_t ua = (uint64_t)a;
        int32_t a32 = (int32_t)a;
        uint32_t ua32 = (uint32_t)a;
        for (unsigned j = 0; j < ND; j++) {
            int64_t d = dens[j];
            if (!(a == INT64_MIN && d == -1)) {
                fold((uint64_t)(a / d)); fold((uint64_t)(a % d));
            }
            fold(ua / (uint64_t)d); fold(ua % (uint64_t)d);
            int32_t d32 = (int32_t)d;
            if (d32 != 0 && !(a32 == INT32_MIN && d32 == -1)) {
                fold((uint64_t)(int64_t)(a32 / d32)); fold((uint64_t)(int64_t)(a32 % d32));
            }
            if ((uint32_t)d != 0) {
                fold(ua32 / (uint32_t)d); fold(ua32 % (uint32_t)d);
            }
        }
        CONSTDIV(3); CONSTDIV(5); CONSTDIV(7); CONSTDIV(10); CONSTDIV(16);
        CONSTDIV(60); CONSTDIV(100); CONSTDIV(641); CONSTDIV(1000);
        CONSTDIV(86400); CONSTDIV(1000000); CONSTDIV(1000000007);
        printf("%-22" PRId64 " /7=%" PRId64 " %%7=%" PRId64 " u/10=%" PRIu64
               " 32:/3=%d %%3=%d u32/1000=%u h=%016" PRIx64 "\n",
               a, a / 7, a % 7, ua / 10, a32 / 3, a32 % 3, ua32 / 1000, h);
    }
    /* long division digit printing, as printf would do */
    uint64_t v = 18446744073709551615ULL;
    char buf[32]; int n = 0;
    do { buf[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    printf("digits: ");
    while (n) putchar(buf[--n]);
    putchar('\n');
    /* gcd / modular exponentiation */
    uint64_t g1 = 1071, g2 = 462;
    while (g2) { uint64_t t = g1 % g2; g1 = g2; g2 = t; }
    uint64_t base = 7, e = 1000003, m = 1000000007, r = 1;
    while (e) { if (e & 1) r = r * base % m; base = base * base % m; e >>= 1; }
    printf("gcd=%" PRIu64 " powmod=%" PRIu64 "\n", g1, r);
    return 0;
}
