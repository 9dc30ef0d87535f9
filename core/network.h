/* network.h: the SRResNet layer sequence over caller-planned buffers. Inference aliases
 * most buffers (PReLU in place, blocks ping-pong); training gives each activation its own,
 * so the backward pass can read them. */
#ifndef SRRES_NETWORK_H
#define SRRES_NETWORK_H

#include "layers.h"

typedef struct block_acts {
    float *c1, *a1, *c2, *out; /* [C][n][h][w]: conv1, PReLU1, conv2, block output */
} block_acts;

typedef struct activations {
    float *in;                               /* [3][n][h][w] */
    float *head_pre, *head;                  /* [C][n][h][w] */
    block_acts *body;                        /* [blocks] */
    float *trunk;                            /* [C][n][h][w]: trunk conv + head */
    float *up_pre[SRRES_MAX_UP_STAGES];      /* [C r^2][n][h_j][w_j] */
    float *up_shuf[SRRES_MAX_UP_STAGES];     /* [C][n][h_j r][w_j r] */
    float *up_out[SRRES_MAX_UP_STAGES];      /* after PReLU */
    float *tail;                             /* [3][n][h s][w s] (+ image skip) */
} activations;

/* Runs every layer of `m` on a->in (n images of h x w). */
void network_forward(const srres_model *m, const activations *a, int n, int h, int w,
                     const conv_env *env);

/* The least scratch every layer's forward (or, with `backward`, backward) can run in with
 * `threads` threads on n LR images of h x w; `fast` as conv_env has it. More lets GEMMs
 * grow. */
size_t network_scratch_floats(const srres_model *m, int n, int h, int w, int threads, int fast,
                              int backward);

/* Radius of the receptive field in LR pixels, rounded up: the tile overlap that makes tiled
 * output equal untiled output. */
int network_receptive_radius(const srres_model *m);

#endif
