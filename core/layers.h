/* layers.h: the network's layers as forward/backward pairs (llm.c style).
 *
 * Feature maps are [channels][n][h][w] floats ("CNHW"): each channel is one plane over the
 * whole batch, so a conv over a batch is a single GEMM. Backward functions accumulate (+=)
 * into every gradient they are given, as the caller zeroes gradients once per step. */
#ifndef SRRES_LAYERS_H
#define SRRES_LAYERS_H

#include <stddef.h>

#include "model.h"
#include "thread_pool.h"

/* ---- conv.c: k x k conv, stride 1, zero padding k/2 ------------------------------------ */

/* Where convs run: scratch (64-byte aligned), threads, and whether the shapes the fast
 * kernels have (conv_nhwc.h) take them instead of im2col + sgemm: 0 for none, else the
 * kernel set (a conv_nhwc_isa). */
typedef struct conv_env {
    float *scratch;
    size_t scratch_floats;
    thread_pool *pool;
    int fast;
} conv_env;

/* Scratch floats that let conv_forward work on `rows` image rows at a time; each thread
 * needs its own share. More rows mean fewer, larger GEMMs. */
size_t conv_scratch_floats(const conv_layer *L, int w, int rows);

/* The forward's GEMMs (and the input gradient's, a convolution too) take fixed blocks of
 * rows, about this many floats of columns each, the same for any number of threads: OpenBLAS
 * rounds a GEMM by its shape, so blocks cut by the thread count would change the result's
 * last bits with it. Each thread needs conv_block_scratch_floats of scratch for them (cin,
 * k of the convolution run; rows in all). */
#define CONV_BLOCK_FLOATS ((size_t)1 << 20)
size_t conv_block_scratch_floats(int cin, int k, int w, int rows);

/* The weight gradient is summed from this many fixed shares of the rows, in order: the same
 * result for any number of threads. */
#define CONV_GRAD_PARTS 8

/* Scratch floats conv_backward needs beyond the forward's. */
size_t conv_backward_scratch_floats(const conv_layer *L);

/* out [cout][n][h][w] = conv(in [cin][n][h][w]) + bias. out must not alias in.
 * OpenBLAS must run single-threaded (threads come from `pool`): see srres.h. */
void conv_forward(float *out, const float *in, const conv_layer *L, int n, int h, int w,
                  const conv_env *env);

/* dweight [cout][cin][k][k], dbias [cout], dinp [cin][n][h][w] (NULL: not wanted)
 * from dout [cout][n][h][w] and the forward input inp. */
void conv_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                   const float *inp, const conv_layer *L, int n, int h, int w,
                   const conv_env *env);

/* ---- prelu.c: max(0, x) + a min(0, x), one slope or one per channel --------------------- */

/* out, in: [c][plane]; out may alias in. */
void prelu_forward(float *out, const float *in, const prelu_layer *L, int c, size_t plane);

/* dinp [c][plane] (must not alias dout: it is added to), dslope [L->n] from dout and the
 * forward input in. */
void prelu_backward(float *dinp, float *dslope, const float *dout, const float *in,
                    const prelu_layer *L, int c, size_t plane);

/* prelu_avx512.c, for the pair after cpu_has_avx512(), and the *_avx2 twins (prelu_avx2.c)
 * after cpu_has_avx2_fma(): one plane of n floats with slope a. The backward adds to dx and
 * returns the slope's gradient (sum of g x where x < 0). Both give the scalar loops' y and dx
 * bit for bit; the slope's gradient, summed in double in another order, only to rounding. */
void prelu_plane_forward(float *y, const float *x, float a, size_t n);
double prelu_plane_backward(float *dx, const float *g, const float *x, float a, size_t n);
void prelu_plane_forward_avx2(float *y, const float *x, float a, size_t n);
double prelu_plane_backward_avx2(float *dx, const float *g, const float *x, float a, size_t n);

/* ---- pixel_shuffle.c: PyTorch PixelShuffle order --------------------------------------- */

/* in [c*r*r][n][h][w] -> out [c][n][h*r][w*r]:
 * out[ch][y*r+i][x*r+j] = in[ch*r*r + i*r + j][y][x]. */
void pixel_shuffle_forward(float *out, const float *in, int c, int r, int n, int h, int w);

/* dinp [c*r*r][n][h][w] += the same gather from dout [c][n][h*r][w*r]. */
void pixel_shuffle_backward(float *dinp, const float *dout, int c, int r, int n, int h, int w);

/* ---- residual.c: skip connections ------------------------------------------------------ */

/* out = a + b, count floats; out may alias a or b. */
void residual_forward(float *out, const float *a, const float *b, size_t count);

/* da += dout, db += dout (either may be NULL). */
void residual_backward(float *da, float *db, const float *dout, size_t count);

/* The "nearest" image skip: out [c][n][h*s][w*s] += lr [c][n][h][w], each LR pixel repeated
 * s x s. The input is data, so there is no backward. */
void nearest_skip_forward(float *out, const float *lr, int c, int s, int n, int h, int w);

/* ---- loss.c: mean over all values ------------------------------------------------------ */

float loss_forward(const float *out, const float *target, size_t count, srres_loss kind);

/* dout += d(mean loss)/d(out). */
void loss_backward(float *dout, const float *out, const float *target, size_t count,
                   srres_loss kind);

#endif
