/* prelu_avx2.c: the PReLU plane kernels (prelu_template.c) on AVX2 + FMA, for CPUs without
 * AVX-512. */
#include "simd_avx2.h"

#include "prelu_template.c"
