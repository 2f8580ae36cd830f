/* Table-driven CRC-32 and Adler-32 over a 4 MiB buffer, repeated: byte
 * loads, table lookups, shifts, modulo. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

int main(int argc, char **argv)
{
    long scale = argc > 1 ? atol(argv[1]) : 1;
    static uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    enum { N = 4 << 20 };
    static uint8_t buf[N];
    uint32_t x = 7;
    for (int i = 0; i < N; i++) { x ^= x << 13; x ^= x >> 17; x ^= x << 5; buf[i] = (uint8_t)x; }
    uint32_t crc = 0, a = 1, b = 0;
    for (long r = 0; r < 40 * scale; r++) {
        uint32_t c = ~crc;
        for (int i = 0; i < N; i++) c = table[(c ^ buf[i]) & 0xff] ^ (c >> 8);
        crc = ~c;
        if (r % 8 == 0) {
            for (int i = 0; i < N; i++) { a += buf[i]; if (a >= 65521) a -= 65521; b += a; if (b >= 65521) b -= 65521; }
        }
    }
    printf("crc32 %08x adler %08x\n", crc, (b << 16) | a);
    return 0;
}
