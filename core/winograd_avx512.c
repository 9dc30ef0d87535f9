/* winograd_avx512.c: the Winograd kernels (winograd_template.c) on AVX-512, with the bf16
 * products and the trainer's weight gradient. */
#include "simd_avx512.h"

/* The GEMM's register tile: 6 x 4 accumulators, 4 weight vectors and a broadcast, 29 of
 * the 32 zmm registers. */
#define GEMM_NV 4
#define WINOGRAD_BF16 1
#define WINOGRAD_GRAD 1

#include "winograd_template.c"
