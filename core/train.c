/* train.c: the trainer: a forward pass that keeps every activation, the loss, and the
 * backward pass through every layer in reverse order. Gradients live in a second model
 * struct whose parameter block is the gradient buffer, so each layer's gradient has the
 * same named view as its weights (llm.c's ParameterTensors grads). */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conv_nhwc.h"
#include "cpu.h"
#include "error.h"
#include "memory.h"
#include "network.h"

#define SCRATCH_BUDGET_FLOATS ((size_t)16 << 20)

struct srres_trainer {
    srres_model *m;
    srres_model *g; /* gradients, same layout */
    int batch, patch;
    srres_loss loss;
    thread_pool *pool;
    activations acts;
    block_acts *blocks;
    float *target;                /* [3][n][P s][P s], CNHW like the output */
    float *d_tail;                /* [3][n][P s][P s] */
    float *u1, *u2;               /* upsampling gradients, C x HR pixels each */
    float *dx, *dh, *d1, *d2, *da; /* LR feature gradients, C x LR pixels each */
    conv_env env;  /* scratch (first in memory: 64-byte aligned), threads, kernel */
    float *memory; /* one block for all of the above */
};

/* Carves the trainer's buffers out of one allocation; with base NULL, only counts. */
static size_t layout(srres_trainer *t, float *base)
{
    const srres_model *m = t->m;
    size_t n = (size_t)t->batch, C = (size_t)m->cfg.channels;
    size_t lr = n * t->patch * t->patch, s2 = (size_t)m->cfg.scale * m->cfg.scale;
    size_t off = 0;
#define TAKE(ptr, count)                                                                       \
    do {                                                                                       \
        if (base)                                                                              \
            (ptr) = base + off;                                                                \
        off += (count);                                                                        \
    } while (0)
    activations *a = &t->acts;
    TAKE(t->env.scratch, (t->env.scratch_floats + 15) & ~(size_t)15);
    TAKE(a->in, 3 * lr);
    TAKE(a->head_pre, C * lr);
    TAKE(a->head, C * lr);
    for (int i = 0; i < m->cfg.blocks; i++) {
        TAKE(t->blocks[i].c1, C * lr);
        TAKE(t->blocks[i].a1, C * lr);
        TAKE(t->blocks[i].c2, C * lr);
        TAKE(t->blocks[i].out, C * lr);
    }
    TAKE(a->trunk, C * lr);
    size_t px = lr, r2 = (size_t)m->up_factor * m->up_factor;
    for (int j = 0; j < m->up_stages; j++) {
        TAKE(a->up_pre[j], C * r2 * px);
        px *= r2;
        TAKE(a->up_shuf[j], C * px);
        TAKE(a->up_out[j], C * px);
    }
    TAKE(a->tail, 3 * lr * s2);
    TAKE(t->target, 3 * lr * s2);
    TAKE(t->d_tail, 3 * lr * s2);
    TAKE(t->u1, C * lr * s2);
    TAKE(t->u2, C * lr * s2);
    TAKE(t->dx, C * lr);
    TAKE(t->dh, C * lr);
    TAKE(t->d1, C * lr);
    TAKE(t->d2, C * lr);
    TAKE(t->da, C * lr);
#undef TAKE
    return off;
}

srres_status srres_trainer_create(srres_model *model, int batch, int patch, int threads,
                                  srres_trainer **out, srres_error *err)
{
    return srres_trainer_create_kernel(model, batch, patch, threads, SRRES_KERNEL_AUTO, out, err);
}

