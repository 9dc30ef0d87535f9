/* bench_forward.c: forward-pass speed of SRResNet 16x64 (x2 and x4, 480x270 and 960x540):
 * the fast path (AUTO, FP32: AVX-512 where the CPU has it), the AVX2 + FMA fast path, the
 * bf16 mode (0 where the CPU lacks a path) against the im2col + sgemm baseline, and the
 * OpenBLAS sgemm rate on the 3x3 64->64 im2col shape, all measured in this run, side by
 * side, with the ratios; then the bundled fast models' 6x32 network. Prints tables;
 * asserts nothing.
 * Usage: bench_forward [--quick] [--threads N] */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "openblas_core.h"
#include "srres.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Best of `reps` timed runs after one warm-up (first-touch page faults, weight transforms). */
static double time_upscale(srres_model *m, srres_kernel kernel, srres_precision precision,
                           int ensemble, int threads, int w, int h, int reps)
{
    srres_params p = srres_default_params();
    p.kernel = kernel;
    p.precision = precision;
    p.ensemble = ensemble;
    p.threads = threads;
    p.tile = 0;
    srres_ctx *ctx;
    srres_error err;
    if (srres_ctx_create(m, &p, &ctx, &err) != SRRES_OK)
        return 0; /* e.g. bf16 on a CPU without it */
    int s = srres_model_config(m)->scale;
    uint8_t *in = malloc((size_t)w * h * 3), *out = malloc((size_t)w * h * 3 * s * s);
    for (size_t i = 0; i < (size_t)w * h * 3; i++)
        in[i] = (uint8_t)(i * 2654435761u >> 24);
    srres_image a = {SRRES_PIXEL_RGB24, w, h, {in}, {(ptrdiff_t)w * 3}};
    srres_image b = {SRRES_PIXEL_RGB24, w * s, h * s, {out}, {(ptrdiff_t)w * s * 3}};
    double best = 1e30;
    for (int r = 0; r <= reps; r++) {
        double t = now();
        if (srres_upscale(ctx, &a, &b, &err) != SRRES_OK) {
            fprintf(stderr, "bench_forward: %s\n", err.message);
            exit(1);
        }
        t = now() - t;
        if (r > 0 && t < best)
            best = t;
    }
    free(in);
    free(out);
    srres_ctx_free(ctx);
    return best;
}

/* OpenBLAS sgemm on the im2col GEMM of a 3x3 64->64 conv over w x h pixels, threads as
 * OpenBLAS runs them. */
static double sgemm_gflops(int w, int h, int threads)
{
    int M = 64, K = 576, N = w * h;
    float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * (size_t)N),
          *C = malloc(sizeof(float) * M * (size_t)N);
    for (size_t i = 0; i < (size_t)M * K; i++)
        A[i] = (float)(i % 7) * 1e-3f;
    for (size_t i = 0; i < (size_t)K * N; i++)
        B[i] = (float)(i % 5) * 1e-3f;
    openblas_set_num_threads(threads);
    double best = 1e30;
    for (int r = 0; r < 4; r++) {
        double t = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, 0.0f,
                    C, N);
        t = now() - t;
        if (r > 0 && t < best)
            best = t;
    }
    free(A), free(B), free(C);
    return 2.0 * M * N * K / best / 1e9;
}

/* A randomly initialised SRResNet: speed does not depend on the weights. */
static srres_model *random_model(int scale, int blocks, int channels, srres_image_skip skip)
{
    srres_config cfg = {scale, blocks, channels, skip, 1};
    srres_model *m;
    srres_error err;
    if (srres_model_create(&cfg, &m, &err) != SRRES_OK) {
        fprintf(stderr, "bench_forward: %s\n", err.message);
        exit(1);
    }
    srres_model_init_random(m, 1);
    return m;
}

