/* layout_avx512.c: the row conversions (layout_template.c) on AVX-512: a block of 16
 * channels by one 16x16 register transpose. */
#include "simd_avx512.h"

#include "layout_template.c"
