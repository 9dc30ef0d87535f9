/* tail_winograd_avx2.c: the Winograd tail (tail_winograd_template.c) on AVX2 + FMA, for CPUs
 * without AVX-512. */
#include "simd_avx2.h"

/* Register tile: 4 tiles x 3 outputs (12 accumulators), 3 weight vectors and an input: the
 * 16 ymm registers. */
#define TW_TILES 4

#include "tail_winograd_template.c"