int main(int argc, char **argv)
{
    openblas_core_choose(argv); /* the kernels the tools run with */
    int quick = 0, threads = 2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
    }
    printf("OpenBLAS %s, core %s; %d threads\n", OPENBLAS_VERSION, openblas_get_corename(),
           threads);
    printf("%-4s %-8s %9s %8s %9s %8s %9s %9s %10s %11s %9s %9s %9s\n", "x", "input", "fast s",
           "GFLOP/s", "avx2 s", "GFLOP/s", "bf16 s", "base s", "base GF/s", "sgemm GF/s",
           "base/fast", "avx2/fast", "base/avx2");
    int sizes[2][2] = {{480, 270}, {960, 540}};
    for (int si = 0; si < (quick ? 1 : 2); si++) {
        for (int scale = 2; scale <= 4; scale += 2) {
            srres_model *m = random_model(scale, 16, 64, SRRES_SKIP_NONE);
            int w = sizes[si][0], h = sizes[si][1];
            double flop = 2 * srres_model_macs_per_pixel(m) * w * h;
            double fast = time_upscale(m, SRRES_KERNEL_AUTO, SRRES_PRECISION_FP32, 1, threads, w,
                                       h, quick ? 1 : 2);
            double avx2 = time_upscale(m, SRRES_KERNEL_AVX2, SRRES_PRECISION_FP32, 1, threads, w,
                                       h, quick ? 1 : 2);
            double bf16 = time_upscale(m, SRRES_KERNEL_AUTO, SRRES_PRECISION_BF16, 1, threads, w,
                                       h, quick ? 1 : 2);
            double base = time_upscale(m, SRRES_KERNEL_BASELINE, SRRES_PRECISION_FP32, 1, threads,
                                       w, h, 1);
            double gemm = sgemm_gflops(w, h, threads);
            printf("x%-3d %4dx%-3d %9.3f %8.1f %9.3f %8.1f %9.3f %9.3f %10.1f %11.1f %8.2fx %8.2fx "
                   "%8.2fx\n",
                   scale, w, h, fast, flop / fast / 1e9, avx2, avx2 ? flop / avx2 / 1e9 : 0, bf16,
                   base, flop / base / 1e9, gemm, base / fast, avx2 / fast,
                   avx2 ? base / avx2 : 0);
            fflush(stdout);
            srres_model_free(m);
        }
    }
    /* The bundled fast models' network, with their image skip, as a user runs it. */
    printf("\nfast models (6 blocks x 32 channels, nearest image skip), fast path FP32:\n");
    printf("%-4s %-8s %10s %10s %9s %10s %9s\n", "x", "input", "s", "GFLOP/s", "fps", "avx2 s",
           "avx2 fps");
    for (int si = 0; si < (quick ? 1 : 2); si++) {
        for (int scale = 2; scale <= 4; scale += 2) {
            srres_model *m = random_model(scale, 6, 32, SRRES_SKIP_NEAREST);
            int w = sizes[si][0], h = sizes[si][1];
            double flop = 2 * srres_model_macs_per_pixel(m) * w * h;
            double t = time_upscale(m, SRRES_KERNEL_AUTO, SRRES_PRECISION_FP32, 1, threads, w, h,
                                    quick ? 1 : 3);
            double avx2 = time_upscale(m, SRRES_KERNEL_AVX2, SRRES_PRECISION_FP32, 1, threads, w,
                                       h, quick ? 1 : 3);
            printf("x%-3d %4dx%-3d %10.3f %10.1f %9.2f %10.3f %9.2f\n", scale, w, h, t,
                   flop / t / 1e9, 1 / t, avx2, avx2 ? 1 / avx2 : 0);
            fflush(stdout);
            srres_model_free(m);
        }
    }
    /* The self-ensemble costs its passes; what it adds beyond them is the transforms. */
    printf("\nself-ensemble (x4 16 x 64, nearest image skip, 480x270 in), fast path FP32:\n");
    printf("%-8s %10s %14s\n", "passes", "s", "per pass / 1");
    srres_model *m = random_model(4, 16, 64, SRRES_SKIP_NEAREST);
    double one = 0;
    for (int n = 1; n <= (quick ? 2 : 8); n *= 2) {
        double t = time_upscale(m, SRRES_KERNEL_AUTO, SRRES_PRECISION_FP32, n, threads, 480, 270,
                                1);
        one = n == 1 ? t : one;
        printf("%-8d %10.3f %13.3fx\n", n, t, t / n / one);
        fflush(stdout);
    }
    srres_model_free(m);
    return 0;
}
