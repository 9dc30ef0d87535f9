/* srresnet.c: the network's layer sequence, shared by inference and training. */
#include <math.h>

#include "conv_nhwc.h"
#include "network.h"

void network_forward(const srres_model *m, const activations *a, int n, int h, int w,
                     const conv_env *env)
{
    int C = m->cfg.channels;
    size_t plane = (size_t)n * h * w;
    conv_forward(a->head_pre, a->in, &m->head, n, h, w, env);
    prelu_forward(a->head, a->head_pre, &m->head_prelu, C, plane);
    const float *x = a->head;
    for (int i = 0; i < m->cfg.blocks; i++) {
        const residual_block *blk = &m->body[i];
        const block_acts *b = &a->body[i];
        conv_forward(b->c1, x, &blk->conv1, n, h, w, env);
        prelu_forward(b->a1, b->c1, &blk->prelu1, C, plane);
        conv_forward(b->c2, b->a1, &blk->conv2, n, h, w, env);
        prelu_forward(b->out, b->c2, &blk->prelu2, C, plane);
        residual_forward(b->out, b->out, x, (size_t)C * plane);
        x = b->out;
    }
    conv_forward(a->trunk, x, &m->trunk, n, h, w, env);
    residual_forward(a->trunk, a->trunk, a->head, (size_t)C * plane);
    x = a->trunk;
    int r = m->up_factor, hj = h, wj = w;
    for (int j = 0; j < m->up_stages; j++) {
        conv_forward(a->up_pre[j], x, &m->up[j], n, hj, wj, env);
        pixel_shuffle_forward(a->up_shuf[j], a->up_pre[j], C, r, n, hj, wj);
        hj *= r;
        wj *= r;
        prelu_forward(a->up_out[j], a->up_shuf[j], &m->up_prelu[j], C, (size_t)n * hj * wj);
        x = a->up_out[j];
    }
    conv_forward(a->tail, x, &m->tail, n, hj, wj, env);
    if (m->cfg.image_skip == SRRES_SKIP_NEAREST)
        nearest_skip_forward(a->tail, a->in, 3, m->cfg.scale, n, h, w);
}

/* The scratch one layer needs: a row of columns per thread (im2col), or the fast kernels'
 * conversion buffers; for backward also the weight-gradient parts plus the input-gradient
 * conv's needs. */
static size_t layer_scratch(const conv_layer *L, int n, int h, int w, int threads, int fast,
                            int backward)
{
    size_t cols = (size_t)threads * conv_block_scratch_floats(L->cin, L->k, w, n * h);
    size_t fwd = fast && conv_nhwc_handles(L->cin, L->cout, L->k)
                     ? conv_nhwc_scratch_floats(L->cin, L->cout, L->k, n, h, w, threads)
                     : cols;
    if (!backward)
        return fwd;
    if (fast && L->k == 3) { /* one pass for both gradients */
        size_t both = conv_nhwc_backward3_scratch_floats(L->cin, L->cout, n, h, w, threads);
        return conv_backward_scratch_floats(L) + (both > fwd ? both : fwd);
    }
    size_t dw = fast && L->k == 9 && L->cout == 3
                    ? conv_nhwc_tail_grad_scratch_floats(L->cin, n, h, w)
                    : cols;
    size_t dinp = fast && conv_nhwc_handles(L->cout, L->cin, L->k)
                      ? conv_nhwc_scratch_floats(L->cout, L->cin, L->k, n, h, w, threads)
                      : (size_t)threads * conv_block_scratch_floats(L->cout, L->k, w, n * h);
    size_t most = fwd > dw ? fwd : dw;
    return conv_backward_scratch_floats(L) + (most > dinp ? most : dinp);
}

size_t network_scratch_floats(const srres_model *m, int n, int h, int w, int threads,
                              int fast, int backward)
{
    size_t need = layer_scratch(&m->head, n, h, w, threads, fast, backward);
    size_t body = layer_scratch(&m->trunk, n, h, w, threads, fast, backward);
    need = body > need ? body : need;
    int hj = h, wj = w;
    for (int j = 0; j < m->up_stages; j++) {
        size_t s = layer_scratch(&m->up[j], n, hj, wj, threads, fast, backward);
        need = s > need ? s : need;
        hj *= m->up_factor;
        wj *= m->up_factor;
    }
    size_t tail = layer_scratch(&m->tail, n, hj, wj, threads, fast, backward);
    return tail > need ? tail : need;
}

int network_receptive_radius(const srres_model *m)
{
    /* Each k x k conv reaches k/2 pixels at its own resolution. */
    double radius = 4 + 2.0 * m->cfg.blocks + 1, res = 1;
    for (int j = 0; j < m->up_stages; j++) {
        radius += 1 / res;
        res *= m->up_factor;
    }
    radius += 4 / res;
    return (int)ceil(radius - 1e-9);
}
