/* prelu_avx512.c: the PReLU plane kernels (prelu_template.c) on AVX-512. */
#include "simd_avx512.h"

#include "prelu_template.c"
