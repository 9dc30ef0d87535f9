/* tail_winograd.h: the fast path's 9x9 tail (cip -> 3 channels) as nine 3x3 convolutions in
 * Winograd F(3x3, 3x3). Split the kernel into 3x3 blocks (a, b) of offset (3a, 3b): block
 * (a, b) of the output tile at tile (I, J) reads exactly the input tile of (I + a, J + b), so
 * each input tile is transformed once and serves nine output tiles, and an output pixel
 * costs 25 x 9 / 9 = 25 multiplies per input channel and output instead of 81. The
 * direct tail (direct_conv.h) stays for the trainer, whose backward pass it matches.
 *
 * Tiles of 3x3 output pixels start at rows 3t - oy and columns 3t - ox (oy, ox in 0..2), so
 * a caller whose map is a piece of a larger one keeps the larger one's tiles, and with them
 * its output bit for bit. AVX-512 (tail_winograd_avx512.c: call after cpu_has_avx512()) and
 * AVX2 + FMA (the *_avx2 twins, after cpu_has_avx2_fma()), from tail_winograd_template.c;
 * the sums run over VL channels per lane, so the two differ in the last bits. */
#ifndef SRRES_TAIL_WINOGRAD_H
#define SRRES_TAIL_WINOGRAD_H

#include <stddef.h>

#include "fmap.h"

/* The border the input map needs: a tile grid shifted by up to 2 reads 6 pixels out. */
#define TAIL_WINOGRAD_PAD 6

/* Floats of the transformed weights, and U [25][9][3][cip] = G w_ab G^T of OIHW
 * weight [3][cin][9][9] (tail_winograd_weights.c, plain C), zero-padded to cip. */
size_t tail_winograd_weights_floats(int cip);
void tail_winograd_weights(float *U, const float *weight, int cin, int cip);

/* Output tile rows of an h-row map (rows of tiles starting at 3t - oy). */
static inline int tail_winograd_tile_rows(int h, int oy)
{
    return (h + oy + 2) / 3;
}

/* out [3][h][w] planar = conv9x9(in) + bias for output tile rows [ty0, ty1), pixels outside
 * the map left alone; in->pad >= TAIL_WINOGRAD_PAD, zero outside the map. scratch:
 * tail_winograd_scratch_floats(in->c) floats, one thread's. */
size_t tail_winograd_scratch_floats(int cip);
void tail_winograd(float *out, const fmap *in, const float *U, const float *bias, int oy, int ox,
                   float *scratch, int ty0, int ty1);

size_t tail_winograd_scratch_floats_avx2(int cip);
void tail_winograd_avx2(float *out, const fmap *in, const float *U, const float *bias, int oy,
                        int ox, float *scratch, int ty0, int ty1);

#endif
