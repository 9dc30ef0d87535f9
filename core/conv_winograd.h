/* conv_winograd.h: the Winograd kernel (winograd.h) behind the layers' CNHW interface, for
 * the trainer: the batch is stacked into one NHWC map (each image on a 4-row grid with zero
 * rows between them), convolved, and laid back out. AVX-512 only. */
#ifndef SRRES_CONV_WINOGRAD_H
#define SRRES_CONV_WINOGRAD_H

#include <stddef.h>

#include "thread_pool.h"

/* Scratch floats for conv3x3_winograd over n images of h x w. */
size_t conv3x3_winograd_scratch_floats(int cin, int cout, int n, int h, int w, int threads);

/* out [cout][n][h][w] = conv3x3(in [cin][n][h][w], weight [cout][cin][3][3]) + bias, or, with
 * accumulate, out += conv3x3(...) (bias may be NULL). scratch 64-byte aligned. */
void conv3x3_winograd(float *out, const float *in, const float *weight, const float *bias,
                      int cin, int cout, int n, int h, int w, int accumulate, float *scratch,
                      thread_pool *pool);

#endif
