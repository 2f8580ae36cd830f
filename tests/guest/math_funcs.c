/* libm: transcendental functions printed to 10 significant digits (the
 * last ulp may legitimately differ between libm implementations), and
 * exactly-specified functions (frexp, ldexp, modf, fmod, remainder,
 * copysign, nextafter, hypot of exact cases, ilogb, scalbn) printed exactly. */
#include <stdio.h>
#include <math.h>

static volatile double xs[] = { 0.0, 0.001, 0.1, 0.5, 1.0, 1.5, 2.0, 3.0, 10.0, 100.0, 1234.5678, -0.75, -2.0, -10.0 };
#define NX (sizeof(xs) / sizeof(xs[0]))

static void p10(const char *name, double v)
{
    if (isnan(v)) printf(" %s=nan", name);
    else printf(" %s=%.10g", name, v);
}

int main(void)
{
    for (unsigned i = 0; i < NX; i++) {
        double x = xs[i];
        printf("x=%g:", x);
        p10("sin", sin(x)); p10("cos", cos(x)); p10("tan", tan(x)); p10("atan", atan(x));
        p10("exp", exp(x)); p10("expm1", expm1(x)); p10("exp2", exp2(x));
        p10("sinh", sinh(x)); p10("cosh", cosh(x)); p10("tanh", tanh(x)); p10("asinh", asinh(x));
        p10("cbrt", cbrt(x)); p10("erf", erf(x)); p10("atan2", atan2(x, 1.5));
        if (x > 0) { p10("log", log(x)); p10("log10", log10(x)); p10("log2", log2(x)); p10("log1p", log1p(x)); p10("sqrt", sqrt(x)); p10("lgamma", lgamma(x)); p10("tgamma", tgamma(x)); p10("acosh", acosh(x + 1)); }
        if (fabs(x) <= 1) { p10("asin", asin(x)); p10("acos", acos(x)); p10("atanh", x != 1 ? atanh(x) : 0); }
        p10("pow2.5", pow(fabs(x), 2.5)); p10("powx", pow(1.5, x));
        printf("\n");
    }
    for (unsigned i = 0; i < NX; i++) {
        float x = (float)xs[i];
        printf("f x=%g:", (double)x);
        p10("sinf", sinf(x)); p10("cosf", cosf(x)); p10("expf", expf(x)); p10("atanf", atanf(x));
        if (x > 0) { p10("logf", logf(x)); p10("powf", powf(x, 1.25f)); }
        printf("\n");
    }
    /* exactly specified functions */
    double vals[] = { 0.0, 1.0, -3.75, 1024.5, 1e-310, 6.02214076e23, 0.1 };
    for (unsigned i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        double v = vals[i];
        int e;
        double m = frexp(v, &e);
        double ip, fp = modf(v, &ip);
        printf("v=%a frexp=%a,%d ldexp=%a modf=%a,%a ilogb=%d logb=%a scalbn=%a\n", v, m, e, ldexp(v, 7), fp, ip,
               v != 0 ? ilogb(v) : 0, v != 0 ? logb(v) : 0.0, scalbn(v, -3));
        printf("  fmod=%a remainder=%a remquo=%a copysign=%a nextup=%a nextdown=%a\n", fmod(v, 0.75),
               remainder(v, 0.75), (double)0, copysign(v, -1.0), nextafter(v, INFINITY), nextafter(v, -INFINITY));
        printf("  floor=%a ceil=%a round=%a trunc=%a fabs=%a fdim=%a\n", floor(v), ceil(v), round(v), trunc(v),
               fabs(-v), fdim(v, 1.0));
    }
    int quo;
    double r = remquo(29.0, 3.0, &quo);
    printf("remquo(29,3)=%a quo&7=%d\n", r, quo & 7);
    printf("hypot(3,4)=%a hypot(5,12)=%a sqrt(2^-1074)=%a\n", hypot(3, 4), hypot(5, 12), sqrt(0x1p-1074));
    printf("pow exact: %a %a %a %a\n", pow(2, 10), pow(-2, 3), pow(4, 0.5), pow(10, -2) * 100);
    printf("special: %g %g %g %g %d %d\n", exp(-1000.0), atan(INFINITY) * 2 / M_PI, pow(0.0, 0.0), cbrt(-27.0),
           isinf(log(0.0)), isnan(acos(2.0)));
    /* a numerical integration loop: many sin/exp calls, printed coarsely */
    double acc = 0;
    for (int i = 0; i < 20000; i++) {
        double t = i * 1e-4;
        acc += sin(t) * exp(-t) * 1e-4;
    }
    printf("integral=%.8f\n", acc);
    return 0;
}
