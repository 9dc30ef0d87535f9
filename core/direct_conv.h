/* direct_conv.h: the two 9x9 convolutions of the NHWC layers, computed directly on AVX-512:
 * the head (3 input channels) and the tail (3 output channels), for the trainer and the fast
 * path's head (its tail is tail_winograd.h's: fewer multiplies). Neither suits a GEMM: the head's
 * K is tiny, and the tail's M = 3 would waste a GEMM tile and its im2col matrix would be 81
 * times the size of the 4x feature map. Call after cpu_has_avx512(); the *_avx2 twins
 * (direct_conv_avx2.c: same arguments and layouts) after cpu_has_avx2_fma(). Both sets are
 * compiled from direct_conv_template.c. */
#ifndef SRRES_DIRECT_CONV_H
#define SRRES_DIRECT_CONV_H

#include "fmap.h"

/* Weights for the head (direct_conv_weights.c, for either kernel set): [9][9][3][cop] from OIHW [cout][3][9][9], zero-padded. */
void head_weights(float *dst, const float *weight, int cout, int cop);

/* out (cop channels) = PReLU(conv9x9(in) + bias) for output rows [y0, y1); in has 3 live
 * channels and pad >= 4. slope: [cop]. */
void head_conv9x9(const fmap *out, const fmap *in, const float *w, const float *bias,
                  const float *slope, int y0, int y1);

/* Weights for the tail (direct_conv_weights.c): [3][9][9][cip] from OIHW [3][cin][9][9], zero-padded. */
void tail_weights(float *dst, const float *weight, int cin, int cip);

/* out [3][h][w] planar = conv9x9(in) + bias for rows [y0, y1); in->pad >= 4. */
void tail_conv9x9(float *out, const fmap *in, const float *w, const float *bias, int y0,
                  int y1);

void head_conv9x9_avx2(const fmap *out, const fmap *in, const float *w, const float *bias,
                       const float *slope, int y0, int y1);
void tail_conv9x9_avx2(float *out, const fmap *in, const float *w, const float *bias, int y0,
                       int y1);

/* dw [3][81][cip] += the tail's weight gradient from rows [y0, y1): sum over pixels of
 * dout [3][in->h][in->w] times the input neighbourhoods of in (pad >= 4). */
void tail_weight_grad(float *dw, const float *dout, const fmap *in, int y0, int y1);
/* The AVX2 + FMA twin: the same dw, bit for bit. */
void tail_weight_grad_avx2(float *dw, const float *dout, const fmap *in, int y0, int y1);

#endif
