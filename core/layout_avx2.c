/* layout_avx2.c: the row conversions (layout_template.c) on AVX2 + FMA, for CPUs without
 * AVX-512: a block of 16 channels as two halves of 8, by 8x8 register transposes. */
#include "simd_avx2.h"

#include "layout_template.c"
