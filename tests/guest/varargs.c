/* Variadic functions: mixed int/long/double/pointer arguments, more
 * arguments than registers, va_copy, passing a va_list down. */
#include <stdio.h>
#include <stdarg.h>
#include <string.h>
#include <stdint.h>

static long sum_ints(int n, ...)
{
    va_list ap;
    va_start(ap, n);
    long s = 0;
    for (int i = 0; i < n; i++) s += va_arg(ap, int);
    va_end(ap);
    return s;
}

static double sum_mixed(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    double s = 0;
    for (const char *p = fmt; *p; p++) {
        switch (*p) {
        case 'i': s += va_arg(ap, int); break;
        case 'l': s += (double)va_arg(ap, long); break;
        case 'u': s += va_arg(ap, unsigned); break;
        case 'd': s += va_arg(ap, double); break;
        case 'f': s += va_arg(ap, double); break; /* float promoted */
        case 's': s += (double)strlen(va_arg(ap, const char *)); break;
        case 'c': s += va_arg(ap, int); break;
        }
    }
    va_end(ap);
    return s;
}

static int vfmt(char *buf, size_t n, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int len1 = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    int len2 = vsnprintf(buf, n, fmt, ap);
    return len1 == len2 ? len1 : -1;
}

static int fmt(char *buf, size_t n, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int r = vfmt(buf, n, f, ap);
    va_end(ap);
    return r;
}

/* walk the list twice with va_copy */
static void twice(int n, ...)
{
    va_list a, b;
    va_start(a, n);
    va_copy(b, a);
    long s1 = 0, s2 = 0;
    for (int i = 0; i < n; i++) s1 += va_arg(a, long);
    for (int i = 0; i < n; i++) s2 += va_arg(b, long) * (i + 1);
    va_end(a);
    va_end(b);
    printf("twice: %ld %ld\n", s1, s2);
}

struct pair { int a; double b; };
static double struct_args(int n, ...)
{
    va_list ap;
    va_start(ap, n);
    double s = 0;
    for (int i = 0; i < n; i++) { struct pair p = va_arg(ap, struct pair); s += p.a * p.b; }
    va_end(ap);
    return s;
}

int main(void)
{
    printf("sum_ints: %ld %ld %ld\n", sum_ints(0), sum_ints(3, 1, 2, 3),
           sum_ints(20, 1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12, 13, -14, 15, -16, 17, -18, 19, 1000));
    printf("sum_mixed: %.6f\n", sum_mixed("idlufsc", 1, 2.5, -3L, 4u, 0.25f, "hello", 'A'));
    printf("sum_mixed many: %.6f\n",
           sum_mixed("dddddddddddiiiiiiiiiil", 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.5,
                     1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1L << 40));
    char buf[128];
    int r = fmt(buf, sizeof buf, "[%d|%5.2f|%s|%lx|%c]", -42, 3.14159, "str", 0xdeadbeefUL, 'z');
    printf("fmt=%d %s\n", r, buf);
    r = fmt(buf, 10, "%s-%s-%s", "abcdef", "ghijkl", "mnopqr");
    printf("fmt trunc=%d %s\n", r, buf);
    twice(5, 10L, 20L, 30L, 40L, 50L);
    twice(12, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L);
    struct pair p1 = { 3, 1.5 }, p2 = { -2, 0.25 }, p3 = { 10, 10.0 };
    printf("struct_args=%g\n", struct_args(3, p1, p2, p3));
    return 0;
}