srres_status srres_trainer_create_kernel(srres_model *model, int batch, int patch, int threads,
                                         srres_kernel kernel, srres_trainer **out,
                                         srres_error *err)
{
    *out = NULL;
    if (kernel != SRRES_KERNEL_AUTO && kernel != SRRES_KERNEL_BASELINE &&
        kernel != SRRES_KERNEL_AVX2)
        return srres_fail(err, SRRES_ERR_INVALID, "unknown kernel %d", (int)kernel);
    if (kernel == SRRES_KERNEL_AVX2 && !cpu_has_avx2_fma())
        return srres_fail(err, SRRES_ERR_UNSUPPORTED,
                          "the AVX2 kernels need a CPU with AVX2 and FMA");
    if (batch < 1 || batch > 4096)
        return srres_fail(err, SRRES_ERR_INVALID, "batch %d is not in 1..4096", batch);
    if (patch < 1 || patch > 4096)
        return srres_fail(err, SRRES_ERR_INVALID, "patch %d is not in 1..4096", patch);
    if (threads < 0 || threads > 1024)
        return srres_fail(err, SRRES_ERR_INVALID, "threads %d is not in 0..1024", threads);
    srres_trainer *t = calloc(1, sizeof(*t));
    if (!t)
        return srres_fail(err, SRRES_ERR_NOMEM, "out of memory");
    t->m = model;
    t->batch = batch;
    t->patch = patch;
    int *counts = malloc(sizeof(int) * model_num_prelus(&model->cfg));
    if (counts) {
        int p = 0;
        counts[p++] = model->head_prelu.n;
        for (int i = 0; i < model->cfg.blocks; i++) {
            counts[p++] = model->body[i].prelu1.n;
            counts[p++] = model->body[i].prelu2.n;
        }
        for (int j = 0; j < model->up_stages; j++)
            counts[p++] = model->up_prelu[j].n;
    }
    srres_status st = counts ? model_alloc(&model->cfg, counts, &t->g, err)
                             : srres_fail(err, SRRES_ERR_NOMEM, "out of memory");
    free(counts);
    if (st != SRRES_OK) {
        free(t);
        return st;
    }
    t->blocks = calloc(model->cfg.blocks ? model->cfg.blocks : 1, sizeof(block_acts));
    t->acts.body = t->blocks;
    openblas_set_num_threads(1); /* our pool splits the work; see srres.h */
    t->pool = thread_pool_create(threads ? threads : thread_pool_cpu_count());
    t->env.pool = t->pool;
    /* as srres_ctx_create chooses: AVX-512, else AVX2 + FMA, else the baseline */
    if (kernel == SRRES_KERNEL_AUTO && cpu_has_avx512())
        t->env.fast = CONV_NHWC_AVX512;
    else if (kernel == SRRES_KERNEL_AVX2 || (kernel == SRRES_KERNEL_AUTO && cpu_has_avx2_fma()))
        t->env.fast = CONV_NHWC_AVX2;
    size_t scratch = t->pool ? network_scratch_floats(model, batch, patch, patch,
                                                      thread_pool_size(t->pool),
                                                      t->env.fast, 1)
                             : 0;
    t->env.scratch_floats = scratch > SCRATCH_BUDGET_FLOATS ? scratch : SCRATCH_BUDGET_FLOATS;
    size_t floats = layout(t, NULL);
    t->memory = t->blocks && t->pool ? alloc_floats(floats) : NULL;
    if (!t->memory) {
        srres_trainer_free(t);
        return srres_fail(err, SRRES_ERR_NOMEM,
                          "out of memory: batch %d of %dx%d patches needs %zu MB", batch,
                          patch, patch, floats * sizeof(float) >> 20);
    }
    layout(t, t->memory);
    *out = t;
    return SRRES_OK;
}

void srres_trainer_free(srres_trainer *t)
{
    if (!t)
        return;
    srres_model_free(t->g);
    thread_pool_free(t->pool);
    free(t->blocks);
    free(t->memory);
    free(t);
}

float *srres_trainer_grads(srres_trainer *t)
{
    return t->g->params;
}

/* Between NCHW (the API's patch order) and CNHW (the layers' order). */
static void transpose_nc(float *dst, const float *src, int n, int c, size_t plane, int to_cnhw)
{
    for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++) {
            size_t nchw = ((size_t)i * c + ch) * plane, cnhw = ((size_t)ch * n + i) * plane;
            memcpy(dst + (to_cnhw ? cnhw : nchw), src + (to_cnhw ? nchw : cnhw),
                   plane * sizeof(float));
        }
}

void srres_trainer_output(const srres_trainer *t, float *out)
{
    size_t side = (size_t)t->patch * t->m->cfg.scale;
    transpose_nc(out, t->acts.tail, t->batch, 3, side * side, 0);
}

float srres_trainer_forward(srres_trainer *t, const float *lr, const float *hr, srres_loss loss)
{
    const srres_model *m = t->m;
    int n = t->batch, P = t->patch, s = m->cfg.scale;
    size_t hr_plane = (size_t)P * s * P * s;
    /* An unknown loss trained on MSE's gradient unnoticed; NaN stops a caller that checks. */
    if (loss != SRRES_LOSS_MSE && loss != SRRES_LOSS_L1)
        return NAN;
    transpose_nc(t->acts.in, lr, n, 3, (size_t)P * P, 1);
    transpose_nc(t->target, hr, n, 3, hr_plane, 1);
    t->loss = loss;
    network_forward(m, &t->acts, n, P, P, &t->env);
    return loss_forward(t->acts.tail, t->target, 3 * n * hr_plane, loss);
}

