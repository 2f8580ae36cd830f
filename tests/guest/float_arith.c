/* float and double arithmetic: + - * / sqrt, comparisons, min/max, abs/neg,
 * conversions between float, double and integers, subnormals, infinities,
 * and printing with %f %e %g %a. fmin/fmax of +0/-0 may return either zero,
 * so their results are canonicalised with + 0.0. NaNs are only tested, never printed (the
 * default NaN's sign differs between architectures). */
#include <stdio.h>
#include <math.h>
#include <float.h>
#include <stdint.h>
#include <string.h>

static volatile double dv[] = {
    0.0, -0.0, 1.0, -1.0, 0.1, -0.3, 3.141592653589793, 2.718281828459045, 1e10, -1e-10,
    123456789.125, 1.0 / 3.0, 1e308, 4.9e-324, 2.2250738585072014e-308, 0.5, 1e-5, 65504.0,
};
static volatile float fv[] = { 0.0f, -0.0f, 1.0f, -2.5f, 0.1f, 3.4028235e38f, 1.17549435e-38f, 1.4e-45f, 1e-3f, 16777217.0f, 7.0f };
#define ND (sizeof(dv) / sizeof(dv[0]))
#define NF (sizeof(fv) / sizeof(fv[0]))

static uint64_t dbits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

/* print a double: NaN as "nan" regardless of sign/payload */
static void pd(const char *name, double d)
{
    if (isnan(d)) printf(" %s=nan", name);
    else printf(" %s=%a", name, d);
}

int main(void)
{
    for (unsigned i = 0; i < ND; i++) {
        double a = dv[i];
        printf("%-3u %.17g %e %f %g %a bits=%016llx\n", i, a, a, a, a, a, (unsigned long long)dbits(a));
    }
    for (unsigned i = 0; i < NF; i++) {
        float a = fv[i];
        printf("f%-2u %.9g %e %a bits=%08x as_double=%.17g\n", i, a, a, a, fbits(a), (double)a);
    }
    unsigned long long h = 0;
    for (unsigned i = 0; i < ND; i++)
        for (unsigned j = 0; j < ND; j++) {
            double a = dv[i], b = dv[j];
            double r[] = { a + b, a - b, a * b, a / b, fmin(a, b) + 0.0, fmax(a, b) + 0.0, fabs(a) - b, -a * b };
            for (unsigned k = 0; k < 8; k++) h = h * 1099511628211ULL ^ (isnan(r[k]) ? 0x7ff8ULL : dbits(r[k]));
            h = h * 31 + (a < b) + 2 * (a <= b) + 4 * (a == b) + 8 * (a != b) + 16 * isless(a, b) + 32 * isunordered(a, b);
        }
    printf("double op hash=%016llx\n", h);
    h = 0;
    for (unsigned i = 0; i < NF; i++)
        for (unsigned j = 0; j < NF; j++) {
            float a = fv[i], b = fv[j];
            float r[] = { a + b, a - b, a * b, a / b, fminf(a, b) + 0.0f, fmaxf(a, b) + 0.0f, sqrtf(fabsf(a)) };
            for (unsigned k = 0; k < 7; k++) h = h * 1099511628211ULL ^ (isnan(r[k]) ? 0x7fc0ULL : fbits(r[k]));
        }
    printf("float op hash=%016llx\n", h);

    double x = 1.0;
    for (int i = 0; i < 1100; i++) x /= 2;
    printf("underflow to zero: %g\n", x);
    double y = 1.0;
    for (int i = 0; i < 1074; i++) y /= 2;
    printf("min subnormal: %a %g\n", y, y);
    printf("inf: %f %e %g %a %F\n", HUGE_VAL, -HUGE_VAL, INFINITY, (double)INFINITY, -INFINITY);
    volatile double zero = 0.0, inf = INFINITY;
    double nn = zero / zero;
    printf("isnan(0/0)=%d isnan(inf-inf)=%d isinf(1/0)=%d signbit(-0.0)=%d\n",
           isnan(nn), isnan(inf - inf), isinf(1.0 / zero), signbit(-zero) != 0);
    pd("sqrt2", sqrt(2.0)); pd("sqrtf2", sqrtf(2.0f)); pd("sqrt_neg", sqrt(-zero - 1));
    printf("\n");
    printf("consts: %a %a %a %a %a %a\n", DBL_MAX, DBL_MIN, DBL_EPSILON, (double)FLT_MAX, (double)FLT_MIN, (double)FLT_EPSILON);

    /* integer <-> floating conversions within range */
    long long ints[] = { 0, 1, -1, 16777217, -16777217, 9007199254740993LL, -9007199254740993LL,
                         INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, 123456789012345LL };
    for (unsigned i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        volatile long long v = ints[i];
        volatile unsigned long long uv = (unsigned long long)ints[i];
        printf("int %lld -> d=%.17g f=%.9g ud=%.17g uf=%.9g i32d=%.17g\n", v, (double)v, (float)v,
               (double)uv, (float)uv, (double)(int)v);
    }
    double ds[] = { 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 1e9, -1e9, 4294967295.0, 1e18, -1e18, 0.999999, -0.999999, 12345.678 };
    for (unsigned i = 0; i < sizeof(ds) / sizeof(ds[0]); i++) {
        volatile double d = ds[i];
        long long ll = (long long)d;
        int in = (fabs(d) < 2147483648.0) ? (int)d : 0;
        unsigned long long ull = d >= 0 ? (unsigned long long)d : 0;
        unsigned uin = (d >= 0 && d < 4294967296.0) ? (unsigned)d : 0;
        float f = (float)d;
        printf("dbl %g -> ll=%lld i=%d ull=%llu u=%u f=%a back=%a\n", d, ll, in, ull, uin, (double)f, (double)(float)(double)f);
    }
    /* summation order matters: keep it sequential */
    double s = 0, c = 0;
    float sf = 0;
    for (int i = 1; i <= 100000; i++) {
        s += 1.0 / i;
        sf += 1.0f / (float)i;
        double t = 1.0 / ((double)i * i);
        double yk = t - c, tk = s + yk;
        c = (tk - s) - yk;
        (void)tk;
    }
    printf("harmonic=%.17g float=%.9g c=%a\n", s, sf, c);
    return 0;
}
