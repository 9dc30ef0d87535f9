/* direct_conv_weights.c: the 9x9 head's and tail's weights in the layouts both kernel sets
 * read (direct_conv_avx512.c, direct_conv_avx2.c): plain C, so that a CPU without AVX-512
 * never runs a function compiled for it. */
#include <string.h>

#include "direct_conv.h"

void head_weights(float *dst, const float *weight, int cout, int cop)
{
    memset(dst, 0, sizeof(float) * 81 * 3 * (size_t)cop);
    for (int co = 0; co < cout; co++)
        for (int ci = 0; ci < 3; ci++)
            for (int k = 0; k < 81; k++)
                dst[((size_t)k * 3 + ci) * cop + co] = weight[((size_t)co * 3 + ci) * 81 + k];
}

void tail_weights(float *dst, const float *weight, int cin, int cip)
{
    memset(dst, 0, sizeof(float) * 3 * 81 * (size_t)cip);
    for (int co = 0; co < 3; co++)
        for (int ci = 0; ci < cin; ci++)
            for (int k = 0; k < 81; k++)
                dst[((size_t)co * 81 + k) * cip + ci] = weight[((size_t)co * cin + ci) * 81 + k];
}
