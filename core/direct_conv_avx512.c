/* direct_conv_avx512.c: the 9x9 kernels (direct_conv_template.c) on AVX-512, with the
 * trainer's tail weight gradient. */
#include "simd_avx512.h"

/* Register tiles: the head 4 pixels x 4 vectors (16 accumulators, 4 weight vectors, a
 * broadcast); the tail 2 rows x 4 pixels x 3 outputs (24 accumulators, 4 inputs, 3
 * weights) of the 32 zmm registers. */
#define HEAD_PIXELS 4
#define HEAD_NV 4
#define TAIL_ROWS 2
#define TAIL_PIXELS 4
#define TAIL_GRAD 1

#include "direct_conv_template.c"
