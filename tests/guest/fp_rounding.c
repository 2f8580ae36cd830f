/* Rounding: fesetround in all four modes applied to arithmetic, sqrt, fma,
 * conversions and rint/nearbyint/lrint/llrint; plus round/trunc/floor/ceil
 * and fma's single rounding. Without -frounding-math gcc may assume
 * round-to-nearest (folding, CSE, frintn for rint), so it is compiled with it. */
// guest-cflags: -frounding-math
#include <stdio.h>
#include <fenv.h>
#include <math.h>
#include <string.h>
#include <stdint.h>

static const struct { int mode; const char *name; } modes[] = {
    { FE_TONEAREST, "nearest" }, { FE_UPWARD, "upward" },
    { FE_DOWNWARD, "downward" }, { FE_TOWARDZERO, "towardzero" },
};

static volatile double one = 1.0, three = 3.0, ten = 10.0, big = 1e16, tiny = 1e-300, ntiny = -1e-300;
static volatile double halves[] = { 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, -2.5001, 1e15 + 0.5, 0.49999999999999994 };
static volatile long long big_int = 9007199254740993LL; /* 2^53 + 1 */

int main(void)
{
    for (unsigned m = 0; m < 4; m++) {
        if (fesetround(modes[m].mode) != 0) { printf("fesetround failed\n"); return 1; }
        printf("[%s] getround-ok=%d\n", modes[m].name, fegetround() == modes[m].mode);
        double q = one / three, nq = -one / three;
        float qf = (float)one / (float)three;
        printf("  1/3=%a -1/3=%a f=%a\n", q, nq, (double)qf);
        printf("  sqrt(2)=%a sqrt(3)=%a sqrtf(10)=%a\n", sqrt(2.0 * one), sqrt(three), (double)sqrtf((float)ten));
        printf("  big+1=%a big-1=%a tiny*tiny=%a -tiny*tiny=%a\n", big + one, big - one, tiny * tiny, ntiny * tiny);
        printf("  fma(1/3,3,-1)=%a (1/3*3-1)=%a\n", fma(q, three, -one), q * three - one);
        printf("  (double)2^53+1=%a (float)(1/3)=%a\n", (double)big_int, (double)(float)q);
        printf("  (float)16777217=%a\n", (double)(float)(big_int / 536870912LL * 0 + 16777217LL));
        for (unsigned i = 0; i < sizeof(halves) / sizeof(halves[0]); i++) {
            double h = halves[i];
            printf("  %.17g: rint=%g nearbyint=%g lrint=%ld llrint=%lld rintf=%g\n", h, rint(h), nearbyint(h),
                   lrint(h), llrint(h), (double)rintf((float)h));
        }
        /* a sum whose last bits depend on the rounding mode */
        double s = 0;
        for (int i = 1; i <= 1000; i++) s += one / i;
        printf("  H(1000)=%a\n", s);
    }
    fesetround(FE_TONEAREST);
    for (unsigned i = 0; i < sizeof(halves) / sizeof(halves[0]); i++) {
        double h = halves[i];
        printf("%.17g: round=%g trunc=%g floor=%g ceil=%g lround=%ld roundf=%g\n", h, round(h), trunc(h), floor(h),
               ceil(h), lround(h), (double)roundf((float)h));
    }
    /* fma single rounding: a*b+c exact vs rounded product */
    double a = 1.0 + 0x1p-30, b = 1.0 - 0x1p-30;
    printf("fma exact=%a split=%a\n", fma(a, b, -1.0), a * b - 1.0);
    float af = 1.0f + 0x1p-12f, bf = 1.0f - 0x1p-12f;
    printf("fmaf exact=%a split=%a\n", (double)fmaf(af, bf, -1.0f), (double)(af * bf - 1.0f));
    printf("fma(-0,0,-0)=%a fma(inf,2,1)=%a\n", fma(-0.0, 0.0, -0.0), fma(INFINITY, 2, 1));
    return 0;
}
