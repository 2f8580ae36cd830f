/* Parsing: strtol/strtoul/strtoll/strtoull in several bases with end
 * pointers and ERANGE, strtod/strtof (decimal, hex, inf/nan, subnormal,
 * overflow), atoi/atol/atof, sscanf with many conversions. */
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <math.h>
#include <string.h>

static void show_l(const char *s, int base)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, base);
    int e = errno;
    errno = 0;
    unsigned long uv = strtoul(s, NULL, base);
    int ue = errno;
    printf("strtol(\"%s\",%d)=%ld end=+%td erange=%d | strtoul=%lu erange=%d\n", s, base, v, end - s, e == ERANGE,
           uv, ue == ERANGE);
}

static void show_d(const char *s)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    int e = errno;
    float f = strtof(s, NULL);
    if (isnan(d))
        printf("strtod(\"%s\")=nan end=+%td\n", s, end - s);
    else
        printf("strtod(\"%s\")=%a (%.17g) end=+%td erange=%d strtof=%a\n", s, d, d, end - s, e == ERANGE, (double)f);
}

int main(void)
{
    const char *ls[] = { "0", "42", "-42", "  +17xyz", "0x1F", "0X1f", "077", "0b101", "z", "", "-",
                         "9223372036854775807", "9223372036854775808", "-9223372036854775808",
                         "-9223372036854775809", "18446744073709551615", "18446744073709551616", "  -1" };
    int bases[] = { 10, 0, 16, 8, 2, 36 };
    for (unsigned i = 0; i < sizeof(ls) / sizeof(ls[0]); i++)
        for (unsigned b = 0; b < sizeof(bases) / sizeof(bases[0]); b++)
            if (b < 2 || i % 3 == 0) show_l(ls[i], bases[b]);
    errno = 0;
    long long ll = strtoll("-123456789012345678", NULL, 10);
    unsigned long long ull = strtoull("ffffffffffffffff", NULL, 16);
    printf("strtoll=%lld strtoull=%llx errno=%d\n", ll, ull, errno);
    printf("atoi=%d atol=%ld atoll=%lld atof=%g\n", atoi("  -314abc"), atol("2147483648"), atoll("-77"), atof("2.5e3"));

    const char *ds[] = { "0", "-0", "1", "3.14159", "  -2.5e-3rest", "1e308", "1e309", "-1e309", "1e-320", "1e-400",
                         "0x1.8p1", "0X.1P-2", "inf", "-Infinity", "nan", "nan(123)", ".5", "5.", "e5", "1e",
                         "123456789012345678901234567890", "0.1", "2.2250738585072011e-308", "4.9406564584124654e-324",
                         "1.7976931348623157e308", "1.7976931348623159e308", "0x1p-1074", "  +.25E+2x" };
    for (unsigned i = 0; i < sizeof(ds) / sizeof(ds[0]); i++) show_d(ds[i]);

    int a, b, n;
    unsigned u;
    long l;
    double d;
    float f;
    char word[32], rest[32], c;
    int r = sscanf("12 34 hello 3.5 0x1f -9 x tail", "%d %d %31s %lf %x %ld %c %31s", &a, &b, word, &d, &u, &l, &c, rest);
    printf("sscanf r=%d a=%d b=%d word=%s d=%g u=%u l=%ld c=%c rest=%s\n", r, a, b, word, d, u, l, c, rest);
    r = sscanf("key=value;42", "%31[^=]=%31[^;];%d%n", word, rest, &a, &n);
    printf("sscanf sets r=%d key=%s val=%s num=%d n=%d\n", r, word, rest, a, n);
    r = sscanf("2024-03-15T10:20:30", "%4d-%2d-%2dT%d:%d:%d", &a, &b, &n, (int *)&u, (int *)&l, (int *)&c);
    printf("sscanf date r=%d %d %d %d\n", r, a, b, n);
    r = sscanf("   1.25e2 -0x10 077", "%f %i %i", &f, &a, &b);
    printf("sscanf f r=%d f=%g a=%d b=%d\n", r, (double)f, a, b);
    r = sscanf("abc", "%d", &a);
    printf("sscanf fail r=%d\n", r);
    r = sscanf("", "%d", &a);
    printf("sscanf empty r=%d\n", r);
    r = sscanf("100 200", "%*d %d", &a);
    printf("sscanf skip r=%d a=%d\n", r, a);
    unsigned char hh; short hs; long long lll;
    r = sscanf("255 -300 -9000000000", "%hhu %hd %lld", &hh, &hs, &lll);
    printf("sscanf sizes r=%d %u %d %lld\n", r, hh, hs, lll);
    return 0;
}
