/* tail_winograd_avx512.c: the Winograd tail (tail_winograd_template.c) on AVX-512. */
#include "simd_avx512.h"

/* Register tile: 8 tiles x 3 outputs (24 accumulators), 3 weight vectors and an input, 28
 * of the 32 zmm registers. */
#define TW_TILES 8

#include "tail_winograd_template.c"
