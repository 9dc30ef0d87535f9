/* bench_kernels.c: each fast-path kernel alone on one layer's shape, as direct-conv
 * equivalent GFLOP/s (2 x MACs of a plain convolution / time), threads splitting rows as
 * the network does: the AVX-512 kernels and their AVX2 + FMA twins, those the CPU runs.
 * For finding where the time goes; asserts nothing.
 * Usage: bench_kernels [W H]   (LR size, default 480 270) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu.h"
#include "direct_conv.h"
#include "openblas_core.h"
#include "tail_winograd.h"
#include "thread_pool.h"
#include "winograd.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static fmap make_map(int h, int w, int pad, int c)
{
    size_t cols = (size_t)((w + 3) / 4 * 4) + 2 * pad + 4;
    size_t rows = (size_t)((h + 3) / 4 * 4) + 2 * pad + 4;
    fmap m = {aligned_alloc(64, rows * cols * c * sizeof(float)), h, w, pad, c, cols * c};
    memset(m.data, 0, rows * cols * c * sizeof(float));
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int k = 0; k < c; k++)
                fmap_at(&m, y, x)[k] = (float)((y * 31 + x * 7 + k) % 97) / 97.0f;
    return m;
}

typedef struct job {
    const fmap *out, *in;
    const float *U, *w, *bias, *slope;
    float *planes, *scratch;
    size_t per_thread;
    winograd_epilogue ep;
    int cop;
    int avx2; /* the AVX2 + FMA kernels */
} job;

static void wino(void *arg, int b, int e, int t)
{
    job *j = arg;
    float *scratch = j->scratch + j->per_thread * t;
    if (j->avx2)
        winograd_conv3x3_avx2(j->out, j->in, j->U, j->cop, &j->ep, scratch, b, e);
    else
        winograd_conv3x3(j->out, j->in, j->U, j->cop, &j->ep, scratch, b, e);
}

static void tail(void *arg, int b, int e, int t)
{
    job *j = arg;
    if (j->avx2)
        tail_conv9x9_avx2(j->planes, j->in, j->w, j->bias, b, e);
    else
        tail_conv9x9(j->planes, j->in, j->w, j->bias, b, e);
}

static void tail_wino(void *arg, int b, int e, int t)
{
    job *j = arg;
    float *scratch = j->scratch + j->per_thread * t;
    if (j->avx2)
        tail_winograd_avx2(j->planes, j->in, j->U, j->bias, 0, 0, scratch, b, e);
    else
        tail_winograd(j->planes, j->in, j->U, j->bias, 0, 0, scratch, b, e);
}

static void head(void *arg, int b, int e, int t)
{
    job *j = arg;
    if (j->avx2)
        head_conv9x9_avx2(j->out, j->in, j->w, j->bias, j->slope, b, e);
    else
        head_conv9x9(j->out, j->in, j->w, j->bias, j->slope, b, e);
}

static void report(const char *name, double macs, thread_pool *pool, pool_fn fn, job *j,
                   int total)
{
    char label[64];
    snprintf(label, sizeof(label), "%s %s", j->avx2 ? "avx2  " : "avx512", name);
    double best = 1e30;
    for (int r = 0; r < 4; r++) {
        double t = now();
        thread_pool_for(pool, total, fn, j);
        t = now() - t;
        if (r && t < best)
            best = t;
    }
    printf("%-41s %8.2f ms %8.1f GFLOP/s\n", label, best * 1e3, 2 * macs / best / 1e9);
}

int main(int argc, char **argv)
{
    openblas_core_choose(argv); /* the kernels the tools run with */
    int W = argc > 2 ? atoi(argv[1]) : 480, H = argc > 2 ? atoi(argv[2]) : 270;
    if (!cpu_has_avx512() && !cpu_has_avx2_fma()) {
        puts("bench_kernels: neither AVX-512 nor AVX2 + FMA on this CPU");
        return 0;
    }
    thread_pool *pool = thread_pool_create(getenv("THREADS") ? atoi(getenv("THREADS")) : 2);
    float *w = malloc(sizeof(float) * 256 * 64 * 9), *bias = calloc(256, sizeof(float));
    float *slope = malloc(sizeof(float) * 256);
    for (int i = 0; i < 256 * 64 * 9; i++)
        w[i] = (float)((i * 37) % 101 - 50) * 1e-3f;
    for (int i = 0; i < 256; i++)
        slope[i] = 0.25f;
    float *U = aligned_alloc(64, sizeof(float) * 36 * 64 * 256);
    size_t per_thread = winograd_scratch_floats(64); /* the larger of the two */
    float *scratch = aligned_alloc(64, sizeof(float) * per_thread * 2);
    size_t tail_per_thread = tail_winograd_scratch_floats(64);
    float *tail_scratch = aligned_alloc(64, sizeof(float) * tail_per_thread * 2);
    float *tU = aligned_alloc(64, sizeof(float) * tail_winograd_weights_floats(64));
    fmap in = make_map(H, W, 1, 64), out = make_map(H, W, 1, 64);
    fmap in2 = make_map(2 * H, 2 * W, 1, 64), up = make_map(4 * H, 4 * W, TAIL_WINOGRAD_PAD, 64);
    float *tw = aligned_alloc(64, sizeof(float) * 3 * 81 * 64);
    float *planes = malloc(sizeof(float) * 3 * 16 * W * H);
    float *big = calloc(3 * 81 * 64, sizeof(float));
    fmap x = make_map(H, W, 4, 16);
    float *hw = calloc(81 * 3 * 64, sizeof(float));
    for (int avx2 = 0; avx2 < 2; avx2++) {
        if (!(avx2 ? cpu_has_avx2_fma() : cpu_has_avx512()))
            continue;
        (avx2 ? winograd_weights_avx2 : winograd_weights)(U, w, 64, 64, 64, 64, NULL);
        job j = {&out, &in, U, NULL, bias, slope, NULL, scratch, per_thread,
                 {bias, slope, &in, 0}, 64, avx2};
        report("winograd 3x3 64->64 +PReLU+residual", (double)W * H * 64 * 64 * 9, pool, wino,
               &j, (H + 3) / 4);
        (avx2 ? winograd_weights_avx2 : winograd_weights)(U, w, 64, 256, 64, 256, NULL);
        job ju = {&up, &in2, U, NULL, bias, slope, NULL, scratch, per_thread,
                  {bias, slope, NULL, 2}, 256, avx2};
        report("winograd 3x3 64->256 +shuffle (2x)", 4.0 * W * H * 64 * 256 * 9, pool, wino,
               &ju, (2 * H + 3) / 4);
        tail_weights(tw, big, 64, 64);
        job jt = {NULL, &up, NULL, tw, bias, NULL, planes, NULL, 0, {0}, 0, avx2};
        report("tail 9x9 64->3 (4x)", 16.0 * W * H * 64 * 3 * 81, pool, tail, &jt, 4 * H);
        tail_winograd_weights(tU, big, 64, 64);
        job jw = {NULL, &up, tU, NULL, bias, NULL, planes, tail_scratch, tail_per_thread, {0}, 0,
                  avx2};
        report("tail 9x9 64->3 (4x) Winograd", 16.0 * W * H * 64 * 3 * 81, pool, tail_wino, &jw,
               tail_winograd_tile_rows(4 * H, 0));
        job jh = {&out, &x, NULL, hw, bias, slope, NULL, NULL, 0, {0}, 0, avx2};
        report("head 9x9 3->64", (double)W * H * 3 * 64 * 81, pool, head, &jh, H);
    }
    thread_pool_free(pool);
    return 0;
}