void srres_trainer_zero_grad(srres_trainer *t)
{
    memset(t->g->params, 0, t->g->num_params * sizeof(float));
}

void srres_trainer_backward(srres_trainer *t)
{
    const srres_model *m = t->m, *g = t->g;
    const activations *a = &t->acts;
    int n = t->batch, P = t->patch, C = m->cfg.channels, r = m->up_factor;
    int hr = P * m->cfg.scale;
    size_t lr_count = (size_t)C * n * P * P, hr_px = (size_t)n * hr * hr;
    const conv_env *env = &t->env;

    memset(t->d_tail, 0, 3 * hr_px * sizeof(float));
    loss_backward(t->d_tail, a->tail, t->target, 3 * hr_px, t->loss);
    const float *x = m->up_stages ? a->up_out[m->up_stages - 1] : a->trunk;
    memset(t->u1, 0, (size_t)C * hr_px * sizeof(float));
    conv_backward(t->u1, g->tail.weight, g->tail.bias, t->d_tail, x, &m->tail, n, hr, hr,
                  env);

    float *u1 = t->u1, *u2 = t->u2;
    for (int j = m->up_stages - 1; j >= 0; j--) {
        int side = hr; /* this stage's output side */
        for (int k = m->up_stages - 1; k > j; k--)
            side /= r;
        int in_side = side / r;
        size_t out_count = (size_t)C * n * side * side;
        memset(u2, 0, out_count * sizeof(float));
        prelu_backward(u2, g->up_prelu[j].slope, u1, a->up_shuf[j], &m->up_prelu[j], C,
                       (size_t)n * side * side);
        memset(u1, 0, out_count * sizeof(float));
        pixel_shuffle_backward(u1, u2, C, r, n, in_side, in_side);
        const float *xin = j ? a->up_out[j - 1] : a->trunk;
        memset(u2, 0, (size_t)C * n * in_side * in_side * sizeof(float));
        conv_backward(u2, g->up[j].weight, g->up[j].bias, u1, xin, &m->up[j], n, in_side,
                      in_side, env);
        float *swap = u1;
        u1 = u2;
        u2 = swap;
    }
    /* u1 = d(trunk output); the global skip sends it to the head's output too. */
    memcpy(t->dh, u1, lr_count * sizeof(float));
    const float *xb = m->cfg.blocks ? a->body[m->cfg.blocks - 1].out : a->head;
    memset(t->dx, 0, lr_count * sizeof(float));
    conv_backward(t->dx, g->trunk.weight, g->trunk.bias, u1, xb, &m->trunk, n, P, P, env);
    size_t plane = (size_t)n * P * P;
    for (int i = m->cfg.blocks - 1; i >= 0; i--) {
        const residual_block *blk = &m->body[i], *gblk = &g->body[i];
        const block_acts *b = &a->body[i];
        const float *xi = i ? a->body[i - 1].out : a->head;
        memset(t->d2, 0, lr_count * sizeof(float));
        prelu_backward(t->d2, gblk->prelu2.slope, t->dx, b->c2, &blk->prelu2, C, plane);
        memset(t->da, 0, lr_count * sizeof(float));
        conv_backward(t->da, gblk->conv2.weight, gblk->conv2.bias, t->d2, b->a1, &blk->conv2,
                      n, P, P, env);
        memset(t->d1, 0, lr_count * sizeof(float));
        prelu_backward(t->d1, gblk->prelu1.slope, t->da, b->c1, &blk->prelu1, C, plane);
        /* dx holds d(block output), which the residual passes to the input unchanged; conv1
         * adds its share on top. */
        conv_backward(t->dx, gblk->conv1.weight, gblk->conv1.bias, t->d1, xi, &blk->conv1, n,
                      P, P, env);
    }
    residual_backward(t->dx, NULL, t->dh, lr_count);
    memset(t->d2, 0, lr_count * sizeof(float));
    prelu_backward(t->d2, g->head_prelu.slope, t->dx, a->head_pre, &m->head_prelu, C, plane);
    conv_backward(NULL, g->head.weight, g->head.bias, t->d2, a->in, &m->head, n, P, P, env);
}
