/* Mandelbrot set over a 2000x1500 grid with up to 200 iterations: float
 * compares and branches, double arithmetic; prints a checksum of the
 * iteration counts. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

int main(int argc, char **argv)
{
    long scale = argc > 1 ? atol(argv[1]) : 1;
    const int W = 2000, H = 1500, MAXIT = 200;
    uint64_t sum = 0, inside = 0;
    for (long r = 0; r < scale; r++) {
        for (int py = 0; py < H; py++) {
            double ci = -1.2 + 2.4 * py / H;
            for (int px = 0; px < W; px++) {
                double cr = -2.1 + 3.0 * px / W;
                double zr = 0, zi = 0, zr2 = 0, zi2 = 0;
                int it = 0;
                while (it < MAXIT && zr2 + zi2 <= 4.0) {
                    zi = 2 * zr * zi + ci;
                    zr = zr2 - zi2 + cr;
                    zr2 = zr * zr;
                    zi2 = zi * zi;
                    it++;
                }
                sum += (uint64_t)it * (uint64_t)(px ^ py);
                inside += it == MAXIT;
            }
        }
    }
    printf("mandelbrot %llu %llu\n", (unsigned long long)sum, (unsigned long long)inside);
    return 0;
}
