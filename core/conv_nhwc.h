/* conv_nhwc.h: the fast path's kernels (winograd.h, direct_conv.h) behind the layers' CNHW
 * interface, for the trainer: the batch is stacked into one NHWC map, each image on a 4-row
 * grid with zero rows between images, convolved, and laid back out, on either kernel set. */
#ifndef SRRES_CONV_NHWC_H
#define SRRES_CONV_NHWC_H

#include <stddef.h>

#include "thread_pool.h"

/* The kernel set: AVX-512 (after cpu_has_avx512()) or AVX2 + FMA (after cpu_has_avx2_fma()).
 * Non-zero, as conv_env.fast holds it, where 0 is im2col + sgemm. */
typedef enum conv_nhwc_isa { CONV_NHWC_AVX512 = 1, CONV_NHWC_AVX2 } conv_nhwc_isa;

/* Shapes with a kernel: every 3x3 conv; 9x9 with 3 inputs (the head, and the tail's input
 * gradient) or 3 outputs (the tail). */
int conv_nhwc_handles(int cin, int cout, int k);

/* Scratch floats for conv_nhwc_forward, and for conv_nhwc_tail_weight_grad: enough for
 * either kernel set. */
size_t conv_nhwc_scratch_floats(int cin, int cout, int k, int n, int h, int w, int threads);
size_t conv_nhwc_tail_grad_scratch_floats(int cin, int n, int h, int w);

/* out [cout][n][h][w] = conv(in [cin][n][h][w], weight [cout][cin][k][k]) + bias, or with
 * accumulate out += conv(...) (bias may be NULL). scratch 64-byte aligned. */
void conv_nhwc_forward(float *out, const float *in, const float *weight, const float *bias, int cin,
                       int cout, int k, int n, int h, int w, int accumulate, conv_nhwc_isa isa,
                       float *scratch, thread_pool *pool);

/* The backward pass of a 3x3 convolution from dout [cout][n][h][w] and its forward input
 * inp [cin][n][h][w], dout laid out once for both products: dweight [cout][cin][3][3] +=
 * the weight gradient, in the Winograd domain (winograd.h); with dinp (else NULL),
 * dinp [cin][n][h][w] += dout convolved with flipped [cin][cout][3][3], the kernel
 * transposed and turned by a half turn. */
size_t conv_nhwc_backward3_scratch_floats(int cin, int cout, int n, int h, int w, int threads);
void conv_nhwc_backward3(float *dinp, float *dweight, const float *dout, const float *inp,
                         const float *flipped, int cin, int cout, int n, int h, int w,
                         conv_nhwc_isa isa, float *scratch, thread_pool *pool);

/* dweight [3][cin][9][9] += the tail's weight gradient from dout [3][n][h][w] and its
 * forward input inp [cin][n][h][w]. */
void conv_nhwc_tail_weight_grad(float *dweight, const float *dout, const float *inp, int cin, int n,
                                int h, int w, conv_nhwc_isa isa, float *scratch, thread_pool *pool);

#endif
