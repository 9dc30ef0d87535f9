/* winograd.h: 3x3 convolutions as Winograd F(4x4, 3x3) (Lavin & Gray 2016): each 4x4 output
 * tile costs 36 multiplies per input/output channel pair instead of 144. The input and
 * output transforms run on AVX-512 vectors of 16 channels; the 36 products are batched
 * GEMMs with a register-tiled micro-kernel; bias, PReLU, the residual add and the pixel
 * shuffle are fused into the output transform. AVX-512 (winograd_avx512.c: call after
 * cpu_has_avx512()), and the FP32 calls and the weight gradient on AVX2 + FMA too
 * (winograd_avx2.c, the *_avx2 functions: call after cpu_has_avx2_fma()); both are compiled from
 * winograd_template.c and take and give the same layouts. */
#ifndef SRRES_WINOGRAD_H
#define SRRES_WINOGRAD_H

#include <stdint.h>

#include "fmap.h"

#define WINOGRAD_TILE_BLOCK 18 /* output tiles transformed and multiplied together */

/* U [36][cip][cop] = G g G^T of weight [cout][cin][3][3], zero-padded to cip x cop; cop a
 * multiple of 16. perm (or NULL; cop entries) maps stored output channel -> model output
 * channel, negative for a padding channel. */
void winograd_weights(float *U, const float *weight, int cin, int cout, int cip, int cop,
                      const int *perm);

typedef struct winograd_epilogue {
    const float *bias;     /* [cop] */
    const float *slope;    /* [cop] PReLU slopes, or NULL for none */
    const fmap *residual;  /* added last, same geometry as the output, or NULL */
    int shuffle;           /* r > 0: outputs are ordered (i, j, c), c < out->c, and pixel
                              (y, x) sub-position (i, j) goes to (r y + i, r x + j) of out
                              (pixel shuffle); 0: none */
} winograd_epilogue;

/* Scratch floats one thread needs. */
size_t winograd_scratch_floats(int cip);

/* out = epilogue(conv3x3(in)) for output tile rows [ty0, ty1) (a tile row is 4 pixel
 * rows). in->pad >= 1. */
void winograd_conv3x3(const fmap *out, const fmap *in, const float *U, int cop,
                      const winograd_epilogue *ep, float *scratch, int ty0, int ty1);

/* The AVX2 + FMA twins of the three above: same arguments, same results bit for bit. */
void winograd_weights_avx2(float *U, const float *weight, int cin, int cout, int cip, int cop,
                           const int *perm);
size_t winograd_scratch_floats_avx2(int cip);
void winograd_conv3x3_avx2(const fmap *out, const fmap *in, const float *U, int cop,
                           const winograd_epilogue *ep, float *scratch, int ty0, int ty1);

/* bf16 precision (AVX512_BF16: call after cpu_has_avx512_bf16()): Ub [36][cip/2][cop][2]
 * from the float U of winograd_weights; the products in bf16, sums in float. */
void winograd_weights_bf16(uint16_t *Ub, const float *U, int cip, int cop);
void winograd_conv3x3_bf16(const fmap *out, const fmap *in, const uint16_t *Ub, int cop,
                           const winograd_epilogue *ep, float *scratch, int ty0, int ty1);

/* The weight gradient, in the Winograd domain: dU [36][cip][cop] = the sum over the tiles
 * of tile rows [ty0, ty1) of V (in's input transform) times A dY A^T (dout's 4x4 output
 * tiles), as 36 GEMMs over batches of tiles: a quarter of the multiplies of im2col.
 * dout: the output gradient, cop channels, zero outside the image. scratch:
 * winograd_grad_scratch_floats. Then dweight [cout][cin][3][3] += G^T dU G. */
size_t winograd_grad_scratch_floats(int cip, int cop);
void winograd_weight_grad(float *dU, const fmap *in, const fmap *dout, int cop, float *scratch,
                          int ty0, int ty1);
void winograd_weight_grad_oihw(float *dweight, const float *dU, int cin, int cout, int cip,
                               int cop);
/* Their AVX2 + FMA twins: the same dU, bit for bit. */
size_t winograd_grad_scratch_floats_avx2(int cip, int cop);
void winograd_weight_grad_avx2(float *dU, const fmap *in, const fmap *dout, int cop, float *scratch,
                               int ty0, int ty1);
void winograd_weight_grad_oihw_avx2(float *dweight, const float *dU, int cin, int cout, int cip,
                                    int cop);

#endif
