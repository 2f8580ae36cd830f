/* Integer loops: xorshift/multiply mixing, data-dependent branches,
 * shifts, 32/64-bit mixes, divisions by constants, over a small array. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

int main(int argc, char **argv)
{
    long scale = argc > 1 ? atol(argv[1]) : 1;
    uint64_t x = 88172645463325252ULL, acc = 0;
    uint32_t tab[1024];
    for (int i = 0; i < 1024; i++) tab[i] = (uint32_t)(i * 2654435761u);
    for (long it = 0; it < 90000000L * scale; it++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        uint32_t lo = (uint32_t)x;
        if (lo & 1) acc += lo / 7;
        else acc ^= (x >> 11) * 3;
        tab[lo & 1023] += (uint32_t)acc;
        acc += tab[(lo >> 10) & 1023] % 1000;
    }
    uint64_t s = 0;
    for (int i = 0; i < 1024; i++) s = s * 31 + tab[i];
    printf("intloop %llu %llu\n", (unsigned long long)acc, (unsigned long long)s);
    return 0;
}
