/* winograd_avx2.c: the Winograd kernels (winograd_template.c) on AVX2 + FMA, for CPUs
 * without AVX-512: FP32 inference and the trainer's weight gradient. */
#include "simd_avx2.h"

/* The GEMM's register tile: 6 x 2 accumulators, 2 weight vectors and a broadcast, 15 of
 * the 16 ymm registers. */
#define GEMM_NV 2
#define WINOGRAD_BF16 0
#define WINOGRAD_GRAD 1

#include "winograd_template.c"
