/* fast_forward.h: inference on the fast path (AVX-512 or AVX2 + FMA kernels; see winograd.h
 * and direct_conv.h). The baseline path (network.h) is the reference it is tested against. */
#ifndef SRRES_FAST_FORWARD_H
#define SRRES_FAST_FORWARD_H

#include "model.h"
#include "thread_pool.h"

typedef struct fast_net fast_net;

/* The kernels it runs on. */
typedef enum fast_isa {
    FAST_AVX512, /* after cpu_has_avx512() */
    FAST_AVX2    /* after cpu_has_avx2_fma(); FP32 only */
} fast_isa;

/* Transforms the weights; the model must outlive it. bf16 (the 3x3 convs' products in bf16)
 * needs FAST_AVX512 and cpu_has_avx512_bf16(). */
srres_status fast_net_create(const srres_model *m, fast_isa isa, int bf16, fast_net **out,
                             srres_error *err);

/* The LR side of the tiles the upsampling stages and the tail run on (fast_forward.c), for
 * the regions from here on: 0 (the default) for none, else rounded down to a multiple of 4,
 * at least 4. It changes memory and speed, not the output; a change frees the buffers. */
void fast_net_set_up_tile(fast_net *f, int up_tile);

void fast_net_free(fast_net *f);

/* Makes room for regions of up to h x w (or w x h) run on `threads` threads, so that the
 * regions of a frame allocate once, at their largest. */
srres_status fast_net_reserve(fast_net *f, int h, int w, int threads, srres_error *err);

/* in [3][h][w] -> out [3][h s][w s]: the network's output before clamping. */
srres_status fast_net_forward(fast_net *f, const float *in, int h, int w, float *out,
                              thread_pool *pool, srres_error *err);

/* Buffer floats for an h x w LR region with upsampling tiles of up_tile, borders and the
 * threads' scratch included (for choosing tile sizes; a double, as sizes no memory holds
 * must compare, not wrap). */
double fast_net_floats(const fast_net *f, int up_tile, int h, int w, int threads);

#endif
