/* printf: every conversion specifier with flags, field widths, precisions
 * (also via *), and length modifiers; snprintf truncation; %n. */
#include <stdio.h>
#include <stdint.h>
#include <stddef.h>
#include <inttypes.h>
#include <limits.h>

int main(void)
{
    int n1 = 0, n2 = 0;
    printf("d: [%d] [%5d] [%-5d] [%05d] [%+d] [% d] [%.3d] [%8.3d] [%-+8.3d] [%d]\n", 42, 42, 42, 42, 42, 42, 7, -7, 7, INT_MIN);
    printf("i: [%i] [%i] [%'d]\n", -17, INT_MAX, 1234);
    printf("u: [%u] [%10u] [%-10u|] [%u]\n", 0u, 3000000000u, 17u, UINT_MAX);
    printf("o: [%o] [%#o] [%#o] [%08o] [%.5o]\n", 8u, 8u, 0u, 511u, 9u);
    printf("x: [%x] [%X] [%#x] [%#X] [%08x] [%#010x] [%.6x] [%#x]\n", 255u, 255u, 255u, 255u, 0xbeefu, 0xbeefu, 0xabu, 0u);
    printf("c: [%c] [%3c] [%-3c] [%c]\n", 'a', 'b', 'c', 65);
    printf("s: [%s] [%10s] [%-10s] [%.3s] [%10.2s] [%s]\n", "hello", "right", "left", "truncate", "xy-z", "");
    printf("hh/h: [%hhd] [%hhu] [%hhx] [%hd] [%hu] [%hx]\n", (signed char)-1, (unsigned char)200, (unsigned char)0xab,
           (short)-30000, (unsigned short)60000, (unsigned short)0xfffe);
    printf("l/ll: [%ld] [%lu] [%lx] [%lld] [%llu] [%llX] [%lo]\n", LONG_MIN, ULONG_MAX, 0xdeadbeefUL, LLONG_MIN,
           ULLONG_MAX, 0xabcdefULL, 01234567UL);
    printf("j/z/t: [%jd] [%ju] [%zu] [%zd] [%td] [%zx]\n", (intmax_t)-5, (uintmax_t)5, (size_t)123456, (ssize_t)-1,
           (ptrdiff_t)-99, (size_t)0xfff);
    printf("inttypes: [%" PRId8 "] [%" PRIu16 "] [%" PRIx32 "] [%" PRId64 "] [%" PRIuMAX "]\n", (int8_t)-8, (uint16_t)65535,
           (uint32_t)0xc0ffee, INT64_MIN, UINTMAX_MAX);
    double vals[] = { 0.0, -0.0, 1.0, -1.5, 3.14159265358979, 1e-7, 123456789.0, 1e21, 0.000123456, 2.5, 1e100, 5e-324 };
    for (unsigned i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        double v = vals[i];
        printf("f: [%f] [%.0f] [%.2f] [%10.3f] [%-10.1f|] [%+.1f] [%#.0f] [%010.2f]\n", v, v, v, v, v, v, v, v);
        printf("e: [%e] [%.0e] [%.3E] [%12.2e] [%#.0e]\n", v, v, v, v, v);
        printf("g: [%g] [%.0g] [%.10g] [%G] [%#g] [%-12g|] [%+g]\n", v, v, v, v, v, v, v);
        printf("a: [%a] [%A] [%.2a] [%.0a] [%20a]\n", v, v, v, v, v);
    }
    printf("F: [%F] [%F] [%e] [%g]\n", 1.0 / 0.0 > 0 ? __builtin_inf() : 0, -__builtin_inf(), __builtin_inf(), -__builtin_inf());
    printf("float: [%f] [%g] [%a]\n", (double)0.1f, (double)3.4028235e38f, (double)1.0e-40f);
    printf("star: [%*d] [%-*d] [%.*f] [%*.*s] [%*d]\n", 6, 42, 6, 42, 3, 2.0 / 3.0, 8, 3, "abcdef", -6, 1);
    printf("pos: [%2$s %1$s] [%3$*4$d]\n", "world", "hello", 5, 4);
    printf("count:%n [%s]%n\n", &n1, "abc", &n2);
    printf("n1=%d n2=%d\n", n1, n2);
    printf("percent: [%%] [%c]\n", 0x25);
    char buf[16];
    int r = snprintf(buf, sizeof buf, "%s-%d-%f", "truncation", 12345, 6.5);
    printf("snprintf r=%d buf=[%s]\n", r, buf);
    r = snprintf(NULL, 0, "%0*d", 40, 7);
    printf("snprintf NULL r=%d\n", r);
    char big[512];
    r = sprintf(big, "%-100s|%300.250f", "pad", 1.0 / 7.0);
    printf("sprintf long r=%d tail=[%s]\n", r, big + r - 20);
    long double_digits = 0;
    for (int i = 0; i < 1000; i++) {
        char t[64];
        double_digits += snprintf(t, sizeof t, "%.17g", (double)i / 7.0 + i * 1e10);
    }
    printf("digits total=%ld\n", double_digits);
    /* fprintf to stdout and puts/putchar/fputs interleaving */
    fprintf(stdout, "fprintf %d\n", 1);
    puts("puts line");
    fputs("fputs line\n", stdout);
    putchar('!'); putchar('\n');
    fwrite("fwrite\n", 1, 7, stdout);
    return 0;
}
