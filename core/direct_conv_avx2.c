/* direct_conv_avx2.c: the 9x9 kernels (direct_conv_template.c) on AVX2 + FMA, for CPUs
 * without AVX-512: inference and the trainer's tail weight gradient. */
#include "simd_avx2.h"

/* Register tiles of the 16 ymm registers: the head 6 pixels x 2 vectors (12 accumulators,
 * 2 weight vectors, a broadcast); the tail 1 row x 4 pixels x 3 outputs (12 accumulators,
 * 3 weights, the inputs). */
#define HEAD_PIXELS 6
#define HEAD_NV 2
#define TAIL_ROWS 1
#define TAIL_PIXELS 4
#define TAIL_GRAD 1

#include "direct_conv_template.c"
