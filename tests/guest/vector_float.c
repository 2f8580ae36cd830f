/* Floating-point loops that gcc -O3 autovectorizes: elementwise + - * /,
 * sqrt, fabs, min/max via compares, int<->float conversions, float<->double
 * widening/narrowing, saxpy, stencils. Sums are written so they stay
 * sequential (no -ffast-math), so results are exactly reproducible. */
#include <stdio.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define N 2051
static float fa[N], fb[N], fc[N];
static double da[N], db[N], dc[N];
static int32_t ia[N];

static uint64_t h = 1;
static void mixf(const float *p, int n) { for (int i = 0; i < n; i++) { uint32_t u; memcpy(&u, &p[i], 4); h = h * 6364136223846793005ULL + u; } }
static void mixd(const double *p, int n) { for (int i = 0; i < n; i++) { uint64_t u; memcpy(&u, &p[i], 8); h = h * 6364136223846793005ULL + u; } }

int main(void)
{
    for (int i = 0; i < N; i++) {
        fa[i] = (float)(i % 97) * 0.37f - 11.0f;
        fb[i] = 1.0f + (float)(i % 13) * 0.125f;
        da[i] = (double)(i % 101) * 1.0e-3 + 0.5;
        db[i] = (double)((i * 7) % 89) - 44.5;
        ia[i] = (i * 2654435761u) >> 8;
    }
    static const int sizes[] = { 1, 4, 5, 17, 64, 333, N };
    for (unsigned k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        int n = sizes[k];
        for (int i = 0; i < n; i++) fc[i] = fa[i] * fb[i] + 2.0f;
        mixf(fc, n);
        for (int i = 0; i < n; i++) fc[i] = fa[i] / fb[i];
        mixf(fc, n);
        for (int i = 0; i < n; i++) fc[i] = sqrtf(fb[i] * 3.0f);
        mixf(fc, n);
        for (int i = 0; i < n; i++) fc[i] = fabsf(fa[i]) - fb[i];
        mixf(fc, n);
        for (int i = 0; i < n; i++) fc[i] = fa[i] > fb[i] ? fa[i] : fb[i];
        mixf(fc, n);
        for (int i = 0; i < n; i++) fc[i] = (float)ia[i] * 0.5f;
        mixf(fc, n);
        for (int i = 0; i < n; i++) ia[i] = (int32_t)(fa[i] * 100.0f);
        for (int i = 0; i < n; i++) h = h * 31 + (uint32_t)ia[i];
        for (int i = 0; i < n; i++) dc[i] = da[i] * db[i] - da[i];
        mixd(dc, n);
        for (int i = 0; i < n; i++) dc[i] = sqrt(da[i]) / (db[i] + 100.0);
        mixd(dc, n);
        for (int i = 0; i < n; i++) dc[i] = (double)fa[i] + da[i];
        mixd(dc, n);
        for (int i = 0; i < n; i++) fc[i] = (float)(db[i] * 1.1);
        mixf(fc, n);
        for (int i = 0; i < n; i++) dc[i] = (double)(int64_t)(db[i] * 1000.0);
        mixd(dc, n);
        /* saxpy and a 3-point stencil */
        for (int i = 0; i < n; i++) fb[i] = 0.25f * fa[i] + fb[i];
        mixf(fb, n);
        for (int i = 1; i < n - 1; i++) dc[i] = (da[i - 1] + 2.0 * da[i] + da[i + 1]) * 0.25;
        mixd(dc, n);
        /* sequential reductions */
        float fs = 0; double ds = 0, dmx = -1e300;
        for (int i = 0; i < n; i++) fs += fc[i];
        for (int i = 0; i < n; i++) ds += dc[i] * da[i];
        for (int i = 0; i < n; i++) dmx = dc[i] > dmx ? dc[i] : dmx;
        printf("n=%d fsum=%a dsum=%a dmax=%a hash=%016llx\n", n, (double)fs, ds, dmx, (unsigned long long)h);
        for (int i = 0; i < N; i++) fb[i] = 1.0f + (float)(i % 13) * 0.125f;
    }
    /* matrix multiply, i-k-j order vectorizes the inner loop */
    enum { M = 48 };
    static double A[M][M], B[M][M], C[M][M];
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) { A[i][j] = (i + 2 * j) % 7 - 3; B[i][j] = (3 * i + j) % 5 * 0.5; C[i][j] = 0; }
    for (int i = 0; i < M; i++)
        for (int k = 0; k < M; k++)
            for (int j = 0; j < M; j++) C[i][j] += A[i][k] * B[k][j];
    double tr = 0;
    for (int i = 0; i < M; i++) tr += C[i][i] + C[i][M - 1 - i];
    printf("matmul trace=%g c[5][7]=%g\n", tr, C[5][7]);
    return 0;
}
