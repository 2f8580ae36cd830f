/* Character classification and conversion in the C locale for every
 * unsigned char value and EOF; plain char signedness differs between
 * x86-64 (signed) and AArch64 (unsigned), so only explicit types are used. */
#include <stdio.h>
#include <ctype.h>
#include <string.h>
#include <limits.h>

int main(void)
{
    unsigned long h = 0;
    for (int c = -1; c <= 255; c++) {
        int bits = (isalnum(c) ? 1 : 0) | (isalpha(c) ? 2 : 0) | (iscntrl(c) ? 4 : 0) | (isdigit(c) ? 8 : 0) |
                   (isgraph(c) ? 16 : 0) | (islower(c) ? 32 : 0) | (isprint(c) ? 64 : 0) | (ispunct(c) ? 128 : 0) |
                   (isspace(c) ? 256 : 0) | (isupper(c) ? 512 : 0) | (isxdigit(c) ? 1024 : 0) |
                   (isblank(c) ? 2048 : 0);
        h = h * 1000003 + (unsigned long)bits * 7 + (unsigned long)toupper(c) * 3 + (unsigned long)tolower(c);
        if (c >= 0 && c < 128 && c % 8 == 0) printf("c=%3d bits=%04x up=%d lo=%d\n", c, bits, toupper(c), tolower(c));
    }
    printf("ctype hash=%lu\n", h);
    /* explicit signed/unsigned chars */
    signed char sc = (signed char)0xf0;
    unsigned char uc = 0xf0;
    printf("signed char=%d unsigned char=%d SCHAR_MIN=%d UCHAR_MAX=%d\n", sc, uc, SCHAR_MIN, UCHAR_MAX);
    const char *s = "Hello, World! 123 \xc3\xa9t\xc3\xa9";
    char up[64];
    size_t i;
    for (i = 0; s[i]; i++) up[i] = (char)toupper((unsigned char)s[i]);
    up[i] = 0;
    printf("upper=%s\n", up);
    int high = 0;
    for (i = 0; s[i]; i++) high += (unsigned char)s[i] >= 0x80;
    printf("high bytes=%d\n", high);
    /* caesar cipher and rot13 */
    char msg[] = "The Quick Brown Fox Jumps Over The Lazy Dog";
    for (i = 0; msg[i]; i++) {
        unsigned char ch = (unsigned char)msg[i];
        if (isupper(ch)) msg[i] = (char)('A' + (ch - 'A' + 13) % 26);
        else if (islower(ch)) msg[i] = (char)('a' + (ch - 'a' + 13) % 26);
    }
    printf("rot13=%s\n", msg);
    return 0;
}
